"""Severity labels of a monitoring source and the ticket priority each one gives."""

from odoo import fields
from odoo import models

from ..monitoring_rules import PRIORITIES


class ItsmMonitoringSeverity(models.Model):
    _name = "itsm.monitoring.severity"
    _description = "Monitoring severity"
    _order = "source_id, priority desc, id"

    source_id = fields.Many2one("itsm.monitoring.source", required=True, ondelete="cascade", index=True)
    label = fields.Char(required=True, help="Value of the alert's severity label, e.g. critical.")
    priority = fields.Selection(PRIORITIES, required=True, default="1")

    _sql_constraints = [("label_uniq", "unique(source_id, label)", "A severity label is listed once per source.")]
