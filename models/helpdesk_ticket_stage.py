from odoo import fields
from odoo import models


class HelpdeskTicketStage(models.Model):
    _inherit = "helpdesk.ticket.stage"

    itsm_waiting_client = fields.Boolean(
        string="Waiting for the client",
        help="The SLA clocks stop while a ticket sits in this stage; the paused time is added back to its deadlines.",
    )
