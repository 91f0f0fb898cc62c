from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    itsm_retention_years = fields.Integer(
        string="Retention of personal data (years)",
        default=5,
        required=True,
        help="Personal data of closed tickets, interventions and steering committees older than this is anonymised "
        "by a scheduled action (GDPR article 28: five years in the managed-services contracts). Hours, dates and "
        "amounts are kept.",
    )

    @api.constrains("itsm_retention_years")
    def _check_itsm_retention_years(self):
        for company in self:
            if company.itsm_retention_years < 1:
                raise ValidationError(
                    self.env._(
                        "%(company)s: personal data must be kept at least one year (got %(years)s).",
                        company=company.name,
                        years=company.itsm_retention_years,
                    )
                )
