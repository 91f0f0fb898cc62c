import io
from datetime import date
from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import ValidationError
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tools.pdf import PdfFileReader

from ..models.ir_actions_report import wkhtmltopdf_draws_headers
from .common import ItsmInterventionCase

SLA_REPORT = "itsm_service_contract.action_report_itsm_sla_compliance"
ASSISTANCE_FORM = "itsm_service_contract.action_report_itsm_assistance_form"
NOVEMBER = {"date_from": "2026-11-01", "date_to": "2026-11-30"}


class ReportCase(ItsmInterventionCase):
    """November 2026 on the test calendar (UTC, Mon-Fri 08-12 and 13-18) and the seed 003 matrix.

    P1 incident: 1 h response, 4 h resolution, round the clock. P3 incident: 4 business hours response.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        default = cls.env.ref("itsm_service_contract.sla_matrix_default")
        cls.contract.sla_matrix_id = default.copy({"name": "Test levels", "calendar_id": cls.calendar.id})
        cls.new_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.done_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")

    def _new(self, requested, priority, partner=None, **vals):
        values = {
            "name": f"Ticket of {requested:%d/%m %H:%M}",
            "description": "Something",
            "partner_id": (partner or self.client_a_contact).id,
            "team_id": self.team.id,
            "stage_id": self.new_stage.id,
            "itsm_request_date": requested,
            "priority": priority,
        }
        values.update(vals)
        with freeze_time(requested):
            return self.env["helpdesk.ticket"].create(values)

    def _close(self, ticket, when):
        with freeze_time(when):
            ticket.stage_id = self.done_stage

    def _assisted_ticket(self):
        """A P3 call of Monday 16 November with its assistance form filled and two remote interventions."""
        ticket = self._new(
            datetime(2026, 11, 16, 8, 30),
            "1",
            itsm_site="Lyon, 2nd floor",
            itsm_equipment="PC-0042 laptop",
            itsm_requester_phone="+33 4 72 00 00 01",
            itsm_diagnosis="Outlook profile corrupted",
            itsm_actions="Profile rebuilt, mailbox resynchronised",
        )
        self._log(datetime(2026, 11, 16, 9, 0), 1.25, ticket=ticket, name="Profile rebuilt")
        self._log(datetime(2026, 11, 16, 13, 0), 2.0, ticket=ticket, name="Mailbox resynchronised")
        return ticket

    def _november_tm_sheet(self):
        """Client B's time-and-material activity sheet of November: one remote hour, one full day on site."""
        tm_contract = self.env["itsm.contract"].create(
            {
                "partner_id": self.client_b.id,
                "contract_type": "time_material",
                "state": "active",
                "date_start": date(2026, 1, 1),
                "hourly_rate": 60.0,
                "day_rate": 300.0,
                "calendar_id": self.calendar.id,
            }
        )
        ticket = self._ticket(datetime(2026, 11, 2, 9, 0), partner=self.client_b)
        self._log(datetime(2026, 11, 16, 9, 0), 1.0, ticket=ticket, name="Printer")
        self._log(datetime(2026, 11, 17, 8, 0), 8.0, ticket=ticket, name="Migration", itsm_mode="onsite",
                  itsm_onsite_span="full_day")  # fmt: skip
        sheet = self.env["itsm.activity.sheet"].create(
            {"contract_id": tm_contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        sheet.action_collect()
        return sheet

    def _november_tickets(self):
        """t1 P3 closed in time; t2 P3 answered late, still open; t3 P1 closed late; t4 in December; t5 no contract."""
        t1 = self._new(datetime(2026, 11, 16, 8, 0), "1")
        self._close(t1, datetime(2026, 11, 16, 9, 0))
        t2 = self._new(datetime(2026, 11, 16, 8, 0), "1")
        t2._itsm_evaluate_sla(now=datetime(2026, 11, 16, 13, 0))  # response due at 12:00
        t3 = self._new(datetime(2026, 11, 18, 10, 0), "3")
        self._close(t3, datetime(2026, 11, 18, 16, 0))  # response due 11:00, resolution 14:00
        t4 = self._new(datetime(2026, 12, 1, 10, 0), "1")
        t5 = self._new(datetime(2026, 11, 17, 10, 0), "1", partner=self.client_b)
        return t1, t2, t3, t4, t5


@tagged("post_install", "-at_install")
class TestSlaComplianceFigures(ReportCase):
    def test_figures_by_kind_and_priority(self):
        t1, t2, t3, t4, t5 = self._november_tickets()
        self.assertEqual((t2.itsm_response_breached, t2.itsm_resolution_breached), (True, False))
        self.assertEqual((t3.itsm_response_breached, t3.itsm_resolution_breached), (True, True))
        report = self.env["report.itsm_service_contract.report_itsm_sla_compliance"]
        with freeze_time("2026-12-05 10:00:00"):
            values = report._get_report_values(self.contract.ids, data=NOVEMBER)
        fig = values["figures"][self.contract.id]
        # Every target whose deadline lies in November, judged on 5 December (worked out by hand):
        # fixture ticket, P3 requested Mon 9 Nov 09:00: response due 9 Nov 14:00, resolution 10 Nov 17:00, never
        #   answered nor closed: both missed although nobody flagged them (the scan never ran on it);
        # t1, P3 16 Nov 08:00, answered and closed 09:00: both met (due 12:00 and 17 Nov 16:00);
        # t2, P3 16 Nov 08:00, open and unanswered: both missed (the resolution fell due on 17 Nov 16:00);
        # t3, P1 18 Nov 10:00, closed 16:00: response due 11:00 and resolution due 14:00 both missed.
        self.assertEqual(fig["tickets"], self.ticket | t1 | t2 | t3, "December and other clients' tickets are out")
        rows = [
            (r["kind"], r["priority"], r["tickets"], r["response_met"], r["response_due"], r["resolution_met"])
            for r in fig["rows"]
        ]
        self.assertEqual(rows, [("Incident", "P1 - Critical", 1, 0, 1, 0), ("Incident", "P3 - Normal", 3, 1, 3, 1)])
        self.assertEqual([r["resolution_due"] for r in fig["rows"]], [1, 3])
        self.assertEqual([r["rule"].response_hours for r in fig["rows"]], [1.0, 4.0])
        self.assertEqual((fig["response_met"], fig["response_due"], fig["response_pct"]), (1, 4, 25.0))
        self.assertEqual((fig["resolution_met"], fig["resolution_due"], fig["resolution_pct"]), (1, 4, 25.0))
        self.assertEqual(fig["breached"], self.ticket | t2 | t3)
        self.assertEqual(fig["pending"], 2, "t2 and the fixture's ticket are still open")
        self.assertNotIn(t4, fig["tickets"])
        self.assertNotIn(t5, fig["tickets"])

    def test_targets_not_due_yet_are_left_out(self):
        self._november_tickets()
        report = self.env["report.itsm_service_contract.report_itsm_sla_compliance"]
        # on 17 November at 12:00, t2's resolution (due 17 Nov 16:00) is not judged yet; its response is (missed)
        with freeze_time("2026-11-17 12:00:00"):
            fig = report._get_report_values(self.contract.ids, data=NOVEMBER)["figures"][self.contract.id]
        p3 = next(row for row in fig["rows"] if row["priority"] == "P3 - Normal")
        self.assertEqual((p3["response_met"], p3["response_due"]), (1, 3))
        self.assertEqual((p3["resolution_met"], p3["resolution_due"]), (1, 2), "t1 met, the fixture's ticket missed")

    def test_a_period_with_nothing_due_shows_no_percentage(self):
        self._november_tickets()
        report = self.env["report.itsm_service_contract.report_itsm_sla_compliance"]
        with freeze_time("2026-12-05 10:00:00"):
            data = {"date_from": "2026-09-01", "date_to": "2026-09-30"}
            fig = report._get_report_values(self.contract.ids, data=data)["figures"][self.contract.id]
            html = self.env["ir.actions.report"]._render_qweb_html(SLA_REPORT, self.contract.ids, data=data)[0]
        self.assertEqual((fig["response_due"], fig["response_pct"]), (0, None))
        self.assertEqual((fig["resolution_due"], fig["resolution_pct"]), (0, None))
        self.assertIn("—", html.decode())
        self.assertNotIn("100.0 %", html.decode())

    def test_wizard_defaults_to_last_month_and_refuses_reversed_period(self):
        with freeze_time("2026-12-05 10:00:00"):
            wizard = self.env["itsm.sla.report.wizard"].create({"contract_id": self.contract.id})
        self.assertEqual((wizard.date_from, wizard.date_to), (date(2026, 11, 1), date(2026, 11, 30)))
        action = wizard.action_print()
        if action["type"] == "ir.actions.act_window":  # no document layout chosen yet: Odoo asks for one first
            action = action["context"]["report_action"]
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], "itsm_service_contract.report_itsm_sla_compliance")
        self.assertEqual(action["data"], NOVEMBER)
        with self.assertRaisesRegex(ValidationError, "cannot end"):
            wizard.date_to = date(2026, 10, 31)

    def test_contract_button_opens_the_wizard(self):
        action = self.contract.with_user(self.account_manager).action_print_sla_report()
        self.assertEqual(action["res_model"], "itsm.sla.report.wizard")
        self.assertEqual(action["context"]["default_contract_id"], self.contract.id)


@tagged("post_install", "-at_install")
class TestReportPdf(ReportCase, HttpCase):
    """The reports rendered by wkhtmltopdf (an HttpCase: it fetches the assets from the server)."""

    def _pdf(self, report, ids, data=None):
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf(report, ids, data=data)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        return PdfFileReader(io.BytesIO(pdf), strict=False)

    def _footers(self, reader):
        return [reader.getPage(i).extractText() for i in range(reader.getNumPages())]

    def test_sla_report(self):
        t1, t2, t3, t4, _t5 = self._november_tickets()
        with freeze_time("2026-12-05 10:00:00"):
            html = self.env["ir.actions.report"]._render_qweb_html(SLA_REPORT, self.contract.ids, data=NOVEMBER)[0]
        html = html.decode()
        self.assertIn("SLA compliance report", html)
        for ticket in (t2, t3):
            self.assertIn(ticket.number, html, "breached tickets are listed")
        self.assertNotIn(t1.number, html, "a ticket that met its targets is not listed")
        self.assertNotIn(t4.number, html)
        self.assertIn("25.0 %", html)  # 1 of 4 responses, 1 of 4 resolutions in time (see the figures test)
        self.assertIn("33.3 %", html)  # the P3 row
        reader = self._pdf(SLA_REPORT, self.contract.ids, NOVEMBER)
        self.assertEqual(reader.getNumPages(), 1, "no empty page")
        if not wkhtmltopdf_draws_headers():
            self.assertIn("Page 1 / 1", self._footers(reader)[0])

    def test_assistance_form(self):
        ticket = self._assisted_ticket()
        self.assertEqual(ticket.itsm_credit_hours, 3.25, "remote time within working hours: as spent")
        html = self.env["ir.actions.report"]._render_qweb_html(ASSISTANCE_FORM, ticket.ids)[0].decode()
        for text in (
            "User assistance form",
            ticket.number,
            "Lyon, 2nd floor",
            "PC-0042 laptop",
            "+33 4 72 00 00 01",
            "Outlook profile corrupted",
            "Profile rebuilt, mailbox resynchronised",
            "Mailbox resynchronised",
            "03:15",  # 1 h 15 + 2 h
            "3.25",
        ):
            self.assertIn(text, html)

    def test_each_document_numbered_from_its_first_page(self):
        tickets = self._new(datetime(2026, 11, 16, 8, 30), "1") | self._new(datetime(2026, 11, 17, 8, 30), "1")
        reader = self._pdf(ASSISTANCE_FORM, tickets.ids)
        self.assertEqual(reader.getNumPages(), 2)
        if not wkhtmltopdf_draws_headers():
            footers = self._footers(reader)
            self.assertIn("Page 1 / 1", footers[0])
            self.assertIn("Page 1 / 1", footers[1])
            self.assertIn(self.env.company.name, footers[0])

    def test_amendment_and_activity_sheet_render(self):
        """The recharge quotation printed as an amendment, and the time-and-material activity sheet."""
        quote = self.env["sale.order"].browse(self.contract.action_recharge()["res_id"])
        html = self.env["ir.actions.report"]._render_qweb_html("sale.action_report_saleorder", quote.ids)[0].decode()
        self.assertIn("Amendment no. <span>1</span>", html)
        reader = self._pdf("sale.action_report_saleorder", quote.ids)
        self.assertEqual(reader.getNumPages(), 1)
        sheet = self._november_tm_sheet()
        reader = self._pdf("itsm_service_contract.action_report_activity_sheet", sheet.ids)
        self.assertEqual(reader.getNumPages(), 1, "no empty page")
        if not wkhtmltopdf_draws_headers():
            self.assertIn("Page 1 / 1", self._footers(reader)[0])
