"""Query budgets of the hot paths.

A change that makes one of these grow must say why in its commit and update the
figure here. The budgets were measured on Odoo 18.0 (nightly 2025-07-02) with the
OCA helpdesk modules pinned in requirements.txt.
"""

from datetime import date
from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .common import ItsmInterventionCase

# one intervention logged by a technician on a ticket: the line, its counting fields,
# the contract row lock, the balance check, the consumption move and the balance refresh
# (38 until the balance stopped being tracked in the chatter: the ledger is its history; 31 until the
# contract was no longer read again once locked, see itsm.contract._lock_for_update; 30 until the draw added its
# hours to the contract row in one UPDATE, which is also its lock, instead of locking, then summing the ledger;
# 28 until the moves were inserted in one statement without the ORM's create, issue 24)
BUDGET_LOG_INTERVENTION = 27
# reading the main fields of a contract form (figures are stored: no ledger scan)
BUDGET_READ_CONTRACT = 4
# one batch of the SLA scan: search, evaluation, flags, breach messages; not per ticket
BUDGET_SLA_SCAN_BATCH = 14
# issuing one statement: ledger sums, the period's lines copied, the chart, the state
BUDGET_ISSUE_STATEMENT = 18


@tagged("post_install", "-at_install")
class TestQueryBudgets(ItsmInterventionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team.user_ids = [(4, cls.technician.id)]

    def _log_as_technician(self, start):
        return (
            self.env["account.analytic.line"]
            .with_user(self.technician)
            .create(
                {
                    "name": "Intervention",
                    "ticket_id": self.ticket.id,
                    "project_id": self.project.id,
                    "employee_id": self.employee.id,
                    "date_time": start,
                    "unit_amount": 1.0,
                }
            )
        )

    def test_log_intervention(self):
        self._log_as_technician(datetime(2026, 11, 9, 10, 0))  # warm the caches
        self.env.invalidate_all()
        with self.assertQueryCount(BUDGET_LOG_INTERVENTION):
            line = self._log_as_technician(datetime(2026, 11, 10, 10, 0))
        self.assertEqual(len(line.itsm_credit_move_ids), 1)

    def test_read_contract_form(self):
        contract = self.contract.with_user(self.account_manager)
        fields_read = [
            "name",
            "partner_id",
            "state",
            "date_start",
            "date_end",
            "grace_end",
            "credit_hours",
            "consumed_hours",
            "balance_hours",
            "balance_percent",
            "user_id",
            "sla_matrix_id",
            "calendar_id",
        ]
        contract.read(fields_read)
        self.env.invalidate_all()
        with self.assertQueryCount(BUDGET_READ_CONTRACT):
            contract.read(fields_read)

    def _line_vals(self, ticket, count, hours, start, name):
        return [
            {
                "name": f"{name} {i}",
                "ticket_id": ticket.id,
                "project_id": self.project.id,
                "employee_id": self.employee.id,
                "date_time": start,
                "unit_amount": hours,
            }
            for i in range(count)
        ]

    def _queries(self, action):
        """Queries of ``action()`` from a clean cache, flush included."""
        self.env.flush_all()
        self.env.invalidate_all()
        before = self.cr.sql_log_count
        action()
        self.env.flush_all()
        return self.cr.sql_log_count - before

    def _extra_queries(self, measure):
        """``{policy: {count: extra}}``: the queries ``measure(ticket, count)`` takes on the contract's ticket
        minus those on a ticket of a client without contract, for 20 and 200 lines, with either policy."""
        plain_ticket = self._ticket(datetime(2026, 11, 9, 9, 0), partner=self.client_b)
        self.assertFalse(plain_ticket.itsm_contract_id)
        extra = {}
        for policy in ("block", "allow"):
            self.contract.overdraft_policy = policy
            measure(plain_ticket, 3)  # warm the caches
            measure(self.ticket, 3)
            extra[policy] = {}
            for count in (20, 200):
                plain = measure(plain_ticket, count)
                extra[policy][count] = measure(self.ticket, count) - plain
        return extra

    def _batch_queries(self, ticket, count):
        """Queries of one ``create`` of ``count`` interventions on ``ticket``."""
        vals_list = self._line_vals(ticket, count, 0.25, datetime(2026, 11, 10, 9, 0), "Call")
        return self._queries(lambda: self.env["account.analytic.line"].create(vals_list))

    def test_batch_extra_queries_do_not_grow(self):
        """A batch of interventions on a prepaid contract costs a constant number of queries more than the
        same batch of plain timesheet lines: moves posted in one INSERT, figures added once per contract."""
        for policy, extra in self._extra_queries(self._batch_queries).items():
            with self.subTest(policy=policy):
                self.assertEqual(extra[20], extra[200], f"extra queries by batch size: {extra}")
        moves = self.env["itsm.credit.move"].search([("contract_id", "=", self.contract.id)])
        self.assertEqual(len(moves.filtered(lambda m: m.move_type == "consumption")), 2 * (3 + 20 + 200))
        self.assertAlmostEqual(self.contract.balance_hours, 210.0 - 2 * (3 + 20 + 200) * 0.25, places=2)
        self.assertAlmostEqual(self.contract.balance_hours, sum(moves.mapped("hours")), places=2)

    def _rewrite_queries(self, ticket, count):
        """Queries of one ``write`` re-pricing ``count`` interventions of ``ticket`` from half an hour to a quarter."""
        lines = self.env["account.analytic.line"].create(
            self._line_vals(ticket, count, 0.4, datetime(2026, 11, 16, 9, 0), "Re-priced")
        )
        return self._queries(lambda: lines.write({"unit_amount": 0.2}))

    def test_batch_write_extra_queries_do_not_grow(self):
        """Re-pricing a batch of interventions (issue 24's bulk work) costs a constant number of queries more
        than the same write of plain timesheet lines, but for the ORM writing the moves' rows by hundreds: the
        moves are rewritten together and their contract's row incremented once (was a fold and an UPDATE of
        the contract row per move: the same row updated thousands of times in one transaction)."""
        for policy, extra in self._extra_queries(self._rewrite_queries).items():
            with self.subTest(policy=policy):
                # Odoo's flush writes 100 rows a statement (models.UPDATE_BATCH_SIZE): 1 UPDATE of the moves
                # for 20 lines, 2 for 200
                self.assertEqual(extra[20] + 1, extra[200], f"extra queries by batch size: {extra}")
        # every line now draws a quarter hour (0.2 h; 0.4 h was half an hour): the ledger and the figures agree
        moves = self.env["itsm.credit.move"].search([("contract_id", "=", self.contract.id)])
        live = moves.filtered(lambda m: m.move_type == "consumption" and not m.reversal_move_id)
        self.assertEqual(len(live), 2 * (3 + 20 + 200))
        self.assertEqual(set(live.mapped("hours")), {-0.25})
        self.assertAlmostEqual(self.contract.balance_hours, 210.0 - 2 * (3 + 20 + 200) * 0.25, places=2)
        self.assertAlmostEqual(self.contract.balance_hours, self._ledger_sum(self.contract), places=2)

    def _delete_queries(self, ticket, count):
        """Queries of one ``unlink`` of ``count`` interventions of ``ticket``."""
        lines = self.env["account.analytic.line"].create(
            self._line_vals(ticket, count, 0.2, datetime(2026, 11, 16, 9, 0), "Deleted")
        )
        return self._queries(lines.unlink)

    def test_batch_delete_extra_queries_do_not_grow(self):
        """Deleting a batch of interventions reverses their moves in one post (the reversals created together,
        their links written together, each contract's row incremented once): the extra queries against plain
        lines grow only by the ORM's statements per 100 rows (was several queries per line)."""
        for policy, extra in self._extra_queries(self._delete_queries).items():
            with self.subTest(policy=policy):
                # the reversals' INSERT and their links' UPDATE, 100 rows a statement: one more of each at 200
                self.assertLessEqual(extra[200], extra[20] + 2, f"extra queries by batch size: {extra}")
        moves = self.env["itsm.credit.move"].search([("contract_id", "=", self.contract.id)])
        consumptions = moves.filtered(lambda m: m.move_type == "consumption" and not m.reversed_move_id)
        self.assertEqual(len(consumptions), 2 * (3 + 20 + 200))
        self.assertTrue(all(move.reversal_move_id.hours == 0.25 for move in consumptions))
        self.assertAlmostEqual(self.contract.balance_hours, 210.0, places=2)
        self.assertAlmostEqual(self.contract.balance_hours, self._ledger_sum(self.contract), places=2)

    def _scan_queries(self, count):
        tickets = self.env["helpdesk.ticket"]
        for _i in range(count):
            with freeze_time(datetime(2026, 11, 23, 8, 0)):
                tickets |= self._ticket(datetime(2026, 11, 23, 8, 0))
        self.env.flush_all()
        self.env.invalidate_all()
        Ticket = self.env["helpdesk.ticket"]
        with freeze_time(datetime(2026, 11, 23, 12, 30)):
            queries_before = self.cr.sql_log_count
            Ticket._cron_itsm_sla_scan()
            self.env.flush_all()
            used = self.cr.sql_log_count - queries_before
            while Ticket._cron_itsm_sla_scan():  # other due tickets of the database: drain them
                pass
        return used

    def test_sla_scan_batch_does_not_grow_with_tickets(self):
        with freeze_time(datetime(2026, 11, 23, 12, 30)):  # demo tickets due at that time: out of the way
            while self.env["helpdesk.ticket"]._cron_itsm_sla_scan():
                pass
        self._scan_queries(5)  # warm the caches (activity type, model ids, translations)
        twenty = self._scan_queries(20)
        forty = self._scan_queries(40)
        self.assertEqual(twenty, forty, "the scan's queries must not depend on the number of tickets")
        self.assertEqual(forty, BUDGET_SLA_SCAN_BATCH, "the recorded budget")

    def test_issue_statement(self):
        for day in (9, 10, 12):
            self._log(datetime(2026, 11, day, 10, 0), 1.0)
        statement = self.env["itsm.statement"].create(
            {"contract_id": self.contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        self.env.invalidate_all()
        with self.assertQueryCount(BUDGET_ISSUE_STATEMENT):
            statement.action_issue()
        self.assertEqual(len(statement.line_ids), 3)
