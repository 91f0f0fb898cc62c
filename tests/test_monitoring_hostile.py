"""The monitoring webhook against hostile or broken senders (issue 23, findings 9, 10 and 11).

Over real HTTP (``HttpCase``): a cap on alerts per payload (413 naming it), each alert checked on its own (a bad
alert is rejected with its reason, the others processed), malformed bodies and odd identifiers answered 400 / 401,
never 500. ``HttpCase`` serves the request on the test's cursor, in savepoints: it cannot show what a real server
does when one alert breaks its transaction. ``TestMonitoringHostileCommitted`` does, with real transactions: each
alert in its own committed transaction, as ``_itsm_process_payload_autonomous`` does outside test mode.

Payloads follow Alertmanager's documented ``webhook_config`` format (version 4); the expected counts are counted
by hand from the payloads sent.
"""

import json

from odoo.tests import HttpCase
from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from .. import monitoring_rules as rules
from .common import ItsmInterventionCase
from .test_monitoring import am_alert
from .test_monitoring import am_payload
from .test_monitoring_race import CommittedMonitoringCase

MAX_ALERTS = 100  # the documented default (docs/security.rst, docs/monitoring.rst)
MAX_ALERTS_PARAM = "itsm_service_contract.monitoring_max_alerts"


def raw_payload(alerts_json):
    """A version 4 payload whose ``alerts`` is the JSON text given: what ``json.dumps`` cannot write (lone
    surrogates as a sender's escape, deep nesting)."""
    head = json.dumps(am_payload([am_alert("Raw", "r1")]))
    start = head.index('"alerts": [') + len('"alerts": ')
    return head[:start] + alerts_json + "}"


def hostile_alerts():
    """Alerts a sender can post that PostgreSQL or Python refuse (reason expected), between two good ones."""
    nul = am_alert("Nul", "h2")
    nul["labels"]["job"] = "no\x00de"
    late = am_alert("Late", "h4", startsAt="9999-12-31T23:00:00-02:00")  # past year 9999 in UTC
    offset = am_alert("Offset", "h5", startsAt="2026-12-01T10:00:00+99:99")
    labels_list = am_alert("List", "h6")
    labels_list["labels"] = ["alertname", "List"]
    number = am_alert("Number", "h7")
    number["labels"]["severity"] = 3
    return [
        (am_alert("Good", "h1"), None),
        (nul, "nul_character"),
        (late, "bad_time"),
        (offset, "bad_time"),
        (labels_list, "no_labels"),
        (number, "label_not_text"),
        ("just a string", "not_an_object"),
        (am_alert("Odd", "h8", status="pending"), "bad_status"),
        (am_alert("Good", "h9"), None),
    ]


def hostile_body():
    """``hostile_alerts`` as a payload, with a lone surrogate (JSON ``"\\ud800"``) in a label value at the end."""
    alerts = [alert for alert, _reason in hostile_alerts()]
    surrogate = json.dumps(am_alert("Surrogate", "h3")).replace('"job": "node"', '"job": "\\ud800"')
    return raw_payload("[" + ", ".join([*map(json.dumps, alerts), surrogate]) + "]")


EXPECTED_REJECTED = [
    {"index": index, "reason": reason}
    for index, reason in [*((i, r) for i, (_a, r) in enumerate(hostile_alerts()) if r), (9, "invalid_unicode")]
]


class HostilePost:
    def post(self, payload=None, token=None, raw=None, path=None, headers=None):
        all_headers = {"Content-Type": "application/json"}
        token = self.token if token is None else token
        if token:
            all_headers["Authorization"] = f"Bearer {token}"
        all_headers.update(headers or {})
        data = raw if raw is not None else json.dumps(payload)
        # a POST even with an empty body (url_open sends a GET then)
        url = self.base_url() + (path or f"/itsm/alerts/{self.source.uuid}")
        return self.opener.post(url, data=data, headers=all_headers, timeout=60)

    def tickets(self):
        """The tickets the source's alerts opened (the contract has a ticket of its own)."""
        return self.env["itsm.monitoring.alert"].search([("source_id", "=", self.source.id)]).ticket_id


@tagged("post_install", "-at_install")
class TestMonitoringHostile(HostilePost, ItsmInterventionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract.n1_team_id = cls.team
        cls.source = cls.env["itsm.monitoring.source"].create({"name": "Prometheus", "contract_id": cls.contract.id})
        cls.token = cls.source._itsm_new_token()

    # ------------------------------------------------------------ finding 9: alerts per payload
    def test_too_many_alerts(self):
        """More alerts than the cap: 413 naming the cap, nothing processed; the cap is a system parameter and the
        Alertmanager snippet sets ``max_alerts`` to it."""
        self.assertIn(f"max_alerts: {MAX_ALERTS}\n", self.source.webhook_snippet)
        self.assertNotIn("max_alerts: 0", self.source.webhook_snippet)
        one = am_alert("Flood", "f1")
        response = self.post(am_payload([one] * (MAX_ALERTS + 1)))
        self.assertEqual(response.status_code, 413)
        self.assertEqual(response.json()["max_alerts"], MAX_ALERTS)
        self.assertIn(str(MAX_ALERTS), response.json()["error"])
        self.assertFalse(self.tickets())
        self.assertFalse(self.source.alert_ids)
        self.env["ir.config_parameter"].sudo().set_param(MAX_ALERTS_PARAM, "3")
        alerts = [am_alert("Cap", f"c{no}") for no in range(4)]
        response = self.post(am_payload(alerts))
        self.assertEqual((response.status_code, response.json()["max_alerts"]), (413, 3))
        self.assertFalse(self.tickets())
        response = self.post(am_payload(alerts[:3]))
        self.assertEqual(response.status_code, 200)
        self.assertEqual(response.json()["created"], 3)
        self.source.invalidate_recordset(["webhook_snippet"])
        self.assertIn("max_alerts: 3\n", self.source.webhook_snippet)

    # ------------------------------------------------------------ finding 10: alert by alert
    def test_bad_alerts_rejected_alone(self):
        """A NUL, a lone surrogate, times out of range, labels of the wrong type: each such alert is rejected with
        its reason, the two good ones open their tickets."""
        with mute_logger("odoo.addons.itsm_service_contract.models.itsm_monitoring_source_processing"):
            response = self.post(raw=hostile_body())
        self.assertEqual(response.status_code, 200)
        answer = response.json()
        self.assertEqual(
            {key: answer[key] for key in ("created", "updated", "resolved", "ignored", "rejected")},
            {"created": 2, "updated": 0, "resolved": 0, "ignored": 0, "rejected": 8},
        )
        self.assertEqual([{k: e[k] for k in ("index", "reason")} for e in answer["errors"]], EXPECTED_REJECTED)
        self.assertTrue(all(error["message"] for error in answer["errors"]))
        self.assertEqual(sorted(self.tickets().mapped("name")), ["Good on h1", "Good on h9"])
        self.assertEqual(len(self.source.alert_ids), 2)

    def test_malformed_bodies(self):
        """Not a payload at all: 400 with a reason, nothing created."""
        deep = "[" * 5000 + "]" * 5000
        for raw in (
            "",
            "   ",
            "[]",
            '"alerts"',
            "42",
            "null",
            '{"alerts": {"status": "firing"}}',
            '{"alerts": "all"}',
            '{"version": "4"}',
            deep,
            raw_payload(deep),
            raw_payload("[" + "[" * 20 + "]" * 20 + "]"),
            raw_payload('[{"status": "firing", "labels": {"a": "b"}, "values": {"B": NaN}}]'),
            b"\xff\xfe\x00",
        ):
            response = self.post(raw=raw)
            self.assertEqual(response.status_code, 400, f"{raw[:40]!r}: {response.text[:200]}")
            self.assertTrue(response.json()["error"])
        self.assertFalse(self.tickets())

    def test_odd_content_types(self):
        """Whatever the Content-Type, the body is read as JSON or refused: never a 500."""
        payload = json.dumps(am_payload([am_alert("Typed", "t1")]))
        for content_type in ("text/plain", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x"):
            response = self.post(raw=payload, headers={"Content-Type": content_type})
            self.assertIn(response.status_code, (200, 400), content_type)
        response = self.post(raw=payload, headers={"Content-Type": "text/plain"})
        self.assertEqual(response.json()["updated"], 1, "text/plain: the JSON body is read")

    # ------------------------------------------------------------ finding 11: odd identifiers
    def test_odd_identifiers(self):
        """A NUL, a huge, a non-uuid or a non-ASCII identifier: the 401 of an unknown one, with or without the
        token, never a 500."""
        payload = am_payload([am_alert("Id", "i1")])
        unknown = self.post(payload, path="/itsm/alerts/00000000-0000-4000-8000-000000000000").content
        for path in (
            f"/itsm/alerts/{self.source.uuid}%00",
            f"/itsm/alerts/%00{self.source.uuid}",
            f"/itsm/alerts/{self.source.uuid.upper()}",
            f"/itsm/alerts/{self.source.uuid}%0A",
            "/itsm/alerts/" + "a" * 4000,
            "/itsm/alerts/not-a-uuid",
            "/itsm/alerts/%C2%B2%E2%82%AC%F0%9F%94%A5",
            "/itsm/alerts/%ED%A0%80",
        ):
            for token in (self.token, ""):
                response = self.post(payload, token=token, path=path)
                self.assertIn(response.status_code, (401, 404), f"{path[:60]} {bool(token)}")
                if response.status_code == 401:
                    self.assertEqual(response.content, unknown)
        self.assertEqual(self.post(payload, token="x" * 6000).status_code, 401)
        self.assertFalse(self.tickets())


@tagged("post_install", "-at_install")
class TestMonitoringHostileCommitted(CommittedMonitoringCase):
    """Real transactions, as on a real server: the request's own cursor, and a new cursor per alert, each committed
    on its own connection. A trigger committed for the test makes PostgreSQL refuse one alert that passes every
    check (the way an unforeseen database error would): that alert alone is rolled back and rejected."""

    def setUp(self):
        super().setUp()
        with self.db.cursor() as cr:
            cr.execute(
                "CREATE FUNCTION itsm_test_poison() RETURNS trigger LANGUAGE plpgsql AS $$ BEGIN "
                "IF NEW.fingerprint = 'fp-Poison-p1' THEN RAISE EXCEPTION 'poisoned alert'; END IF; "
                "RETURN NEW; END $$"
            )
            cr.execute(
                "CREATE TRIGGER itsm_test_poison BEFORE INSERT ON itsm_monitoring_alert "
                "FOR EACH ROW EXECUTE FUNCTION itsm_test_poison()"
            )
        self.addCleanup(self._drop_poison)

    def _drop_poison(self):
        with self.db.cursor() as cr:
            cr.execute("SET LOCAL lock_timeout = '20s'")  # fails rather than waits if the table is in use
            cr.execute("DROP TRIGGER IF EXISTS itsm_test_poison ON itsm_monitoring_alert")
            cr.execute("DROP FUNCTION IF EXISTS itsm_test_poison()")

    def _process(self, payload):
        """What the webhook does on a real server after the checks of the request: the request's own transaction,
        and each alert in a new transaction of its own, committed before the next one."""
        with self.db.cursor() as request_cr:
            env = self._env(request_cr)
            source = env["itsm.monitoring.source"].browse(self.ids["source"])
            return source._itsm_process_payload(payload, new_cursor=self.db.cursor)

    def test_one_failing_alert_does_not_drop_the_others(self):
        payload = json.loads(hostile_body())
        payload["alerts"].insert(1, am_alert("Poison", "p1"))  # fails in PostgreSQL, after the checks
        with mute_logger("odoo.addons.itsm_service_contract.models.itsm_monitoring_source_processing", "odoo.sql_db"):
            counts = self._process(payload)
        self.assertEqual((counts["created"], counts["rejected"]), (2, 9))
        expected = [{"index": 1, "reason": "not_processed"}] + [
            {"index": e["index"] + 1, "reason": e["reason"]} for e in EXPECTED_REJECTED
        ]
        self.assertEqual([{k: e[k] for k in ("index", "reason")} for e in counts["errors"]], expected)
        for fingerprint in ("fp-Good-h1", "fp-Good-h9"):
            alerts, tickets = self._committed(fingerprint)
            self.assertEqual(len(alerts), 1, f"{fingerprint} committed")
            self.assertEqual(alerts[0][0], "firing")
            self.assertIn(alerts[0][2], tickets)
        _alerts, tickets = self._committed("fp-Poison-p1")
        self.assertEqual(len(tickets), 2, "the poisoned alert opened no ticket")
        # the same notification again: the good alerts update, the bad ones are rejected again, nothing retried
        with mute_logger("odoo.addons.itsm_service_contract.models.itsm_monitoring_source_processing", "odoo.sql_db"):
            again = self._process(payload)
        self.assertEqual((again["created"], again["updated"], again["rejected"]), (0, 2, 9))


@tagged("post_install", "-at_install")
class TestMonitoringRulesHostile(TransactionCase):
    """The pure checks, on the values of the findings."""

    def test_rules(self):
        self.assertIsNone(rules.parse_time("9999-12-31T23:00:00-02:00"))
        self.assertIsNone(rules.parse_time("2026-12-01T10:00:00+99:99"))
        self.assertIsNone(rules.parse_time("0001-01-01T00:00:00Z"))
        self.assertEqual(str(rules.parse_time("2026-12-01T10:00:00+01:30")), "2026-12-01 08:30:00")
        self.assertEqual(rules.json_depth({"a": [{"b": {}}]}), 4)
        self.assertEqual(rules.json_depth(json.loads("[" * 500 + "]" * 500)), 17, "stops counting past the limit")
        self.assertIsNone(rules.alert_problem(am_alert("Fine", "x")))
        self.assertEqual(rules.alert_problem({"labels": {"a": "b"}}, "firing"), None)
        self.assertEqual(rules.alert_problem({"labels": {"a": "b"}}), "bad_status")
        self.assertEqual(rules.alert_problem({"status": "firing", "labels": {"a\x00": "b"}}), "nul_character")
        self.assertEqual(rules.alert_problem({"status": "firing", "labels": {"a": "\udfff"}}), "invalid_unicode")
        self.assertEqual(rules.alert_problem({"status": "firing", "labels": {"a": "b"}, "endsAt": 5}), "bad_time")
        self.assertEqual(
            rules.alert_problem({"status": "firing", "labels": {"a": "b"}, "annotations": []}), "bad_annotations"
        )
