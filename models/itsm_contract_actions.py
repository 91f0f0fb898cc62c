import os

from odoo import fields
from odoo import models
from odoo.exceptions import AccessError

from ..access import checked
from .itsm_reversibility_export import PACKAGE_MARK


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

    # ------------------------------------------------------------ buttons
    @checked()
    def action_view_statements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_statement")
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action

    @checked()
    def action_export_reversibility(self):
        """Build the reversibility package (ZIP), attach it to the contract and download it."""
        self.ensure_one()
        if not self.env.user.has_group("itsm_service_contract.group_itsm_account_manager"):
            raise AccessError(self.env._("Only account managers may export the reversibility package of a contract."))
        Export = self.env["itsm.reversibility.export"].with_context(lang=self.partner_id.lang or self.env.lang)
        path, counts = Export._itsm_build(self)
        try:
            with open(path, "rb") as package:
                attachment = (
                    self.env["ir.attachment"]
                    .sudo()
                    .create(
                        {
                            "name": f"{self.name.replace('/', '-')}{PACKAGE_MARK}"
                            f"{fields.Date.context_today(self).strftime('%Y%m%d')}.zip",
                            "raw": package.read(),
                            "mimetype": "application/zip",
                            "res_model": self._name,
                            "res_id": self.id,
                        }
                    )
                )
        finally:
            os.unlink(path)
        self.message_post(
            body=self.env._(
                "Reversibility package exported: %(tickets)s tickets, %(messages)s messages, %(timesheets)s "
                "interventions, %(moves)s ledger moves, %(statements)s statements, %(committees)s committee "
                "minutes, %(documents)s documents.",
                **counts,
            ),
            attachment_ids=attachment.ids,
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    @checked()
    def action_print_sla_report(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_sla_report_wizard")
        action["context"] = {"default_contract_id": self.id}
        return action

    @checked()
    def action_view_committees(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_committee")
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action

    @checked()
    def action_view_interventions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_interventions")
        action["domain"] = [("itsm_contract_id", "=", self.id)]
        action["context"] = {"default_itsm_contract_id": self.id}
        return action

    @checked()
    def action_new_activity_sheet(self):
        self.ensure_one()
        sheet = self.env["itsm.activity.sheet"].create({"contract_id": self.id})
        sheet.action_collect()
        return {
            "type": "ir.actions.act_window",
            "res_model": "itsm.activity.sheet",
            "res_id": sheet.id,
            "view_mode": "form",
        }

    @checked()
    def action_view_credit_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_credit_move")
        action.update({"domain": [("contract_id", "=", self.id)], "context": {"default_contract_id": self.id}})
        return action

    @checked()
    def action_open_adjustment(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Adjust the credit"),
            "res_model": "itsm.credit.adjust.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id},
        }
