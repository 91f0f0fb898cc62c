from datetime import datetime
from datetime import time
from datetime import timedelta

from psycopg2 import errors

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
    """A draw on a contract that refuses overdrafts takes no separate lock: the UPDATE adding its hours to the
    contract row does. A draw on a contract that allows them takes none: it can never be refused."""

    def _draw(self, contract):
        ticket = self._ticket(datetime(2026, 11, 9, 9, 0), partner=contract.partner_id)
        self.assertEqual(ticket.itsm_contract_id, contract)
        before = contract.balance_hours
        line = self._log(datetime.combine(contract.date_start + timedelta(days=1), time(9, 0)), 1.0, ticket=ticket)
        self.assertTrue(line.itsm_credit_move_ids)
        self.assertAlmostEqual(contract.balance_hours, before - line.itsm_credit_hours, places=2)
        return before, line

    def test_a_block_draw_holds_the_contract_row(self):
        # A committed row is needed for the second connection to see it: the demo's annual contract.
        contract = self.env.ref("itsm_service_contract.contract_demo_annual", raise_if_not_found=False)
        if not contract or contract.state != "active" or contract.balance_hours < 2:
            self.skipTest("no committed running contract (database without demo data)")
        self.assertEqual(contract.overdraft_policy, "block")
        self._draw(contract)
        assert_draw_lock_held(self, contract)

    def test_an_allow_draw_leaves_the_contract_row_alone(self):
        """Concurrent draws on an overdraft-allowed contract do not wait for each other (``make load``: 0.35x
        the plain throughput when they did): the draw inserts its figures as a pending row, folded into the
        contract row after the commit."""
        contract = self.env.ref("itsm_service_contract.contract_demo_monthly", raise_if_not_found=False)
        if not contract or contract.state != "active":
            self.skipTest("no committed running contract (database without demo data)")
        self.assertEqual(contract.overdraft_policy, "allow")
        # what a server does: the figures wait for the commit (a test folds them at once, it never commits)
        self.env = self.env(context=dict(self.env.context, itsm_defer_figures=True))
        before, line = self._draw(contract.with_env(self.env))
        with self.registry.cursor() as other:
            # a second draw, or an edit of the contract, does not wait
            other.execute("SELECT id FROM itsm_contract WHERE id = %s FOR NO KEY UPDATE NOWAIT", [contract.id])
            self.assertEqual(other.fetchall(), [(contract.id,)])
            other.rollback()
        self.cr.execute(
            "SELECT balance_hours, consumed_hours FROM itsm_contract_figure_pending WHERE contract_id = %s",
            [contract.id],
        )
        self.assertEqual(self.cr.fetchall(), [(-line.itsm_credit_hours, line.itsm_credit_hours)])
        self.env.invalidate_all()
        self.assertAlmostEqual(contract.balance_hours, before, places=2, msg="the row waits for the fold")
        # the fold after the commit (here in the transaction): the row gets the figures, the pending row goes
        contract._itsm_fold_pending_figures(lock=True)
        self.env.invalidate_all()
        self.assertAlmostEqual(contract.balance_hours, before - line.itsm_credit_hours, places=2)
        self.cr.execute("SELECT COUNT(*) FROM itsm_contract_figure_pending WHERE contract_id = %s", [contract.id])
        self.assertEqual(self.cr.fetchone()[0], 0)
        moves = self.env["itsm.credit.move"].search([("contract_id", "=", contract.id)])
        self.assertAlmostEqual(contract.balance_hours, sum(moves.mapped("hours")), places=2)

    def test_a_block_draw_takes_the_pending_figures_first(self):
        """Pending figures left by an allow draw (a worker killed before its fold) count in the balance a block
        draw checks and changes."""
        contract = self.contract
        contract.overdraft_policy = "allow"
        self.env = self.env(context=dict(self.env.context, itsm_defer_figures=True))
        line = self._log(datetime(2026, 11, 10, 9, 0), 2.0)
        contract.overdraft_policy = "block"
        self.env.invalidate_all()
        self.assertAlmostEqual(contract.balance_hours, 210.0, places=2, msg="not folded yet")
        second = self._log(datetime(2026, 11, 12, 9, 0), 1.0)
        self.env.invalidate_all()
        self.assertAlmostEqual(contract.balance_hours, 210.0 - line.itsm_credit_hours - second.itsm_credit_hours)
        self.cr.execute("SELECT COUNT(*) FROM itsm_contract_figure_pending WHERE contract_id = %s", [contract.id])
        self.assertEqual(self.cr.fetchone()[0], 0)
