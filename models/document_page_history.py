from odoo import api
from odoo import models
from odoo.tools import html_sanitize


class DocumentPageHistory(models.Model):
    """A version of a wiki page: the versions of a resolution scenario are stored sanitized.

    OCA's ``document_page`` keeps the content as written (``sanitize=False``). A scenario may be published to the
    clients' portal, so its versions lose scripts, event handlers and ``javascript:`` links when written, whoever
    writes them; the portal sanitizes again when it shows the page (``itsm_portal_content``), for what was stored
    before or around this check.
    """

    _inherit = "document.page.history"

    @api.model_create_multi
    def create(self, vals_list):
        pages = self.env["document.page"].sudo().browse({vals["page_id"] for vals in vals_list if vals.get("page_id")})
        scenarios = set(pages.filtered("itsm_is_scenario").ids)
        for vals in vals_list:
            if vals.get("content") and vals.get("page_id") in scenarios:
                vals["content"] = html_sanitize(vals["content"])
        return super().create(vals_list)

    def write(self, vals):
        if vals.get("content") and self.sudo().page_id.filtered("itsm_is_scenario"):
            vals = dict(vals, content=html_sanitize(vals["content"]))
        return super().write(vals)
