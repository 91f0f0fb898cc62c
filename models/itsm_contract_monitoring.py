"""The monitoring sources of a contract."""

from odoo import fields
from odoo import models


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

    itsm_monitoring_source_ids = fields.One2many("itsm.monitoring.source", "contract_id", string="Monitoring sources")
