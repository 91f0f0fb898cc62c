"""Draws on a contract that allows overdrafts leave the contract's row alone (issue 24).

Such a draw can never be refused, so it posts its move ``figures_pending`` and does not add its hours to the
contract's row; the balance and the consumption are read, searched, sorted and grouped as the row's figure
plus the pending draws (``itsm.contract._field_to_sql``), and the scheduler folds them into the row. The
expected figures are the ledger's plain sums read from the database (``_ledger_sum``), not the addon's.
"""

from datetime import datetime

from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestPendingFigures(ItsmInterventionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract.overdraft_policy = "allow"

    def _raw(self, contract):
        """The row's own columns, without the pending draws."""
        self.env.flush_all()
        self.env.cr.execute("SELECT balance_hours, consumed_hours FROM itsm_contract WHERE id = %s", [contract.id])
        return tuple(float(value or 0.0) for value in self.env.cr.fetchone())

    def _pending(self, contract):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT COUNT(*) FROM itsm_credit_move WHERE contract_id = %s AND figures_pending", [contract.id]
        )
        return self.env.cr.fetchone()[0]

    def _consumed(self, contract):
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT COALESCE(-SUM(hours), 0) FROM itsm_credit_move WHERE contract_id = %s AND move_type = %s",
            [contract.id, "consumption"],
        )
        return self.env.cr.fetchone()[0]

    def _log_three(self):
        # Monday 2026-11-16, office hours: 1 h, 2 h and 0.5 h, remote (quarter hours: counted as they are)
        return [
            self._log(datetime(2026, 11, 16, 9, 0), 1.0),
            self._log(datetime(2026, 11, 16, 14, 0), 2.0),
            self._log(datetime(2026, 11, 16, 16, 0), 0.5),
        ]

    def test_allowed_draws_are_pending_and_read_exactly(self):
        contract = self.contract
        raw_before = self._raw(contract)
        lines = self._log_three()
        self.assertEqual(self._pending(contract), 3, "an allowed draw is posted pending")
        self.assertEqual(self._raw(contract), raw_before, "the contract's row is not written by an allowed draw")
        self.assertAlmostEqual(sum(line.itsm_credit_hours for line in lines), 3.5, places=2)
        self.assertAlmostEqual(contract.balance_hours, self._ledger_sum(contract), places=2)
        self.assertAlmostEqual(contract.consumed_hours, self._consumed(contract), places=2)
        # read over RPC, as another tool does
        [values] = contract.read(["balance_hours", "consumed_hours", "balance_percent"])
        self.assertAlmostEqual(values["balance_hours"], self._ledger_sum(contract), places=2)
        self.assertAlmostEqual(values["consumed_hours"], self._consumed(contract), places=2)
        # a fresh read, the cache emptied
        contract.invalidate_recordset()
        self.assertAlmostEqual(contract.balance_hours, self._ledger_sum(contract), places=2)

    def test_search_order_and_group_see_pending_draws(self):
        contract = self.contract
        balance = self._ledger_sum(contract)
        Contract = self.env["itsm.contract"]
        self._log_three()
        balance_now = self._ledger_sum(contract)
        self.assertAlmostEqual(balance - balance_now, 3.5, places=2)
        # a domain between the balance before and after the draws only matches the figure with them
        middle = balance - 1.75
        self.assertIn(contract, Contract.search([("balance_hours", "<", middle)]))
        self.assertNotIn(contract, Contract.search([("balance_hours", ">=", middle)]))
        # sorted by balance: the contract sits where its ledger sum puts it among two committed-like peers
        above = contract.copy({"partner_id": self.client_b.id})
        self.env["itsm.contract"].browse(above.id)._itsm_add_to_figures([(above, "adjustment", balance_now + 1.0)])
        below = contract.copy({"partner_id": self.client_b.id})
        below._itsm_add_to_figures([(below, "adjustment", balance_now - 1.0)])
        ordered = Contract.search([("id", "in", (above | contract | below).ids)], order="balance_hours desc")
        self.assertEqual(ordered.ids, [above.id, contract.id, below.id])
        # grouped: the sum of the consumption includes the pending draws
        [group] = Contract._read_group([("id", "=", contract.id)], aggregates=["consumed_hours:sum"])
        self.assertAlmostEqual(group[0], self._consumed(contract), places=2)

    def test_overdrawn_and_low_balance_searches_see_pending_draws(self):
        contract = self.contract
        Contract = self.env["itsm.contract"]
        balance = self._ledger_sum(contract)
        # a contract that allows overdrafts, drawn past zero by one draw
        contract.low_balance_threshold = 0.0
        self.assertNotIn(contract, Contract.search([("is_overdrawn", "=", True)]))
        self.assertNotIn(contract, Contract.search([("is_low_balance", "=", True)]))
        contract._consume(balance + 1.0, "Crisis")
        self.assertLess(self._ledger_sum(contract), 0)
        self.assertIn(contract, Contract.search([("is_overdrawn", "=", True)]))
        self.assertIn(contract, Contract.search([("is_low_balance", "=", True)]))
        self.assertTrue(contract.is_overdrawn)

    def test_fold_moves_pending_draws_into_the_row(self):
        contract = self.contract
        self._log_three()
        ledger = self._ledger_sum(contract)
        self.assertEqual(self.env["itsm.contract"]._itsm_fold_pending_figures(), 3)
        self.assertEqual(self._pending(contract), 0)
        self.assertAlmostEqual(self._raw(contract)[0], ledger, places=2, msg="the row holds the whole ledger")
        self.assertAlmostEqual(self._raw(contract)[1], self._consumed(contract), places=2)
        self.assertAlmostEqual(contract.balance_hours, ledger, places=2)
        # the scheduled action does the same, and nothing twice
        self.env.ref("itsm_service_contract.ir_cron_itsm_fold_figures").method_direct_trigger()
        self.assertAlmostEqual(self._raw(contract)[0], ledger, places=2)

    def test_edit_and_delete_of_a_pending_draw(self):
        contract = self.contract
        first, second, _third = self._log_three()
        second.unit_amount = 3.0  # 2 h -> 3 h
        self.assertAlmostEqual(contract.balance_hours, self._ledger_sum(contract), places=2)
        first.unlink()
        self.assertAlmostEqual(contract.balance_hours, self._ledger_sum(contract), places=2)
        self.assertAlmostEqual(contract.consumed_hours, self._consumed(contract), places=2)
        self.env["itsm.contract"]._itsm_fold_pending_figures()
        self.assertAlmostEqual(self._raw(contract)[0], self._ledger_sum(contract), places=2)

    def test_recharge_and_policy_change_fold_pending_draws(self):
        contract = self.contract
        self._log_three()
        self.assertTrue(self._pending(contract))
        self._buy(self.client_a, self.annual, contract=contract, on=datetime(2026, 11, 17))
        self.assertEqual(self._pending(contract), 0, "a recharge recomputes the row from the whole ledger")
        self.assertAlmostEqual(self._raw(contract)[0], self._ledger_sum(contract), places=2)
        self._log(datetime(2026, 11, 18, 9, 0), 1.0)
        self.assertEqual(self._pending(contract), 1)
        contract.overdraft_policy = "block"
        self.assertEqual(self._pending(contract), 0, "a contract that refuses overdrafts checks its row")
        self.assertAlmostEqual(self._raw(contract)[0], self._ledger_sum(contract), places=2)
        # from now on a draw adds to the row at once
        self._log(datetime(2026, 11, 18, 10, 0), 1.0)
        self.assertEqual(self._pending(contract), 0)
        self.assertAlmostEqual(self._raw(contract)[0], self._ledger_sum(contract), places=2)

    def test_a_refusable_draw_sees_pending_draws(self):
        """A contract switched to block by SQL (a draw in flight at the switch), its row lagging: the check and
        the figures returned by the row's update count the pending draws."""
        contract = self.contract
        self._log_three()
        pending_hours = 3.5
        self.env.flush_all()
        self.env.cr.execute("UPDATE itsm_contract SET overdraft_policy = 'block' WHERE id = %s", [contract.id])
        contract.invalidate_recordset()
        balance = self._ledger_sum(contract)
        self.assertAlmostEqual(self._raw(contract)[0] - balance, pending_hours, places=2)
        contract._itsm_add_to_figures([(contract, "adjustment", 1.0)])
        self.assertAlmostEqual(contract.balance_hours, balance + 1.0, places=2)

    def test_programmatic_draw_is_pending_too(self):
        contract = self.contract
        raw = self._raw(contract)
        contract._consume(2.0, "Audit")
        self.assertEqual(self._raw(contract), raw)
        self.assertAlmostEqual(contract.balance_hours, self._ledger_sum(contract), places=2)

    def test_batch_of_two_contracts(self):
        """One create over an allow and a block contract: each follows its policy."""
        blocking = self.contract.copy(
            {"overdraft_policy": "block", "partner_id": self.client_b.id, "date_start": self.contract.date_start}
        )
        blocking._post_credit_moves(
            [
                {
                    "contract_id": blocking.id,
                    "move_type": "adjustment",
                    "hours": 10.0,
                    "name": "Opening balance",
                    "reason": "Opening balance",
                }
            ]
        )
        blocking.action_activate()
        ticket_b = self._ticket(datetime(2026, 11, 16, 8, 0), partner=self.client_b)
        self.assertEqual(ticket_b.itsm_contract_id, blocking)
        self.env["account.analytic.line"].create(
            [
                {
                    "name": f"Batch {index}",
                    "ticket_id": ticket.id,
                    "project_id": self.project.id,
                    "employee_id": self.employee.id,
                    "date_time": datetime(2026, 11, 16, 9 + index, 0),
                    "unit_amount": 1.0,
                }
                for index, ticket in enumerate((self.ticket, ticket_b, self.ticket))
            ]
        )
        self.assertEqual(self._pending(self.contract), 2)
        self.assertEqual(self._pending(blocking), 0)
        for contract in (self.contract, blocking):
            self.assertAlmostEqual(contract.balance_hours, self._ledger_sum(contract), places=2)
        self.assertAlmostEqual(self._raw(blocking)[0], self._ledger_sum(blocking), places=2)

    def test_batch_deletion_of_pending_draws(self):
        """Deleting pending draws in one ``unlink``: each reversed, linked, folded and detached in one UPDATE;
        the balance read at once (cache) and from the database is the ledger's sum."""
        contract = self.contract
        before = contract.balance_hours
        lines = self._log_three()
        kept, deleted = lines[0], self.env["account.analytic.line"].union(*lines[1:])
        drawn = {line.id: line.itsm_credit_move_ids for line in deleted}
        self.assertAlmostEqual(contract.balance_hours, before - 3.5, places=2)  # in the cache
        deleted.unlink()
        # read without invalidating: what the cache holds after the deletion
        self.assertAlmostEqual(contract.balance_hours, before - 1.0, places=2)
        self.assertAlmostEqual(contract.consumed_hours, self._consumed(contract), places=2)
        self.assertAlmostEqual(contract.balance_hours, self._ledger_sum(contract), places=2)
        self.env.invalidate_all()
        self.assertAlmostEqual(contract.balance_hours, before - 1.0, places=2)
        self.assertEqual(self._pending(contract), 1, "the kept line's draw is still pending, the others folded")
        for moves in drawn.values():
            self.assertEqual(len(moves), 1)
            reversal = moves.reversal_move_id
            self.assertTrue(reversal, "each deleted draw is reversed")
            self.assertEqual((reversal.reversed_move_id, reversal.hours), (moves, -moves.hours))
            self.assertEqual((reversal.move_type, reversal.contract_id), ("consumption", contract))
            self.assertEqual(reversal.name, f"Intervention deleted: {moves.name}")
            self.assertFalse(moves.timesheet_id, "the deleted intervention's link is cleared")
            self.assertFalse(moves.figures_pending or reversal.figures_pending)
        self.assertEqual(kept.itsm_credit_move_ids.reversal_move_id, self.env["itsm.credit.move"])
        # folding what is left changes no figure
        contract._itsm_fold_pending_figures()
        self.env.invalidate_all()
        self.assertAlmostEqual(contract.balance_hours, before - 1.0, places=2)
        self.assertEqual(self._raw(contract)[0], contract.balance_hours)
