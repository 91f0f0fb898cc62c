"""An alert received from a monitoring source: one per source and fingerprint while it fires."""

import json

from odoo import api
from odoo import fields
from odoo import models


class ItsmMonitoringAlert(models.Model):
    _name = "itsm.monitoring.alert"
    _description = "Monitoring alert"
    _order = "last_seen desc, id desc"
    _rec_name = "summary"

    source_id = fields.Many2one("itsm.monitoring.source", required=True, ondelete="cascade", index=True, readonly=True)
    company_id = fields.Many2one("res.company", readonly=True, index=True)
    contract_id = fields.Many2one(related="source_id.contract_id", store=True, index=True)
    fingerprint = fields.Char(required=True, readonly=True)
    status = fields.Selection([("firing", "Firing"), ("resolved", "Resolved")], required=True, readonly=True)
    ticket_id = fields.Many2one("helpdesk.ticket", readonly=True, index="btree_not_null", ondelete="set null")
    opened_ticket = fields.Boolean(readonly=True, help="This alert opened its ticket (not a later firing on it).")
    labels = fields.Json(readonly=True)
    labels_text = fields.Text(string="Labels (text)", compute="_compute_labels_text")
    summary = fields.Char(readonly=True)
    starts_at = fields.Datetime(readonly=True, help="startsAt as sent by the monitoring tool.")
    ends_at = fields.Datetime(readonly=True)
    first_seen = fields.Datetime(readonly=True)
    last_seen = fields.Datetime(readonly=True)
    last_note = fields.Datetime(readonly=True)
    fire_count = fields.Integer(readonly=True)
    resolved_at = fields.Datetime(readonly=True)

    def init(self):
        result = super().init()
        # At most one open alert per source and fingerprint, whatever the number of workers and nodes.
        self.env.cr.execute(
            "CREATE UNIQUE INDEX IF NOT EXISTS itsm_monitoring_alert_open_uniq "
            "ON itsm_monitoring_alert (source_id, fingerprint) WHERE status = 'firing'"
        )
        return result

    def _compute_labels_text(self):
        for alert in self:
            alert.labels_text = json.dumps(alert.labels or {}, indent=1, ensure_ascii=False, sort_keys=True)

    @api.model
    def _itsm_period_figures(self, contract, start, end):
        """Monitoring figures of a contract over [start, end): alerts received, tickets opened by monitoring,
        alerts resolved by themselves (resolved with no time logged on their ticket) and the mean time in
        minutes from an alert to the first response on the ticket it opened."""
        Alert = self.sudo()
        base = [("contract_id", "=", contract.id)]
        received = Alert.search_count([*base, ("first_seen", ">=", start), ("first_seen", "<", end)])
        opened = Alert.search(
            [*base, ("opened_ticket", "=", True), ("first_seen", ">=", start), ("first_seen", "<", end)]
        )
        resolved = Alert.search(
            [*base, ("status", "=", "resolved"), ("resolved_at", ">=", start), ("resolved_at", "<", end)]
        )
        by_themselves = len(resolved.filtered(lambda a: not a.ticket_id.timesheet_ids))
        delays = [
            (alert.ticket_id.itsm_first_response_date - alert.first_seen).total_seconds() / 60
            for alert in opened
            if alert.ticket_id.itsm_first_response_date
        ]
        return {
            "received": received,
            "tickets_opened": len(opened.ticket_id),
            "resolved_by_themselves": by_themselves,
            "mean_minutes_to_first_response": round(sum(delays) / len(delays), 1) if delays else None,
        }
