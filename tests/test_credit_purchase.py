from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ItsmCase


@tagged("post_install", "-at_install")
class TestCreditPurchase(ItsmCase):
    def test_purchase_creates_contract_and_move(self):
        """A confirmed order selling a package, for a client with no contract, creates it."""
        self.assertFalse(self.env["itsm.contract"].search([("partner_id", "=", self.client_a.id)]))
        order = self._buy(self.client_a_contact, self.annual, on=date(2026, 1, 15))
        contract = order.itsm_contract_id
        self.assertTrue(contract, "the order is linked to the contract it created")
        self.assertEqual(contract.partner_id, self.client_a, "the contract belongs to the client company")
        self.assertEqual(contract.state, "active")
        self.assertRegex(contract.name, r"^CT/2026/\d{4}$")
        self.assertEqual(len(contract.credit_move_ids), 1)
        move = contract.credit_move_ids
        self.assertEqual((move.move_type, move.hours, move.date), ("purchase", 210.0, date(2026, 1, 15)))
        self.assertEqual(move.sale_order_line_id, order.order_line)
        # Seed: 210 h a year, valid 12 months from the purchase, then 2 months of grace.
        self.assertEqual(contract.credit_hours, 210.0)
        self.assertEqual(contract.balance_hours, 210.0)
        self.assertEqual(contract.date_end, date(2027, 1, 15))
        self.assertEqual(contract.grace_end, date(2027, 3, 15))
        self.assertEqual(contract.balance_hours, self._ledger_sum(contract))

    def test_purchase_on_existing_contract(self):
        contract = self.env["itsm.contract"].create({"partner_id": self.client_a.id})
        self.assertEqual(contract.state, "draft")
        self._buy(self.client_a, self.monthly, qty=2, contract=contract, on=date(2026, 3, 1))
        self.assertEqual(contract.state, "active")
        # 2 packages of 17.5 h
        self.assertEqual(contract.credit_hours, 35.0)
        self.assertEqual(contract.credit_move_ids.move_type, "purchase")

    def test_order_without_package_touches_nothing(self):
        order = self._order(self.client_a, self.env.ref("itsm_service_contract.product_committee_exceptional"))
        order.action_confirm()
        self.assertFalse(order.itsm_contract_id)
        self.assertFalse(self.env["itsm.contract"].search([("partner_id", "=", self.client_a.id)]))

    def test_recharge_is_amendment_and_resets_validity(self):
        first = self._buy(self.client_a, self.annual, on=date(2026, 1, 15))
        contract = first.itsm_contract_id
        contract._consume(200.0, "Interventions")
        recharge_action = contract.with_user(self.account_manager).action_recharge()
        quote = self.env["sale.order"].browse(recharge_action["res_id"])
        self.assertEqual(quote.state, "draft")
        self.assertEqual(quote.itsm_contract_id, contract)
        self.assertEqual(quote.order_line.product_id, self.annual, "the last package sold is proposed")
        self.assertTrue(quote.itsm_is_amendment)
        self.assertEqual(quote.itsm_amendment_number, 1)
        quote.order_line.product_id = self.monthly
        with freeze_time(date(2026, 9, 10)):
            quote.action_confirm()
        self.assertEqual(quote.itsm_amendment_number, 1)
        self.assertEqual(contract.amendment_count, 1)
        recharge = contract.credit_move_ids.filtered(lambda m: m.move_type == "recharge")
        self.assertEqual(recharge.hours, 17.5)
        # 210 - 200 + 17.5
        self.assertEqual(contract.balance_hours, 27.5)
        # The amendment restarts the 12 months from its confirmation.
        self.assertEqual(contract.date_end, date(2027, 9, 10))
        self.assertEqual(contract.grace_end, date(2027, 11, 10))
        self.assertEqual(contract.balance_hours, self._ledger_sum(contract))
        # The printed quotation is the amendment.
        html = self.env["ir.actions.report"]._render_qweb_html("sale.action_report_saleorder", quote.ids)[0]
        self.assertIn("Amendment no. <span>1</span>", html.decode())
        self.assertIn(contract.name, html.decode())

    def test_second_amendment_number(self):
        contract = self._buy(self.client_a, self.monthly, on=date(2026, 1, 15)).itsm_contract_id
        self._buy(self.client_a, self.monthly, contract=contract, on=date(2026, 2, 15))
        second = self._buy(self.client_a, self.monthly, contract=contract, on=date(2026, 3, 15))
        self.assertEqual(second.itsm_amendment_number, 2)
        self.assertEqual(contract.amendment_count, 2)
        self.assertEqual(contract.credit_hours, 52.5)

    def test_cancel_recharge_reverses_move(self):
        contract = self._buy(self.client_a, self.monthly, on=date(2026, 1, 15)).itsm_contract_id
        recharge = self._buy(self.client_a, self.monthly, contract=contract, on=date(2026, 4, 20))
        self.assertEqual(contract.date_end, date(2027, 4, 20))
        with freeze_time(date(2026, 4, 22)):
            recharge.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(recharge.state, "cancel")
        moves = contract.credit_move_ids.sorted("id")
        self.assertEqual(len(moves), 3, "the recharge is reversed by a new move, not deleted")
        reversal = moves[-1]
        self.assertEqual((reversal.move_type, reversal.hours), ("recharge", -17.5))
        self.assertEqual(reversal.reversed_move_id, moves[1])
        self.assertEqual(moves[1].reversal_move_id, reversal)
        self.assertEqual(contract.balance_hours, 17.5)
        self.assertEqual(contract.credit_hours, 17.5)
        self.assertEqual(contract.amendment_count, 0)
        # The validity goes back to the purchase that still stands.
        self.assertEqual(contract.date_end, date(2027, 1, 15))
        self.assertEqual(contract.balance_hours, self._ledger_sum(contract))

    def test_cancel_refused_when_hours_consumed(self):
        contract = self._buy(self.client_a, self.monthly, on=date(2026, 1, 15)).itsm_contract_id
        recharge = self._buy(self.client_a, self.monthly, contract=contract, on=date(2026, 2, 1))
        contract._consume(20.0, "Migration")
        # balance 35 - 20 = 15 < 17.5 the recharge brought
        with self.assertRaisesRegex(UserError, "already consumed"):
            recharge.with_context(disable_cancel_warning=True).action_cancel()
        self.assertEqual(recharge.state, "sale")
        self.assertEqual(len(contract.credit_move_ids), 3)
        self.assertEqual(contract.balance_hours, 15.0)

    def test_invoicing_the_standard_way(self):
        order = self._buy(self.client_a, self.annual)
        invoice = order._create_invoices()
        self.assertEqual(invoice.amount_untaxed, 24000.0, "seed price: 24 000 EUR for 210 h")
        self.assertEqual(invoice.invoice_line_ids.sale_line_ids, order.order_line)
