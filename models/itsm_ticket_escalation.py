from odoo import fields
from odoo import models

from .itsm_contract_scope import SUPPORT_LEVELS


class ItsmTicketEscalation(models.Model):
    """One step of a ticket up the contract's escalation path: the history, never edited."""

    _name = "itsm.ticket.escalation"
    _description = "Ticket escalation"
    _order = "date desc, id desc"
    _rec_name = "ticket_id"

    ticket_id = fields.Many2one("helpdesk.ticket", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="ticket_id.company_id", store=True, index=True, string="Company")
    contract_id = fields.Many2one(
        related="ticket_id.itsm_contract_id", store=True, index="btree_not_null", string="Contract"
    )
    from_level = fields.Selection(SUPPORT_LEVELS, string="From level", required=True)
    to_level = fields.Selection(SUPPORT_LEVELS, string="To level", required=True)
    from_team_id = fields.Many2one("helpdesk.ticket.team", string="From team", ondelete="set null")
    to_team_id = fields.Many2one("helpdesk.ticket.team", string="To team", ondelete="set null")
    reason = fields.Text(required=True)
    user_id = fields.Many2one("res.users", string="By", default=lambda self: self.env.user, ondelete="set null")
    date = fields.Datetime(required=True, default=fields.Datetime.now, index=True)
    automatic = fields.Boolean(help="Escalated by the scheduled action: the resolution threshold was passed.")
