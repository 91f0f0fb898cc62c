from odoo import fields
from odoo import models


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    itsm_equipment_id = fields.Many2one(related="ticket_id.itsm_equipment_id", string="Machine")
