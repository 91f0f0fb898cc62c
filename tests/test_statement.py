import base64
import shutil
import subprocess
from datetime import date
from datetime import datetime
from html import unescape

from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase


class StatementCase(ItsmInterventionCase):
    """November 2026 on client A's annual contract (210 h bought on 2026-11-02).

    By hand, from the seed's rules: remote 1 h 05 -> 1.25 h; a full day on site the day
    after the request (urgent) -> 7 h + 50 % = 10.5 h; one hour on Saturday -> 1.5 h;
    adjustments +2 h and -0.5 h. Credited 210 + 2 = 212 h, consumed 13.25 + 0.5 = 13.75 h,
    closing 212 - 13.75 = 198.25 h.
    """

    def _november(self):
        self._log(datetime(2026, 11, 9, 10, 0), 65 / 60)
        self._log(datetime(2026, 11, 10, 8, 0), 8.0, itsm_mode="onsite", itsm_onsite_span="full_day")
        self._log(datetime(2026, 11, 14, 10, 0), 1.0)
        self._log(datetime(2026, 12, 2, 10, 0), 2.0)  # December: next statement
        for day, hours in ((20, 2.0), (21, -0.5)):
            self.env["itsm.credit.adjust.wizard"].create(
                {"contract_id": self.contract.id, "date": date(2026, 11, day), "hours": hours, "reason": "Goodwill"}
            ).action_confirm()

    def _statement(self, **vals):
        values = {"contract_id": self.contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        values.update(vals)
        return self.env["itsm.statement"].create(values)


@tagged("post_install", "-at_install")
class TestStatement(StatementCase):
    def test_figures_equal_independent_computation_and_balance(self):
        self._november()
        statement = self._statement()
        statement.action_issue()
        self.assertEqual(statement.state, "issued")
        self.assertAlmostEqual(statement.opening_balance, 0.0, places=2)
        self.assertAlmostEqual(statement.credited_hours, 212.0, places=2)
        self.assertAlmostEqual(statement.consumed_hours, 13.75, places=2)
        self.assertAlmostEqual(statement.expired_hours, 0.0, places=2)
        self.assertAlmostEqual(statement.adjusted_hours, 1.5, places=2)
        self.assertAlmostEqual(statement.closing_balance, 198.25, places=2)
        self.assertEqual(
            round(
                statement.opening_balance
                + statement.credited_hours
                - statement.consumed_hours
                - statement.expired_hours,
                2,
            ),
            round(statement.closing_balance, 2),
        )
        self.assertEqual(statement.date_end_validity, self.contract.date_end)
        self.assertEqual(
            [(line.date, line.counted_hours, line.credit_hours) for line in statement.line_ids],
            [(date(2026, 11, 9), 1.25, 1.25), (date(2026, 11, 10), 7.0, 10.5), (date(2026, 11, 14), 1.0, 1.5)],
        )
        chart = dict(statement.chart_data)
        self.assertEqual(chart["11/2026"], 13.25)
        self.assertEqual(len(chart), 12)
        # December opens where November closed
        december = self._statement(period_start=date(2026, 12, 1), period_end=date(2026, 12, 31))
        december.action_compute()
        self.assertAlmostEqual(december.opening_balance, 198.25, places=2)
        self.assertAlmostEqual(december.consumed_hours, 2.0, places=2)

    def test_issued_lines_are_frozen_and_locked(self):
        self._november()
        statement = self._statement()
        statement.action_issue()
        line = self.env["account.analytic.line"].search(
            [("itsm_contract_id", "=", self.contract.id), ("date", "=", date(2026, 11, 14))]
        )
        with self.assertRaisesRegex(UserError, "belongs to an issued statement"):
            line.with_user(self.technician).write({"unit_amount": 3.0})
        with self.assertRaisesRegex(UserError, "belongs to an issued statement"):
            line.with_user(self.account_manager).unlink()
        # December lines stay editable
        december_line = self.env["account.analytic.line"].search(
            [("itsm_contract_id", "=", self.contract.id), ("date", "=", date(2026, 12, 2))]
        )
        december_line.with_user(self.account_manager).write({"unit_amount": 2.5})
        # a service manager reopens: the line is editable, the frozen copy still says what was issued
        with self.assertRaises(UserError):
            statement.with_user(self.account_manager).action_reset_draft()
        statement.action_reset_draft()
        line.with_user(self.account_manager).write({"unit_amount": 3.0})
        self.assertEqual(statement.line_ids.filtered(lambda sl: sl.date == date(2026, 11, 14)).raw_hours, 1.0)

    def test_cron_issues_one_statement_per_contract_and_month(self):
        self._november()
        Statement = self.env["itsm.statement"]
        for _run in range(2):
            Statement._cron_issue_monthly_statements(today=date(2026, 12, 1))
        statements = Statement.search([("contract_id", "=", self.contract.id)])
        self.assertEqual(len(statements), 1)
        self.assertEqual((statements.period_start, statements.period_end), (date(2026, 11, 1), date(2026, 11, 30)))
        self.assertEqual(statements.state, "issued")
        mail = statements.message_ids.filtered(lambda m: "time credit statement" in (m.subject or ""))
        self.assertEqual(len(mail), 1)
        self.assertIn(self.client_a, mail.partner_ids)
        with self.assertRaises(ValidationError):
            self._statement(period_start=date(2026, 11, 15), period_end=date(2026, 12, 15))

    def test_bad_input(self):
        with self.assertRaises(ValidationError) as refused:
            self._statement(period_start=date(2026, 11, 30), period_end=date(2026, 11, 1))
        self.assertIn("before it starts", str(refused.exception))
        tm = self.env["itsm.contract"].create({"partner_id": self.client_b.id, "contract_type": "time_material"})
        with self.assertRaises(ValidationError) as refused:
            self._statement(contract_id=tm.id)
        self.assertIn("time-and-material", str(refused.exception))


@tagged("post_install", "-at_install")
class TestStatementPdf(StatementCase, HttpCase):
    """Rendered by wkhtmltopdf (an HttpCase: it fetches the assets from the server sharing the transaction)."""

    def test_lines_explained_in_the_reader_language(self):
        """One statement's lines, read by a French client and by an English one: the figures are stored once, the
        mode and the explanation are written in the reader's language (a line stored in one language stays so)."""
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "itsm_service_contract")])._update_translations(["fr_FR"])
        self._november()
        statement = self._statement()
        statement.action_issue()
        report = self.env["ir.actions.report"]
        rendered = {}
        for lang in ("fr_FR", "en_US"):
            self.client_a.lang = lang
            html = report._render_qweb_html("itsm_service_contract.action_report_itsm_statement", statement.ids)[0]
            rendered[lang] = unescape(html.decode())
        french, english = rendered["fr_FR"], rendered["en_US"]
        # remote 1 h 05 counted in quarter hours; a full day on site the day after the request (urgent +50 %)
        self.assertIn("1 h 05 → 1 h 15 (quarts d'heure) ; total 1 h 15", french)
        self.assertIn("journée sur site → 7 h 00 ; urgence +50 % ; total 10 h 30", french)
        self.assertIn("Sur site", french)
        self.assertIn("À distance", french)
        self.assertNotIn("quarter hours", french)
        self.assertIn("1 h 05 → 1 h 15 (quarter hours); total 1 h 15", english)
        self.assertIn("full day on site → 7 h 00; urgent +50 %; total 10 h 30", english)
        self.assertIn("On site", english)
        self.assertNotIn("quarts d'heure", english)
        # the technician in the backend reads the live line in their own language
        line = statement.line_ids.filtered(lambda line: line.raw_hours == 8.0).timesheet_id
        self.assertIn("journée sur site", line.with_context(lang="fr_FR").itsm_surcharge_detail)
        self.assertIn("full day on site", line.with_context(lang="en_US").itsm_surcharge_detail)

    def test_pdf_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "itsm_service_contract")])._update_translations(["fr_FR"])
        self.client_a.lang = "fr_FR"
        self._november()
        statement = self._statement()
        statement.action_issue()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("itsm_service_contract.action_report_itsm_statement", statement.ids)[0]
            .decode()
        )
        self.assertIn("Relevé de consommation du crédit temps", html)
        self.assertIn("198,25", html)
        self.assertIn("13,75", html)
        self.assertIn("14/11/2026", html)
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("itsm_service_contract.action_report_itsm_statement", statement.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
            self.assertIn("13,25", text)  # the chart's bar for November, in French (was "13.25")
        statement.with_context(force_report_rendering=True).action_send()
        mail = statement.message_ids.filtered(lambda m: m.attachment_ids)[:1]
        self.assertTrue(base64.b64decode(mail.attachment_ids.datas).startswith(b"%PDF"))
