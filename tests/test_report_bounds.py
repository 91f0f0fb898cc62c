"""What a client can ask the server to render is bounded (issue 14 §8): the user assistance form lists the last
50 interventions with the totals of all, and a PDF beyond the content budget is refused with a message instead
of being rendered, on the portal and in the backend."""

from datetime import date
from datetime import datetime
from datetime import timedelta

from odoo.exceptions import UserError
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase

ASSISTANCE_FORM = "itsm_service_contract.action_report_itsm_assistance_form"
STATEMENT = "itsm_service_contract.action_report_itsm_statement"


@tagged("post_install", "-at_install")
class TestReportBounds(ItsmInterventionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # 60 remote quarter hours in working hours (Mon 16 Nov 2026 onwards, 08:00-12:00 UTC): 0.25 h each
        first = datetime(2026, 11, 16, 8, 0)
        cls.env["account.analytic.line"].create(
            [
                {
                    "name": f"Step {index:02d}",
                    "ticket_id": cls.ticket.id,
                    "project_id": cls.project.id,
                    "employee_id": cls.employee.id,
                    "date_time": first + timedelta(days=index // 12, minutes=(index % 12) * 20),
                    "unit_amount": 0.25,
                }
                for index in range(60)
            ]
        )

    def test_assistance_form_lists_the_last_fifty_with_all_totals(self):
        lines, count = self.ticket._itsm_form_lines()
        self.assertEqual((len(lines), count), (50, 60))
        self.assertEqual(lines[0].name, "Step 10", "the oldest ten are left out, the rest oldest first")
        self.assertEqual(lines[-1].name, "Step 59")
        html = self.env["ir.actions.report"]._render_qweb_html(ASSISTANCE_FORM, self.ticket.ids)[0].decode()
        self.assertIn("The last 50 of 60 interventions", html)
        self.assertIn("Step 59", html)
        self.assertNotIn("Step 09", html)
        # totals of all sixty, worked out by hand: 60 x 0.25 h, no surcharge inside working hours
        self.assertAlmostEqual(self.ticket.total_hours, 15.0, places=2)
        self.assertAlmostEqual(self.ticket.itsm_credit_hours, 15.0, places=2)
        self.assertIn(">15.00<", html)

    def test_pdf_beyond_the_budget_is_refused_with_a_message(self):
        statement = self.env["itsm.statement"].create(
            {"contract_id": self.contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        statement.action_issue()
        self.env["ir.config_parameter"].set_param("itsm_service_contract.pdf_html_budget", "2000")
        with self.assertRaisesRegex(UserError, "Time credit statement is too large to print at once"):
            self.env["ir.actions.report"].with_context(force_report_rendering=True)._render_qweb_pdf(
                STATEMENT, statement.ids
            )
        self.authenticate("itsm_portal_a", "itsm_portal_a")
        response = self.url_open(f"/my/statements/{statement.id}")
        self.assertEqual(response.status_code, 413)
        self.assertFalse(response.content.startswith(b"%PDF"))
        self.assertIn("too large to print at once", response.text)
        # within the budget, the same document downloads
        self.env["ir.config_parameter"].set_param("itsm_service_contract.pdf_html_budget", "")
        self.assertEqual(self.url_open(f"/my/statements/{statement.id}").status_code, 200)
