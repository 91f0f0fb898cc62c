from datetime import date

from freezegun import freeze_time

from odoo import Command
from odoo.tests import TransactionCase, new_test_user


class ItsmCase(TransactionCase):
    """Clients, users and packages shared by the addon's tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False, mail_notrack=False))
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Other Provider SAS"})
        cls.client_a = cls.env["res.partner"].create(
            {"name": "Client A Industries", "is_company": True, "email": "it@client-a.example.com"}
        )
        cls.client_a_contact = cls.env["res.partner"].create(
            {"name": "Alice A", "parent_id": cls.client_a.id, "email": "alice@client-a.example.com"}
        )
        cls.client_b = cls.env["res.partner"].create(
            {"name": "Client B Avocats", "is_company": True, "email": "it@client-b.example.com"}
        )
        cls.annual = cls.env.ref("itsm_service_contract.product_credit_annual")
        cls.monthly = cls.env.ref("itsm_service_contract.product_credit_monthly")
        cls.account_manager = new_test_user(
            cls.env, login="itsm_am", name="Aurore Manager",
            groups="itsm_service_contract.group_itsm_account_manager,sales_team.group_sale_salesman",
        )
        cls.technician = new_test_user(
            cls.env, login="itsm_tech", name="Théo Technician", groups="itsm_service_contract.group_itsm_technician"
        )
        cls.other_company_manager = new_test_user(
            cls.env, login="itsm_other", name="Olga Other",
            groups="itsm_service_contract.group_itsm_service_manager",
            company_id=cls.other_company.id, company_ids=[cls.other_company.id],
        )
        cls.portal_user_a = new_test_user(
            cls.env, login="itsm_portal_a", name="Alice Portal", groups="base.group_portal",
            partner_id=cls.client_a_contact.id,
        )

    # ------------------------------------------------------------ helpers
    def _order(self, partner, product, qty=1.0, contract=None):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "itsm_contract_id": contract.id if contract else False,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": qty})],
            }
        )

    def _buy(self, partner, product, qty=1.0, contract=None, on=None):
        """Confirm an order selling ``qty`` packages, on the given day."""
        order = self._order(partner, product, qty, contract)
        with freeze_time(on or date(2026, 1, 15)):
            order.action_confirm()
        return order

    def _ledger_sum(self, contract):
        """The balance computed independently: a plain sum read from the database."""
        self.env.flush_all()
        self.env.cr.execute("SELECT COALESCE(SUM(hours), 0) FROM itsm_credit_move WHERE contract_id = %s",
                            [contract.id])
        return self.env.cr.fetchone()[0]
