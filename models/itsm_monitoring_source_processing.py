"""Monitoring sources, what they receive: a webhook payload or an alert e-mail, alert by alert, into tickets.

The source itself (identity, token, alias, rate limit) is in ``itsm_monitoring_source.py``.
"""

import json
import logging
import re

from markupsafe import Markup

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.service.model import PG_CONCURRENCY_EXCEPTIONS_TO_RETRY
from odoo.tools import SQL

from ..monitoring_rules import BODY_HOST
from ..monitoring_rules import FIRING_WORDS
from ..monitoring_rules import HOST_LABELS
from ..monitoring_rules import MAX_ALERTS
from ..monitoring_rules import MAX_ALERTS_PARAM
from ..monitoring_rules import MAX_DESCRIPTION_LABELS
from ..monitoring_rules import MAX_FINGERPRINT
from ..monitoring_rules import MAX_SUBJECT
from ..monitoring_rules import NOTE_INTERVAL
from ..monitoring_rules import REQUEST_DATE_PAST
from ..monitoring_rules import RESOLVED_WORDS
from ..monitoring_rules import alert_problem
from ..monitoring_rules import labels_fingerprint
from ..monitoring_rules import mail_fingerprint
from ..monitoring_rules import parse_time

_logger = logging.getLogger(__name__)

APPLY_ATTEMPTS = 3  # transactions tried for one alert on a concurrency error


class ItsmMonitoringSource(models.Model):
    _inherit = "itsm.monitoring.source"

    # ------------------------------------------------------------ processing
    def _itsm_priority(self, severity):
        self.ensure_one()
        severity = (severity or "").strip().lower()
        for line in self.severity_ids:
            if line.label.strip().lower() == severity:
                return line.priority
        return self.default_priority

    def _itsm_max_alerts(self):
        """Alerts accepted in one webhook payload: the system parameter, ``MAX_ALERTS`` by default."""
        value = self.env["ir.config_parameter"].sudo().get_param(MAX_ALERTS_PARAM)
        try:
            return max(1, int(value)) if value else MAX_ALERTS
        except ValueError:
            return MAX_ALERTS

    def _itsm_problem_message(self, problem):
        """The sentence that tells the sender why one alert was refused (``alert_problem``'s keys)."""
        messages = {
            "not_an_object": self.env._("The alert is not a JSON object."),
            "bad_status": self.env._("The alert's status is neither firing nor resolved."),
            "no_labels": self.env._("The alert has no labels object."),
            "label_not_text": self.env._("A label name or value is not a string."),
            "bad_annotations": self.env._("The annotations are not an object of strings."),
            "nul_character": self.env._("A string of the alert holds a NUL character."),
            "invalid_unicode": self.env._("A string of the alert is not valid Unicode (lone surrogate)."),
            "bad_time": self.env._("startsAt or endsAt is not an RFC 3339 time between 1970 and 9999."),
            "not_processed": self.env._("The alert could not be processed; the others were."),
        }
        return messages.get(problem, problem)

    def _itsm_process_payload_autonomous(self, payload):
        """``_itsm_process_payload``, each alert in its own READ COMMITTED transaction, committed at once.

        Two Alertmanager replicas post the same notification at the same instant. Under Odoo's REPEATABLE READ,
        the second transaction's ``INSERT ... ON CONFLICT DO NOTHING`` (or its update of the open alert) fails
        with a serialization error once the first commits, and Odoo replays the whole request after a random
        pause of up to seconds. Under READ COMMITTED it waits for the first, inserts nothing, then updates the
        row the first committed: the same outcome (one alert, one ticket: the unique partial index decides),
        without the replay. One transaction per alert: an alert that fails (even at commit) is rejected alone, the
        others stay committed. In test mode the registry's cursors share the test transaction: processed there,
        each alert in a savepoint."""
        if self.env.registry.in_test_mode():
            return self._itsm_process_payload(payload)
        return self._itsm_process_payload(payload, new_cursor=self.env.registry.cursor)

    def _itsm_process_payload(self, payload, new_cursor=None):
        """Process an Alertmanager (or Grafana) webhook payload, alert by alert:
        ``{created, updated, resolved, ignored, rejected, errors}``; ``errors`` lists each rejected alert's
        position in ``alerts``, its reason (a key) and a sentence.

        Each alert is checked first (``alert_problem``); a usable one is applied in a savepoint of the current
        transaction, or, given ``new_cursor`` (a function returning a new database cursor), in its own READ
        COMMITTED transaction committed before the next alert. An alert that fails there is rolled back alone and
        rejected. A concurrency error (serialization failure, deadlock, lock not available) is not the alert's
        fault: it is retried in a new transaction, or, in a savepoint, raised for Odoo to replay the request."""
        self.ensure_one()
        counts = {"created": 0, "updated": 0, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []}
        for index, item in enumerate(payload["alerts"]):
            problem = alert_problem(item, payload.get("status"))
            if not problem:
                alert = self._itsm_normalise(item, payload)
                try:
                    outcome = self._itsm_apply(alert, new_cursor)
                except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                    raise
                except (UserError, ValidationError) as exc:
                    _logger.info("Monitoring source %s: alert %s refused: %s", self.id, index, exc)
                    problem = "not_processed"
                except Exception:
                    _logger.exception("Monitoring source %s: alert %s failed", self.id, index)
                    problem = "not_processed"
            if problem:
                counts["rejected"] += 1
                counts["errors"].append(
                    {"index": index, "reason": problem, "message": self._itsm_problem_message(problem)}
                )
            else:
                counts[outcome] += 1
        return counts

    def _itsm_apply(self, alert, new_cursor=None):
        """Apply one checked alert, in a savepoint, or in its own committed transaction on ``new_cursor()``."""
        if new_cursor is None:
            with self.env.cr.savepoint():
                return self._itsm_handle(alert)[0]
        for attempt in range(APPLY_ATTEMPTS):
            try:
                with new_cursor() as cr:
                    cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
                    # the request's registry, not Registry(dbname): the same one, without its lock
                    cr.transaction = api.Transaction(self.env.registry)
                    env = api.Environment(cr, self.env.uid, dict(self.env.context), su=self.env.su)
                    outcome = self.with_env(env)._itsm_handle(alert)[0]
                    env.flush_all()
                # committed at the end of the block, or rolled back on any error, its own included
                return outcome
            except PG_CONCURRENCY_EXCEPTIONS_TO_RETRY:
                if attempt + 1 == APPLY_ATTEMPTS:
                    raise  # Odoo replays the request; Alertmanager retries after a 5xx
        return None

    def _itsm_normalise(self, item, payload):
        """The fields the addon uses from one alert of the payload, which ``alert_problem`` accepted."""
        status = item.get("status") or payload.get("status")
        labels = item["labels"]
        annotations = item.get("annotations") or {}
        fingerprint = item.get("fingerprint")
        if not isinstance(fingerprint, str) or not fingerprint.strip() or len(fingerprint) > MAX_FINGERPRINT:
            fingerprint = labels_fingerprint(labels)
        summary = annotations.get("summary") or item.get("title") or ""
        if not isinstance(summary, str) or not summary.strip():
            summary = " ".join(str(labels.get(key)) for key in ("alertname", "instance") if labels.get(key))
        url = item.get("generatorURL")
        extra = {
            key: item[key]
            for key in ("values", "valueString", "silenceURL", "dashboardURL", "panelURL")
            if item.get(key) not in (None, "", {})
        }
        return {
            "status": status,
            "fingerprint": fingerprint.strip(),
            "labels": labels,
            "annotations": annotations,
            "extra": extra,
            "summary": str(summary)[:MAX_SUBJECT] or self.env._("Monitoring alert"),
            "severity": str(labels.get("severity") or ""),
            "starts_at": parse_time(item.get("startsAt")),
            "ends_at": parse_time(item.get("endsAt")),
            "url": url if isinstance(url, str) and re.match(r"^https?://", url) else "",
        }

    def _itsm_handle(self, alert):
        """Apply one normalised alert: returns (outcome, ticket); outcome is created, updated, resolved or
        ignored."""
        self.ensure_one()
        if alert["status"] == "resolved":
            return self._itsm_resolve(alert)
        cr = self.env.cr
        now = fields.Datetime.now()
        labels = dict(alert["labels"], **({"_grafana": alert["extra"]} if alert["extra"] else {}))
        cr.execute(
            SQL(
                "INSERT INTO itsm_monitoring_alert (source_id, company_id, contract_id, fingerprint, status, labels, "
                "summary, starts_at, first_seen, last_seen, fire_count, opened_ticket, create_uid, create_date, "
                "write_uid, write_date) "
                "VALUES (%s, %s, %s, %s, 'firing', %s, %s, %s, %s, %s, 1, false, %s, %s, %s, %s) "
                "ON CONFLICT (source_id, fingerprint) WHERE status = 'firing' DO NOTHING RETURNING id",
                self.id,
                self.company_id.id,
                self.contract_id.id,
                alert["fingerprint"],
                json.dumps(labels),
                alert["summary"],
                alert["starts_at"],
                now,
                now,
                self.env.uid,
                now,
                self.env.uid,
                now,
            )
        )
        row = cr.fetchone()
        Alert = self.env["itsm.monitoring.alert"]
        if not row:
            # Open already (a repeat, or the other replica's insert): count it, a note at most once an hour.
            cr.execute(
                SQL(
                    "UPDATE itsm_monitoring_alert SET last_seen = %s, fire_count = fire_count + 1, write_date = %s "
                    "WHERE source_id = %s AND fingerprint = %s AND status = 'firing' RETURNING id",
                    now,
                    now,
                    self.id,
                    alert["fingerprint"],
                )
            )
            found = cr.fetchone()
            Alert.invalidate_model(["last_seen", "fire_count"])
            if not found:
                return "ignored", None
            record = Alert.browse(found[0])
            if record.ticket_id and (not record.last_note or record.last_note <= now - NOTE_INTERVAL):
                record.last_note = now
                record.ticket_id.message_post(
                    body=self.env._(
                        "Alert %(alert)s still firing (%(count)s notifications).",
                        alert=record.summary,
                        count=record.fire_count,
                    ),
                    subtype_xmlid="mail.mt_note",
                )
            return "updated", record.ticket_id
        record = Alert.browse(row[0])
        previous = Alert.search(
            [("source_id", "=", self.id), ("fingerprint", "=", alert["fingerprint"]), ("id", "!=", record.id)],
            order="id desc",
            limit=1,
        )
        if previous.ticket_id and not previous.ticket_id.stage_id.closed:
            ticket = previous.ticket_id
            ticket.message_post(
                body=self.env._("Alert %(alert)s firing again.", alert=alert["summary"]), subtype_xmlid="mail.mt_note"
            )
        else:
            ticket = self._itsm_open_ticket(alert, previous.ticket_id)
            record.opened_ticket = True
        record.write({"ticket_id": ticket.id, "last_note": now})
        return "created", ticket

    def _itsm_open_ticket(self, alert, previous_ticket=None):
        self.ensure_one()
        contract = self.contract_id
        now = fields.Datetime.now()
        starts = alert["starts_at"]
        request_date = starts if starts and now - REQUEST_DATE_PAST <= starts <= now else now
        equipment = self._itsm_alert_equipment(alert)
        return (
            self.env["helpdesk.ticket"]
            .with_company(self.company_id)
            .create(
                {
                    "name": alert["summary"],
                    "description": self._itsm_description(alert, previous_ticket),
                    "partner_id": contract.partner_id.id,
                    "itsm_contract_id": contract.id,
                    "company_id": self.company_id.id,
                    "team_id": self.team_id.id,
                    "itsm_domain_id": self.domain_id.id or False,
                    "itsm_kind": "incident",
                    "priority": self._itsm_priority(alert["severity"]),
                    "itsm_request_date": request_date,
                    "itsm_equipment_id": equipment.id or False,
                }
            )
        )

    def _itsm_alert_equipment(self, alert):
        """The client's registered machine the alert names by its host label (``instance`` for Prometheus,
        ``host`` or ``hostname`` for Grafana and e-mailed alerts), or nothing."""
        self.ensure_one()
        labels = alert["labels"]
        Equipment = self.env["maintenance.equipment"].sudo()
        for key in HOST_LABELS:
            host = labels.get(key)
            if isinstance(host, str) and host.strip():
                equipment = Equipment._itsm_find_by_host(self.contract_id.partner_id, host)
                if equipment:
                    return equipment
        return Equipment.browse()

    def _itsm_description(self, alert, previous_ticket=None):
        """The ticket's description: annotations and labels as escaped text, the link to the alert's source."""
        staff = self.company_id._itsm_staff_env()
        parts = [Markup("<p>%s</p>") % staff._("Opened by the monitoring source %(name)s.", name=self.name)]
        if previous_ticket:
            parts.append(
                Markup("<p>%s</p>")
                % staff._("The same alert was handled earlier in ticket %(ticket)s.", ticket=previous_ticket.number)
            )
        if alert["starts_at"]:
            parts.append(Markup("<p>%s %s UTC</p>") % (self.env._("Started at:"), alert["starts_at"]))
        if alert["url"]:
            parts.append(
                Markup('<p><a href="%s" target="_blank" rel="noopener noreferrer">%s</a></p>')
                % (alert["url"], self.env._("Open in the monitoring tool"))
            )
        budget = MAX_DESCRIPTION_LABELS
        for title, values in (
            (self.env._("Annotations"), alert["annotations"]),
            (self.env._("Labels"), alert["labels"]),
        ):
            lines = []
            for key, value in sorted(values.items(), key=lambda kv: str(kv[0])):
                text = f"{key}: {value}"
                if len(text) > budget:
                    lines.append(text[: max(budget, 0)] + " [...]")
                    budget = 0
                    break
                budget -= len(text)
                lines.append(text)
            if lines:
                parts.append(Markup("<p><b>%s</b></p><pre>%s</pre>") % (title, "\n".join(lines)))
        return Markup("").join(parts)

    def _itsm_resolve(self, alert):
        self.ensure_one()
        now = fields.Datetime.now()
        self.env.cr.execute(
            SQL(
                "UPDATE itsm_monitoring_alert SET status = 'resolved', resolved_at = %s, ends_at = %s, "
                "write_date = %s WHERE source_id = %s AND fingerprint = %s AND status = 'firing' RETURNING id",
                now,
                alert["ends_at"],
                now,
                self.id,
                alert["fingerprint"],
            )
        )
        row = self.env.cr.fetchone()
        Alert = self.env["itsm.monitoring.alert"]
        Alert.invalidate_model(["status", "resolved_at", "ends_at"])
        if not row:
            # Never seen firing (or resolved already): counted, nothing else.
            return "ignored", None
        record = Alert.browse(row[0])
        ticket = record.ticket_id
        if ticket:
            ticket.message_post(
                body=self.env._("Alert %(alert)s resolved.", alert=record.summary), subtype_xmlid="mail.mt_note"
            )
            if (
                self.resolved_stage_id
                and not ticket.stage_id.closed
                and not ticket.sudo().timesheet_ids
                and not ticket.itsm_alert_ids.filtered(lambda a: a.status == "firing")
            ):
                ticket.stage_id = self.resolved_stage_id
        return "resolved", ticket

    # ------------------------------------------------------------ e-mail
    def _itsm_parse_mail(self, subject, body):
        """The alert of an e-mail, by the source's subject patterns, or None when none matches."""
        self.ensure_one()
        subject = (subject or "").strip()
        for line in (self.subject_patterns or "").splitlines():
            if not line.strip():
                continue
            match = re.search(line, subject)
            if not match:
                continue
            groups = match.groupdict()
            word = (groups.get("status") or "").strip().lower()
            if word in RESOLVED_WORDS:
                status = "resolved"
            elif word in FIRING_WORDS:
                status = "firing"
            else:
                continue
            host = groups.get("host")
            if not host:
                found = BODY_HOST.search(body or "")
                host = found.group("host") if found else ""
            service = (groups.get("service") or "").strip()
            severity = (groups.get("severity") or "").strip().lower()
            labels = {"host": host, "service": service or "host", "subject": subject[:MAX_SUBJECT]}
            if severity:
                labels["severity"] = severity
            return {
                "status": status,
                "fingerprint": mail_fingerprint(host, service),
                "labels": labels,
                "annotations": {},
                "extra": {},
                "summary": (f"{service} on {host}" if service and host else service or host or subject)[:MAX_SUBJECT],
                "severity": severity,
                "starts_at": None,
                "ends_at": None,
                "url": "",
            }
        return None
