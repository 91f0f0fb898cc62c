from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestKbPortal(ItsmInterventionCase, HttpCase):
    """Client A's portal user: published scenarios only, its own company's problems only."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo's scenarios (demo data installed) stay out of the rankings checked here
        cls.env["document.page"].search([("itsm_is_scenario", "=", True)]).active = False
        Page = cls.env["document.page"]
        cls.published = Page.create(
            {
                "name": "Imprimante réseau hors ligne",
                "itsm_is_scenario": True,
                "itsm_symptoms": "L'imprimante apparaît hors ligne",
                "content": "<p>Redémarrer le spouleur d'impression.</p>",
                "itsm_portal_published": True,
            }
        )
        cls.draft = Page.create(
            {
                "name": "Imprimante hors ligne : procédure interne",
                "itsm_is_scenario": True,
                "itsm_symptoms": "imprimante hors ligne",
                "content": "<p>Mot de passe administrateur de l'imprimante : SECRET-42</p>",
            }
        )
        Problem = cls.env["itsm.problem"]
        cls.problem_a = Problem.create(
            {"partner_id": cls.client_a.id, "title": "Printer offline", "workaround": "Use the 1st floor printer"}
        )
        cls.problem_b = Problem.create(
            {"partner_id": cls.client_b.id, "title": "Mail down", "workaround": "B-ONLY-WORKAROUND"}
        )

    def setUp(self):
        super().setUp()
        self.authenticate("itsm_portal_a", "itsm_portal_a")

    def test_suggest_route_published_only(self):
        response = self.url_open("/my/itsm/kb/suggest?q=imprimantes%20hors%20ligne")
        self.assertEqual(response.status_code, 200)
        self.assertEqual(
            response.json(),
            [{"id": self.published.id, "title": self.published.name, "url": f"/my/itsm/kb/{self.published.id}"}],
        )
        for query in ("", "%22%27%21%26%7C", "x" * 10000, "le%20la%20du"):
            with self.subTest(query=query[:20]):
                response = self.url_open(f"/my/itsm/kb/suggest?q={query}")
                self.assertEqual(response.status_code, 200)
                self.assertEqual(response.json(), [])

    def test_ticket_form_offers_scenarios(self):
        page = self.url_open("/new/ticket?subject=Mon%20imprimante%20est%20hors%20ligne")
        self.assertEqual(page.status_code, 200)
        self.assertIn("These steps may solve it", page.text)
        self.assertIn(f"/my/itsm/kb/{self.published.id}", page.text)
        self.assertNotIn(f"/my/itsm/kb/{self.draft.id}", page.text)
        # without a subject the box is there for the suggestions made while typing, hidden
        self.assertIn("itsm-kb-suggestions d-none", self.url_open("/new/ticket").text)

    def test_scenarios_suggested_while_typing(self):
        """Issue 25: the new-ticket form asks /my/itsm/kb/suggest as the client types (tour), with a debounce."""
        form = self.url_open("/new/ticket")
        self.assertIn('data-url="/my/itsm/kb/suggest"', form.text)
        self.start_tour("/new/ticket", "itsm_kb_suggest_tour", login="itsm_portal_a")

    def test_portal_home_links_scenarios_and_problems(self):
        """Issue 25: /my leads to the scenarios and to the problems; the scenario list shows the published ones."""
        home = self.url_open("/my")
        self.assertEqual(home.status_code, 200)
        self.assertIn('href="/my/itsm/kb"', home.text)
        self.assertIn('href="/my/itsm/problems"', home.text)
        listing = self.url_open("/my/itsm/kb")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(f'href="/my/itsm/kb/{self.published.id}"', listing.text)
        self.assertNotIn(f"/my/itsm/kb/{self.draft.id}", listing.text)
        found = self.url_open("/my/itsm/kb?search=imprimante%20hors%20ligne")
        self.assertIn(f'href="/my/itsm/kb/{self.published.id}"', found.text)
        self.assertNotIn("procédure interne", found.text)
        self.assertIn("No scenario found", self.url_open("/my/itsm/kb?search=serveur%20messagerie").text)

    def test_article_pages(self):
        page = self.url_open(f"/my/itsm/kb/{self.published.id}")
        self.assertEqual(page.status_code, 200)
        self.assertIn("Redémarrer le spouleur", page.text)
        refused = self.url_open(f"/my/itsm/kb/{self.draft.id}", allow_redirects=False)
        self.assertIn(refused.status_code, (302, 303, 403))
        self.assertNotIn("SECRET-42", self.url_open(f"/my/itsm/kb/{self.draft.id}").text)
        self.assertIn(self.url_open("/my/itsm/kb/999999", allow_redirects=False).status_code, (302, 303, 403, 404))

    def test_problems_isolation(self):
        page = self.url_open("/my/itsm/problems")
        self.assertEqual(page.status_code, 200)
        self.assertIn(self.problem_a.name, page.text)
        self.assertIn("Use the 1st floor printer", page.text)
        self.assertNotIn("B-ONLY-WORKAROUND", page.text)
        self.assertNotIn(self.problem_b.name, page.text)
        portal_env = self.env(user=self.portal_user_a)
        self.assertEqual(portal_env["itsm.problem"].search([]), self.problem_a)
        self.assertEqual(portal_env["document.page"].search([("itsm_is_scenario", "=", True)]), self.published)
