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
        """One source of truth: a package credits hours, and only a package has credited hours."""
        for template in self:
            if template.itsm_is_credit_package and template.itsm_credit_hours <= 0:
                raise ValidationError(
                    self.env._(
                        "The time-credit package %(product)s must credit a positive number of hours (got %(hours)s h).",
                        product=template.display_name,
                        hours=template.itsm_credit_hours,
                    )
                )
            if not template.itsm_is_credit_package and template.itsm_credit_hours:
                raise ValidationError(
                    self.env._(
                        "Product %(product)s has %(hours)s credited hours but is not a time-credit package: selling "
                        "it would credit nothing. Tick Time-credit package, or set its credited hours to 0.",
                        product=template.display_name,
                        hours=template.itsm_credit_hours,
                    )
                )

    @api.onchange("itsm_is_credit_package")
    def _onchange_itsm_is_credit_package(self):
        if not self.itsm_is_credit_package:
            self.itsm_credit_hours = 0.0
