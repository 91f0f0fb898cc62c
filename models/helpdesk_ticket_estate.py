from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    itsm_equipment_id = fields.Many2one(
        "maintenance.equipment",
        string="Machine",
        index="btree_not_null",
        tracking=True,
        domain="[('itsm_partner_id', '=', commercial_partner_id)]",
        help="The client's registered machine concerned; the free-text Equipment stays for what is not registered.",
    )
    itsm_mco_line_id = fields.Many2one(
        "itsm.mco.report.line",
        string="MCO check",
        index="btree_not_null",
        readonly=True,
        copy=False,
        ondelete="set null",
        help="The check of an MCO report found failing that opened this ticket.",
    )

    @api.constrains("itsm_equipment_id", "partner_id")
    def _check_itsm_equipment_client(self):
        for ticket in self.filtered("itsm_equipment_id"):
            client = ticket.partner_id.commercial_partner_id
            owner = ticket.itsm_equipment_id.itsm_partner_id
            if owner != client:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the machine %(equipment)s belongs to %(owner)s, not to the ticket's "
                        "client %(client)s.",
                        ticket=ticket.display_name,
                        equipment=ticket.itsm_equipment_id.display_name,
                        owner=owner.display_name or "-",
                        client=client.display_name or "-",
                    )
                )

    @api.onchange("itsm_equipment_id")
    def _onchange_itsm_equipment_id(self):
        equipment = self.itsm_equipment_id
        if equipment:
            if equipment.itsm_domain_id and not self.itsm_domain_id:
                self.itsm_domain_id = equipment.itsm_domain_id
            if equipment.itsm_site and not self.itsm_site:
                self.itsm_site = equipment.itsm_site
