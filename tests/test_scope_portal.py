from datetime import date

from odoo import http
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestScopePortal(ItsmInterventionCase, HttpCase):
    """Client A's portal user: the contract's scope on its page, the domain on the ticket form."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.team_n2 = cls.env["helpdesk.ticket.team"].create({"name": "Level 2 systems"})
        cls.contract.write({"n1_team_id": cls.team.id, "n2_team_id": cls.team_n2.id})
        cls.contract.action_itsm_scope_from_seed()
        cls.business_apps = cls.env.ref("itsm_service_contract.service_domain_business_apps")
        cls.servers = cls.env.ref("itsm_service_contract.service_domain_servers")
        cls.contract.scope_ids.filtered(lambda s: s.domain_id == cls.business_apps).write(
            {"coverage": "excluded", "team_id": False}
        )
        cls.contract_b = cls._buy_class(cls.client_b, cls.monthly, date(2026, 11, 2))

    def setUp(self):
        super().setUp()
        self.authenticate("itsm_portal_a", "itsm_portal_a")

    def _post_ticket(self, **data):
        values = {"csrf_token": http.Request.csrf_token(self), "subject": "Printer jam", "description": "Jammed"}
        values.update(data)
        return self.url_open("/submitted/ticket", data=values)

    def test_contract_page_shows_what_we_cover(self):
        page = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("What we cover", page.text)
        self.assertIn('data-domain="workstation"', page.text)
        self.assertIn("Resolved by our help desk", page.text)
        self.assertIn("Routed to Level 2 systems", page.text)
        self.assertIn("Not covered", page.text)
        self.assertIn("billed by time", page.text)

    def test_ticket_form_offers_domains(self):
        form = self.url_open("/new/ticket")
        self.assertEqual(form.status_code, 200)
        self.assertIn('name="itsm_domain"', form.text)
        self.assertIn("Servers", form.text)

    def test_ticket_with_domain_is_routed(self):
        Ticket = self.env["helpdesk.ticket"]
        before = Ticket.search([])
        response = self._post_ticket(itsm_domain=str(self.servers.id))
        self.assertEqual(response.status_code, 200)
        ticket = Ticket.search([]) - before
        self.assertEqual(len(ticket), 1)
        self.assertEqual(ticket.itsm_domain_id, self.servers)
        self.assertEqual(ticket.itsm_contract_id, self.contract)
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n2, "2"))

    def test_ticket_form_refuses_foreign_contract_and_unknown_domain(self):
        Ticket = self.env["helpdesk.ticket"]
        count = Ticket.search_count([])
        archived = self.env["itsm.service.domain"].create({"name": "Legacy", "code": "legacy", "active": False})
        for data, message in (
            ({"itsm_contract": str(self.contract_b.id)}, "not one of your company"),
            ({"itsm_contract": "abc"}, "not one of your company"),
            ({"itsm_domain": "999999"}, "does not exist"),
            ({"itsm_domain": str(archived.id)}, "does not exist"),
            ({"itsm_domain": "servers"}, "does not exist"),
        ):
            response = self._post_ticket(**data)
            self.assertEqual(response.status_code, 400, data)
            self.assertIn(message, response.text, data)
        self.assertEqual(Ticket.search_count([]), count)

    def test_ticket_in_refused_domain_is_not_created(self):
        self.contract.out_of_scope_policy = "refuse"
        Ticket = self.env["helpdesk.ticket"]
        count = Ticket.search_count([])
        response = self._post_ticket(itsm_domain=str(self.business_apps.id))
        self.assertEqual(response.status_code, 400)
        self.assertIn("Business applications", response.text)
        self.assertEqual(Ticket.search_count([]), count)
