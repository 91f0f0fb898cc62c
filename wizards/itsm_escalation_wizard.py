from odoo import api
from odoo import fields
from odoo import models

from ..access import checked
from ..models.itsm_contract_scope import SUPPORT_LEVELS


class ItsmEscalationWizard(models.TransientModel):
    _name = "itsm.escalation.wizard"
    _description = "Escalate a ticket to the next support level"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, readonly=True, ondelete="cascade")
    support_level = fields.Selection(related="ticket_id.itsm_support_level", string="Current level")
    team_id = fields.Many2one(related="ticket_id.team_id", string="Current team")
    target_level = fields.Selection(SUPPORT_LEVELS, string="Escalated to level", compute="_compute_target")
    target_team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="Escalated to team",
        compute="_compute_target",
        help="The team of the contract's escalation path for the next level: the ticket moves to it.",
    )
    target_project_id = fields.Many2one(
        "project.project",
        string="Time logged on",
        compute="_compute_target",
        help="The project the ticket's interventions are logged on once escalated: the new team's project, else "
        "the ticket's current one.",
    )
    target_warning = fields.Char(
        compute="_compute_target", help="Why the escalation will be refused, shown before confirming."
    )
    reason = fields.Text(required=True, help="Why the ticket goes up: kept in its escalation history.")

    @api.depends("ticket_id")
    def _compute_target(self):
        for wizard in self:
            target = wizard.ticket_id._itsm_escalation_target()
            wizard.target_level = target["level"]
            wizard.target_team_id = target["team"]
            wizard.target_project_id = target["project"]
            wizard.target_warning = target["warning"]

    @checked()
    def action_confirm(self):
        self.ensure_one()
        self.ticket_id.check_access("write")
        self.ticket_id._itsm_escalate(self.reason)
        return {"type": "ir.actions.act_window_close"}
