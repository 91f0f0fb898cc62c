from odoo import fields
from odoo import models

from .itsm_sla_rule import PRIORITIES
from .itsm_sla_rule import TICKET_KINDS


class ItsmTicketCatalog(models.Model):
    """Classification examples (seed 003): picking one sets the ticket's kind and priority."""

    _name = "itsm.ticket.catalog"
    _description = "Ticket classification example"
    _order = "ticket_kind, priority desc, sequence, id"

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    ticket_kind = fields.Selection(TICKET_KINDS, string="Kind", required=True)
    priority = fields.Selection(PRIORITIES, required=True)
    description = fields.Text(translate=True)
    domain_id = fields.Many2one(
        "itsm.service.domain", help="The support domain the example belongs to (routes the ticket)."
    )
