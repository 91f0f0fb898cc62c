"""The client's estate and MCO reports on the portal: its own, never another client's."""

from datetime import date

from odoo import http
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestEstatePortal(ItsmInterventionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Equipment = cls.env["maintenance.equipment"]
        cls.mine = Equipment.create(
            {"name": "Alice's laptop", "itsm_partner_id": cls.client_a.id, "itsm_hostname": "pc-alice-0042"}
        )
        cls.theirs = Equipment.create(
            {"name": "Lawyer's laptop", "itsm_partner_id": cls.client_b.id, "itsm_hostname": "pc-lawyer-0666"}
        )
        cls.contract_b = cls._buy_class(cls.client_b, cls.monthly, date(2026, 11, 2))
        template = cls.env.ref("itsm_service_contract.mco_template_standard")
        (cls.contract | cls.contract_b).write({"mco_template_id": template.id, "mco_interval": "monthly"})
        reports = cls.env["itsm.mco.report"]._cron_itsm_plan_mco(today=date(2026, 11, 20))
        for report in reports:
            report.line_ids.result = "ok"
            report.action_done()
        reports.with_context(force_report_rendering=False).action_send()
        cls.report_a = reports.filtered(lambda r: r.contract_id == cls.contract)
        cls.report_b = reports.filtered(lambda r: r.contract_id == cls.contract_b)
        cls._portal_client_b(email=False)

    def setUp(self):
        super().setUp()
        self.authenticate("itsm_portal_a", "itsm_portal_a")

    def test_estate_page_lists_only_the_clients_machines(self):
        page = self.url_open("/my/estate")
        self.assertEqual(page.status_code, 200)
        self.assertIn("pc-alice-0042", page.text)
        self.assertNotIn("pc-lawyer-0666", page.text)
        self.authenticate("itsm_portal_b", "itsm_portal_b")
        page = self.url_open("/my/estate")
        self.assertIn("pc-lawyer-0666", page.text)
        self.assertNotIn("pc-alice-0042", page.text)

    def test_contract_page_links_estate_and_mco_report(self):
        page = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn('href="/my/estate"', page.text)
        self.assertIn(f"/my/mco/{self.report_a.id}", page.text)
        self.assertNotIn(f"/my/mco/{self.report_b.id}", page.text)

    def test_mco_report_of_another_client_redirects(self):
        response = self.url_open(f"/my/mco/{self.report_b.id}", allow_redirects=False)
        self.assertIn(response.status_code, (302, 303))
        self.assertTrue(response.headers["Location"].endswith("/my"))
        own = self.url_open(f"/my/mco/{self.report_a.id}")
        self.assertEqual(own.status_code, 200)
        self.assertNotIn("pc-lawyer", own.text)

    def test_mco_report_page_with_its_pdf(self):
        """Issue 25: an MCO report is a portal page (its checks, its results) with a link to its PDF."""
        page = self.url_open(f"/my/mco/{self.report_a.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("text/html", page.headers["Content-Type"])
        for line in self.report_a.line_ids:
            self.assertIn(line.check_name, page.text)
        self.assertIn(f'href="/my/mco/{self.report_a.id}/pdf', page.text)
        pdf = self.url_open(f"/my/mco/{self.report_a.id}/pdf")
        self.assertEqual(pdf.status_code, 200)
        # in test mode Odoo renders the report's HTML instead of the PDF
        self.assertIn(pdf.headers["Content-Type"], ("application/pdf", "text/html; charset=utf-8"))
        self.assertIn("attachment", pdf.headers.get("Content-Disposition", ""))
        # another client's report: neither its page nor its PDF
        for url in (f"/my/mco/{self.report_b.id}", f"/my/mco/{self.report_b.id}/pdf"):
            with self.subTest(url=url):
                response = self.url_open(url, allow_redirects=False)
                self.assertIn(response.status_code, (302, 303))
                self.assertTrue(response.headers["Location"].endswith("/my"))

    def test_ticket_form_offers_own_machines_and_refuses_others(self):
        form = self.url_open("/new/ticket")
        self.assertIn("pc-alice-0042", form.text)
        self.assertNotIn("pc-lawyer-0666", form.text)
        Ticket = self.env["helpdesk.ticket"]
        count = Ticket.search_count([])
        values = {"csrf_token": http.Request.csrf_token(self), "subject": "Laptop", "description": "Slow"}
        for bad in (str(self.theirs.id), "abc", "99999999"):
            response = self.url_open("/submitted/ticket", data={**values, "itsm_equipment_id": bad})
            self.assertEqual(response.status_code, 400, bad)
            self.assertIn("not one of your company", response.text)
        self.assertEqual(Ticket.search_count([]), count)
        response = self.url_open("/submitted/ticket", data={**values, "itsm_equipment_id": str(self.mine.id)})
        self.assertEqual(response.status_code, 200)
        self.assertEqual(Ticket.search([], order="id desc", limit=1).itsm_equipment_id, self.mine)
