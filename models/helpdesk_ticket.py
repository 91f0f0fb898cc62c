from odoo import api
from odoo import fields
from odoo import models


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    itsm_contract_id = fields.Many2one(
        "itsm.contract",
        string="Service contract",
        compute="_compute_itsm_contract_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        domain="[('partner_id', '=', commercial_partner_id), ('state', 'in', ('active', 'grace'))]",
        help="The client's contract the interventions on this ticket are counted on.",
    )
    itsm_request_date = fields.Datetime(
        string="Request date",
        default=fields.Datetime.now,
        tracking=True,
        help="When the client made the request: the urgency of on-site interventions and the SLA deadlines "
        "count from it.",
    )

    @api.depends("partner_id", "company_id")
    def _compute_itsm_contract_id(self):
        contracts = self.env["itsm.contract"]._running_contracts(self.partner_id.commercial_partner_id)
        for ticket in self:
            client = ticket.partner_id.commercial_partner_id
            if ticket.itsm_contract_id and ticket.itsm_contract_id.partner_id == client:
                continue
            ticket.itsm_contract_id = contracts.get((client.id, ticket.company_id.id), False)
