import threading
import time as monotonic_time
from datetime import datetime
from datetime import time
from datetime import timedelta

import psycopg2
from psycopg2 import errors

from odoo import SUPERUSER_ID
from odoo import api
from odoo import fields
from odoo import sql_db
from odoo.exceptions import UserError
from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ItsmInterventionCase


def assert_draw_lock_held(case, contract):
    """Seen from a second database connection, ``contract``'s row is held by a draw of this transaction."""
    with case.registry.cursor() as other:
        # What inserting an intervention or a ledger move does for its foreign key: no wait.
        other.execute("SELECT id FROM itsm_contract WHERE id = %s FOR KEY SHARE NOWAIT", [contract.id])
        case.assertEqual(other.fetchall(), [(contract.id,)])
        # A second draw on the same contract waits for the first one.
        with case.assertRaises(errors.LockNotAvailable), mute_logger("odoo.sql_db"):
            other.execute("SELECT id FROM itsm_contract WHERE id = %s FOR NO KEY UPDATE NOWAIT", [contract.id])
        other.rollback()


@tagged("post_install", "-at_install")
class TestDrawLock(TransactionCase):
    """The contract row lock of a draw, seen from a second database connection.

    ``make load`` (tools/load_test.py) found that a ``FOR UPDATE`` lock deadlocked two technicians logging on
    the same contract: each had inserted its intervention, whose foreign key takes a ``KEY SHARE`` lock on the
    contract row, then waited for the other's. The draw lock must keep draws apart and let key shares in.
    """

    def test_draw_lock_serializes_draws_but_not_foreign_keys(self):
        # A committed row is needed for the second connection to see it: a contract of the demo data.
        contract = self.env["itsm.contract"].search([("contract_type", "=", "prepaid")], limit=1)
        if not contract:
            self.skipTest("no committed prepaid contract (database without demo data)")
        contract._lock_for_update()
        assert_draw_lock_held(self, contract)


@tagged("post_install", "-at_install")
class TestDrawTakesTheRowLock(ItsmInterventionCase):
    """An intervention's draw takes no separate lock: the UPDATE adding its hours to the contract row does."""

    def test_a_draw_holds_the_contract_row(self):
        # A committed row is needed for the second connection to see it: a prepaid contract of the demo data.
        contract = self.env["itsm.contract"].search(
            [("contract_type", "=", "prepaid"), ("state", "=", "active")], limit=1
        )
        if not contract:
            self.skipTest("no committed prepaid contract (database without demo data)")
        contract.overdraft_policy = "block"
        ticket = self._ticket(datetime(2026, 11, 9, 9, 0), partner=contract.partner_id)
        self.assertEqual(ticket.itsm_contract_id, contract)
        before = contract.balance_hours
        line = self._log(datetime.combine(contract.date_start + timedelta(days=1), time(9, 0)), 1.0, ticket=ticket)
        self.assertTrue(line.itsm_credit_move_ids)
        self.assertAlmostEqual(contract.balance_hours, before - line.itsm_credit_hours, places=2)
        assert_draw_lock_held(self, contract)

    def test_an_allowed_draw_leaves_the_contract_row_free(self):
        """A draw that cannot be refused takes no row lock: a second draw does not wait for it (issue 24)."""
        contract = self.env["itsm.contract"].search(
            [("contract_type", "=", "prepaid"), ("state", "=", "active"), ("overdraft_policy", "=", "allow")],
            limit=1,
        )
        if not contract:
            self.skipTest("no committed prepaid contract that allows overdrafts (database without demo data)")
        ticket = self._ticket(datetime(2026, 11, 9, 9, 0), partner=contract.partner_id)
        self.assertEqual(ticket.itsm_contract_id, contract)
        before = contract.balance_hours
        line = self._log(datetime.combine(contract.date_start + timedelta(days=1), time(9, 0)), 1.0, ticket=ticket)
        self.assertTrue(line.itsm_credit_move_ids.figures_pending)
        self.assertAlmostEqual(contract.balance_hours, before - line.itsm_credit_hours, places=2)
        self.env.flush_all()
        with self.registry.cursor() as other:
            # what a second draw on a refusable contract would take, and any write of the row: not held
            other.execute("SELECT id FROM itsm_contract WHERE id = %s FOR NO KEY UPDATE NOWAIT", [contract.id])
            self.assertEqual(other.fetchall(), [(contract.id,)])
            other.rollback()


class CommittedContractCase(TransactionCase):
    """A prepaid contract committed through an independent connection, deleted afterwards."""

    TIMEOUT = 20

    def setUp(self):
        super().setUp()
        self.db = sql_db.db_connect(self.env.cr.dbname)
        self.ids = {}
        self.addCleanup(self._delete_fixtures)

    def _env(self, cr):
        cr.transaction = api.Transaction(self.registry)
        return api.Environment(cr, SUPERUSER_ID, {})

    def _fixture(self, policy, credit):
        with self.db.cursor() as cr:
            env = self._env(cr)
            partner = env["res.partner"].create({"name": f"Concurrent draws {policy}", "is_company": True})
            contract = env["itsm.contract"].create(
                {
                    "partner_id": partner.id,
                    "contract_type": "prepaid",
                    "overdraft_policy": policy,
                    "date_start": fields.Date.today(),
                }
            )
            contract.action_activate()
            contract._post_credit_moves(
                [
                    {
                        "contract_id": contract.id,
                        "move_type": "adjustment",
                        "hours": credit,
                        "name": "Opening balance",
                        "reason": "Opening balance",
                    }
                ]
            )
            env.flush_all()
            self.ids = {"partner": partner.id, "contract": contract.id}
        return self.ids["contract"]

    def _delete_fixtures(self):
        if not self.ids:
            return
        with self.db.cursor() as cr:
            cr.execute("DELETE FROM itsm_credit_move WHERE contract_id = %s", [self.ids["contract"]])
            env = self._env(cr)
            env["itsm.contract"].browse(self.ids["contract"]).unlink()
            env["res.partner"].browse(self.ids["partner"]).unlink()
            env.flush_all()

    def _committed(self, contract_id):
        with self.db.cursor() as cr:
            cr.execute(
                "SELECT COALESCE(SUM(hours), 0), COUNT(*) FROM itsm_credit_move WHERE contract_id = %s", [contract_id]
            )
            ledger, count = cr.fetchone()
            balance = self._env(cr)["itsm.contract"].browse(contract_id).balance_hours
        return float(ledger), count, balance


@tagged("post_install", "-at_install")
class TestConcurrentDraws(CommittedContractCase):
    """Two draws on one contract in two real transactions (two connections, REPEATABLE READ as Odoo's), the
    first held open while the second runs. Committed fixtures, deleted afterwards.

    On a contract that allows overdrafts the second draw neither waits nor fails: both commit and the balance
    is the ledger's sum. On one that refuses them, the second waits for the first's row lock and then fails
    with a serialization error (what Odoo replays); replayed, it is refused, the balance never below zero.
    """

    def _draw(self, name, contract_id, hours, state, opened=None, start=None, drawn=None, hold=None, day=None):
        """One technician's request: its own transaction (snapshot taken, then ``opened`` with the other's),
        a draw once ``start`` is set, ``drawn`` set, a commit once ``hold`` is set."""
        try:
            with self.db.cursor() as cr:
                cr.execute("SELECT pg_backend_pid()")
                state[f"{name}_pid"] = cr.fetchone()[0]
                if opened:
                    opened.wait(self.TIMEOUT)
                if start:
                    start.wait(self.TIMEOUT)
                env = self._env(cr)
                env["itsm.contract"].browse(contract_id)._consume(hours, f"Draw {name}", date=day)
                env.flush_all()
                if drawn:
                    drawn.set()
                if hold:
                    hold.wait(self.TIMEOUT)
                state[f"{name}_committed_at"] = monotonic_time.monotonic()
            state[name] = "committed"
        except Exception as exc:  # reported to the test's thread
            state[name] = exc

    def _run(self, contract_id, first_hours, second_hours, hold_first, day=None):
        """The first draws and stays open until ``hold_first`` is set; the second draws after it."""
        state = {}
        opened = threading.Barrier(2)
        first_drawn = threading.Event()
        threads = [
            threading.Thread(
                target=self._draw,
                args=("first", contract_id, first_hours, state),
                kwargs={"opened": opened, "drawn": first_drawn, "hold": hold_first, "day": day},
            ),
            threading.Thread(
                target=self._draw,
                args=("second", contract_id, second_hours, state),
                kwargs={"opened": opened, "start": first_drawn, "drawn": threading.Event(), "day": day},
            ),
        ]
        for thread in threads:
            thread.start()
        return state, threads

    def test_allowed_draws_do_not_wait_for_each_other(self):
        self._allowed_draws_run()

    def test_allowed_draws_into_a_closed_month_do_not_wait_for_each_other(self):
        """Logged late, into last month: the dashboard's record of changed months is appended to, not a shared
        row updated (a counter on the month's row made the second fail, ``make load``)."""
        last_month = fields.Date.today().replace(day=1) - timedelta(days=1)
        self._allowed_draws_run(day=last_month)
        with self.db.cursor() as cr:
            cr.execute(
                "SELECT COUNT(*) FROM itsm_contract_month_change WHERE contract_id = %s AND month = %s",
                [self.ids["contract"], last_month.replace(day=1)],
            )
            self.assertEqual(cr.fetchone()[0], 2, "one change recorded by each draw")

    def _allowed_draws_run(self, day=None):
        contract_id = self._fixture("allow", 1.0)
        second_done = threading.Event()
        state, threads = self._run(contract_id, 1.5, 2.0, second_done, day=day)
        threads[1].join(self.TIMEOUT)
        second_done.set()
        threads[0].join(self.TIMEOUT)
        self.assertEqual(state.get("second"), "committed", state)
        self.assertEqual(state.get("first"), "committed", state)
        self.assertLess(
            state["second_committed_at"],
            state["first_committed_at"],
            "the second draw committed while the first was still open",
        )
        ledger, count, balance = self._committed(contract_id)
        self.assertEqual(count, 3)
        self.assertAlmostEqual(ledger, 1.0 - 1.5 - 2.0, places=2)
        self.assertAlmostEqual(balance, ledger, places=2)

    @mute_logger("odoo.sql_db")
    def test_refusable_draws_wait_and_replay(self):
        contract_id = self._fixture("block", 2.0)
        release = threading.Event()
        state, threads = self._run(contract_id, 1.5, 1.5, release)
        # the second draw waits for the first's row lock: seen in PostgreSQL, not assumed
        deadline = monotonic_time.monotonic() + self.TIMEOUT
        blocked = False
        with self.db.cursor() as cr:
            while monotonic_time.monotonic() < deadline and not blocked:
                if "second_pid" in state and "first_pid" in state:
                    cr.execute("SELECT pg_blocking_pids(%s)", [state["second_pid"]])
                    blocked = state["first_pid"] in cr.fetchone()[0]
                monotonic_time.sleep(0.05)
        release.set()
        for thread in threads:
            thread.join(self.TIMEOUT)
        self.assertTrue(blocked, "the second refusable draw waited for the first")
        self.assertEqual(state.get("first"), "committed", state)
        self.assertIsInstance(state.get("second"), psycopg2.errors.SerializationFailure)
        # Odoo replays the request: now it sees the first draw and refuses
        replay = {}
        self._draw("replay", contract_id, 1.5, replay)
        self.assertIsInstance(replay["replay"], UserError)
        ledger, count, balance = self._committed(contract_id)
        self.assertEqual(count, 2)
        self.assertAlmostEqual(ledger, 0.5, places=2)
        self.assertAlmostEqual(balance, 0.5, places=2)


@tagged("post_install", "-at_install")
class TestConcurrentDashboards(CommittedContractCase):
    """Two dashboards keep the same closed month at the same instant: one keeps it, the other goes on."""

    def _keep(self, name, contract_id, month, state, opened, kept=None, hold=None, start=None):
        try:
            with self.db.cursor() as cr:
                cr.execute("SELECT pg_backend_pid()")  # the snapshot is taken here
                state[f"{name}_pid"] = cr.fetchone()[0]
                opened.wait(self.TIMEOUT)
                if start:  # the other has kept the month and holds its transaction open
                    start.wait(self.TIMEOUT)
                env = self._env(cr)
                Month, contract = env["itsm.contract.month"], env["itsm.contract"].browse(contract_id)
                _kept, changes = Month._itsm_read(contract, [month])
                figures = contract._itsm_dashboard_live(month, [month], fields.Datetime.now())["months"]
                Month._itsm_keep(contract, figures, changes)
                if kept:
                    kept.set()
                if hold:
                    hold.wait(self.TIMEOUT)
                cr.execute("SELECT 1")  # the transaction is still usable
            state[name] = "committed"
        except Exception as exc:  # reported to the test's thread
            state[name] = exc

    def test_two_dashboards_keep_the_same_month(self):
        last_month = fields.Date.today().replace(day=1) - timedelta(days=1)
        contract_id = self._fixture("allow", 1.0)
        with self.db.cursor() as cr:
            self._env(cr)["itsm.contract"].browse(contract_id)._consume(0.5, "Late log", date=last_month)
        month = last_month.replace(day=1)
        state, opened = {}, threading.Barrier(2)
        first_kept, release = threading.Event(), threading.Event()
        threads = [
            threading.Thread(target=self._keep, args=("first", contract_id, month, state, opened, first_kept, release)),
            threading.Thread(
                target=self._keep, args=("second", contract_id, month, state, opened), kwargs={"start": first_kept}
            ),
        ]
        threads[0].start()
        threads[1].start()
        # the second waits on the first's uncommitted row: seen in PostgreSQL, then the first commits
        deadline, blocked = monotonic_time.monotonic() + self.TIMEOUT, False
        with self.db.cursor() as cr:
            while monotonic_time.monotonic() < deadline and not blocked:
                if first_kept.is_set() and "second_pid" in state:
                    cr.execute("SELECT pg_blocking_pids(%s)", [state["second_pid"]])
                    blocked = state.get("first_pid") in cr.fetchone()[0]
                monotonic_time.sleep(0.05)
        release.set()
        for thread in threads:
            thread.join(self.TIMEOUT)
        self.assertTrue(blocked, "the second dashboard waited for the first one's keep")
        self.assertEqual((state.get("first"), state.get("second")), ("committed", "committed"), state)
        with self.db.cursor() as cr:
            env = self._env(cr)
            kept, changes = env["itsm.contract.month"]._itsm_read(env["itsm.contract"].browse(contract_id), [month])
        self.assertIn(month, kept)
        self.assertEqual(kept[month]["consumed_hours"], 0.5)
        self.assertFalse(changes)
