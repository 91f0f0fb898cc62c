from datetime import datetime

from lxml import html

import odoo
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestPortalScale(ItsmInterventionCase, HttpCase):
    """The contract page costs the same SQL queries with 10 interventions and with 1 000.

    Both contracts belong to client A and have their interventions on the same three tickets over the same ten
    months of 2026: only the length of their history differs.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tickets = cls.ticket | cls._ticket(datetime(2026, 1, 5, 9, 0)) | cls._ticket(datetime(2026, 1, 6, 9, 0))
        cls.small = cls._history_contract(10)
        cls.large = cls._history_contract(1000)

    @classmethod
    def _history_contract(cls, count):
        """A running prepaid contract of client A with ``count`` interventions, created in one batch."""
        env = cls.env(context=dict(cls.env.context, tracking_disable=True, mail_notrack=True))
        contract = env["itsm.contract"].create(
            {"partner_id": cls.client_a.id, "state": "active", "overdraft_policy": "allow", "date_start": "2026-01-01"}
        )
        env["itsm.credit.move"].with_context(itsm_ledger_post=True).create(
            {
                "contract_id": contract.id,
                "move_type": "purchase",
                "hours": 100000,
                "name": "History credit",
                "date": "2026-01-01",
            }
        )
        env["account.analytic.line"].create(
            [
                {
                    "name": f"Call {i}",
                    "ticket_id": cls.tickets[i % 3].id,
                    "itsm_contract_id": contract.id,
                    "project_id": cls.project.id,
                    "employee_id": cls.employee.id,
                    "date_time": datetime(2026, 1 + i % 10, 1 + i % 28, 10, 0),
                    "unit_amount": 0.5,
                }
                for i in range(count)
            ]
        )
        env.flush_all()
        return contract

    def setUp(self):
        super().setUp()
        self.authenticate("itsm_portal_a", "itsm_portal_a")

    def _get(self, url):
        """The page at ``url`` and the SQL queries the server ran for it (the server runs in this process)."""
        before = odoo.sql_db.sql_counter
        response = self.url_open(url)
        count = odoo.sql_db.sql_counter - before
        self.assertEqual(response.status_code, 200, url)
        return response, count

    def test_same_queries_whatever_the_history(self):
        for contract in (self.small, self.large):  # warm the caches of a first request on either page
            self._get(f"/my/contracts/{contract.id}")
        counts = {}
        for contract in (self.small, self.large):
            response, counts[contract] = self._get(f"/my/contracts/{contract.id}")
            self.assertIn(contract.name, response.text)
            page = html.fromstring(response.content)
            # the filter choices, computed here from the dates and tickets the fixture used
            months = page.xpath("//select[@name='month']/option/@value")
            self.assertEqual(months, [""] + [f"2026-{month:02d}" for month in range(10, 0, -1)])
            tickets = page.xpath("//select[@name='ticket']/option/@value")
            self.assertEqual(sorted(tickets), sorted(["", *(str(ticket.id) for ticket in self.tickets)]))
            rows = page.xpath("//table[contains(@class, 'itsm_portal_interventions')]/tbody/tr")
            self.assertEqual(len(rows), {self.small: 10, self.large: 20}[contract])
        self.assertEqual(counts[self.small], counts[self.large], "the page reads no more with 1 000 interventions")

    def test_pages_and_filters_of_a_long_history(self):
        contract = self.large
        url = f"/my/contracts/{contract.id}"
        # October: interventions 9, 19, ... 999, i.e. 100; on the first ticket, one in three of them
        october = [i for i in range(1000) if i % 10 == 9]
        on_ticket = [i for i in october if i % 3 == 0]
        response, _count = self._get(f"{url}?month=2026-10&ticket={self.ticket.id}")
        page = html.fromstring(response.content)
        rows = page.xpath("//table[contains(@class, 'itsm_portal_interventions')]/tbody/tr")
        self.assertEqual(len(rows), 20)
        self.assertEqual(page.xpath("//select[@name='month']/option[@selected]/@value"), ["2026-10"])
        self.assertEqual(page.xpath("//select[@name='ticket']/option[@selected]/@value"), [str(self.ticket.id)])
        last_page = -(-len(on_ticket) // 20)
        links = page.xpath("//div[contains(@class, 'o_portal_pager')]//a/@href")
        self.assertIn(f"{url}?month=2026-10&ticket={self.ticket.id}&page={last_page}", links)
        response, _count = self._get(f"{url}?month=2026-10&ticket={self.ticket.id}&page={last_page}")
        page = html.fromstring(response.content)
        rows = page.xpath("//table[contains(@class, 'itsm_portal_interventions')]/tbody/tr")
        self.assertEqual(len(rows), len(on_ticket) - 20 * (last_page - 1))
        # the ledger: the purchase and one move per intervention, 50 a page, its own page parameter
        moves = 1 + 1000
        response, _count = self._get(f"{url}?page=2")
        page = html.fromstring(response.content)
        ledger_links = page.xpath("//div[contains(@class, 'itsm_portal_ledger_pager')]//a/@href")
        self.assertIn(f"{url}?page=2&ledger_page=2", ledger_links)
        response, _count = self._get(f"{url}?page=2&ledger_page={-(-moves // 50)}")
        page = html.fromstring(response.content)
        ledger_rows = page.xpath("//h4[text()='Ledger']/following-sibling::div[1]//tbody/tr")
        self.assertEqual(len(ledger_rows), moves - 50 * (moves // 50))
        self.assertEqual(ledger_rows[-1].xpath("string(td[3])").strip(), "History credit")
        # the interventions pager keeps the ledger's page, and its filters
        links = page.xpath("//div[contains(@class, 'o_portal_pager')][not(contains(@class, 'ledger'))]//a/@href")
        self.assertIn(f"{url}?ledger_page={-(-moves // 50)}", links)
        # a date before the contract's history and a ticket of no intervention: no filter
        response, _count = self._get(f"{url}?month=2025-01&ticket={self.ticket.id + 1000}")
        page = html.fromstring(response.content)
        self.assertFalse(page.xpath("//select[@name='month']/option[@selected]"))
        self.assertFalse(page.xpath("//select[@name='ticket']/option[@selected]"))
