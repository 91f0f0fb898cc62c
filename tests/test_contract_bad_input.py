from datetime import date

from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ItsmCase


@tagged("post_install", "-at_install")
class TestContractBadInput(ItsmCase):
    def _moves(self):
        return self.env["itsm.credit.move"].search_count([])

    def test_package_hours_must_be_positive(self):
        for hours in (0.0, -3.0):
            with self.assertRaisesRegex(ValidationError, "must credit a positive number of hours"):
                with self.env.cr.savepoint():
                    self.env["product.template"].create(
                        {
                            "name": f"Bad package {hours}",
                            "type": "service",
                            "itsm_is_credit_package": True,
                            "itsm_credit_hours": hours,
                        }
                    )
        with self.assertRaisesRegex(ValidationError, "positive number of hours"), self.env.cr.savepoint():
            self.annual.product_tmpl_id.itsm_credit_hours = -1
            self.env.flush_all()
        self.env.invalidate_all()
        self.assertEqual(self.annual.itsm_credit_hours, 210.0)

    def test_recharge_on_closed_contract(self):
        contract = self._buy(self.client_a, self.monthly, on=date(2026, 1, 15)).itsm_contract_id
        contract.action_close()
        before = self._moves()
        with self.assertRaisesRegex(UserError, "is closed: it cannot be recharged"):
            contract.action_recharge()
        order = self._order(self.client_a, self.monthly, contract=contract)
        with self.assertRaisesRegex(UserError, "is closed: it cannot be recharged"), self.env.cr.savepoint():
            order.action_confirm()
        self.assertEqual(self._moves(), before, "the ledger is unchanged")
        self.assertEqual(contract.balance_hours, 17.5)

    def test_adjustment_without_reason(self):
        contract = self._buy(self.client_a, self.monthly).itsm_contract_id
        before = self._moves()
        with self.assertRaisesRegex(ValidationError, r"adjustment of 3\.00 h on .* needs a reason"):
            with self.env.cr.savepoint():
                self.env["itsm.credit.move"].with_user(self.account_manager).create(
                    {
                        "contract_id": contract.id,
                        "move_type": "adjustment",
                        "hours": 3.0,
                        "name": "Gift",
                        "reason": "   ",
                    }
                )
        self.assertEqual(self._moves(), before)
        self.assertEqual(contract.balance_hours, 17.5)

    def test_contract_without_client(self):
        count = self.env["itsm.contract"].search_count([])
        with self.assertRaisesRegex(ValidationError, "needs a client"):
            self.env["itsm.contract"].create({"title": "No client"})
        self.assertEqual(self.env["itsm.contract"].search_count([]), count)

    def test_end_before_start(self):
        contract = self._buy(self.client_a, self.monthly, on=date(2026, 1, 15)).itsm_contract_id
        with self.assertRaisesRegex(ValidationError, r"validity end .* cannot precede the start date"):
            with self.env.cr.savepoint():
                contract.date_start = date(2027, 6, 1)
        with self.assertRaisesRegex(ValidationError, "validity must be at least one month"):
            with self.env.cr.savepoint():
                contract.validity_months = 0

    def test_order_for_another_client_than_the_contract(self):
        contract = self._buy(self.client_a, self.monthly).itsm_contract_id
        with self.assertRaisesRegex(ValidationError, "belongs to"):
            self._order(self.client_b, self.monthly, contract=contract)

    def test_errors_speak_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "itsm_service_contract")])._update_translations(["fr_FR"])
        contract = self._buy(self.client_a, self.monthly).itsm_contract_id
        contract.action_close()
        with self.assertRaisesRegex(UserError, "est clôturé"):
            contract.with_context(lang="fr_FR").action_recharge()
