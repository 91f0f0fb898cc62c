from datetime import date
from datetime import datetime

from odoo import http
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestPortal(ItsmInterventionCase, HttpCase):
    """Client A's portal user against client A's and client B's records."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract_b = cls._buy_class(cls.client_b, cls.monthly, date(2026, 11, 2))
        cls.line = cls._log_class(datetime(2026, 11, 9, 10, 0), 65 / 60)
        cls.statement_b = cls.env["itsm.statement"].create(
            {"contract_id": cls.contract_b.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        cls.statement_b.action_issue()

    @classmethod
    def _log_class(cls, start, hours):
        return cls.env["account.analytic.line"].create(
            {
                "name": "Backup check",
                "ticket_id": cls.ticket.id,
                "project_id": cls.project.id,
                "employee_id": cls.employee.id,
                "date_time": start,
                "unit_amount": hours,
            }
        )

    def setUp(self):
        super().setUp()
        self.authenticate("itsm_portal_a", "itsm_portal_a")

    def test_owner_sees_contract_balance_and_interventions(self):
        listing = self.url_open("/my/contracts")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(self.contract.name, listing.text)
        self.assertNotIn(self.contract_b.name, listing.text)
        page = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertEqual(page.status_code, 200)
        # 210 h bought, 1 h 05 remote counted 1 h 15: 208.75 h left
        self.assertIn("208.75", page.text)
        self.assertIn("1.25", page.text)
        self.assertIn(self.line.itsm_surcharge_detail, page.text)
        home = self.url_open("/my/home")
        self.assertIn("/my/contracts", home.text)

    def test_other_client_gets_nothing(self):
        for url in (
            f"/my/contracts/{self.contract_b.id}",
            f"/my/contracts/{self.contract_b.id}?access_token=tampered",
            f"/my/statements/{self.statement_b.id}",
            f"/my/statements/{self.statement_b.id}?access_token=tampered",
        ):
            response = self.url_open(url)
            self.assertNotIn(self.contract_b.name, response.text, url)
            self.assertFalse(response.content.startswith(b"%PDF"), url)
            self.assertTrue(response.url.endswith("/my") or response.status_code in (403, 404), url)
        recharge = self.url_open(
            f"/my/contracts/{self.contract_b.id}/recharge", data={"csrf_token": http.Request.csrf_token(self)}
        )
        self.assertTrue(recharge.url.endswith("/my"))
        self.assertFalse(
            self.env["sale.order"].search([("itsm_contract_id", "=", self.contract_b.id), ("state", "=", "draft")])
        )

    def test_bad_ids_and_pages(self):
        self.assertEqual(self.url_open("/my/contracts/abc").status_code, 404)
        self.assertEqual(self.url_open("/my/contracts/999999999").url.rsplit("/", 1)[-1], "my")
        for query in ("page=-3", "page=99999999999", "page=x", "month=2026-13", "ticket=abc", "ticket=-1"):
            response = self.url_open(f"/my/contracts/{self.contract.id}?{query}")
            self.assertEqual(response.status_code, 200, query)
            self.assertIn(self.contract.name, response.text)

    def test_statement_of_own_contract_downloads(self):
        statement = self.env["itsm.statement"].create(
            {"contract_id": self.contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        draft = self.url_open(f"/my/statements/{statement.id}")
        self.assertFalse(draft.content.startswith(b"%PDF"), "a draft is not published")
        statement.action_issue()
        page = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertIn(f"/my/statements/{statement.id}", page.text)
        response = self.url_open(f"/my/statements/{statement.id}")
        self.assertEqual(response.status_code, 200)
        self.assertIn(response.headers["Content-Type"], ("application/pdf", "text/html; charset=utf-8"))

    def test_portal_tour_opens_contract_and_downloads_statement(self):
        """In Chromium: portal home, contract list, contract page, statement download."""
        statement = self.env["itsm.statement"].create(
            {"contract_id": self.contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        statement.action_issue()
        self.start_tour("/my", "itsm_portal_contract_tour", login="itsm_portal_a")

    def test_assistance_form_of_own_ticket_only(self):
        self.ticket.itsm_site = "Lyon, 2nd floor"
        page = self.url_open(f"/my/ticket/{self.ticket.id}")
        self.assertIn(f"/my/ticket/{self.ticket.id}/assistance-form", page.text)
        own = self.url_open(f"/my/ticket/{self.ticket.id}/assistance-form")
        self.assertEqual(own.status_code, 200)
        self.assertIn(own.headers["Content-Type"], ("application/pdf", "text/html; charset=utf-8"))
        self.assertIn("attachment", own.headers.get("Content-Disposition", ""))
        other_ticket = self._ticket(datetime(2026, 11, 9, 9, 0), partner=self.client_b)
        other = self.url_open(f"/my/ticket/{other_ticket.id}/assistance-form")
        self.assertNotIn("attachment", other.headers.get("Content-Disposition", ""))
        self.assertNotIn(other_ticket.number, other.text)
        self.assertTrue(other.url.endswith("/my"), "another client's ticket: back to the portal home")

    def test_recharge_request_creates_one_quotation(self):
        Order = self.env["sale.order"]
        domain = [("itsm_contract_id", "=", self.contract.id), ("state", "=", "draft")]
        self.assertFalse(Order.search(domain))
        first = self.url_open(
            f"/my/contracts/{self.contract.id}/recharge", data={"csrf_token": http.Request.csrf_token(self)}
        )
        self.assertIn("Your recharge request has been sent", first.text)
        second = self.url_open(
            f"/my/contracts/{self.contract.id}/recharge", data={"csrf_token": http.Request.csrf_token(self)}
        )
        self.assertIn("already being prepared", second.text)
        orders = Order.search(domain)
        self.assertEqual(len(orders), 1)
        self.assertEqual(orders.partner_id, self.client_a)
        self.assertEqual(orders.order_line.product_id, self.annual)
        self.assertTrue(self.contract.activity_ids.filtered(lambda a: a.summary == "Recharge requested by the client"))

    def test_recharge_refused_on_expired_contract(self):
        self.contract.state = "expired"
        response = self.url_open(
            f"/my/contracts/{self.contract.id}/recharge", data={"csrf_token": http.Request.csrf_token(self)}
        )
        self.assertIn("can no longer be recharged online", response.text)
        self.assertFalse(
            self.env["sale.order"].search([("itsm_contract_id", "=", self.contract.id), ("state", "=", "draft")])
        )

    def test_ticket_shows_service_level(self):
        page = self.url_open(f"/my/ticket/{self.ticket.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("itsm_portal_ticket_sla", page.text)
        self.assertIn("Response due", page.text)
        listing = self.url_open("/my/tickets")
        self.assertIn("Service level", listing.text)
