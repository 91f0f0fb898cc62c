from odoo.tests import TransactionCase


class TestSmoke(TransactionCase):
    def test_installed(self):
        self.assertTrue(self.env["ir.module.module"].search([("name", "=", "itsm_service_contract"), ("state", "=", "installed")]))
