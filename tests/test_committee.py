import base64
import shutil
import subprocess
from datetime import date
from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ItsmInterventionCase


class CommitteeCase(ItsmInterventionCase):
    """November 2026 on client A's annual contract (210 h bought on 2026-11-02), reviewed on 2026-12-10.

    Expected figures are worked out by hand below from the seed's counting rules,
    never read back from the committee code.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.done_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        Category = cls.env["helpdesk.ticket.category"]
        cls.printers = Category.create({"name": "Printers"})
        cls.network = Category.create({"name": "Network"})
        cls.ticket.write({"priority": "1", "itsm_kind": "incident"})

    def _ticket_at(self, requested, **vals):
        with freeze_time(requested):
            ticket = self._ticket(requested)
            ticket.write(vals)
        return ticket

    def _close(self, ticket, when):
        with freeze_time(when):
            ticket.stage_id = self.done_stage

    def _november(self):
        """Tickets and interventions of November, plus some outside it."""
        p1 = self._ticket_at(datetime(2026, 11, 16, 9, 0), priority="3", category_id=self.network.id)
        printers = [
            self._ticket_at(datetime(2026, 11, day, 9, 0), priority="1", category_id=self.printers.id)
            for day in (17, 18, 19)
        ]
        october = self._ticket_at(datetime(2026, 10, 20, 9, 0), priority="2", itsm_kind="request")
        self._ticket_at(datetime(2026, 12, 2, 9, 0), priority="1", category_id=self.printers.id)
        self._close(p1, datetime(2026, 11, 16, 9, 30))  # P1 incident: 1 h / 4 h round the clock: met
        self._close(printers[0], datetime(2026, 11, 17, 9, 30))  # met
        self._close(printers[1], datetime(2026, 11, 30, 12, 0))  # 12 days for 16 business hours: breached
        self._close(october, datetime(2026, 11, 5, 9, 0))  # a P2 request answered after 2 weeks: breached
        # interventions: remote 1 h 05 -> 1 h 15; full day on site the day after the request (urgent):
        # 7 h + 50 % = 10 h 30; one hour on Saturday 14 (non-working): 1 h + 50 % = 1 h 30
        self._log(datetime(2026, 11, 9, 10, 0), 65 / 60)
        self._log(datetime(2026, 11, 10, 8, 0), 8.0, itsm_mode="onsite", itsm_onsite_span="full_day")
        self._log(datetime(2026, 11, 14, 10, 0), 1.0)
        self._log(datetime(2026, 12, 2, 10, 0), 2.0)  # December: outside the period
        return p1, printers, october

    def _committee(self, **vals):
        values = {
            "contract_id": self.contract.id,
            "committee_type": "monthly",
            "date": datetime(2026, 12, 10, 9, 0),
            "attendee_ids": [(6, 0, [self.client_a_contact.id])],
        }
        values.update(vals)
        return self.env["itsm.committee"].create(values)


@tagged("post_install", "-at_install")
class TestCommittee(CommitteeCase):
    # ------------------------------------------------------------ snapshot
    def test_prepared_figures_equal_independent_computation(self):
        _p1, printers, _october = self._november()
        # the three printer incidents grouped into a problem on 20 November, still open; one closed in October
        with freeze_time("2026-11-20 10:00:00"):
            problem = self.env["itsm.problem"].create(
                {"partner_id": self.client_a.id, "category_id": self.printers.id, "title": "Printer offline"}
            )
            problem.write({"ticket_ids": [(6, 0, [t.id for t in printers])], "root_cause": "Faulty firmware"})
        with freeze_time("2026-10-10 10:00:00"):
            old = self.env["itsm.problem"].create(
                {"partner_id": self.client_a.id, "category_id": self.network.id, "root_cause": "Old switch"}
            )
            old.action_itsm_resolve()
            old.action_itsm_close()
        committee = self._committee()
        self.assertEqual((committee.period_start, committee.period_end), (date(2026, 11, 1), date(2026, 11, 30)))
        with freeze_time("2026-12-10 08:00:00"):
            committee.action_prepare()
        self.assertEqual(committee.state, "prepared")
        # opened in November: the fixture's ticket (9th), the P1 (16th), three printer incidents
        self.assertEqual(committee.kpi_tickets_opened, 5)
        # closed in November: P1, two printer incidents, the October request
        self.assertEqual(committee.kpi_tickets_closed, 4)
        # Targets due in November (default matrix, standard calendar 08-12/13-17 Brussels), judged on 10 December:
        # fixture P3 of 9 Nov, never answered: response (9 Nov) and resolution (11 Nov) missed although still open;
        # P1 of 16 Nov closed at 09:30: response 10:00 and resolution 13:00 met; printer 17 Nov closed 09:30: met;
        # printer 18 Nov first moved on 30 Nov: both missed; printer 19 Nov still open: both missed (deadlines 19
        # and 23 Nov). The October request fell due in October: not November's.
        self.assertEqual(committee.kpi_sla_tickets, 5)
        self.assertEqual((committee.kpi_response_met, committee.kpi_response_due), (2, 5))
        self.assertEqual((committee.kpi_resolution_met, committee.kpi_resolution_due), (2, 5))
        self.assertEqual((committee.kpi_response_met_pct, committee.kpi_resolution_met_pct), (40.0, 40.0))
        self.assertEqual((committee.kpi_response_display, committee.kpi_resolution_display), ("40.0 %", "40.0 %"))
        self.assertAlmostEqual(committee.kpi_consumed_hours, 1.25 + 10.5 + 1.5, places=2)
        self.assertAlmostEqual(committee.kpi_balance_end, 210 - 13.25, places=2)
        self.assertAlmostEqual(committee.kpi_nho_hours, 1.0, places=2)
        self.assertAlmostEqual(committee.kpi_urgent_hours, 7.0, places=2)
        self.assertEqual(committee.kpi_validity_days_left, (self.contract.date_end - date(2026, 11, 30)).days)
        lines = committee.kpi_line_ids
        top = lines.filtered(lambda line: line.section == "category").sorted("sequence")
        self.assertEqual([(line.name, line.count) for line in top], [("Printers", 3), ("Network", 1)])
        recurring = lines.filtered(lambda line: line.section == "recurring")
        self.assertEqual(len(recurring), 1)
        self.assertEqual((recurring.category_id, recurring.count), (self.printers, 3))
        self.assertEqual((recurring.problem_id, recurring.problem_state), (problem, "new"))
        self.assertEqual(recurring.detail, "Faulty firmware")
        self.assertEqual(recurring.name, f"{problem.name} - Printer offline")
        p1_row = lines.filtered(lambda line: line.section == "tickets" and line.name == "Incident P1")
        self.assertEqual((p1_row.count, p1_row.count_closed, p1_row.response_met, p1_row.response_due), (1, 1, 1, 1))
        self.assertEqual(p1_row.hours, 0.0)
        p3_row = lines.filtered(lambda line: line.section == "tickets" and line.name == "Incident P3")
        self.assertEqual(
            (p3_row.count, p3_row.count_closed, p3_row.count_sla, p3_row.response_met, p3_row.response_due),
            (4, 2, 4, 1, 4),
        )
        self.assertEqual((p3_row.resolution_met, p3_row.resolution_due), (1, 4))
        # the credit the P3 row's tickets drew in November: 1 h 15 + 10 h 30 + 1 h 30 on the fixture's ticket
        self.assertAlmostEqual(p3_row.hours, 13.25, places=2)
        request_row = lines.filtered(lambda line: line.section == "tickets" and line.name == "Request P2")
        self.assertEqual((request_row.count, request_row.count_closed, request_row.response_due), (0, 1, 0))
        bars = lines.filtered(lambda line: line.section == "consumption").sorted("sequence")
        self.assertEqual(len(bars), 12)
        self.assertEqual(bars[-1].month, date(2026, 11, 1))
        self.assertAlmostEqual(bars[-1].hours, 13.25, places=2)
        self.assertEqual(sum(bars[:-1].mapped("hours")), 0.0)

    def test_one_response_met_one_missed_is_fifty_percent(self):
        """The client's check: December, two P3 incidents of Monday 7 December 09:00, judged on 10 January.

        One is answered at 10:00 (response due at 14:00 UTC: met), the other never; neither is resolved by its
        deadline (9 December): response 1 / 2 = 50 %, resolution 0 / 2 = 0 %, both tickets still open.
        """
        in_progress = self.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress")
        answered = self._ticket_at(datetime(2026, 12, 7, 9, 0), priority="1")
        self._ticket_at(datetime(2026, 12, 7, 9, 0), priority="1")
        with freeze_time(datetime(2026, 12, 7, 10, 0)):
            answered.stage_id = in_progress
        committee = self._committee(date=datetime(2027, 1, 11, 9, 0))
        self.assertEqual((committee.period_start, committee.period_end), (date(2026, 12, 1), date(2026, 12, 31)))
        with freeze_time("2027-01-10 08:00:00"):
            committee.action_prepare()
        self.assertEqual((committee.kpi_response_met, committee.kpi_response_due), (1, 2))
        self.assertEqual((committee.kpi_resolution_met, committee.kpi_resolution_due), (0, 2))
        self.assertEqual((committee.kpi_response_display, committee.kpi_resolution_display), ("50.0 %", "0.0 %"))
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("itsm_service_contract.action_report_itsm_committee", committee.ids)[0]
            .decode()
        )
        self.assertIn("50.0 %", html)
        self.assertIn("0.0 %", html)

    def test_a_period_with_no_target_due_shows_no_percentage(self):
        # 2 to 6 November: the contract runs, but no deadline falls in it (the fixture's ticket is due from the 9th)
        committee = self._committee(
            committee_type="exceptional", period_start=date(2026, 11, 2), period_end=date(2026, 11, 6)
        )
        with freeze_time("2026-12-10 08:00:00"):
            committee.action_prepare()
        self.assertEqual((committee.kpi_response_due, committee.kpi_resolution_due), (0, 0))
        self.assertEqual((committee.kpi_response_display, committee.kpi_resolution_display), ("—", "—"))
        self.assertIsNone(committee._itsm_response_pct())
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("itsm_service_contract.action_report_itsm_committee", committee.ids)[0]
            .decode()
        )
        self.assertNotIn("100.0", html)
        self.assertIn("—", html)

    def test_monitoring_figures(self):
        """Two alerts of November on the contract: one opened a ticket answered 30 minutes later and resolved by
        itself (no time logged); the other fired again on the same ticket. One alert of October is out."""
        source = self.env["itsm.monitoring.source"].create(
            {"name": "Prometheus", "contract_id": self.contract.id, "team_id": self.team.id}
        )
        ticket = self._ticket_at(datetime(2026, 11, 17, 9, 0), priority="2")
        ticket.itsm_first_response_date = datetime(2026, 11, 17, 9, 30)
        Alert = self.env["itsm.monitoring.alert"]
        common = {"source_id": source.id, "ticket_id": ticket.id}
        Alert.create(
            {
                **common,
                "fingerprint": "disk",
                "status": "resolved",
                "opened_ticket": True,
                "first_seen": datetime(2026, 11, 17, 9, 0),
                "resolved_at": datetime(2026, 11, 17, 11, 0),
            }
        )
        Alert.create({**common, "fingerprint": "cpu", "status": "firing", "first_seen": datetime(2026, 11, 20, 3, 0)})
        Alert.create({**common, "fingerprint": "old", "status": "firing", "first_seen": datetime(2026, 10, 20, 3, 0)})
        committee = self._committee()
        with freeze_time("2026-12-10 08:00:00"):
            committee.action_prepare()
        self.assertEqual(
            (
                committee.kpi_alerts_received,
                committee.kpi_alert_tickets,
                committee.kpi_alerts_self_resolved,
                committee.kpi_alert_response_minutes,
            ),
            (2, 1, 1, 30.0),
        )

    def test_snapshot_does_not_follow_later_edits(self):
        self._november()
        committee = self._committee()
        committee.action_prepare()
        frozen = committee.read(["kpi_consumed_hours", "kpi_tickets_opened", "kpi_nho_hours", "kpi_balance_end"])[0]
        line = self.env["account.analytic.line"].search(
            [("itsm_contract_id", "=", self.contract.id), ("date", "=", date(2026, 11, 14))]
        )
        line.unit_amount = 3.0
        self._ticket_at(datetime(2026, 11, 20, 9, 0), priority="1")
        committee.invalidate_recordset()
        self.assertEqual(
            committee.read(["kpi_consumed_hours", "kpi_tickets_opened", "kpi_nho_hours", "kpi_balance_end"])[0],
            frozen,
        )
        committee.action_hold()
        with self.assertRaisesRegex(UserError, "figures are frozen"):
            committee.action_prepare()

    def test_annual_review_covers_twelve_months(self):
        committee = self._committee(committee_type="annual", date=datetime(2027, 1, 15, 9, 0))
        self.assertEqual((committee.period_start, committee.period_end), (date(2026, 1, 1), date(2026, 12, 31)))
        self.assertEqual(committee.fee_amount, 0.0)

    # ------------------------------------------------------------ actions
    def test_open_actions_roll_over(self):
        first = self._committee(committee_type="exceptional", date=datetime(2026, 11, 25, 9, 0))
        first.write(
            {
                "action_ids": [
                    (0, 0, {"name": "Renew the firewall licence", "owner_partner_id": self.client_a_contact.id}),
                    (0, 0, {"name": "Document the backup", "owner_user_id": self.account_manager.id}),
                ]
            }
        )
        first.action_ids.filtered(lambda a: a.name == "Document the backup").action_done()
        second = self._committee()
        second.action_prepare()
        self.assertEqual(second.carried_action_ids.mapped("name"), ["Renew the firewall licence"])
        self.assertIn("Renew the firewall licence", second.agenda)
        self.assertNotIn("Document the backup", second.agenda)

    def test_annual_review_lists_evolution_requests(self):
        monthly = self._committee(date=datetime(2026, 11, 10, 9, 0))
        monthly.write(
            {
                "action_ids": [
                    (
                        0,
                        0,
                        {
                            "name": "Add the Lyon site",
                            "owner_partner_id": self.client_a_contact.id,
                            "is_evolution": True,
                        },
                    )
                ]
            }
        )
        annual = self._committee(committee_type="annual", date=datetime(2027, 1, 15, 9, 0))
        annual.action_prepare()
        self.assertEqual(annual.evolution_ids.mapped("name"), ["Add the Lyon site"])
        annual.evolution_ids.decision = "approved"
        self.assertEqual(monthly.action_ids.decision, "approved")

    # ------------------------------------------------------------ planning
    def test_monthly_planner_creates_one_committee_per_month(self):
        self.account_manager.tz = "Europe/Paris"
        self.contract.write(
            {
                "committee_monthly": True,
                "committee_user_id": self.account_manager.id,
                "committee_attendee_ids": [(6, 0, [self.client_a_contact.id])],
            }
        )
        Committee = self.env["itsm.committee"]
        for _run in range(3):
            Committee._cron_plan_monthly_committees(today=date(2026, 11, 22))
        committees = Committee.search([("contract_id", "=", self.contract.id)])
        self.assertEqual(len(committees), 1)
        # the 10th at 10:00 in Paris (UTC+1 in December) is 09:00 UTC
        self.assertEqual(committees.date, datetime(2026, 12, 10, 9, 0))
        self.assertEqual((committees.period_start, committees.period_end), (date(2026, 11, 1), date(2026, 11, 30)))
        self.assertEqual(committees.fee_amount, 1000.0)
        event = committees.calendar_event_id
        self.assertTrue(event)
        self.assertEqual(event.start, datetime(2026, 12, 10, 9, 0))
        self.assertEqual(event.partner_ids, self.client_a_contact | self.account_manager.partner_id)
        # a cancelled committee is not planned again; the next month is
        committees.action_cancel()
        self.assertFalse(committees.calendar_event_id.exists())
        Committee._cron_plan_monthly_committees(today=date(2026, 11, 23))
        Committee._cron_plan_monthly_committees(today=date(2026, 12, 5))
        Committee._cron_plan_monthly_committees(today=date(2026, 12, 6))
        committees = Committee.search([("contract_id", "=", self.contract.id)], order="date")
        self.assertEqual(committees.mapped("date"), [datetime(2026, 12, 10, 9, 0), datetime(2027, 1, 10, 9, 0)])
        with self.assertRaisesRegex(ValidationError, "already has a monthly committee"):
            self._committee(date=datetime(2027, 1, 20, 9, 0))

    # ------------------------------------------------------------ invoicing
    def test_exceptional_committee_invoiced_once(self):
        committee = self._committee(committee_type="exceptional", date=datetime(2026, 11, 25, 14, 0))
        self.assertEqual(committee.fee_amount, 1000.0)
        committee.action_hold()
        line = committee.invoice_line_id
        self.assertTrue(line)
        self.assertEqual(line.price_unit, 1000.0)
        self.assertEqual(line.move_id.state, "draft")
        self.assertEqual(line.move_id.partner_id, self.client_a)
        self.assertEqual(line.product_id, self.env.ref("itsm_service_contract.product_committee_exceptional"))
        committee._itsm_invoice_fee()
        with self.assertRaises(UserError):
            committee.action_hold()
        invoice_lines = self.env["account.move.line"].search(
            [("move_id.partner_id", "=", self.client_a.id), ("display_type", "=", "product")]
        )
        self.assertEqual(len(invoice_lines), 1)
        self.assertEqual(line.move_id.amount_untaxed, 1000.0)
        # a second committee goes on the same draft invoice
        second = self._committee(committee_type="exceptional", date=datetime(2026, 11, 27, 14, 0))
        second.action_hold()
        self.assertEqual(second.invoice_line_id.move_id, line.move_id)
        self.assertEqual(line.move_id.amount_untaxed, 2000.0)
        with self.assertRaisesRegex(UserError, "is invoiced on"):
            committee.action_cancel()
        self.assertEqual(committee.state, "held")

    def test_review_is_not_invoiced(self):
        review = self._committee(committee_type="service_review")
        review.action_hold()
        self.assertFalse(review.invoice_line_id)

    # ------------------------------------------------------------ bad input
    def test_bad_input(self):
        # assertRaises (not assertRaisesRegex) rolls back to a savepoint, like the user's request
        with self.assertRaises(ValidationError) as refused:
            self._committee(period_start=date(2026, 11, 30), period_end=date(2026, 11, 1))
        self.assertIn("before it starts", str(refused.exception))
        self.assertFalse(self.env["itsm.committee"].search([("contract_id", "=", self.contract.id)]))
        committee = self._committee()
        with self.assertRaisesRegex(ValidationError, "has no owner"):
            committee.write({"action_ids": [(0, 0, {"name": "Orphan action"})]})
        committee.minutes = '<p>Decided</p><script>alert("x")</script>'
        self.assertIn("Decided", committee.minutes)
        self.assertNotIn("script", committee.minutes)
        self.contract.action_close()
        with self.assertRaisesRegex(ValidationError, "is closed"):
            self._committee(date=datetime(2027, 2, 10, 9, 0))
        with self.assertRaisesRegex(ValidationError, "is closed"):
            committee.action_prepare()


@tagged("post_install", "-at_install")
class TestCommitteeMinutes(CommitteeCase, HttpCase):
    """The minutes rendered by wkhtmltopdf.

    An HttpCase: wkhtmltopdf fetches the report assets from the running server,
    which must share the test transaction (a TransactionCase would deadlock).
    """

    def test_minutes_pdf_and_mail(self):
        self._november()
        committee = self._committee()
        committee.write(
            {
                "minutes": "<p>The printer fleet will be renewed.</p>",
                "action_ids": [(0, 0, {"name": "Quote new printers", "owner_user_id": self.account_manager.id})],
            }
        )
        with freeze_time("2026-12-10 08:00:00"):
            committee.action_hold()  # prepares the figures: 2 of 5 targets met (see the figures test)
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            pdf, kind = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf("itsm_service_contract.action_report_itsm_committee", committee.ids)
            )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        # the HTML wkhtmltopdf rendered carries every figure
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("itsm_service_contract.action_report_itsm_committee", committee.ids)[0]
            .decode()
        )
        for figure in ("13.25 h", "196.75 h", "40.0 %", "2 / 5", "Printers", "Quote new printers", "printer fleet"):
            self.assertIn(figure, html)
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is needed to read the PDF text")
        # the body is real text (a system font, not the web font drawn as curves): the figures read back
        text = subprocess.run(["pdftotext", "-layout", "-", "-"], input=pdf, capture_output=True, check=True).stdout
        self.assertIn("13.25", text.decode())
        self.assertIn("11/2026", text.decode())
        self.assertIn("40.0 %", text.decode())
        committee.with_context(force_report_rendering=True).action_send()
        self.assertEqual(committee.state, "sent")
        message = committee.message_ids.filtered(lambda m: "minutes of the steering committee" in (m.subject or ""))
        self.assertEqual(len(message), 1)
        self.assertIn(self.client_a_contact, message.partner_ids)
        self.assertEqual(len(message.attachment_ids), 1)
        self.assertEqual(message.message_type, "comment")
        self.assertEqual(message.attachment_ids.name, f"Minutes - {committee.name.replace('/', '-')}.pdf")
        self.assertTrue(base64.b64decode(message.attachment_ids.datas).startswith(b"%PDF"))
