from odoo import api
from odoo import fields
from odoo import models

from ..access import checked


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

    mco_template_id = fields.Many2one(
        "itsm.mco.template",
        string="MCO template",
        tracking=True,
        help="The checks of the proactive MCO reports of this contract.",
    )
    mco_interval = fields.Selection(
        [("monthly", "Monthly"), ("quarterly", "Quarterly")],
        string="MCO interval",
        tracking=True,
        help="How often the planner prepares an MCO report; empty: none.",
    )
    mco_report_ids = fields.One2many("itsm.mco.report", "contract_id", string="MCO reports")
    mco_report_count = fields.Integer(compute="_compute_mco_report_count", string="MCO report count")
    equipment_ids = fields.One2many("maintenance.equipment", "itsm_contract_id", string="Estate")
    equipment_count = fields.Integer(compute="_compute_equipment_count", string="Machines")

    def _compute_mco_report_count(self):
        counts = dict(
            self.env["itsm.mco.report"]._read_group([("contract_id", "in", self.ids)], ["contract_id"], ["__count"])
        )
        for contract in self:
            contract.mco_report_count = counts.get(contract, 0)

    @api.depends("equipment_ids")
    def _compute_equipment_count(self):
        counts = dict(
            self.env["maintenance.equipment"]._read_group(
                [("itsm_contract_id", "in", self.ids)], ["itsm_contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.equipment_count = counts.get(contract, 0)

    @checked()
    def action_view_mco_reports(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_mco_report")
        action.update(
            {
                "domain": [("contract_id", "=", self.id)],
                "context": {"default_contract_id": self.id, "default_template_id": self.mco_template_id.id},
            }
        )
        return action

    @checked()
    def action_view_estate(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_estate")
        action.update(
            {
                "domain": [("itsm_partner_id", "=", self.partner_id.id)],
                "context": {"default_itsm_partner_id": self.partner_id.id, "default_itsm_contract_id": self.id},
            }
        )
        return action

    def _itsm_portal_documents(self):
        documents = super()._itsm_portal_documents()
        for report in (
            self.env["itsm.mco.report"].sudo().search([("contract_id", "=", self.id), ("state", "=", "sent")])
        ):
            documents.append(
                {
                    "kind": "mco",
                    "name": self.env._("MCO report %(name)s", name=report.name),
                    "date": report.date,
                    "url": report.get_portal_url(),
                }
            )
        documents.sort(key=lambda doc: doc["date"] or fields.Date.today(), reverse=True)
        return documents
