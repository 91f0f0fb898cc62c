from datetime import date

from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ItsmCase


@tagged("post_install", "-at_install")
class TestContractSecurity(ItsmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.contract_a = cls.env["itsm.contract"].create({"partner_id": cls.client_a.id, "state": "active"})
        cls.contract_b = cls.env["itsm.contract"].create({"partner_id": cls.client_b.id, "state": "active"})
        cls.contract_other = cls.env["itsm.contract"].create(
            {"partner_id": cls.client_a.id, "company_id": cls.other_company.id, "state": "active", "calendar_id": False}
        )

    def test_technician_reads_but_does_not_manage(self):
        contracts = self.env["itsm.contract"].with_user(self.technician)
        self.assertEqual(contracts.browse(self.contract_a.id).partner_id, self.client_a)
        with self.assertRaises(AccessError):
            contracts.browse(self.contract_a.id).write({"overdraft_policy": "allow"})
        with self.assertRaises(AccessError):
            contracts.create({"partner_id": self.client_b.id})
        with self.assertRaises(AccessError):
            self.env["itsm.credit.move"].with_user(self.technician).create(
                {
                    "contract_id": self.contract_a.id,
                    "move_type": "adjustment",
                    "hours": 5,
                    "name": "Gift",
                    "reason": "Commercial gesture",
                }
            )
        self.assertFalse(self.contract_a.credit_move_ids)

    def test_account_manager_manages_and_adjusts(self):
        contract = self.contract_a.with_user(self.account_manager)
        contract.write({"overdraft_policy": "allow", "low_balance_threshold": 3.0})
        wizard = (
            self.env["itsm.credit.adjust.wizard"]
            .with_user(self.account_manager)
            .create({"contract_id": contract.id, "hours": 2.5, "reason": "Commercial gesture after the outage"})
        )
        wizard.action_confirm()
        move = self.contract_a.credit_move_ids
        self.assertEqual((move.move_type, move.hours, move.user_id), ("adjustment", 2.5, self.account_manager))
        self.assertEqual(self.contract_a.balance_hours, 2.5)
        with self.assertRaises(AccessError):
            contract.unlink()

    def test_other_company_is_invisible(self):
        visible = self.env["itsm.contract"].with_user(self.other_company_manager).search([])
        self.assertIn(self.contract_other, visible)
        self.assertNotIn(self.contract_a, visible)
        with self.assertRaises(AccessError):
            self.contract_a.with_user(self.other_company_manager).read(["balance_hours"])
        own = self.env["itsm.contract"].with_user(self.account_manager).search([])
        self.assertNotIn(self.contract_other, own)

    def test_portal_user_reads_only_own_company(self):
        self._buy(self.client_a, self.monthly, contract=self.contract_a, on=date(2026, 2, 1))
        self._buy(self.client_b, self.monthly, contract=self.contract_b, on=date(2026, 2, 1))
        portal_env = self.env(user=self.portal_user_a)
        visible = portal_env["itsm.contract"].search([])
        self.assertEqual(visible, self.contract_a, "its own company's contract only (not B's, not drafts)")
        self.assertEqual(portal_env["itsm.credit.move"].search([]), self.contract_a.credit_move_ids)
        with self.assertRaises(AccessError):
            portal_env["itsm.contract"].browse(self.contract_b.id).read(["balance_hours"])
        with self.assertRaises(AccessError):
            portal_env["itsm.credit.move"].browse(self.contract_b.credit_move_ids.ids).read(["hours"])
        with self.assertRaises(AccessError):
            portal_env["itsm.contract"].browse(self.contract_a.id).write({"overdraft_policy": "allow"})

    def test_ledger_is_never_rewritten(self):
        self._buy(self.client_a, self.monthly, contract=self.contract_a, on=date(2026, 2, 1))
        move = self.contract_a.credit_move_ids
        with self.assertRaisesRegex(UserError, "never rewritten"):
            move.write({"hours": 100.0})
        with self.assertRaisesRegex(UserError, "never deleted"):
            move.unlink()
        with self.assertRaisesRegex(UserError, "Only adjustments"):
            self.env["itsm.credit.move"].create(
                {"contract_id": self.contract_a.id, "move_type": "purchase", "hours": 100, "name": "Free hours"}
            )
        self.assertEqual(self.contract_a.balance_hours, 17.5)

    def test_context_key_does_not_let_a_user_post_a_purchase(self):
        """The key the addon's own code posts moves with is not honoured for a user calling over RPC."""
        moves = self.env["itsm.credit.move"].with_user(self.account_manager).with_context(itsm_ledger_post=True)
        with self.assertRaisesRegex(UserError, "Only adjustments can be entered by hand"):
            moves.create(
                {
                    "contract_id": self.contract_a.id,
                    "move_type": "purchase",
                    "hours": 500,
                    "name": "Free hours",
                    "date": date(2026, 11, 2),
                }
            )
        self.assertEqual(self.contract_a.balance_hours, 0.0)
