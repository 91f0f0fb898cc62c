from odoo import http
from odoo.exceptions import AccessError
from odoo.exceptions import MissingError
from odoo.http import request

from .helpdesk_portal import ItsmHelpdeskTicketController
from .portal import ItsmCustomerPortal
from .portal_input import portal_id

ESTATE_LIMIT = 1000


def _client_equipment():
    """The machines of the logged-in user's company (read as the superuser, filtered by that company)."""
    client = request.env.user.partner_id.commercial_partner_id
    return (
        request.env["maintenance.equipment"]
        .sudo()
        .search([("itsm_partner_id", "=", client.id)], order="itsm_site, itsm_hostname, name, id", limit=ESTATE_LIMIT)
    )


class ItsmEstatePortal(ItsmCustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "itsm_equipment_count" in counters:
            client = request.env.user.partner_id.commercial_partner_id
            values["itsm_equipment_count"] = (
                request.env["maintenance.equipment"].sudo().search_count([("itsm_partner_id", "=", client.id)])
            )
        return values

    @http.route(["/my/estate"], type="http", auth="user", website=True, readonly=True)
    def portal_my_estate(self, **kw):
        values = self._prepare_portal_layout_values()
        values.update({"page_name": "itsm_estate", "equipment": _client_equipment()})
        return request.render("itsm_service_contract.portal_my_estate", values)

    # read/write: the page's link to its PDF makes the report's access token the first time it is shown
    @http.route(["/my/mco/<int:report_id>"], type="http", auth="public", website=True)
    def portal_my_mco_report(self, report_id, access_token=None, **kw):
        """The MCO report as a page (summary, checks, tickets opened), with a link to its PDF."""
        try:
            report_sudo = self._document_check_access("itsm.mco.report", report_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if report_sudo.state != "sent":
            return request.redirect("/my")
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "report": report_sudo,
                "page_name": "itsm_mco_report",
                "pdf_url": report_sudo.get_portal_url(suffix="/pdf"),
            }
        )
        return request.render("itsm_service_contract.portal_my_mco_report", values)

    @http.route(["/my/mco/<int:report_id>/pdf"], type="http", auth="public", website=True, readonly=True)
    def portal_my_mco_report_pdf(self, report_id, access_token=None, **kw):
        return self._itsm_download_pdf(
            "itsm.mco.report",
            report_id,
            access_token,
            "itsm_service_contract.action_report_itsm_mco",
            published=lambda report: report.state == "sent",
        )


class ItsmEstateHelpdeskTicketController(ItsmHelpdeskTicketController):
    """The portal ticket form offers the client's machines; another client's machine is refused."""

    def _get_create_new_ticket_values(self, **kw):
        values = super()._get_create_new_ticket_values(**kw)
        values["itsm_equipment"] = _client_equipment()
        return values

    def _itsm_check_posted(self, kw):
        values, error = super()._itsm_check_posted(kw)
        if error:
            return values, error
        raw = (kw.get("itsm_equipment_id") or "").strip()
        if raw:
            client = request.env.user.partner_id.commercial_partner_id
            equipment_id = portal_id(raw)
            equipment = (
                request.env["maintenance.equipment"].sudo().browse(equipment_id).exists() if equipment_id else None
            )
            if not equipment or equipment.itsm_partner_id != client:
                return values, request.env._("This machine is not one of your company's: choose one from the list.")
            values["itsm_equipment_id"] = equipment.id
        return values, None
