from odoo import fields
from odoo import models


class ResConfigSettings(models.TransientModel):
    _inherit = "res.config.settings"

    itsm_retention_years = fields.Integer(related="company_id.itsm_retention_years", readonly=False)
    itsm_problem_threshold = fields.Integer(related="company_id.itsm_problem_threshold", readonly=False)
    itsm_problem_window_days = fields.Integer(related="company_id.itsm_problem_window_days", readonly=False)
