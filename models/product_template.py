from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError


class ProductTemplate(models.Model):
    _inherit = "product.template"

    itsm_is_credit_package = fields.Boolean(
        string="Time-credit package",
        help="Selling this product credits hours to the client's prepaid contract.",
    )
    itsm_credit_hours = fields.Float(
        string="Credited hours",
        digits=(16, 2),
        help="Hours credited to the contract for each unit sold.",
    )

    @api.constrains("itsm_is_credit_package", "itsm_credit_hours")
    def _check_itsm_credit_hours(self):
        for template in self:
            if template.itsm_credit_hours < 0 or (template.itsm_is_credit_package and template.itsm_credit_hours <= 0):
                raise ValidationError(
                    self.env._(
                        "The time-credit package %(product)s must credit a positive number of hours (got %(hours)s h).",
                        product=template.display_name,
                        hours=template.itsm_credit_hours,
                    )
                )
