from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError


class ResCompany(models.Model):
    _inherit = "res.company"

    def _itsm_staff_env(self):
        """The environment of the notes the addon writes by itself in the chatter (confirmations, scheduled
        actions, breaches): they are read by the provider's staff, so they are written in the company's
        language, with its date and number formats, whoever or whatever triggered them (an installation, a
        cron run as OdooBot, a client confirming on the portal)."""
        self.ensure_one()
        lang = self.partner_id.lang
        if not lang or lang == self.env.lang:
            return self.env
        return self.env(context=dict(self.env.context, lang=lang))

    itsm_retention_years = fields.Integer(
        string="Retention of personal data (years)",
        default=5,
        required=True,
        help="Personal data of closed tickets, interventions and steering committees older than this is anonymised "
        "by a scheduled action (GDPR article 28: five years in the managed-services contracts). Hours, dates and "
        "amounts are kept.",
    )

    itsm_problem_threshold = fields.Integer(
        string="Incidents making a problem",
        default=3,
        required=True,
        help="Incidents of one client in one category within the window that open a problem (at least 2).",
    )
    itsm_problem_window_days = fields.Integer(
        string="Problem detection window (days)",
        default=30,
        required=True,
        help="Days of request dates within which the incidents are counted (at least 1).",
    )

    @api.constrains("itsm_problem_threshold", "itsm_problem_window_days")
    def _check_itsm_problem_detection(self):
        for company in self:
            if company.itsm_problem_threshold < 2:
                raise ValidationError(
                    self.env._(
                        "%(company)s: a problem groups at least 2 incidents (got %(threshold)s).",
                        company=company.name,
                        threshold=company.itsm_problem_threshold,
                    )
                )
            if company.itsm_problem_window_days < 1:
                raise ValidationError(
                    self.env._(
                        "%(company)s: the problem detection window is at least one day (got %(days)s).",
                        company=company.name,
                        days=company.itsm_problem_window_days,
                    )
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
