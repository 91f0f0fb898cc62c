from odoo import http
from odoo.exceptions import AccessError
from odoo.exceptions import MissingError
from odoo.http import request

from .portal import ItsmCustomerPortal


class ItsmDashboardPortal(ItsmCustomerPortal):
    """The contract's service dashboard on the portal: the page, and its PDF (``?report_type=pdf``)."""

    @http.route(["/my/contracts/<int:contract_id>/dashboard"], type="http", auth="public", website=True)
    def portal_my_contract_dashboard(self, contract_id, access_token=None, report_type=None, download=False, **kw):
        try:
            contract_sudo = self._document_check_access("itsm.contract", contract_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if report_type == "pdf":
            return self._show_report(
                model=contract_sudo,
                report_type="pdf",
                report_ref="itsm_service_contract.action_report_itsm_dashboard",
                download=download in (True, "1", "true"),
            )
        contract_sudo = contract_sudo.with_context(lang=request.env.lang)
        values = {
            "contract": contract_sudo,
            "page_name": "itsm_contract_dashboard",
            "dashboard": contract_sudo._itsm_dashboard(),
            "printed": False,
            "access_token": access_token,
        }
        values = self._get_page_view_values(contract_sudo, access_token, values, "my_itsm_contracts_history", False)
        return request.render("itsm_service_contract.portal_my_contract_dashboard", values)
