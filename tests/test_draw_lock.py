from psycopg2 import errors

from odoo.tests import TransactionCase
from odoo.tests import tagged
from odoo.tools import mute_logger


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
        with self.registry.cursor() as other:
            # What inserting an intervention or a ledger move does for its foreign key: no wait.
            other.execute("SELECT id FROM itsm_contract WHERE id = %s FOR KEY SHARE NOWAIT", [contract.id])
            self.assertEqual(other.fetchall(), [(contract.id,)])
            # A second draw on the same contract waits for the first one.
            with self.assertRaises(errors.LockNotAvailable), mute_logger("odoo.sql_db"):
                other.execute("SELECT id FROM itsm_contract WHERE id = %s FOR NO KEY UPDATE NOWAIT", [contract.id])
            other.rollback()
