from datetime import datetime

from odoo.tests import HttpCase
from odoo.tests import tagged

from ..controllers.itsm_kb_portal import ItsmKnowledgePortal
from ..controllers.portal import ItsmCustomerPortal
from ..controllers.portal_dashboard import ItsmDashboardPortal
from ..controllers.portal_estate import ItsmEstatePortal
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
            ItsmCustomerPortal.portal_my_statement,
            ItsmCustomerPortal.portal_my_committee,
            ItsmEstatePortal.portal_my_mco_report_pdf,
            ItsmEstatePortal.portal_my_estate,
            ItsmKnowledgePortal.itsm_kb_list,
            ItsmKnowledgePortal.itsm_kb_page,
            ItsmKnowledgePortal.itsm_my_problems,
        ]
        for method in readonly:
            self.assertIs(method.original_routing["readonly"], True, method.__name__)
        # writes: the recharge request, the dashboard (it keeps the closed months it computed), the contract list
        # and page (they make the access tokens of the contract and its documents the first time they show them)
        for method in (
            ItsmCustomerPortal.portal_contract_request_recharge,
            ItsmDashboardPortal.portal_my_contract_dashboard,
            ItsmCustomerPortal.portal_my_contracts,
            ItsmCustomerPortal.portal_my_contract,
            ItsmEstatePortal.portal_my_mco_report,
        ):
            self.assertFalse(method.original_routing.get("readonly"), method.__name__)

    def test_read_only_pages_do_not_write(self):
        """On a read-only cursor the pages answer without a write (else Odoo logs its read/write retry)."""
        self.authenticate("itsm_portal_a", "itsm_portal_a")
        with self.assertNoLogs("odoo.http", level="WARNING"):
            estate = self.url_open("/my/estate")
            problems = self.url_open("/my/itsm/problems")
        self.assertEqual(estate.status_code, 200)
        self.assertEqual(problems.status_code, 200)
