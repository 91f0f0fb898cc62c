"""Two Alertmanager replicas post the same firing alert at the same instant: one alert, one ticket (issue 16).

A true race between two PostgreSQL transactions, not a simulation in the test's transaction: in test mode the
registry's cursors all share the test's transaction, so the fixtures are committed through independent
connections (``odoo.sql_db.db_connect``), each replica runs in its own thread on its own connection, and
everything committed is deleted afterwards (the row counts of the touched tables are checked back).

Each replica does what ``_itsm_process_payload_autonomous`` does outside test mode: its own transaction, READ
COMMITTED, ``_itsm_process_payload``, commit. The first replica inserts the open alert and opens its ticket and
does not commit yet; the second replica's ``INSERT ... ON CONFLICT DO NOTHING`` must then wait on the unique
partial index (checked in ``pg_blocking_pids``, not assumed); when the first commits, the second inserts
nothing and counts an update of the committed alert.
"""

import threading
import time

import psycopg2

from odoo import SUPERUSER_ID
from odoo import api
from odoo import sql_db
from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from .test_monitoring import am_alert
from .test_monitoring import am_payload

TIMEOUT = 60
# Tables whose row counts must be the same before the test and after its clean-up.
TOUCHED = (
    "res_partner",
    "itsm_contract",
    "helpdesk_ticket_team",
    "itsm_monitoring_source",
    "itsm_monitoring_severity",
    "itsm_monitoring_alert",
    "helpdesk_ticket",
    "mail_message",
    "mail_followers",
    "mail_mail",
    "mail_tracking_value",
)


class CommittedMonitoringCase(TransactionCase):
    """A contract and its Alertmanager source committed through an independent connection, deleted afterwards.

    The test's own transaction writes nothing: it must hold no lock the other transactions wait for."""

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        self.counts_before = self._counts()
        self.addCleanup(self._check_counts)
        self.addCleanup(self._delete_fixtures)
        self.ids = {}
        with self.db.cursor() as cr:
            env = self._env(cr)
            partner = env["res.partner"].create({"name": "Race Client SA", "is_company": True})
            team = env["helpdesk.ticket.team"].create({"name": "Race level 1"})
            contract = env["itsm.contract"].create({"partner_id": partner.id, "n1_team_id": team.id})
            source = env["itsm.monitoring.source"].create({"name": "Prometheus HA", "contract_id": contract.id})
            self.assertEqual(source.team_id, team)
            self.ids = {"partner": partner.id, "team": team.id, "contract": contract.id, "source": source.id}
            env.flush_all()
        # committed at the end of the block: the replicas' transactions see them

    # ------------------------------------------------------------ fixtures
    def _env(self, cr, context=None):
        """An environment on an independent cursor. Its transaction is given the test's registry: left to
        ``api.Environment``, ``Registry(dbname)`` would wait, in a replica's thread, for the registries' lock
        that the test runner holds while it runs the tests."""
        cr.transaction = api.Transaction(self.registry)
        return api.Environment(cr, SUPERUSER_ID, context or {})

    def _counts(self):
        with self.db.cursor() as cr:
            counts = {}
            for table in TOUCHED:
                cr.execute(f"SELECT count(*) FROM {table}")  # table names from TOUCHED, not input
                counts[table] = cr.fetchone()[0]
            return counts

    def _delete_fixtures(self):
        if not self.ids:
            return
        with self.db.cursor() as cr:
            env = self._env(cr, {"active_test": False})
            env["helpdesk.ticket"].search([("itsm_contract_id", "=", self.ids["contract"])]).unlink()
            env["itsm.monitoring.source"].browse(self.ids["source"]).unlink()  # its alerts and severities cascade
            env["itsm.contract"].browse(self.ids["contract"]).unlink()
            env["helpdesk.ticket.team"].browse(self.ids["team"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env.flush_all()

    def _check_counts(self):
        self.assertEqual(self._counts(), self.counts_before, "everything the test committed is deleted")

    def _committed(self, fingerprint):
        """What the database holds once both replicas are done, read on a fresh connection."""
        with self.db.cursor() as cr:
            cr.execute(
                "SELECT status, fire_count, ticket_id, opened_ticket FROM itsm_monitoring_alert "
                "WHERE source_id = %s AND fingerprint = %s ORDER BY id",
                [self.ids["source"], fingerprint],
            )
            alerts = cr.fetchall()
            cr.execute("SELECT id FROM helpdesk_ticket WHERE itsm_contract_id = %s", [self.ids["contract"]])
            tickets = [row[0] for row in cr.fetchall()]
        return alerts, tickets


@tagged("post_install", "-at_install")
class TestMonitoringRace(CommittedMonitoringCase):
    # ------------------------------------------------------------ the race
    def _replica(self, name, payload, isolation, state, barrier, before_process=None, before_commit=None):
        """One replica's request: its own connection and transaction, like ``_itsm_process_payload_autonomous``
        outside test mode (``isolation`` READ COMMITTED there); the outcome or the exception lands in ``state``."""
        try:
            with self.db.cursor() as cr:
                cr.execute(f"SET TRANSACTION ISOLATION LEVEL {isolation}")
                cr.execute("SELECT pg_backend_pid()")
                state[f"{name}_pid"] = cr.fetchone()[0]
                barrier.wait(TIMEOUT)  # both transactions are open from here
                if before_process:
                    before_process()
                env = self._env(cr)
                source = env["itsm.monitoring.source"].browse(self.ids["source"])
                state[name] = source._itsm_process_payload(payload)
                env.flush_all()
                if before_commit:
                    before_commit()
            # committed here, at the end of the block
        except Exception as exc:  # reported to the test's thread
            state[f"{name}_error"] = exc

    def _race(self, payload, isolation):
        """Replica A inserts the open alert and opens its ticket, then waits; replica B processes the same payload
        while A's transaction is open. A commits once B is seen waiting on A in PostgreSQL (or after TIMEOUT)."""
        state = {}
        barrier = threading.Barrier(2)
        a_inserted = threading.Event()
        a_may_commit = threading.Event()
        b_may_process = threading.Event()

        def a_before_commit():
            a_inserted.set()
            a_may_commit.wait(TIMEOUT)

        replica_a = threading.Thread(
            target=self._replica,
            args=("a", payload, isolation, state, barrier),
            kwargs={"before_commit": a_before_commit},
        )
        replica_b = threading.Thread(
            target=self._replica,
            args=("b", payload, isolation, state, barrier),
            kwargs={"before_process": lambda: b_may_process.wait(TIMEOUT)},
        )
        replica_a.start()
        replica_b.start()
        try:
            deadline = time.monotonic() + TIMEOUT
            while not a_inserted.wait(0.05) and replica_a.is_alive() and time.monotonic() < deadline:
                pass
            b_may_process.set()
            self.assertTrue(a_inserted.is_set(), f"replica A processed the payload: {state}")
            # B's INSERT must wait for A's uncommitted row in the unique index: seen from a third connection.
            state["b_blocked_by_a"] = False
            deadline = time.monotonic() + TIMEOUT / 2
            with self.db.cursor() as monitor:
                while time.monotonic() < deadline and replica_b.is_alive():
                    monitor.execute("SELECT %s = ANY(pg_blocking_pids(%s))", [state["a_pid"], state["b_pid"]])
                    if monitor.fetchone()[0]:
                        state["b_blocked_by_a"] = True
                        break
                    monitor.rollback()
                    time.sleep(0.05)
        finally:
            b_may_process.set()
            a_may_commit.set()
            replica_a.join(TIMEOUT)
            replica_b.join(TIMEOUT)
        self.assertFalse(replica_a.is_alive() or replica_b.is_alive(), "both replicas finished")
        return state

    def test_two_replicas_same_instant(self):
        payload = am_payload([am_alert("NodeDown", "db01")])
        state = self._race(payload, "READ COMMITTED")
        self.assertNotIn("a_error", state)
        self.assertNotIn("b_error", state)
        self.assertTrue(state["b_blocked_by_a"], "B's insert waited on A's open alert: the two were concurrent")
        self.assertEqual(
            state["a"], {"created": 1, "updated": 0, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []}
        )
        self.assertEqual(
            state["b"], {"created": 0, "updated": 1, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []}
        )
        alerts, tickets = self._committed("fp-NodeDown-db01")
        self.assertEqual(len(tickets), 1, "one ticket")
        self.assertEqual(alerts, [("firing", 2, tickets[0], True)], "one open alert, notified twice, on the ticket")

    def test_repeatable_read_replays(self):
        """Under Odoo's default REPEATABLE READ the waiting replica cannot see the row it conflicts with: PostgreSQL
        refuses with a serialization failure (why the webhook processes in READ COMMITTED) and nothing of it is
        committed; replayed in a new transaction, as Odoo would replay the request, it counts an update."""
        payload = am_payload([am_alert("NodeDown", "db02")])
        with mute_logger("odoo.sql_db"):
            state = self._race(payload, "REPEATABLE READ")
        self.assertTrue(state["b_blocked_by_a"])
        self.assertEqual(
            state["a"], {"created": 1, "updated": 0, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []}
        )
        self.assertIsInstance(state.get("b_error"), psycopg2.errors.SerializationFailure)
        self.assertNotIn("b", state)
        del state["b_error"]
        self._replica("b", payload, "REPEATABLE READ", state, threading.Barrier(1))
        self.assertNotIn("b_error", state)
        self.assertEqual(
            state["b"], {"created": 0, "updated": 1, "resolved": 0, "ignored": 0, "rejected": 0, "errors": []}
        )
        alerts, tickets = self._committed("fp-NodeDown-db02")
        self.assertEqual(len(tickets), 1)
        self.assertEqual(alerts, [("firing", 2, tickets[0], True)])
