from odoo import http
from odoo.addons.helpdesk_mgmt.controllers.main import HelpdeskTicketController
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.http import request

from .itsm_kb_portal import itsm_kb_published_suggestions
from .portal_input import portal_id
from .portal_input import portal_text_limit
from .portal_input import text_too_long


class ItsmHelpdeskTicketController(HelpdeskTicketController):
    """The portal ticket form offers the support domain and the client's running contracts.

    What is posted is checked against what the user may choose: an unknown or archived domain, or a contract
    that is not the user's company's running contract, is refused and nothing is created.
    """

    @http.route("/ticket/close", type="http", auth="user", methods=["POST"], website=True, csrf=True)
    def support_ticket_close(self, ticket_id=None, stage_id=None, **kw):
        """Close the ticket in one of its team's stages a client may close it in: the ticket's own client only.

        Replaces helpdesk_mgmt's route, which looked the ticket up as the superuser and only checked the stage,
        so that any portal user closed or cancelled any ticket with a GET. The ticket is looked up as the user
        (record rules: the client's tickets and those it follows), by POST with the CSRF token (a GET answers
        405): a ticket the user cannot read is a 404. A stage not offered on the ticket's page, or a ticket closed
        already (a second click), changes nothing and leads back to the ticket's page, as helpdesk_mgmt does (its
        own tests hold with the addon: a 302 to the ticket either way).
        """
        ticket = request.env["helpdesk.ticket"]
        number = portal_id(ticket_id)
        ticket = ticket.search([("id", "=", number)], limit=1) if number else ticket
        if not ticket:
            raise request.not_found()
        ticket_sudo = ticket.sudo()  # the portal reads tickets; the stage is written on its behalf
        stages = ticket_sudo.team_id._get_applicable_stages().filtered("close_from_portal")
        stage = stages.filtered(lambda candidate: candidate.id == portal_id(stage_id))
        if stage and not ticket_sudo.closed:
            ticket_sudo.stage_id = stage
        return request.redirect(f"/my/ticket/{ticket_sudo.id}", code=302)

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
        values["itsm_text_limit"] = portal_text_limit(request.env)
        # "These steps may solve it": the published scenarios matching the subject (GET /new/ticket?subject=...);
        # a script may also ask /my/itsm/kb/suggest?q=... while the client types
        subject = kw.get("subject") if isinstance(kw.get("subject"), str) else ""
        subject = subject.strip()
        values["itsm_subject"] = subject
        values["itsm_kb_suggestions"] = itsm_kb_published_suggestions(subject) if subject else []
        return values

    def _itsm_check_posted(self, kw):
        """(values to add to the ticket, error message or None) from the posted domain and contract."""
        values = {}
        env = request.env
        posted = ("subject", "description", "category", "team", "itsm_domain", "itsm_contract", "itsm_equipment_id")
        if any(kw.get(name) is not None and not isinstance(kw[name], str) for name in posted):
            # a file posted under a text field's name
            return values, env._("The form was not filled in as expected: fill it in again.")
        error = text_too_long(env, kw, {"subject": env._("The subject"), "description": env._("The description")})
        if error:
            return values, error
        # helpdesk_mgmt reads these two with int(): anything but an id of theirs is refused here first
        if kw.get("category") and not env["helpdesk.ticket.category"].search_count(
            [("id", "=", portal_id(kw["category"]) or 0)]
        ):
            return values, env._("The category you chose does not exist: choose one from the list.")
        if kw.get("team") and not env["helpdesk.ticket.team"].search_count([("id", "=", portal_id(kw["team"]) or 0)]):
            return values, env._("The team you chose does not exist: choose one from the list.")
        raw_domain = (kw.get("itsm_domain") or "").strip()
        if raw_domain:
            domain_id = portal_id(raw_domain)
            domain = env["itsm.service.domain"].sudo().browse(domain_id).exists() if domain_id else None
            if not domain or not domain.active:
                return values, request.env._("The support domain you chose does not exist: choose one from the list.")
            values["itsm_domain_id"] = domain.id
        raw_contract = (kw.get("itsm_contract") or "").strip()
        if raw_contract:
            contracts = self._itsm_portal_contracts()
            contract_id = portal_id(raw_contract)
            if not contract_id or contract_id not in contracts.ids:
                return values, request.env._("This contract is not one of your company's running contracts.")
            values["itsm_contract_id"] = contract_id
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
