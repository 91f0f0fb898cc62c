from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ItsmInterventionCase


class KnowledgeCase(ItsmInterventionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo's scenarios (demo data installed) stay out of the rankings checked here
        cls.env["document.page"].search([("itsm_is_scenario", "=", True)]).active = False
        Category = cls.env["helpdesk.ticket.category"]
        cls.printers = Category.create({"name": "Printers"})
        cls.mail = Category.create({"name": "Mail"})
        Page = cls.env["document.page"]
        cls.printer_page = Page.create(
            {
                "name": "Imprimantes réseau hors ligne",
                "itsm_is_scenario": True,
                "itsm_symptoms": "L'imprimante réseau apparaît hors ligne sur les postes.",
                "content": "<p>Redémarrer le spouleur d'impression puis vérifier l'adresse IP.</p>",
                "itsm_category_ids": [(6, 0, cls.printers.ids)],
                "itsm_portal_published": True,
            }
        )
        cls.outlook_page = Page.create(
            {
                "name": "Outlook ne démarre pas",
                "itsm_is_scenario": True,
                "itsm_symptoms": "Outlook reste bloqué au chargement du profil.",
                "content": "<p>Lancer outlook.exe /safe et désactiver les compléments.</p>",
                "itsm_category_ids": [(6, 0, cls.mail.ids)],
            }
        )
        cls.vpn_page = Page.create(
            {
                "name": "VPN refuse la connexion",
                "itsm_is_scenario": True,
                "itsm_symptoms": "Le client VPN affiche une erreur d'authentification.",
                "content": "<p>Renouveler le certificat du poste.</p>",
            }
        )
        cls.toner_page = Page.create(
            {
                "name": "Toner vide",
                "itsm_is_scenario": True,
                "itsm_symptoms": "Les impressions sont pâles.",
                # the body mentions the printer too, but only in the body (weight C)
                "content": "<p>Remplacer la cartouche de l'imprimante.</p>",
            }
        )
        cls.not_scenario = Page.create(
            {"name": "Imprimante réseau hors ligne (note interne)", "content": "<p>Imprimante hors ligne</p>"}
        )

    def _incident(self, subject, description="", **vals):
        values = {
            "name": subject,
            "description": description or subject,
            "partner_id": self.client_a_contact.id,
            "team_id": self.team.id,
            "project_id": self.project.id,
        }
        values.update(vals)
        return self.env["helpdesk.ticket"].create(values)


@tagged("post_install", "-at_install")
class TestKnowledge(KnowledgeCase):
    def test_ranking_accents_and_plural(self):
        ticket = self._incident("L'imprimante du 2e étage est hors ligne", "Plus personne ne peut imprimer.")
        suggestions = ticket.itsm_kb_suggestion_ids
        self.assertEqual(suggestions[:1], self.printer_page)
        self.assertNotIn(self.outlook_page, suggestions)
        self.assertNotIn(self.vpn_page, suggestions)
        self.assertNotIn(self.not_scenario, suggestions, "only resolution scenarios are offered")
        # the toner article mentions the printer in its body only: offered, after the one about the symptoms
        self.assertIn(self.toner_page, suggestions)
        # without accents and in the plural, the same article comes first
        ticket2 = self._incident("imprimantes reseau HORS LIGNE")
        self.assertEqual(ticket2.itsm_kb_suggestion_ids[:1], self.printer_page)
        # English words are matched with the English configuration
        english = self.env["document.page"].create(
            {"name": "Printers offline after update", "itsm_is_scenario": True, "itsm_symptoms": "printing fails"}
        )
        ticket3 = self._incident("The printer is offline")
        self.assertEqual(ticket3.itsm_kb_suggestion_ids[:1], english)

    def test_relevance_floor_no_printer_scenario_on_a_server_ticket(self):
        """Issue 25: a printer scenario shares only "ne répond plus", "hors ligne" with a server ticket: not offered."""
        Page = self.env["document.page"]
        printer_stuck = Page.create(
            {
                "name": "Imprimante bloquée",
                "itsm_is_scenario": True,
                "itsm_symptoms": "L'imprimante ne répond plus et reste hors ligne, erreur à l'impression.",
                "content": "<p>Éteindre l'imprimante, vider la file d'attente.</p>",
            }
        )
        server = self._incident("Le serveur de fichiers ne répond plus", "Serveur hors ligne depuis ce matin, erreur")
        suggested = server.itsm_kb_suggestion_ids
        self.assertFalse(suggested & (printer_stuck | self.printer_page | self.toner_page), suggested.mapped("name"))
        # without the floor the shared words alone would have found them
        self.env.cr.execute(
            "SELECT count(*) FROM document_page WHERE id = %s AND itsm_search @@ itsm_kb_query(%s)",
            [printer_stuck.id, server.name],
        )
        self.assertEqual(self.env.cr.fetchone()[0], 1)
        # the same words about a printer find it
        printer = self._incident("L'imprimante ne répond plus", "Imprimante hors ligne depuis ce matin")
        self.assertIn(printer_stuck, printer.itsm_kb_suggestion_ids)
        # a ticket that only says that something is broken gets no suggestion
        self.assertFalse(self._incident("Ne répond plus", "Erreur, hors ligne").itsm_kb_suggestion_ids)

    def test_category_boost(self):
        # both articles match "bloqué" once in their symptoms; the one of the ticket's category comes first
        Page = self.env["document.page"]
        generic = Page.create({"name": "Poste", "itsm_is_scenario": True, "itsm_symptoms": "écran bloqué"})
        mail = Page.create(
            {
                "name": "Messagerie",
                "itsm_is_scenario": True,
                "itsm_symptoms": "écran bloqué",
                "itsm_category_ids": [(6, 0, self.mail.ids)],
            }
        )
        ticket = self._incident("Écran bloqué", category_id=self.mail.id)
        ranked = ticket.itsm_kb_suggestion_ids
        self.assertLess(list(ranked).index(mail), list(ranked).index(generic))
        self.assertLessEqual(len(ranked), 5)

    def test_bad_search_strings(self):
        Page = self.env["document.page"]
        for text in (
            "!!! & | <-> ( ) :* ' \"",
            '"imprimante réseau" -outlook OR',
            "imprimante " * 2000,
            "x" * 10000,
            "le la du de des est et",
            "",
            "'); DROP TABLE document_page; --",
        ):
            with self.subTest(text=text[:30]):
                with self.env.cr.savepoint():
                    ids = Page._itsm_kb_search(text)
                self.assertLessEqual(len(ids), 5)
        self.assertEqual(Page._itsm_kb_search("le la du de des est et"), [])
        self.assertEqual(Page._itsm_kb_search("imprimante " * 2000)[:1], self.printer_page.ids)
        ticket = self._incident("?", description="<p>&amp; | ! '</p>")
        self.assertFalse(ticket.itsm_kb_suggestion_ids)

    def test_query_count_constant(self):
        ticket = self._incident("L'imprimante est hors ligne")
        ticket.invalidate_recordset()
        with self.assertQueryCount(__system__=3):  # ticket read, flush-free search, page ids
            _ids = ticket.itsm_kb_suggestion_ids.ids

    def test_apply_and_use_count(self):
        ticket = self._incident("L'imprimante du 2e étage est hors ligne")
        page = ticket.itsm_kb_suggestion_ids[:1]
        self.assertEqual(page.itsm_use_count, 0)
        page.with_context(itsm_ticket_id=ticket.id).action_itsm_kb_apply()
        self.assertEqual(ticket.itsm_kb_applied_id, self.printer_page)
        ticket.action_itsm_kb_apply(page.id)
        self.env.invalidate_all()
        self.assertEqual(self.printer_page.itsm_use_count, 2)
        self.assertIn(f"/odoo/action-document_page.action_page/{page.id}", ticket.message_ids[0].body)
        with self.assertRaises(UserError):
            ticket.action_itsm_kb_apply(self.not_scenario.id)
        with self.assertRaises(UserError):
            page.action_itsm_kb_apply()  # no ticket in the context

    def test_write_scenario(self):
        ticket = self._incident(
            "Scanner injoignable",
            "<p>Le scanner du 1er étage</p><p>ne répond plus.</p>",
            category_id=self.printers.id,
            itsm_domain_id=self.env["itsm.service.domain"].search([], limit=1).id,
            itsm_diagnosis="Adresse IP en conflit",
            itsm_actions="Adresse IP fixe attribuée\nScanner redémarré",
            itsm_request_date=datetime(2026, 11, 9, 9, 0),
        )
        with self.assertRaises(UserError):
            ticket.action_itsm_write_scenario()
        ticket.stage_id = self.env["helpdesk.ticket.stage"].search([("closed", "=", True)], limit=1)
        action = ticket.action_itsm_write_scenario()
        page = self.env["document.page"].browse(action["res_id"])
        self.assertEqual(action["res_model"], "document.page")
        self.assertTrue(page.itsm_is_scenario)
        self.assertFalse(page.itsm_portal_published)
        self.assertEqual(page.itsm_source_ticket_id, ticket)
        self.assertIn("Le scanner du 1er étage", page.itsm_symptoms)
        self.assertIn("ne répond plus.", page.itsm_symptoms)
        self.assertIn("Adresse IP en conflit", page.content)
        self.assertIn("Adresse IP fixe attribuée<br/>Scanner redémarré", page.content.replace("<br>", "<br/>"))
        self.assertEqual(page.itsm_category_ids, self.printers)
        self.assertEqual(page.itsm_domain_ids, ticket.itsm_domain_id)
        # the new scenario is found by its symptoms
        self.assertIn(page.id, self.env["document.page"]._itsm_kb_search("scanner ne répond pas"))

    def test_all_words_first_among_single_words(self):
        # 1 200 articles say "bloqué" (common: more pages than the prefilter lets through), 10 each say one of
        # "imprimante", "scanner", "badge" (rare); one article says the four words: it comes first, then articles
        # with a rare word (one of the ticket's words each, like the "bloqué" ones, but one that tells more)
        self.env.flush_all()
        self.env.cr.execute(
            """
            INSERT INTO document_page (name, type, active, itsm_is_scenario, itsm_symptoms,
                                       create_uid, write_uid, create_date, write_date)
            SELECT 'Note ' || g, 'content', true, true, 'Poste bloqué', 1, 1, now(), now()
              FROM generate_series(1, 1200) g
            """
        )
        Page = self.env["document.page"]
        singles = Page.create(
            [
                {"name": f"Fiche {word} {i}", "itsm_is_scenario": True, "itsm_symptoms": f"{word} en panne"}
                for word in ("imprimante", "scanner", "badge")
                for i in range(10)
            ]
        )
        all_words = Page.create(
            {"name": "Accueil", "itsm_is_scenario": True, "itsm_symptoms": "Imprimante, scanner et badge bloqués"}
        )
        self.env.flush_all()
        self.env.cr.execute("ANALYZE document_page")
        ids = Page._itsm_kb_search("Imprimante, scanner et badge bloqués")
        self.assertEqual(len(ids), 5)
        self.assertEqual(ids[0], all_words.id)
        # after it, articles with a rare word (these, and the printer article of the fixture), not the notes
        self.assertLessEqual(set(ids[1:]), set((singles | self.printer_page | self.toner_page).ids))
        # only the common word: the list is still filled
        self.assertEqual(len(Page._itsm_kb_search("Poste bloqué")), 5)
