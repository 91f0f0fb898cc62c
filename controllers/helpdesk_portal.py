from odoo import http
from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.http import request

from .itsm_kb_portal import itsm_kb_published_suggestions


class ItsmHelpdeskTicketController(HelpdeskTicketController):
    """The portal ticket form offers the support domain and the client's running contracts.

    What is posted is checked against what the user may choose: an unknown or archived domain, or a contract
    that is not the user's company's running contract, is refused and nothing is created.
    """

    def _itsm_portal_contracts(self):
        client = request.env.user.partner_id.commercial_partner_id
        return (
            request.env["itsm.contract"]
            .sudo()
            .search([("partner_id", "=", client.id), ("state", "in", ("active", "grace"))])
        )

    def _get_create_new_ticket_values(self, **kw):
        values = super()._get_create_new_ticket_values(**kw)
        values["itsm_domains"] = request.env["itsm.service.domain"].sudo().search([])
        values["itsm_contracts"] = self._itsm_portal_contracts()
        # "These steps may solve it": the published scenarios matching the subject (GET /new/ticket?subject=...);
        # a script may also ask /my/itsm/kb/suggest?q=... while the client types
        subject = (kw.get("subject") or "").strip()
        values["itsm_subject"] = subject
        values["itsm_kb_suggestions"] = itsm_kb_published_suggestions(subject) if subject else []
        return values

    def _itsm_check_posted(self, kw):
        """(values to add to the ticket, error message or None) from the posted domain and contract."""
        values = {}
        raw_domain = (kw.get("itsm_domain") or "").strip()
        if raw_domain:
            domain = (
                request.env["itsm.service.domain"].sudo().browse(int(raw_domain)).exists()
                if raw_domain.isdigit()
                else None
            )
            if not domain or not domain.active:
                return values, request.env._("The support domain you chose does not exist: choose one from the list.")
            values["itsm_domain_id"] = domain.id
        raw_contract = (kw.get("itsm_contract") or "").strip()
        if raw_contract:
            contracts = self._itsm_portal_contracts()
            if not raw_contract.isdigit() or int(raw_contract) not in contracts.ids:
                return values, request.env._("This contract is not one of your company's running contracts.")
            values["itsm_contract_id"] = int(raw_contract)
        return values, None

    def _prepare_submit_ticket_vals(self, **kw):
        vals = super()._prepare_submit_ticket_vals(**kw)
        values, _error = self._itsm_check_posted(kw)
        vals.update(values)
        return vals

    @http.route("/submitted/ticket", type="http", auth="user", website=True, csrf=True)
    def submit_ticket(self, **kw):
        _values, error = self._itsm_check_posted(kw)
        if error:
            values = self._get_create_new_ticket_values(**kw)
            values["itsm_error"] = error
            return request.render("helpdesk_mgmt.portal_create_ticket", values, status=400)
        try:
            with request.env.cr.savepoint():
                return super().submit_ticket(**kw)
        except (UserError, ValidationError) as refusal:
            values = self._get_create_new_ticket_values(**kw)
            values["itsm_error"] = str(refusal.args[0]) if refusal.args else str(refusal)
            return request.render("helpdesk_mgmt.portal_create_ticket", values, status=400)
