import logging
import re
import shutil
import subprocess
from datetime import date

from odoo import Command
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.ir_actions_report import wkhtmltopdf_draws_headers
from .test_committee import CommitteeCase
from .test_reports import NOVEMBER
from .test_reports import ReportCase

_logger = logging.getLogger(__name__)

# An addon's report may weigh at most this much more than Odoo's own quotation rendered in the same run.
MAX_RATIO = 1.3


@tagged("post_install", "-at_install")
class TestReportWeight(ReportCase, CommitteeCase, HttpCase):
    """Each of the addon's PDFs, rendered by wkhtmltopdf, weighs about what Odoo's own quotation weighs.

    An HttpCase: wkhtmltopdf fetches the report assets from the server sharing the test transaction.
    """

    def _pdf(self, report, ids, data=None):
        with mute_logger("odoo.addons.base.models.ir_actions_report"):
            pdf, kind = (
                self.env["ir.actions.report"]
                .with_context(force_report_rendering=True)
                ._render_qweb_pdf(report, ids, data=data)
            )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        return pdf

    def _quotation(self):
        """An ordinary quotation: three lines of ordinary products, no contract."""
        products = self.env["product.product"].create(
            [
                {"name": "Business laptop 14 inches", "list_price": 1290.0, "type": "consu"},
                {"name": "USB-C docking station", "list_price": 189.0, "type": "consu"},
                {"name": "Installation and data transfer", "list_price": 95.0, "type": "service"},
            ]
        )
        return self.env["sale.order"].create(
            {
                "partner_id": self.client_a.id,
                "order_line": [
                    Command.create({"product_id": product.id, "product_uom_qty": qty})
                    for product, qty in zip(products, (4, 4, 6), strict=True)
                ],
            }
        )

    def _addon_documents(self):
        """(label, report, ids, data, title) of each of the addon's reports, on a realistic November."""
        self._november()  # interventions and tickets of the committee's tests
        self._november_tickets()  # and the SLA report's
        statement = self.env["itsm.statement"].create(
            {"contract_id": self.contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        statement.action_issue()
        committee = self._committee()
        committee.write(
            {
                "minutes": "<p>The printer fleet will be renewed.</p>",
                "action_ids": [
                    Command.create({"name": "Quote new printers", "owner_user_id": self.account_manager.id})
                ],
            }
        )
        committee.action_hold()
        sheet = self._november_tm_sheet()
        assisted = self._assisted_ticket()
        amendment = self.env["sale.order"].browse(self.contract.action_recharge()["res_id"])
        module = "itsm_service_contract."
        # the SLA report gets a copy of the period: rendering adds its own keys to the data it is given
        return [
            ("statement", module + "action_report_itsm_statement", statement.ids, None, "Time credit statement"),
            ("minutes", module + "action_report_itsm_committee", committee.ids, None, "Steering committee minutes"),
            ("activity sheet", module + "action_report_activity_sheet", sheet.ids, None, "Printer"),
            ("SLA", module + "action_report_itsm_sla_compliance", self.contract.ids, dict(NOVEMBER), "SLA compliance"),
            ("assistance", module + "action_report_itsm_assistance_form", assisted.ids, None, "User assistance form"),
            ("amendment", "sale.action_report_saleorder", amendment.ids, None, "Amendment no. 1"),
            ("dashboard", module + "action_report_itsm_dashboard", self.contract.ids, None, "Service dashboard"),
        ]

    def test_addon_pdfs_weigh_what_the_quotation_weighs(self):
        if not shutil.which("pdftotext"):
            self.skipTest("pdftotext (poppler-utils) is needed to read the PDF text")
        quotation = self._pdf("sale.action_report_saleorder", self._quotation().ids)
        limit = MAX_RATIO * len(quotation)
        _logger.info("Odoo's quotation: %d bytes", len(quotation))
        stamped = not wkhtmltopdf_draws_headers()
        for label, report, ids, data, title in self._addon_documents():
            with self.subTest(report=label):
                pdf = self._pdf(report, ids, data)
                _logger.info("%s: %d bytes (%.2f x the quotation)", label, len(pdf), len(pdf) / len(quotation))
                self.assertLessEqual(len(pdf), limit, f"{label}: {len(pdf)} bytes, the quotation {len(quotation)}")
                text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout
                text = text.decode()
                self.assertIn(title, text, "the body is text, not letters drawn as curves")
                if stamped and report.startswith("itsm_service_contract."):
                    # the footer stamped onto each page is text too
                    self.assertRegex(text, re.compile(r"Page 1 / \d+"))
                    self.assertIn(self.env.company.name, text)
