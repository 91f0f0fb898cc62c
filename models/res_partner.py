from odoo import fields
from odoo import models

from ..access import checked


class ResPartner(models.Model):
    _inherit = "res.partner"

    itsm_contract_ids = fields.One2many("itsm.contract", "partner_id", string="Service contracts")
    itsm_contract_count = fields.Integer(string="Service contract count", compute="_compute_itsm_contract_count")

    def _compute_itsm_contract_count(self):
        Contract = self.env["itsm.contract"]
        if not Contract.has_access("read"):
            self.itsm_contract_count = 0
            return
        counts = dict(
            Contract._read_group(
                [("partner_id", "child_of", self.commercial_partner_id.ids)], ["partner_id"], ["__count"]
            )
        )
        for partner in self:
            partner.itsm_contract_count = counts.get(partner.commercial_partner_id, 0)

    def _itsm_set_lang_if_installed(self, lang):
        """Give these partners ``lang`` when it is installed (the demo's French clients: French when the database
        was created with French, English otherwise). Returns whether it was set."""
        if not self.env["res.lang"]._lang_get(lang):
            return False
        self.write({"lang": lang})
        return True

    @checked()
    def action_view_itsm_contracts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_contract")
        action["domain"] = [("partner_id", "child_of", self.commercial_partner_id.id)]
        action["context"] = {"default_partner_id": self.commercial_partner_id.id}
        return action
