"""Monitoring probes open incidents: Alertmanager / Grafana webhooks and e-mailed alerts (issue 16).

A source belongs to a contract and receives notifications, over HTTP (``POST /itsm/alerts/<uuid>``, see
``controllers/monitoring.py``) or by e-mail (its alias). Each notification is an alert identified by its
fingerprint; at most one alert per source and fingerprint is open (``firing``) at a time, which a unique partial
index enforces in PostgreSQL: when two Alertmanager replicas post the same alert at the same instant, only the
transaction whose ``INSERT ... ON CONFLICT DO NOTHING`` inserted the row creates the ticket.
"""

import re
import secrets
import uuid

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..access import checked
from ..monitoring_rules import DEFAULT_SEVERITIES
from ..monitoring_rules import DEFAULT_SUBJECT_PATTERNS
from ..monitoring_rules import PRIORITIES
from ..monitoring_rules import token_hash


class ItsmMonitoringSource(models.Model):
    _name = "itsm.monitoring.source"
    _description = "Monitoring source"
    _inherit = ["mail.thread", "mail.alias.mixin.optional"]
    _order = "contract_id, name, id"

    name = fields.Char(required=True, tracking=True)
    contract_id = fields.Many2one("itsm.contract", required=True, ondelete="cascade", index=True, tracking=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Client")
    kind = fields.Selection(
        [("alertmanager", "Alertmanager / Grafana webhook"), ("email", "E-mail")],
        required=True,
        default="alertmanager",
        tracking=True,
    )
    uuid = fields.Char(
        string="Identifier",
        required=True,
        readonly=True,
        copy=False,
        default=lambda self: str(uuid.uuid4()),
        help="Random identifier in the webhook's URL.",
    )
    token_hash = fields.Char(copy=False, groups="base.group_system", help="SHA-256 of the token; never the token.")
    token_shown = fields.Boolean(copy=False, readonly=True)
    team_id = fields.Many2one(
        "helpdesk.ticket.team",
        required=True,
        compute="_compute_team_id",
        store=True,
        readonly=False,
        precompute=True,
        help="Team of the tickets opened by this source; by default the contract's first-level desk.",
    )
    domain_id = fields.Many2one("itsm.service.domain", string="Service domain", help="Domain of its tickets.")
    severity_ids = fields.One2many(
        "itsm.monitoring.severity",
        "source_id",
        string="Severities",
        copy=True,
        default=lambda self: [
            fields.Command.create({"label": lab, "priority": pri}) for lab, pri in DEFAULT_SEVERITIES
        ],
    )
    default_priority = fields.Selection(
        PRIORITIES, default="1", required=True, help="Priority of an alert whose severity label is not listed."
    )
    resolved_stage_id = fields.Many2one(
        "helpdesk.ticket.stage",
        string="Stage when resolved",
        help="Stage the ticket moves to when its alert resolves and no one has logged time on it.",
    )
    rate_limit_per_minute = fields.Integer(default=600, required=True)
    active = fields.Boolean(default=True, tracking=True)
    subject_patterns = fields.Text(
        default=DEFAULT_SUBJECT_PATTERNS,
        help="E-mail sources: one regular expression per line, tried in order on the subject, with the named "
        "groups status (PROBLEM/RECOVERY, Problem/Resolved), host and service (optional: severity). "
        "A mail that matches none opens a normal ticket.",
    )
    alert_ids = fields.One2many("itsm.monitoring.alert", "source_id", string="Alerts")
    alert_count = fields.Integer(compute="_compute_alert_count")
    webhook_url = fields.Char(string="Webhook URL", compute="_compute_webhook")
    webhook_snippet = fields.Text(string="Alertmanager configuration", compute="_compute_webhook")

    _sql_constraints = [
        ("uuid_uniq", "unique(uuid)", "The identifier of a monitoring source is unique."),
        ("rate_positive", "CHECK(rate_limit_per_minute > 0)", "The rate limit must be positive."),
    ]

    @api.depends("contract_id")
    def _compute_team_id(self):
        for source in self:
            if not source.team_id and source.contract_id.n1_team_id:
                source.team_id = source.contract_id.n1_team_id

    def _compute_alert_count(self):
        counts = dict(
            self.env["itsm.monitoring.alert"]._read_group([("source_id", "in", self.ids)], ["source_id"], ["__count"])
        )
        for source in self:
            source.alert_count = counts.get(source, 0)

    @api.depends("uuid", "kind")
    def _compute_webhook(self):
        base = self.env["ir.config_parameter"].sudo().get_param("web.base.url", "")
        max_alerts = self._itsm_max_alerts()
        for source in self:
            url = f"{base}/itsm/alerts/{source.uuid}"
            source.webhook_url = url if source.kind == "alertmanager" else False
            source.webhook_snippet = (
                (
                    "receivers:\n"
                    f"  - name: {re.sub(r'[^A-Za-z0-9_-]+', '-', source.name or 'itsm').strip('-').lower()}\n"
                    "    webhook_configs:\n"
                    f"      - url: {url}\n"
                    "        send_resolved: true\n"
                    f"        max_alerts: {max_alerts}\n"
                    "        http_config:\n"
                    "          authorization:\n"
                    "            type: Bearer\n"
                    "            credentials: <the token shown once by 'Regenerate token'>\n"
                )
                if source.kind == "alertmanager"
                else False
            )

    @api.constrains("subject_patterns")
    def _check_subject_patterns(self):
        for source in self:
            for line in (source.subject_patterns or "").splitlines():
                if not line.strip():
                    continue
                try:
                    re.compile(line)
                except re.error as exc:
                    raise ValidationError(
                        self.env._(
                            "Source %(name)s: the pattern %(pattern)s is not a valid regular expression (%(error)s).",
                            name=source.name,
                            pattern=line,
                            error=exc,
                        )
                    ) from exc

    @api.model_create_multi
    def create(self, vals_list):
        sources = super().create(vals_list)
        for source in sources:
            # A token from the start: a source is never open without one. Nobody saw it: the form's button
            # shows a new one, once.
            source._itsm_new_token()
        return sources

    # ------------------------------------------------------------ token
    def _itsm_new_token(self):
        """A new secret token for this source: stores its SHA-256 and returns the clear token (once)."""
        self.ensure_one()
        token = secrets.token_urlsafe(32)
        self.sudo().write({"token_hash": token_hash(token)})
        return token

    @checked("write")
    def action_itsm_regenerate_token(self):
        """Make a new token and show it once, in a dialog; the previous one stops working."""
        self.ensure_one()
        if not self.env.user.has_group("itsm_service_contract.group_itsm_service_manager"):
            raise UserError(self.env._("Only a service manager can make a new token."))
        token = self._itsm_new_token()
        self.token_shown = True
        wizard = self.env["itsm.monitoring.token.wizard"].create({"source_id": self.id, "token": token})
        return {
            "type": "ir.actions.act_window",
            "res_model": "itsm.monitoring.token.wizard",
            "res_id": wizard.id,
            "view_mode": "form",
            "target": "new",
            "name": self.env._("New token of %(name)s", name=self.name),
        }

    @checked()
    def action_itsm_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_monitoring_alert")
        action["domain"] = [("source_id", "=", self.id)]
        action["context"] = {"default_source_id": self.id}
        return action

    # ------------------------------------------------------------ mail alias
    def _alias_get_creation_values(self):
        values = super()._alias_get_creation_values()
        values["alias_model_id"] = self.env["ir.model"]._get_id("helpdesk.ticket")
        if self.id:
            values["alias_defaults"] = repr({"itsm_monitoring_source_id": self.id})
            values["alias_parent_model_id"] = self.env["ir.model"]._get_id(self._name)
            values["alias_parent_thread_id"] = self.id
        return values

    # ------------------------------------------------------------ rate limit
    def _itsm_rate_count(self, cr):
        """Requests of this source in the current minute, this one included, counted in PostgreSQL."""
        cr.execute(
            SQL(
                "INSERT INTO itsm_monitoring_rate (source_id, minute, count) "
                "VALUES (%s, date_trunc('minute', clock_timestamp() AT TIME ZONE 'UTC'), 1) "
                "ON CONFLICT (source_id, minute) DO UPDATE SET count = itsm_monitoring_rate.count + 1 "
                "RETURNING count, 60 - extract(second FROM clock_timestamp())::int",
                self.id,
            )
        )
        count, retry_after = cr.fetchone()
        return count, max(1, retry_after)

    def _itsm_rate_count_autonomous(self):
        """``_itsm_rate_count`` in its own short READ COMMITTED transaction, committed at once: the counter row is
        locked for a moment, not for the whole request, and concurrent requests wait for it instead of failing on
        a serialization conflict. In test mode the registry's cursors share the test transaction: it is counted
        there."""
        if self.env.registry.in_test_mode():
            return self._itsm_rate_count(self.env.cr)
        with self.env.registry.cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            return self._itsm_rate_count(cr)
