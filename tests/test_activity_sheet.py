from datetime import date
from datetime import datetime

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestActivitySheet(ItsmInterventionCase):
    """Time and material (seed 002): day rate 300 EUR, troubleshooting by the hour, monthly invoice."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.tm_contract = cls.env["itsm.contract"].create(
            {
                "partner_id": cls.client_b.id,
                "contract_type": "time_material",
                "state": "active",
                "date_start": date(2026, 1, 1),
                "hourly_rate": 60.0,
                "day_rate": 300.0,
                "calendar_id": cls.calendar.id,
            }
        )
        cls.tm_ticket = cls._ticket(datetime(2026, 11, 2, 9, 0), partner=cls.client_b)

    def test_month_invoice_with_sheet(self):
        self.assertEqual(self.tm_ticket.itsm_contract_id, self.tm_contract)
        log = self._log
        remote = log(datetime(2026, 11, 16, 9, 0), 65 / 60, ticket=self.tm_ticket, name="Printer")
        full = log(
            datetime(2026, 11, 17, 8, 0),
            8.0,
            ticket=self.tm_ticket,
            name="Migration",
            itsm_mode="onsite",
            itsm_onsite_span="full_day",
        )
        half = log(
            datetime(2026, 11, 18, 8, 0),
            4.0,
            ticket=self.tm_ticket,
            name="Migration",
            itsm_mode="onsite",
            itsm_onsite_span="half_day",
        )
        saturday = log(datetime(2026, 11, 21, 10, 0), 1.0, ticket=self.tm_ticket, name="Backup")
        self.assertFalse(self.tm_contract.credit_move_ids, "no credit on time and material")
        sheet = self.env["itsm.activity.sheet"].create(
            {"contract_id": self.tm_contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        sheet.action_collect()
        self.assertEqual(sheet.timesheet_ids, remote | full | half | saturday)
        # hours: 1 h 05 -> 1.25 ; Saturday 1 h NHO -> 1.5 ; days: 1 + 0.5
        self.assertEqual((sheet.hour_quantity, sheet.day_quantity), (2.75, 1.5))
        self.assertEqual(sheet.amount_untaxed, 2.75 * 60 + 1.5 * 300)
        action = sheet.action_create_invoice()
        invoice = self.env["account.move"].browse(action["res_id"])
        self.assertEqual(
            (invoice.state, invoice.move_type, invoice.partner_id), ("draft", "out_invoice", self.client_b)
        )
        self.assertEqual(invoice.amount_untaxed, 615.0)
        self.assertEqual(sorted(invoice.invoice_line_ids.mapped("quantity")), [1.5, 2.75])
        attachment = self.env["ir.attachment"].search([("res_model", "=", "account.move"), ("res_id", "=", invoice.id)])
        self.assertEqual(len(attachment), 1, "the activity sheet is attached to the invoice")
        self.assertEqual(sheet.state, "invoiced")
        self.assertEqual(remote.itsm_activity_sheet_id, sheet)
        # Lines are invoiced once.
        again = self.env["itsm.activity.sheet"].create(
            {"contract_id": self.tm_contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        with self.assertRaisesRegex(UserError, "No intervention to invoice"):
            again.action_create_invoice()

    def test_sheet_groups_by_ticket_and_activity(self):
        self._log(datetime(2026, 11, 16, 9, 0), 1.0, ticket=self.tm_ticket, name="Printer")
        self._log(datetime(2026, 11, 16, 14, 0), 1.0, ticket=self.tm_ticket, name="Printer")
        self._log(datetime(2026, 11, 17, 9, 0), 1.0, ticket=self.tm_ticket, name="VPN")
        sheet = self.env["itsm.activity.sheet"].create(
            {"contract_id": self.tm_contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        sheet.action_collect()
        groups = sheet._grouped_lines()
        self.assertEqual(list(groups), [self.tm_ticket])
        self.assertEqual({name: len(lines) for name, lines in groups[self.tm_ticket].items()}, {"Printer": 2, "VPN": 1})
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("itsm_service_contract.action_report_activity_sheet", sheet.ids)[0]
            .decode()
        )
        self.assertIn("Activity sheet", html)
        self.assertIn("VPN", html)
