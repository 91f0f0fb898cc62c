"""Requests per monitoring source and minute, counted in PostgreSQL."""

from odoo import api
from odoo import fields
from odoo import models


class ItsmMonitoringRate(models.Model):
    """Requests per source and minute, counted in PostgreSQL so that every worker and node sees them."""

    _name = "itsm.monitoring.rate"
    _description = "Monitoring request counter"
    _log_access = False

    source_id = fields.Many2one("itsm.monitoring.source", required=True, ondelete="cascade")
    minute = fields.Datetime(required=True)
    count = fields.Integer(required=True, default=0)

    _sql_constraints = [("source_minute_uniq", "unique(source_id, minute)", "One counter per source and minute.")]

    @api.autovacuum
    def _gc_old_counters(self):
        self.env.cr.execute(
            "DELETE FROM itsm_monitoring_rate WHERE minute < (now() AT TIME ZONE 'UTC') - interval '1 hour'"
        )
