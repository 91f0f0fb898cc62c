"""A credit package is a credit package (issue 14 §4): the credited hours make the product a package, a product
with hours that is not one is refused, and an order confirmed on a contract without any package says so."""

from datetime import date

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import Form
from odoo.tests import tagged

from .common import ItsmCase


@tagged("post_install", "-at_install")
class TestCreditPackage(ItsmCase):
    def test_hours_on_a_product_that_is_not_a_package_are_refused(self):
        with self.assertRaisesRegex(ValidationError, "is not a time-credit package: selling it would credit nothing"):
            self.env["product.template"].create({"name": "Support 10 h", "type": "service", "itsm_credit_hours": 10})
        with self.assertRaisesRegex(ValidationError, "must credit a positive number of hours"):
            self.env["product.template"].create(
                {"name": "Empty package", "type": "service", "itsm_is_credit_package": True}
            )
        with self.assertRaisesRegex(ValidationError, "is not a time-credit package"):
            self.annual.product_tmpl_id.itsm_is_credit_package = False

    def test_unticking_the_package_clears_its_hours_in_the_form(self):
        with Form(self.annual.product_tmpl_id) as form:
            form.itsm_is_credit_package = False
            self.assertEqual(form.itsm_credit_hours, 0.0)
        self.assertEqual(self.annual.product_tmpl_id.itsm_credit_hours, 0.0)

    def test_order_on_a_contract_without_package_says_so(self):
        contract = self._buy(self.client_a_contact, self.annual, on=date(2026, 1, 15)).itsm_contract_id
        service = self.env["product.product"].create({"name": "Cabling", "type": "service", "list_price": 90})
        order = self.env["sale.order"].create(
            {
                "partner_id": self.client_a.id,
                "itsm_contract_id": contract.id,
                "order_line": [Command.create({"product_id": service.id, "product_uom_qty": 2})],
            }
        )
        order.action_confirm()
        self.assertEqual(contract.balance_hours, 210.0, "nothing credited")
        self.assertTrue(
            order.message_ids.filtered(lambda m: "without any time-credit package" in (m.body or "")),
            "the chatter says the order credited nothing",
        )
