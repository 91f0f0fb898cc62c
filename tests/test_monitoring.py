"""Monitoring probes open incidents (issue 16): Alertmanager / Grafana webhooks over real HTTP, e-mailed alerts
through Odoo's mail gateway, deduplication, errors and the committee figures.

Payloads are written from Prometheus' documented ``webhook_config`` format (version 4) and Grafana Alerting's
webhook contact point; the expected figures are counted by hand from the payloads sent.
"""

import email
import email.policy
import json
from datetime import datetime
from datetime import timedelta

import psycopg2

from odoo import fields
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ItsmInterventionCase

STARTS = (datetime.utcnow() - timedelta(minutes=5)).replace(microsecond=0)


def am_alert(name, instance, status="firing", severity="critical", fingerprint=None, **extra):
    alert = {
        "status": status,
        "labels": {"alertname": name, "instance": instance, "job": "node", "severity": severity},
        "annotations": {"summary": f"{name} on {instance}", "description": f"{name} fired on {instance}."},
        "startsAt": STARTS.strftime("%Y-%m-%dT%H:%M:%S.123456789Z"),
        "endsAt": "2026-12-01T10:30:00Z" if status == "resolved" else "0001-01-01T00:00:00Z",
        "generatorURL": f"http://prometheus.example.com:9090/graph?g0.expr=up%7Binstance%3D%22{instance}%22%7D",
    }
    if fingerprint is not False:
        alert["fingerprint"] = fingerprint or f"fp-{name}-{instance}"
    alert.update(extra)
    return alert


def am_payload(alerts, status=None, truncated=0):
    status = status or ("firing" if any(a["status"] == "firing" for a in alerts) else "resolved")
    return {
        "version": "4",
        "groupKey": '{}:{alertname="DiskFull"}',
        "truncatedAlerts": truncated,
        "status": status,
        "receiver": "itsm",
        "groupLabels": {"alertname": alerts[0]["labels"]["alertname"]},
        "commonLabels": {"job": "node"},
        "commonAnnotations": {},
        "externalURL": "http://alertmanager.example.com:9093",
        "alerts": alerts,
    }


@tagged("post_install", "-at_install")
class TestMonitoring(ItsmInterventionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract.n1_team_id = cls.team
        cls.solved = cls.env["helpdesk.ticket.stage"].create({"name": "Solved by itself", "closed": True})
        Source = cls.env["itsm.monitoring.source"]
        cls.source = Source.create({"name": "Prometheus prod", "contract_id": cls.contract.id})
        cls.token = cls.source._itsm_new_token()
        cls.other = Source.create({"name": "Grafana", "contract_id": cls.contract.id})
        cls.other_token = cls.other._itsm_new_token()

    def post(self, payload, token=None, source=None, raw=None, headers=None):
        source = source or self.source
        token = self.token if token is None else token
        all_headers = {"Content-Type": "application/json"}
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        data = raw if raw is not None else json.dumps(payload)
        return self.url_open(f"/itsm/alerts/{source.uuid}", data=data, headers=all_headers, timeout=60)

    def tickets(self, source=None):
        return self.env["itsm.monitoring.alert"].search([("source_id", "=", (source or self.source).id)]).ticket_id

    # ------------------------------------------------------------ models and defaults
    def test_source_defaults(self):
        self.assertEqual(self.source.team_id, self.team, "team: the contract's first-level desk")
        self.assertEqual(
            sorted((s.label, s.priority) for s in self.source.severity_ids),
            [("critical", "3"), ("info", "1"), ("warning", "2")],
        )
        self.assertEqual(self.source.rate_limit_per_minute, 600)
        self.assertEqual(len(self.source.sudo().token_hash), 64)
        self.assertNotIn(self.token, self.source.sudo().token_hash)
        self.assertIn(f"/itsm/alerts/{self.source.uuid}", self.source.webhook_snippet)
        self.assertIn("webhook_configs", self.source.webhook_snippet)
        self.assertNotIn(self.token, self.source.webhook_snippet)
        self.assertIn(self.source, self.contract.itsm_monitoring_source_ids)

    def test_regenerate_token(self):
        old = self.token
        action = self.source.action_itsm_regenerate_token()
        wizard = self.env["itsm.monitoring.token.wizard"].browse(action["res_id"])
        new = wizard.token
        self.assertTrue(new and new != old)
        self.assertEqual(self.post(am_payload([am_alert("A", "h")]), token=old).status_code, 401)
        self.assertEqual(self.post(am_payload([am_alert("A", "h")]), token=new).status_code, 200)
        wizard.action_done()
        self.assertFalse(wizard.token, "shown once: the clear token is forgotten")
        messages = self.env["mail.message"].search([("model", "=", self.source._name), ("res_id", "=", self.source.id)])
        self.assertFalse([m for m in messages if new in (m.body or "")])

    def test_technician_cannot_regenerate(self):
        with self.assertRaises(Exception):  # noqa: B017 - AccessError from @checked or the group check
            self.source.with_user(self.technician).action_itsm_regenerate_token()

    # ------------------------------------------------------------ webhook
    def test_grouped_firing_then_resolved(self):
        group = [am_alert("DiskFull", "web01"), am_alert("DiskFull", "web02", severity="warning")]
        response = self.post(am_payload(group, truncated=0))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(), {"created": 2, "updated": 0, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []}
        )
        tickets = self.tickets()
        self.assertEqual(len(tickets), 2)
        web01 = tickets.filtered(lambda t: "web01" in t.name)
        self.assertEqual(web01.name, "DiskFull on web01")
        self.assertEqual(web01.priority, "3")
        self.assertEqual(tickets.filtered(lambda t: "web02" in t.name).priority, "2")
        self.assertEqual(web01.itsm_contract_id, self.contract)
        self.assertEqual(web01.team_id, self.team)
        self.assertEqual(web01.itsm_kind, "incident")
        self.assertEqual(web01.itsm_request_date, STARTS)
        self.assertTrue(web01.itsm_sla_rule_id, "SLA deadlines from the contract's matrix")
        self.assertTrue(web01.itsm_response_deadline)
        self.assertIn('href="http://prometheus.example.com:9090/graph', str(web01.description))
        # the same group again: updated, no new ticket
        response = self.post(am_payload(group))
        self.assertEqual(
            response.json(), {"created": 0, "updated": 2, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []}
        )
        alert = web01.itsm_alert_ids
        self.assertEqual((alert.fire_count, alert.status), (2, "firing"))
        self.assertEqual(len(self.tickets()), 2)
        # resolved
        self.source.resolved_stage_id = self.solved
        resolved = [am_alert("DiskFull", "web01", status="resolved"), am_alert("DiskFull", "web02", status="resolved")]
        response = self.post(am_payload(resolved, truncated=3))
        self.assertEqual(
            response.json(), {"created": 0, "updated": 0, "resolved": 2, "ignored": 0, "rejected": 0, "errors": []}
        )
        self.assertEqual(alert.status, "resolved")
        self.assertTrue(alert.resolved_at)
        self.assertEqual(web01.stage_id, self.solved, "no time logged: moved to the resolved stage")
        self.assertTrue(web01.message_ids.filtered(lambda m: "DiskFull on web01 resolved" in (m.body or "")))
        # a later firing: a new alert; the ticket is closed, so a new ticket mentioning the previous one
        response = self.post(am_payload([am_alert("DiskFull", "web01")]))
        self.assertEqual(response.json()["created"], 1)
        alerts = self.env["itsm.monitoring.alert"].search([("fingerprint", "=", "fp-DiskFull-web01")], order="id")
        self.assertEqual(len(alerts), 2)
        self.assertNotEqual(alerts[1].ticket_id, web01)
        self.assertIn(web01.number, str(alerts[1].ticket_id.description))

    def test_refire_on_open_ticket_and_time_logged(self):
        self.source.resolved_stage_id = self.solved
        self.post(am_payload([am_alert("CPU", "db01")]))
        ticket = self.tickets()
        self._log(datetime(2026, 12, 1, 9, 0), 0.5, ticket=ticket)
        self.post(am_payload([am_alert("CPU", "db01", status="resolved")]))
        self.assertNotEqual(ticket.stage_id, self.solved, "time logged: the ticket stays where it is")
        response = self.post(am_payload([am_alert("CPU", "db01")]))
        self.assertEqual(response.json()["created"], 1)
        self.assertEqual(len(self.tickets()), 1, "still open: the new alert goes on the same ticket")
        self.assertEqual(len(ticket.itsm_alert_ids), 2)
        self.assertEqual(ticket.itsm_alert_count, 2)

    def test_grafana_variant(self):
        alert = am_alert("HighLatency", "api01", fingerprint="57c6d9296de2ad39")
        alert.update(
            {
                "values": {"B": 22.4, "C": 1},
                "valueString": "[ var='B' labels={instance=api01} value=22.4 ]",
                "silenceURL": "https://grafana.example.com/alerting/silence/new",
                "dashboardURL": "https://grafana.example.com/d/abc",
                "panelURL": "https://grafana.example.com/d/abc?viewPanel=1",
                "title": "[FIRING:1] HighLatency",
            }
        )
        payload = am_payload([alert])
        payload.update({"orgId": 1, "title": "[FIRING:1] HighLatency", "message": "**Firing**", "version": "1"})
        response = self.post(payload, token=self.other_token, source=self.other)
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(), {"created": 1, "updated": 0, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []}
        )
        record = self.other.alert_ids
        self.assertEqual(record.labels["_grafana"]["valueString"], alert["valueString"])
        self.assertEqual(record.fingerprint, "57c6d9296de2ad39")

    def test_no_fingerprint_twice(self):
        alert = am_alert("NodeDown", "web09", fingerprint=False)
        self.assertEqual(self.post(am_payload([alert])).json()["created"], 1)
        reordered = dict(alert, labels=dict(reversed(list(alert["labels"].items()))))
        self.assertEqual(
            self.post(am_payload([reordered])).json(),
            {"created": 0, "updated": 1, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []},
        )
        self.assertEqual(len(self.tickets()), 1)
        record = self.source.alert_ids
        self.assertEqual(len(record.fingerprint), 16)
        self.assertEqual(record.fire_count, 2)

    def test_two_replicas_same_notification(self):
        """Both replicas deliver the same notification: one ticket. HttpCase serves every request on the test's
        single cursor, so two requests cannot run at the same instant here (two threads posting at once break
        the shared cursor: tried, it fails inside Odoo's request set-up, not in the addon). The true race, two
        transactions inserting the same open alert, is ``test_race_conflict_path`` (the ON CONFLICT branch) and
        ``make alerts-load`` (4 workers, 2 replicas posting concurrently)."""
        payload = am_payload([am_alert("Replica", "lb01")])
        first, second = self.post(payload).json(), self.post(payload).json()
        self.assertEqual((first["created"], second["created"], second["updated"]), (1, 0, 1))
        self.assertEqual(len(self.tickets()), 1)

    def test_race_conflict_path(self):
        """The other replica committed its open alert first: this transaction's INSERT meets the unique partial
        index, inserts nothing and creates no ticket."""
        alert = self.source._itsm_normalise(am_alert("Race", "fw01"), {})
        self.env.cr.execute(
            "INSERT INTO itsm_monitoring_alert (source_id, company_id, fingerprint, status, fire_count, first_seen, "
            "last_seen) VALUES (%s, %s, %s, 'firing', 1, now(), now())",
            [self.source.id, self.source.company_id.id, alert["fingerprint"]],
        )
        outcome, ticket = self.source._itsm_handle(alert)
        self.assertEqual(outcome, "updated")
        self.assertFalse(ticket)
        self.assertFalse(self.tickets())
        # the index itself refuses a second open alert
        with (
            mute_logger("odoo.sql_db"),
            self.assertRaises(psycopg2.errors.UniqueViolation),
            self.env.cr.savepoint(),
        ):
            self.env.cr.execute(
                "INSERT INTO itsm_monitoring_alert (source_id, fingerprint, status) VALUES (%s, %s, 'firing')",
                [self.source.id, alert["fingerprint"]],
            )

    # ------------------------------------------------------------ bad input
    def test_dates_labels_html_unknown_severity(self):
        future = am_alert("Future", "h1", startsAt="2036-01-01T00:00:00Z")
        old = am_alert("Old", "h2", startsAt="2016-12-01T00:00:00+02:00")
        big = am_alert("Big", "h3")
        big["labels"]["blob"] = "x" * 100_000
        html = am_alert("Html", "h4")
        html["annotations"]["description"] = '<script>alert("x")</script><img src=x onerror=alert(1)>'
        unknown = am_alert("Odd", "h5", severity="disaster")
        malformed = {"status": "firing", "labels": "not a dict"}
        before = fields.Datetime.now()
        response = self.post(am_payload([future, old, big, html, unknown, malformed]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            {
                "created": 5,
                "updated": 0,
                "resolved": 0,
                "ignored": 0,
                "rejected": 1,
                "errors": [{"index": 5, "reason": "no_labels", "message": "The alert has no labels object."}],
            },
        )
        by_name = {t.name: t for t in self.tickets()}
        for name in ("Future on h1", "Old on h2"):
            self.assertGreaterEqual(by_name[name].itsm_request_date, before, f"{name}: counted from receipt")
        old_alert = by_name["Old on h2"].itsm_alert_ids
        self.assertEqual(old_alert.starts_at, datetime(2016, 11, 30, 22, 0), "startsAt kept, in UTC")
        self.assertEqual(len(by_name["Big on h3"].itsm_alert_ids.labels["blob"]), 100_000, "labels kept whole")
        self.assertLess(len(str(by_name["Big on h3"].description)), 30_000)
        description = str(by_name["Html on h4"].description)
        self.assertNotIn("<script>", description)
        self.assertNotIn("<img", description)
        self.assertIn("&lt;script&gt;", description)
        self.assertEqual(by_name["Odd on h5"].priority, self.source.default_priority)

    def test_resolved_never_seen(self):
        response = self.post(am_payload([am_alert("Ghost", "h9", status="resolved")]))
        self.assertEqual(
            response.json(), {"created": 0, "updated": 0, "resolved": 0, "ignored": 1, "rejected": 0, "errors": []}
        )
        self.assertFalse(self.tickets())

    def test_http_errors(self):
        payload = am_payload([am_alert("E", "h")])
        bodies = set()
        for response in (
            self.url_open(
                "/itsm/alerts/00000000-0000-4000-8000-000000000000",
                data=json.dumps(payload),
                headers={"Authorization": f"Bearer {self.token}"},
            ),
            self.post(payload, token="wrong"),
            self.post(payload, token=""),
            self.post(payload, token=self.other_token),
        ):
            self.assertEqual(response.status_code, 401)
            bodies.add(response.content)
        self.other.active = False
        response = self.post(payload, token=self.other_token, source=self.other)
        self.assertEqual(response.status_code, 401)
        bodies.add(response.content)
        self.assertEqual(len(bodies), 1, "the same answer for every 401")
        self.assertNotIn(self.token.encode(), b"".join(bodies))
        self.assertEqual(self.post(None, raw="{not json").status_code, 400)
        self.assertEqual(self.post(None, raw=b"\xff\xfe").status_code, 400)
        self.assertEqual(self.post({"hello": "world"}).status_code, 400)
        self.assertEqual(self.post([1, 2]).status_code, 400)
        self.assertEqual(self.post(None, raw="x" * (1024 * 1024 + 1)).status_code, 413)
        self.assertFalse(self.tickets())

    def test_rate_limit(self):
        self.source.rate_limit_per_minute = 3
        # this minute and the next are full: the request is refused whatever second it arrives at
        self.env.cr.execute(
            "INSERT INTO itsm_monitoring_rate (source_id, minute, count) SELECT %s, m, 3 FROM (VALUES "
            "(date_trunc('minute', clock_timestamp() AT TIME ZONE 'UTC')), "
            "(date_trunc('minute', clock_timestamp() AT TIME ZONE 'UTC') + interval '1 minute')) v(m)",
            [self.source.id],
        )
        response = self.post(am_payload([am_alert("R", "h")]))
        self.assertEqual(response.status_code, 429)
        self.assertTrue(1 <= int(response.headers["Retry-After"]) <= 60)
        self.assertFalse(self.tickets())
        self.assertEqual(
            self.post(am_payload([am_alert("R", "h")]), token=self.other_token, source=self.other).status_code, 200
        )

    # ------------------------------------------------------------ e-mail
    def _mail_source(self):
        domain = self.env["mail.alias.domain"].create({"name": "itsm-alerts.example.com"})
        self.env.company.alias_domain_id = domain
        return self.env["itsm.monitoring.source"].create(
            {"name": "Nagios", "kind": "email", "contract_id": self.contract.id, "alias_name": "nagios-client-a"}
        )

    def _mail(self, subject, body="Notification", to="nagios-client-a@itsm-alerts.example.com", msgid=None):
        return (
            f"From: Nagios <nagios@monitor.example.com>\r\nTo: {to}\r\nSubject: {subject}\r\n"
            f"Message-ID: <{msgid or abs(hash(subject + body))}@monitor.example.com>\r\n"
            "Date: Tue, 01 Dec 2026 10:00:00 +0000\r\nContent-Type: text/plain; charset=utf-8\r\n\r\n"
            f"{body}\r\n"
        )

    def test_mail_nagios(self):
        source = self._mail_source()
        self.assertEqual(source.alias_id.alias_model_id.model, "helpdesk.ticket")
        Thread = self.env["mail.thread"]
        problem = "** PROBLEM Service Alert: web01/HTTP is CRITICAL **"
        ticket_id = Thread.message_process(False, self._mail(problem, msgid="p1"))
        ticket = self.env["helpdesk.ticket"].browse(ticket_id)
        self.assertEqual(ticket.name, "HTTP on web01")
        self.assertEqual(ticket.priority, "3")
        self.assertEqual(ticket.itsm_contract_id, self.contract)
        alert = ticket.itsm_alert_ids
        self.assertEqual((alert.status, alert.labels["host"], alert.labels["service"]), ("firing", "web01", "HTTP"))
        self.assertEqual(Thread.message_process(False, self._mail(problem, msgid="p2")), ticket.id)
        self.assertEqual(alert.fire_count, 2)
        recovery = "** RECOVERY Service Alert: web01/HTTP is OK **"
        self.assertEqual(Thread.message_process(False, self._mail(recovery, msgid="r1")), ticket.id)
        self.assertEqual(alert.status, "resolved")
        host = Thread.message_process(False, self._mail("** PROBLEM Host Alert: web01 is DOWN **", msgid="h1"))
        self.assertNotEqual(host, ticket.id)
        self.assertEqual(self.env["helpdesk.ticket"].browse(host).itsm_alert_ids.labels["host"], "web01")
        other = Thread.message_process(False, self._mail("Please call me back", msgid="o1"))
        other = self.env["helpdesk.ticket"].browse(other)
        self.assertFalse(other.itsm_alert_ids, "no pattern: a normal ticket")
        self.assertEqual(other.itsm_contract_id, self.contract)
        self.assertEqual(other.name, "Please call me back")

    def test_mail_zabbix(self):
        source = self._mail_source()
        Ticket = self.env["helpdesk.ticket"]
        Thread = self.env["mail.thread"]

        def new(subject, body):
            raw = self._mail(subject, body).encode()
            msg = Thread.message_parse(email.message_from_bytes(raw, policy=email.policy.SMTP))
            return Ticket.message_new(msg, {"itsm_monitoring_source_id": source.id})

        first = new("Problem: High CPU utilization on web01", "Problem started at 10:00\nHost: web01\nSeverity: High")
        self.assertEqual(first.name, "High CPU utilization on web01")
        self.assertEqual(first.itsm_alert_ids.labels["host"], "web01")
        second = new("Problem: Disk space is low", "Problem started at 10:00\nHost: db02\nSeverity: Warning")
        self.assertEqual(second.itsm_alert_ids.labels["host"], "db02", "host read from the body")
        self.assertEqual(new("Resolved in 1m 2s: High CPU utilization on web01", "Host: web01"), first)
        self.assertEqual(first.itsm_alert_ids.status, "resolved")
        self.assertEqual(new("Resolved: Disk space is low", "Host: db02"), second)
        self.assertEqual(second.itsm_alert_ids.status, "resolved")

    def test_alert_names_the_clients_machine(self):
        """An alert whose instance / host label is a registered machine of the client links its ticket to it
        (issue 18); another client's machine of the same name never."""
        Equipment = self.env["maintenance.equipment"]
        web = Equipment.create(
            {"name": "Web server", "itsm_partner_id": self.client_a.id, "itsm_hostname": "web01.client-a.lan"}
        )
        db = Equipment.create({"name": "Database", "itsm_partner_id": self.client_a.id, "itsm_hostname": "DB02"})
        stranger = self.client_b
        Equipment.create({"name": "Their web", "itsm_partner_id": stranger.id, "itsm_hostname": "web09"})
        response = self.post(
            am_payload(
                [
                    am_alert("DiskFull", "WEB01.client-a.lan:9100"),
                    am_alert("HighLoad", "web09:9100"),
                    am_alert("Down", "unknown-host"),
                ]
            )
        )
        self.assertEqual(response.json()["created"], 3)
        by_alert = {alert.labels["alertname"]: alert.ticket_id for alert in self.source.alert_ids}
        self.assertEqual(by_alert["DiskFull"].itsm_equipment_id, web, "host:port, other case: the client's machine")
        self.assertFalse(by_alert["HighLoad"].itsm_equipment_id, "another client's machine is never linked")
        self.assertFalse(by_alert["Down"].itsm_equipment_id)
        self.assertEqual(web.itsm_ticket_count, 1)
        self._mail_source()
        ticket_id = self.env["mail.thread"].message_process(
            False, self._mail("** PROBLEM Service Alert: db02/Disk is CRITICAL **", msgid="eq1")
        )
        self.assertEqual(self.env["helpdesk.ticket"].browse(ticket_id).itsm_equipment_id, db, "e-mailed host")

    # ------------------------------------------------------------ committee figures
    def test_period_figures(self):
        self.post(am_payload([am_alert("A", "h1"), am_alert("B", "h2"), am_alert("C", "h3")]))
        self.post(am_payload([am_alert("A", "h1")]))  # a repeat: not a new alert
        tickets = {t.name: t for t in self.tickets()}
        self._log(datetime(2026, 12, 1, 9, 0), 0.25, ticket=tickets["B on h2"])
        self.post(am_payload([am_alert("A", "h1", status="resolved"), am_alert("B", "h2", status="resolved")]))
        alerts = {a.summary: a for a in self.source.alert_ids}
        # first responses 10 and 30 minutes after the alert; C never answered
        tickets["A on h1"].sudo().itsm_first_response_date = alerts["A on h1"].first_seen + timedelta(minutes=10)
        tickets["B on h2"].sudo().itsm_first_response_date = alerts["B on h2"].first_seen + timedelta(minutes=30)
        start = fields.Datetime.now() - timedelta(hours=1)
        end = fields.Datetime.now() + timedelta(hours=1)
        figures = self.env["itsm.monitoring.alert"]._itsm_period_figures(self.contract, start, end)
        self.assertEqual(
            figures,
            {"received": 3, "tickets_opened": 3, "resolved_by_themselves": 1, "mean_minutes_to_first_response": 20.0},
        )
        empty = self.env["itsm.monitoring.alert"]._itsm_period_figures(self.contract, end, end + timedelta(days=1))
        self.assertEqual(empty["received"], 0)
        self.assertIsNone(empty["mean_minutes_to_first_response"])
