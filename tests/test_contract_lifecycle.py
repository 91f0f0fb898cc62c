from datetime import date

from freezegun import freeze_time

from odoo.exceptions import UserError
from odoo.tests import tagged

from .common import ItsmCase


@tagged("post_install", "-at_install")
class TestContractLifecycle(ItsmCase):
    def _contract(self, product=None, on=date(2026, 1, 15), **vals):
        contract = self._buy(self.client_a, product or self.monthly, on=on).itsm_contract_id
        if vals:
            contract.write(vals)
        return contract

    def test_grace_then_expiry_by_cron_run_twice(self):
        contract = self._contract()  # 17.5 h valid until 2027-01-15, grace until 2027-03-15
        contract._consume(5.0, "Audit")
        Contract = self.env["itsm.contract"]
        with freeze_time(date(2027, 1, 15)):
            Contract._cron_update_states()
        self.assertEqual(contract.state, "active", "the last day of validity is still valid")
        with freeze_time(date(2027, 1, 16)):
            Contract._cron_update_states()
            Contract._cron_update_states()
        self.assertEqual(contract.state, "grace")
        self.assertFalse(contract.credit_move_ids.filtered(lambda m: m.move_type == "expiry"))
        # During grace only project work may draw.
        with self.assertRaisesRegex(UserError, "grace period"):
            contract._consume(1.0, "Support call")
        contract._consume(2.5, "Project: firewall migration", is_project=True)
        self.assertEqual(contract.balance_hours, 10.0)
        with freeze_time(date(2027, 3, 16)):
            Contract._cron_update_states()
            Contract._cron_update_states()
        self.assertEqual(contract.state, "expired")
        expiry = contract.credit_move_ids.filtered(lambda m: m.move_type == "expiry")
        self.assertEqual(len(expiry), 1, "running the cron twice posts one expiry")
        # 17.5 - 5 - 2.5 = 10 h lost
        self.assertEqual(expiry.hours, -10.0)
        self.assertEqual(contract.expired_hours, 10.0)
        self.assertEqual(contract.balance_hours, 0.0)
        self.assertEqual(contract.balance_hours, self._ledger_sum(contract))
        with self.assertRaisesRegex(UserError, "no hours can be drawn"):
            contract._consume(1.0, "Late call", is_project=True)

    def test_expired_without_balance_posts_nothing(self):
        contract = self._contract(overdraft_policy="allow")
        contract._consume(20.0, "Crisis")
        with freeze_time(date(2027, 6, 1)):
            self.env["itsm.contract"]._cron_update_states()
            self.env["itsm.contract"]._cron_update_states()
        self.assertEqual(contract.state, "expired")
        self.assertFalse(contract.credit_move_ids.filtered(lambda m: m.move_type == "expiry"))
        self.assertEqual(contract.balance_hours, -2.5)

    def test_recharge_in_grace_reactivates(self):
        contract = self._contract()
        with freeze_time(date(2027, 2, 1)):
            self.env["itsm.contract"]._cron_update_states()
        self.assertEqual(contract.state, "grace")
        self._buy(self.client_a, self.monthly, contract=contract, on=date(2027, 2, 10))
        self.assertEqual(contract.state, "active")
        self.assertEqual(contract.date_end, date(2028, 2, 10))
        contract._consume(1.0, "Support call")

    def test_overdraft_block(self):
        contract = self._contract()
        self.assertEqual(contract.overdraft_policy, "block")
        contract._consume(17.0, "Audit")
        with self.assertRaisesRegex(UserError, r"has 0\.50 h left: drawing 1\.00 h would overdraw it"):
            contract._consume(1.0, "Call")
        self.assertEqual(len(contract.credit_move_ids), 2, "a refused draw posts nothing")
        self.assertEqual(contract.balance_hours, 0.5)
        contract._consume(0.5, "Call")
        self.assertEqual(contract.balance_hours, 0.0)

    def test_overdraft_allow(self):
        contract = self._contract(overdraft_policy="allow")
        contract._consume(20.0, "Outage")
        self.assertEqual(contract.balance_hours, -2.5)
        self.assertTrue(contract.is_overdrawn)
        self.assertIn(contract, self.env["itsm.contract"].search([("is_overdrawn", "=", True)]))
        self.assertEqual(contract.balance_hours, self._ledger_sum(contract))

    def test_low_balance_notified_once(self):
        contract = self._contract(low_balance_threshold=5.0)
        activity_type = self.env.ref("itsm_service_contract.mail_activity_low_balance")

        def notices():
            activities = contract.activity_ids.filtered(lambda a: a.activity_type_id == activity_type)
            mails = self.env["mail.message"].search(
                [("model", "=", "itsm.contract"), ("res_id", "=", contract.id), ("subject", "ilike", "running low")]
            )
            return len(activities), len(mails)

        contract._consume(10.0, "Audit")  # 7.5 h left: above 5
        self.assertEqual(notices(), (0, 0))
        contract._consume(3.0, "Call")  # 4.5 h left: under 5
        self.assertEqual(notices(), (1, 1))
        self.assertIn(
            self.client_a,
            self.env["mail.message"]
            .search(
                [("model", "=", "itsm.contract"), ("res_id", "=", contract.id), ("subject", "ilike", "running low")]
            )
            .partner_ids,
        )
        contract._consume(1.0, "Call")
        contract._consume(1.0, "Call")
        self.assertEqual(notices(), (1, 1), "not one notice per intervention")
        self.assertIn(contract, self.env["itsm.contract"].search([("is_low_balance", "=", True)]))
        # A recharge brings the balance back up; the next fall notifies again.
        self._buy(self.client_a, self.monthly, contract=contract, on=date(2026, 5, 1))
        self.assertFalse(contract.low_balance_notified)
        contract._consume(17.0, "Project")
        self.assertEqual(notices()[1], 2)

    def test_close_and_reopen(self):
        contract = self._contract()
        contract.action_close()
        self.assertEqual(contract.state, "closed")
        with self.assertRaisesRegex(UserError, "is Closed: no hours can be drawn"):
            contract._consume(1.0, "Call")
        with freeze_time(date(2026, 6, 1)):
            contract.action_reopen()
        self.assertEqual(contract.state, "active")
