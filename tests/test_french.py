"""What is stored is keys and figures; what a reader sees is written when read, in the reader's language and
locale (issue 25): ledger labels, committee rows, charts and shares, staff notes."""

import re
from datetime import date
from datetime import datetime

from freezegun import freeze_time

from odoo.tests import tagged

from .. import rules
from ..charts import bar_chart_svg
from ..charts import stacked_bars_svg
from .test_committee import CommitteeCase


def _load_french(env):
    env["res.lang"]._activate_lang("fr_FR")
    env["ir.module.module"].search([("name", "=", "itsm_service_contract")])._update_translations(["fr_FR"])


@tagged("post_install", "-at_install")
class TestFrench(CommitteeCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        _load_french(cls.env)

    def test_numbers_in_the_reader_locale(self):
        # independent of babel: the French decimal separator is a comma, the English one a point
        self.assertEqual(rules.format_pct(83.33, locale="fr_FR"), "83,3 %")
        self.assertEqual(rules.format_pct(83.33), "83.3 %")
        self.assertEqual(rules.format_decimal_hours(183.12, "fr_FR"), "183,12\u00a0h")
        self.assertEqual(rules.format_decimal_hours(183.12, "en_US"), "183.12\u00a0h")
        svg = str(bar_chart_svg([("11/2026", 13.25), ("12/2026", 2.5)], locale="fr_FR"))
        values = re.findall(r">([^<>]*\d[^<>]*)</text>", svg)
        self.assertIn("13,25", values)
        self.assertIn("2,5", values)
        self.assertFalse([v for v in values if re.search(r"\d\.\d", v)], values)
        svg = str(stacked_bars_svg("t", ["a", "b"], [("x", "#000", [1500, 10.5])], locale="fr_FR"))
        self.assertIn("1\u202f500", svg)
        self.assertIn("10,5", svg)

    def test_ledger_label_in_the_reader_language(self):
        contract = self._buy(self.client_a, self.annual).itsm_contract_id
        move = contract.credit_move_ids.filtered(lambda m: m.move_type == "purchase")
        order = move.sale_order_line_id.order_id
        product_fr = self.annual.with_context(lang="fr_FR").display_name
        self.assertEqual(move.with_context(lang="en_US").label, f"Purchase - {order.name}: {self.annual.display_name}")
        self.assertEqual(move.with_context(lang="fr_FR").label, f"Achat - {order.name}: {product_fr}")
        # the sentence as posted stays the audit record
        self.assertTrue(move.name.startswith("Purchase - "))

    def test_committee_rows_in_the_reader_language(self):
        self._november()
        committee = self._committee()
        with freeze_time("2026-12-10 08:00:00"):
            committee.action_prepare()
        rows = committee.kpi_line_ids.filtered(lambda line: line.section == "tickets")
        english = set(rows.with_context(lang="en_US").mapped("name"))
        french = set(rows.with_context(lang="fr_FR").mapped("name"))
        self.assertIn("Request P2", english)
        self.assertIn("Demande P2", french)
        self.assertNotIn("Request P2", french)
        bars = committee.kpi_line_ids.filtered(lambda line: line.section == "consumption").sorted("sequence")
        self.assertEqual(bars[-1].name, "11/2026")

    def test_staff_notes_in_the_company_language(self):
        self.env.company.partner_id.lang = "fr_FR"
        contract = self._buy(self.client_a, self.annual, on=date(2026, 1, 15)).itsm_contract_id
        bodies = " ".join(contract.message_ids.mapped("body"))
        # "Purchase of 210.00 h confirmed by ..., valid until 01/15/2027" read by a French provider
        self.assertIn("Achat", bodies)
        self.assertNotIn("confirmed by", bodies)
        self.assertIn(f"{self.annual.itsm_credit_hours:.2f}".replace(".", ","), bodies)

    def test_sla_breach_note_in_the_company_language_and_time_zone(self):
        self.env.company.partner_id.lang = "fr_FR"
        ticket = self._ticket_at(datetime(2026, 11, 16, 9, 0), priority="3", category_id=self.network.id)
        with freeze_time("2026-11-20 09:00:00"):
            ticket._itsm_evaluate_sla(now=datetime(2026, 11, 20, 9, 0))
        notes = " ".join(ticket.message_ids.mapped("body"))
        self.assertIn("SLA", notes)
        self.assertNotIn("SLA breached", notes)
        self.assertNotIn("2026-11-16 10:00:00", notes, "the deadline is told in the reader's way, not as stored")
