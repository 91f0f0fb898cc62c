from datetime import datetime

from odoo.tests import HttpCase
from odoo.tests import tagged

from ..controllers.itsm_kb_portal import ItsmKnowledgePortal
from ..controllers.portal import ItsmCustomerPortal
from ..controllers.portal_dashboard import ItsmDashboardPortal
from ..controllers.portal_estate import ItsmEstatePortal
from ..controllers.replica import itsm_readonly_unless_after_write
from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestReplicaRoutes(ItsmInterventionCase, HttpCase):
    """The portal pages that only read are served on a read-only cursor (a replica's when Odoo has one)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.line = cls.env["account.analytic.line"].create(
            {
                "name": "Backup check",
                "ticket_id": cls.ticket.id,
                "project_id": cls.project.id,
                "employee_id": cls.employee.id,
                "date_time": datetime(2026, 11, 9, 10, 0),
                "unit_amount": 65 / 60,
            }
        )

    def test_routes_marked(self):
        readonly = [
            ItsmCustomerPortal.portal_my_contracts,
            ItsmCustomerPortal.portal_my_statement,
            ItsmCustomerPortal.portal_my_committee,
            ItsmEstatePortal.portal_my_mco_report,
            ItsmEstatePortal.portal_my_estate,
            ItsmKnowledgePortal.itsm_kb_page,
            ItsmKnowledgePortal.itsm_my_problems,
        ]
        for method in readonly:
            self.assertIs(method.original_routing["readonly"], True, method.__name__)
        self.assertIs(
            ItsmCustomerPortal.portal_my_contract.original_routing["readonly"], itsm_readonly_unless_after_write
        )
        # writes: the recharge request, and the dashboard (it keeps the closed months it computed)
        for method in (
            ItsmCustomerPortal.portal_contract_request_recharge,
            ItsmDashboardPortal.portal_my_contract_dashboard,
        ):
            self.assertFalse(method.original_routing.get("readonly"), method.__name__)

    def test_contract_pages_read_only(self):
        """On a read-only cursor the pages answer without a write (else Odoo logs its read/write retry)."""
        self.authenticate("itsm_portal_a", "itsm_portal_a")
        with self.assertNoLogs("odoo.http", level="WARNING"):
            listing = self.url_open("/my/contracts")
            page = self.url_open(f"/my/contracts/{self.contract.id}")
        self.assertEqual(listing.status_code, 200)
        self.assertIn(self.contract.name, listing.text)
        self.assertEqual(page.status_code, 200)
        # 210 h bought, 1 h 05 remote counted 1 h 15: 208.75 h left
        self.assertIn("208.75", page.text)

    def test_page_after_write_on_primary(self):
        """The page a recharge request redirects to is read/write: it shows what the user just did."""
        self.authenticate("itsm_portal_a", "itsm_portal_a")
        page = self.url_open(f"/my/contracts/{self.contract.id}?message=recharge_requested")
        self.assertEqual(page.status_code, 200)
        self.assertIn("208.75", page.text)
