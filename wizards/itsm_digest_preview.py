from odoo import fields
from odoo import models


class ItsmDigestPreview(models.TransientModel):
    """The daily digest e-mail as the user's teams would get it now (read-only)."""

    _name = "itsm.digest.preview"
    _description = "Preview of the daily digest"

    body_html = fields.Html(string="Digest", readonly=True, sanitize=True)
