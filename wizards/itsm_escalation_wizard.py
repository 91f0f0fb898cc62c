from odoo import fields
from odoo import models

from ..access import checked


class ItsmEscalationWizard(models.TransientModel):
    _name = "itsm.escalation.wizard"
    _description = "Escalate a ticket to the next support level"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, readonly=True, ondelete="cascade")
    support_level = fields.Selection(related="ticket_id.itsm_support_level", string="Current level")
    team_id = fields.Many2one(related="ticket_id.team_id", string="Current team")
    reason = fields.Text(required=True, help="Why the ticket goes up: kept in its escalation history.")

    @checked()
    def action_confirm(self):
        self.ensure_one()
        self.ticket_id.check_access("write")
        self.ticket_id._itsm_escalate(self.reason)
        return {"type": "ir.actions.act_window_close"}
