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
    """An intervention's draw takes no separate lock: the UPDATE adding its hours to the contract row does."""

    def test_a_draw_holds_the_contract_row(self):
        # A committed row is needed for the second connection to see it: a prepaid contract of the demo data.
        contract = self.env["itsm.contract"].search(
            [("contract_type", "=", "prepaid"), ("state", "=", "active")], limit=1
        )
        if not contract:
            self.skipTest("no committed prepaid contract (database without demo data)")
        contract.overdraft_policy = "allow"
        ticket = self._ticket(datetime(2026, 11, 9, 9, 0), partner=contract.partner_id)
        self.assertEqual(ticket.itsm_contract_id, contract)
        before = contract.balance_hours
        line = self._log(datetime.combine(contract.date_start + timedelta(days=1), time(9, 0)), 1.0, ticket=ticket)
        self.assertTrue(line.itsm_credit_move_ids)
        self.assertAlmostEqual(contract.balance_hours, before - line.itsm_credit_hours, places=2)
        assert_draw_lock_held(self, contract)
