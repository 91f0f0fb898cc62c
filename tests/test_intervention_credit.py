from datetime import date
from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestInterventionCredit(ItsmInterventionCase):
    """Interventions on tickets draw exactly what seed 000 says (calendar: see ItsmInterventionCase)."""

    def _consumption(self, line):
        return line.itsm_credit_move_ids.filtered(lambda m: m.move_type == "consumption" and not m.reversed_move_id)

    # ------------------------------------------------------------ seed figures
    def test_defaults_from_ticket(self):
        self.assertEqual(self.ticket.itsm_contract_id, self.contract, "the ticket finds its client's contract")
        line = self._log(datetime(2026, 11, 16, 9, 0), 1.0)
        self.assertEqual(line.itsm_contract_id, self.contract)
        self.assertEqual(line.itsm_mode, "remote")

    def test_remote_ten_minutes_is_a_quarter_hour(self):
        line = self._log(datetime(2026, 11, 16, 9, 0), 10 / 60)
        self.assertEqual((line.itsm_counted_hours, line.itsm_nho_hours, line.itsm_credit_hours), (0.25, 0.0, 0.25))
        self.assertEqual(self._consumption(line).hours, -0.25)
        self.assertEqual(self.contract.balance_hours, 209.75)

    def test_remote_one_hour_five(self):
        line = self._log(datetime(2026, 11, 16, 9, 0), 65 / 60)
        self.assertEqual(line.itsm_credit_hours, 1.25)
        self.assertEqual(line.itsm_surcharge_detail, "1 h 05 → 1 h 15 (quarter hours); total 1 h 15")

    def test_full_and_half_day_on_site(self):
        full = self._log(datetime(2026, 11, 17, 8, 0), 9.0, itsm_mode="onsite", itsm_onsite_span="full_day")
        half = self._log(datetime(2026, 11, 18, 8, 0), 3.5, itsm_mode="onsite", itsm_onsite_span="half_day")
        self.assertFalse(full.itsm_is_urgent, "requested on the 9th, more than 48 h before")
        self.assertEqual(full.itsm_credit_hours, 7.0)
        self.assertEqual(half.itsm_credit_hours, 4.0)
        self.assertEqual(self.contract.balance_hours, 210 - 7 - 4)

    def test_full_day_on_site_24h_after_request_is_urgent(self):
        ticket = self._ticket(datetime(2026, 11, 16, 8, 0))
        line = self._log(
            datetime(2026, 11, 17, 8, 0), 8.0, ticket=ticket, itsm_mode="onsite", itsm_onsite_span="full_day"
        )
        self.assertTrue(line.itsm_is_urgent)
        # 7 h x 1.5
        self.assertEqual(line.itsm_credit_hours, 10.5)
        remote = self._log(datetime(2026, 11, 17, 9, 0), 1.0, ticket=ticket)
        self.assertFalse(remote.itsm_is_urgent, "urgency is for on-site interventions only")

    def test_remote_hour_on_saturday(self):
        line = self._log(datetime(2026, 11, 21, 10, 0), 1.0)
        self.assertEqual((line.itsm_nho_hours, line.itsm_credit_hours), (1.0, 1.5))

    def test_urgent_full_day_on_sunday_add_and_multiply(self):
        ticket = self._ticket(datetime(2026, 11, 21, 18, 0))
        line = self._log(
            datetime(2026, 11, 22, 8, 0), 8.0, ticket=ticket, itsm_mode="onsite", itsm_onsite_span="full_day"
        )
        self.assertTrue(line.itsm_is_urgent)
        self.assertEqual(line.itsm_nho_hours, 7.0, "a day on a non-working day is entirely NHO")
        # add: 7 x (1 + 0.5 + 0.5)
        self.assertEqual(line.itsm_credit_hours, 14.0)
        self.contract.surcharge_combination = "multiply"
        line.write({"unit_amount": 8.5})
        # multiply: 7 x 1.5 x 1.5
        self.assertEqual(line.itsm_credit_hours, 15.75)
        self.assertEqual(self._consumption(line).hours, -15.75)
        self.assertEqual(self.contract.balance_hours, 210 - 15.75)

    def test_evening_half_outside_calendar(self):
        line = self._log(datetime(2026, 11, 18, 17, 0), 2.0)
        # 17:00-18:00 normal, 18:00-19:00 NHO: 1 + 1 x 1.5
        self.assertEqual((line.itsm_counted_hours, line.itsm_nho_hours, line.itsm_credit_hours), (2.0, 1.0, 2.5))

    def test_start_time_logged_after_the_fact_is_shown(self):
        """Issue 25: a line logged at 18:30 with the default start time (now) is surcharged as NHO, and says so:
        the hours it counts and the surcharge's reason are on the line."""
        values = {
            "name": "Printer fixed this afternoon",
            "ticket_id": self.ticket.id,
            "project_id": self.project.id,
            "employee_id": self.employee.id,
            "unit_amount": 1.0,
        }
        with freeze_time("2026-11-18 18:30:00"):
            late = self.env["account.analytic.line"].create(values)
        self.assertEqual(
            late.date_time, datetime(2026, 11, 18, 18, 30), "the start defaults to the moment it is logged"
        )
        self.assertEqual((late.itsm_nho_hours, late.itsm_credit_hours), (1.0, 1.5))
        self.assertRegex(late.itsm_counted_as, r"^Counted 11/18/26, 6:30\s?PM - 7:30\s?PM \(UTC\): ")
        self.assertTrue(late.itsm_counted_as.endswith("1 h 00 outside working hours, +50 %"), late.itsm_counted_as)
        # the technician sets the real start: within the working calendar, no surcharge, and the line says so
        late.date_time = datetime(2026, 11, 18, 14, 0)
        self.assertEqual((late.itsm_nho_hours, late.itsm_credit_hours), (0.0, 1.0))
        self.assertRegex(late.itsm_counted_as, r"2:00\s?PM - 3:00\s?PM \(UTC\): within working hours$")

    def test_public_holiday(self):
        line = self._log(datetime(2026, 11, 11, 10, 0), 1.0)
        self.assertEqual(line.itsm_credit_hours, 1.5, "a global leave of the calendar is non-working")

    # ------------------------------------------------------------ ledger
    def test_edit_and_delete_keep_ledger_exact(self):
        line = self._log(datetime(2026, 11, 16, 9, 0), 1.0)
        move = self._consumption(line)
        line.unit_amount = 2.1  # 2 h 06 -> 2 h 15
        self.assertEqual(self._consumption(line), move, "the same move is updated, not duplicated")
        self.assertEqual(move.hours, -2.25)
        other = self._log(datetime(2026, 11, 16, 14, 0), 0.5)
        self.assertEqual(self.contract.balance_hours, 210 - 2.25 - 0.5)
        line.unlink()
        reversal = self.contract.credit_move_ids.filtered("reversed_move_id")
        self.assertEqual(reversal.hours, 2.25)
        self.assertEqual(self.contract.balance_hours, 209.5)
        self.assertEqual(self.contract.balance_hours, self._ledger_sum(self.contract))
        lines = self.env["account.analytic.line"].search([("itsm_contract_id", "=", self.contract.id)])
        self.assertEqual(lines, other)
        self.assertEqual(len(self._consumption(other)), 1)

    def test_batch_create_one_move_per_line(self):
        lines = self.env["account.analytic.line"].create(
            [
                {
                    "name": f"Call {i}",
                    "ticket_id": self.ticket.id,
                    "project_id": self.project.id,
                    "employee_id": self.employee.id,
                    "date_time": datetime(2026, 11, 16, 9, 0),
                    "unit_amount": 0.2,
                }
                for i in range(20)
            ]
        )
        moves = self.contract.credit_move_ids.filtered(lambda m: m.move_type == "consumption")
        self.assertEqual(len(moves), 20)
        self.assertEqual(moves.timesheet_id, lines)
        self.assertEqual(self.contract.balance_hours, 210 - 20 * 0.25)

    def test_batch_of_mixed_lines_counts_each_line(self):
        """One ``create`` of lines of every kind, on two contracts with different terms, counts each line as if it
        were logged alone, and a batch ``write`` recounts each (issue 24: a batch reads a contract's terms once
        and assigns each distinct result once). Expected figures: seed 000's rules worked by hand."""
        urgent_ticket = self._ticket(datetime(2026, 11, 16, 8, 0))  # requested Monday 08:00
        contract_b = self._buy_class(self.client_b, self.annual, date(2026, 11, 2))
        # client B: half hours, non-working time +100 %, surcharges multiplied
        contract_b.write(
            {
                "calendar_id": self.calendar.id,
                "remote_rounding_minutes": 30,
                "nho_surcharge": 100.0,
                "surcharge_combination": "multiply",
            }
        )
        contact_b = self.env["res.partner"].create({"name": "Bob B", "parent_id": self.client_b.id})
        ticket_b = self._ticket(datetime(2026, 11, 9, 9, 0), partner=contact_b)
        self.assertEqual(ticket_b.itsm_contract_id, contract_b)
        start_a, start_b = self.contract.balance_hours, contract_b.balance_hours

        def line(ticket, start, hours, **extra):
            values = {
                "name": "Batch",
                "ticket_id": ticket.id if ticket else False,
                "project_id": self.project.id,
                "employee_id": self.employee.id,
                "date_time": start,
                "unit_amount": hours,
            }
            values.update(extra)
            return values

        onsite_day = {"itsm_mode": "onsite", "itsm_onsite_span": "full_day"}
        onsite_half = {"itsm_mode": "onsite", "itsm_onsite_span": "half_day"}
        cases = [
            # (values, (counted, NHO, credit), urgent)
            (line(self.ticket, datetime(2026, 11, 16, 9, 0), 10 / 60), (0.25, 0.0, 0.25), False),
            (line(self.ticket, datetime(2026, 11, 18, 17, 0), 2.0), (2.0, 1.0, 2.5), False),
            # on site a day after the request: 7 h x 1.5
            (line(urgent_ticket, datetime(2026, 11, 17, 8, 0), 8.0, **onsite_day), (7.0, 0.0, 10.5), True),
            (line(self.ticket, datetime(2026, 11, 18, 8, 0), 3.5, **onsite_half), (4.0, 0.0, 4.0), False),
            (line(self.ticket, datetime(2026, 11, 21, 10, 0), 1.0), (1.0, 1.0, 1.5), False),
            (line(self.ticket, datetime(2026, 11, 16, 10, 0), 10 / 60), (0.25, 0.0, 0.25), False),
            # client B: 10 min -> half an hour; Saturday hour: 1 x (1 + 100 %)
            (line(ticket_b, datetime(2026, 11, 16, 9, 0), 10 / 60), (0.5, 0.0, 0.5), False),
            (line(ticket_b, datetime(2026, 11, 21, 10, 0), 1.0), (1.0, 1.0, 2.0), False),
            # without a ticket: no contract, nothing counted
            (line(False, datetime(2026, 11, 16, 9, 0), 1.0), (0.0, 0.0, 0.0), False),
        ]
        lines = self.env["account.analytic.line"].create([values for values, _figures, _urgent in cases])
        for index, (line_record, (_values, figures, urgent)) in enumerate(zip(lines, cases, strict=True)):
            got = (line_record.itsm_counted_hours, line_record.itsm_nho_hours, line_record.itsm_credit_hours)
            self.assertEqual(got, figures, f"line {index}")
            self.assertEqual(line_record.itsm_is_urgent, urgent, f"line {index}")
            self.assertEqual(self._consumption(line_record).hours, -figures[2] if figures[2] else 0.0, f"line {index}")
        self.assertFalse(lines[-1].itsm_contract_id)
        self.assertEqual(lines[6].itsm_count_terms["step_minutes"], 30)
        self.assertEqual(lines[0].itsm_count_terms["step_minutes"], 15)
        self.assertEqual(self.contract.balance_hours, start_a - (0.25 + 2.5 + 10.5 + 4.0 + 1.5 + 0.25))
        self.assertEqual(contract_b.balance_hours, start_b - (0.5 + 2.0))
        self.assertEqual(self.contract.balance_hours, self._ledger_sum(self.contract))
        self.assertEqual(contract_b.balance_hours, self._ledger_sum(contract_b))

        # one write of the remote lines: an hour each
        remote = lines[0] | lines[1] | lines[4] | lines[5] | lines[6] | lines[7]
        remote.write({"unit_amount": 1.0})
        hour, saturday_a, saturday_b = (1.0, 0.0, 1.0), (1.0, 1.0, 1.5), (1.0, 1.0, 2.0)
        expected = [hour, hour, saturday_a, hour, hour, saturday_b]
        for line_record, figures in zip(remote, expected, strict=True):
            got = (line_record.itsm_counted_hours, line_record.itsm_nho_hours, line_record.itsm_credit_hours)
            self.assertEqual(got, figures)
            self.assertEqual(self._consumption(line_record).hours, -figures[2])
        self.assertEqual(self.contract.balance_hours, start_a - (1.0 + 1.0 + 10.5 + 4.0 + 1.5 + 1.0))
        self.assertEqual(contract_b.balance_hours, start_b - (1.0 + 2.0))
        self.assertEqual(self.contract.balance_hours, self._ledger_sum(self.contract))

    def test_grace_period_refusal_leaves_nothing(self):
        self.contract.state = "grace"
        count = self.env["account.analytic.line"].search_count([])
        moves = len(self.contract.credit_move_ids)
        with self.assertRaisesRegex(UserError, "grace period"), self.env.cr.savepoint():
            self._log(datetime(2026, 11, 16, 9, 0), 1.0)
        self.assertEqual(self.env["account.analytic.line"].search_count([]), count)
        self.assertEqual(len(self.contract.credit_move_ids), moves)
        line = self._log(datetime(2026, 11, 16, 9, 0), 1.0, itsm_is_project=True)
        self.assertEqual(self._consumption(line).hours, -1.0)

    def test_overdraft_refusal_leaves_nothing(self):
        self.contract._consume(209.5, "Big project")
        count = self.env["account.analytic.line"].search_count([])
        with self.assertRaisesRegex(UserError, r"has 0\.50 h left: drawing 0\.75 h"), self.env.cr.savepoint():
            self._log(datetime(2026, 11, 16, 9, 0), 0.6)
        self.assertEqual(self.env["account.analytic.line"].search_count([]), count)
        self.assertEqual(self.contract.balance_hours, 0.5)
        line = self._log(datetime(2026, 11, 16, 9, 0), 0.5)
        with self.assertRaisesRegex(UserError, "would overdraw"), self.env.cr.savepoint():
            line.unit_amount = 3.0
        self.env.invalidate_all()
        self.assertEqual(self._consumption(line).hours, -0.5)
        self.assertEqual(self.contract.balance_hours, 0.0)

    def test_edit_of_a_draw_is_checked_for_the_difference(self):
        """Editing an intervention on a contract that refuses overdrafts draws only the difference: shortening it
        is always accepted, lengthening it needs the extra hours only (it was checked for the old hours plus the
        new: a shortened intervention was refused on a nearly exhausted contract)."""
        self.contract.overdraft_policy = "block"
        line = self._log(datetime(2026, 11, 16, 9, 0), 1.0)
        self.contract._consume(self.contract.balance_hours - 0.5, "Big project")
        self.assertEqual(self.contract.balance_hours, 0.5)
        line.unit_amount = 0.25  # gives 0.75 h back
        self.assertEqual(self._consumption(line).hours, -0.25)
        self.assertEqual(self.contract.balance_hours, 1.25)
        line.unit_amount = 1.5  # draws 1.25 h more: all that is left
        self.assertEqual(self.contract.balance_hours, 0.0)
        with self.assertRaisesRegex(UserError, r"has 0\.00 h left: drawing 0\.25 h"), self.env.cr.savepoint():
            line.unit_amount = 1.75
        self.env.invalidate_all()
        self.assertEqual(self._consumption(line).hours, -1.5)
        self.assertEqual(self.contract.balance_hours, self._ledger_sum(self.contract))

    # ------------------------------------------------------------ bad input
    def test_bad_input_refused(self):
        before = len(self.contract.credit_move_ids)
        cases = [
            ({"unit_amount": -1.0}, "end precedes the start"),
            ({"unit_amount": 0.0}, "lasts 0 h"),
            ({"unit_amount": 25.0}, "cannot exceed 24 h"),
            ({"unit_amount": 8.0, "itsm_onsite_span": "full_day"}, "on site only"),
        ]
        for vals, message in cases:
            with self.subTest(vals=vals), self.assertRaisesRegex(ValidationError, message):
                with self.env.cr.savepoint():
                    self._log(datetime(2026, 11, 16, 9, 0), **{"hours": vals.pop("unit_amount")}, **vals)
        contract_b = self._buy_class(self.client_b, self.monthly, date(2026, 11, 2))
        with self.assertRaisesRegex(ValidationError, "belongs to"), self.env.cr.savepoint():
            self._log(datetime(2026, 11, 16, 9, 0), 1.0, itsm_contract_id=contract_b.id)
        with self.assertRaisesRegex(ValidationError, "outside the validity"), self.env.cr.savepoint():
            self._log(datetime(2026, 10, 1, 9, 0), 1.0)
        self.contract.action_close()
        with self.assertRaisesRegex(ValidationError, "no intervention can be counted"), self.env.cr.savepoint():
            self._log(datetime(2026, 11, 16, 9, 0), 1.0)
        self.assertEqual(len(self.contract.credit_move_ids), before, "no move posted")

    def test_bad_line_late_in_a_batch_refuses_the_batch(self):
        """The checks made once per contract or per ticket still see every line of a batch."""
        contract_b = self._buy_class(self.client_b, self.monthly, date(2026, 11, 2))
        ticket_b = self._ticket(datetime(2026, 11, 9, 9, 0), partner=self.client_b)
        lines_before = self.env["account.analytic.line"].search_count([])
        moves_before = self.env["itsm.credit.move"].search_count([])

        def line(ticket, start, **vals):
            return {
                "name": "Batch call",
                "ticket_id": ticket.id,
                "project_id": self.project.id,
                "employee_id": self.employee.id,
                "date_time": start,
                "unit_amount": 1.0,
                **vals,
            }

        good = [line(self.ticket, datetime(2026, 11, 16, 9, 0)), line(ticket_b, datetime(2026, 11, 16, 10, 0))]
        cases = [
            # client B's ticket counted on client A's contract, after a good line of each ticket on it
            ([*good, line(ticket_b, datetime(2026, 11, 16, 11, 0), itsm_contract_id=self.contract.id)], "belongs to"),
            # the same contract, already checked on the first line, but a date before its start
            ([*good, line(self.ticket, datetime(2026, 10, 1, 9, 0))], "outside the validity"),
            # a good line first, then a day logged remotely on the same ticket and contract
            ([*good, line(self.ticket, datetime(2026, 11, 17, 9, 0), itsm_onsite_span="full_day")], "on site only"),
        ]
        for vals_list, message in cases:
            with self.subTest(message=message), self.assertRaisesRegex(ValidationError, message):
                with self.env.cr.savepoint():
                    self.env["account.analytic.line"].create(vals_list)
        self.assertEqual(self.env["account.analytic.line"].search_count([]), lines_before)
        self.assertEqual(self.env["itsm.credit.move"].search_count([]), moves_before, "no move posted")
        # and the good lines alone go through, one on each client's contract
        created = self.env["account.analytic.line"].create(good)
        self.assertEqual(created.itsm_contract_id, self.contract | contract_b)
        self.assertEqual(self.env["itsm.credit.move"].search_count([]), moves_before + 2)

    def test_batch_moves_are_posted_as_the_orm_would(self):
        """The moves of a batch are inserted by one statement: each has what an ORM ``create`` would give it."""
        second = self._ticket(datetime(2026, 11, 9, 8, 0))
        lines = self.env["account.analytic.line"].create(
            [
                {
                    "name": f"Call {index}",
                    "ticket_id": ticket.id,
                    "project_id": self.project.id,
                    "employee_id": self.employee.id,
                    "date_time": datetime(2026, 11, 16 + index, 9, 0),
                    "unit_amount": 1.0,
                }
                for index, ticket in enumerate((self.ticket, second, self.ticket))
            ]
        )
        self.env.flush_all()
        now = self.env.cr.now()
        for line, ticket in zip(lines, (self.ticket, second, self.ticket), strict=True):
            move = self._consumption(line)
            self.assertEqual(len(move), 1)
            self.assertEqual(
                (move.contract_id, move.company_id, move.partner_id, move.date, move.move_type, move.hours),
                (self.contract, self.contract.company_id, self.contract.partner_id, line.date, "consumption", -1.0),
            )
            self.assertEqual(move.name, f"{ticket.number} - {line.name}")
            self.assertEqual((move.timesheet_id, move.user_id), (line, line.user_id or self.env.user))
            self.assertEqual((move.create_uid, move.write_uid), (self.env.user, self.env.user))
            self.assertEqual((move.create_date, move.write_date), (now, now))
            self.assertFalse(move.sale_order_line_id or move.reversed_move_id or move.reversal_move_id)
        # the lines' own figures, as stored: rounded figures, terms as a JSON object of the contract's terms
        self.env.invalidate_all()
        self.env.cr.execute(
            "SELECT itsm_credit_hours, itsm_count_terms FROM account_analytic_line WHERE id = %s", [lines[0].id]
        )
        credit, terms = self.env.cr.fetchone()
        self.assertEqual(float(credit), 1.0)
        contract = self.contract
        self.assertEqual(
            terms,
            {
                "step_minutes": contract.remote_rounding_minutes,
                "urgent_pct": contract.urgent_surcharge,
                "nho_pct": contract.nho_surcharge,
                "combination": contract.surcharge_combination,
            },
        )
        read = lines[0].itsm_count_terms
        read["nho_pct"] = 1000.0
        self.assertEqual(lines[0].itsm_count_terms["nho_pct"], contract.nho_surcharge, "a reader gets a copy")

    def test_moves_inserted_in_order_whatever_they_share(self):
        """``_itsm_insert`` sends a column every row shares once and the others as arrays: the moves come back in
        the order given, each with its own values, whether no column, some or all of them differ."""
        Move = self.env["itsm.credit.move"].sudo()
        base = {"contract_id": self.contract.id, "date": date(2026, 11, 16), "move_type": "consumption"}
        cases = {
            "all shared": [{**base, "hours": -1.0, "name": "Same"}] * 3,
            "some differ": [
                {**base, "hours": -1, "name": "Integer hours"},
                {**base, "hours": -0.25, "name": "Quarter", "date": "2026-11-17"},
                {**base, "hours": -1, "name": "Pending", "figures_pending": True, "user_id": self.technician.id},
            ],
            "one row": [{**base, "hours": -2.5, "name": "Alone"}],
        }
        for case, vals_list in cases.items():
            with self.subTest(case=case):
                moves = Move._itsm_insert(vals_list, self.contract)
                self.assertEqual(len(moves), len(vals_list))
                self.assertEqual(moves.ids, sorted(moves.ids), "inserted in the order given")
                for move, vals in zip(moves, vals_list, strict=True):
                    self.assertEqual(
                        (move.contract_id, move.partner_id, move.date, move.hours, move.name, move.figures_pending),
                        (
                            self.contract,
                            self.contract.partner_id,
                            date.fromisoformat(str(vals["date"])),
                            vals["hours"],
                            vals["name"],
                            bool(vals.get("figures_pending")),
                        ),
                    )
                    self.assertEqual(move.user_id.id, vals.get("user_id") or self.env.uid)
                    self.assertFalse(move.timesheet_id or move.sale_order_line_id or move.reversed_move_id)
        self.assertFalse(Move._itsm_insert([], self.contract), "nothing to insert")

    def test_only_account_manager_overrides_urgency(self):
        line = self._log(datetime(2026, 11, 16, 9, 0), 1.0, itsm_mode="onsite")
        self.assertFalse(line.itsm_is_urgent)
        with self.assertRaises(AccessError):
            line.with_user(self.technician).write({"itsm_is_urgent": True})
        line.with_user(self.account_manager).write({"itsm_is_urgent": True})
        # 1 h on site, urgent: 1.5
        self.assertEqual(line.itsm_credit_hours, 1.5)
        self.assertEqual(self._consumption(line).hours, -1.5)

    def test_balance_of_100000_moves_in_constant_queries(self):
        self.env.flush_all()
        self.env.cr.execute(
            """
            INSERT INTO itsm_credit_move (contract_id, company_id, partner_id, date, move_type, hours, name,
                                          create_uid, write_uid, create_date, write_date)
            SELECT %s, %s, %s, DATE '2026-11-03', 'consumption', -0.25, 'Call ' || n, 1, 1, now(), now()
              FROM generate_series(1, 100000) AS n
            """,
            [self.contract.id, self.contract.company_id.id, self.contract.partner_id.id],
        )
        self.env.invalidate_all()
        # recomputed from the 100 000 moves by one aggregate query, plus reading the contract's own row when it
        # is not cached (assertQueryCount would flush, i.e. compute, before it starts counting: count around
        # the compute itself)
        before = self.env.cr.sql_log_count
        self.contract._itsm_recompute_credit_figures()
        self.assertLessEqual(self.env.cr.sql_log_count - before, 3)
        computed = self.contract.balance_hours
        self.env.flush_all()
        self.env.invalidate_all()
        with self.assertQueryCount(1):  # then read from its column
            balance = self.contract.balance_hours
        self.assertEqual(computed, balance)
        # 210 - 100 000 x 0.25
        self.assertEqual(balance, 210 - 25000)
        self.assertEqual(balance, self._ledger_sum(self.contract))
