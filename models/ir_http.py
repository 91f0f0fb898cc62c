from odoo import models
from odoo.http import request


class IrHttp(models.AbstractModel):
    _inherit = "ir.http"

    @classmethod
    def _serve_fallback(cls):
        """A URL no route matches, with a NUL in its path (``/my/contracts/%00``): a 404 page.

        Odoo looks such a path up among attachments, pages and redirects in SQL, and PostgreSQL refuses a NUL in a
        string: the 404 became a 500.
        """
        if "\x00" in request.httprequest.path:
            return None
        return super()._serve_fallback()
