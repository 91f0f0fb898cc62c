from werkzeug.urls import url_encode

from odoo import http
from odoo.addons.portal.controllers import portal
from odoo.addons.portal.controllers.portal import pager as portal_pager
from odoo.exceptions import AccessError
from odoo.exceptions import MissingError
from odoo.exceptions import UserError
from odoo.http import request
from odoo.tools import SQL

from .portal_input import portal_id

PAGE_SIZE = 20
LEDGER_PAGE_SIZE = 50
# the ticket filter lists the tickets most recently worked on; an older ticket is still a valid filter
TICKET_CHOICES = 200
# the ticket choices are read in the contract's latest interventions (see portal_my_contract)
TICKET_WINDOW = 2000
# Odoo's portal pager shows the pages around the current one: up to 4 after it (scope 5)
PAGER_SCOPE = 5
PAGER_LINKS = ("page_first", "page_start", "page_previous", "page_next", "page_end", "page_last")


class ItsmCustomerPortal(portal.CustomerPortal):
    def _prepare_home_portal_values(self, counters):
        values = super()._prepare_home_portal_values(counters)
        if "itsm_contract_count" in counters:
            Contract = request.env["itsm.contract"]
            values["itsm_contract_count"] = Contract.search_count([]) if Contract.has_access("read") else 0
        return values

    def _document_check_access(self, model_name, document_id, access_token=None):
        """No record for an id PostgreSQL's ``integer`` cannot hold (``/my/ticket/2**80``): MissingError, not a 500."""
        if portal_id(document_id) is None:
            raise MissingError(request.env._("This document does not exist."))
        return super()._document_check_access(model_name, document_id, access_token=access_token)

    @staticmethod
    def _itsm_page(page):
        """A page number from the URL: anything not a positive integer is page 1."""
        try:
            return max(1, min(int(page), 10**6))
        except (TypeError, ValueError):
            return 1

    @http.route(["/my/contracts", "/my/contracts/page/<int:page>"], type="http", auth="user", website=True)
    def portal_my_contracts(self, page=1, sortby=None, **kw):
        Contract = request.env["itsm.contract"]
        sortings = {
            "date_end": {"label": request.env._("Validity end"), "order": "date_end desc, id desc"},
            "name": {"label": request.env._("Reference"), "order": "name desc"},
        }
        sortby = sortby if sortby in sortings else "date_end"
        total = Contract.search_count([])
        pager = portal_pager(
            url="/my/contracts", url_args={"sortby": sortby}, total=total, page=self._itsm_page(page), step=PAGE_SIZE
        )
        contracts = Contract.search([], order=sortings[sortby]["order"], limit=PAGE_SIZE, offset=pager["offset"])
        values = self._prepare_portal_layout_values()
        values.update(
            {
                "contracts": contracts,
                "page_name": "itsm_contracts",
                "pager": pager,
                "default_url": "/my/contracts",
                "sortby": sortby,
                "searchbar_sortings": sortings,
            }
        )
        return request.render("itsm_service_contract.portal_my_contracts", values)

    @staticmethod
    def _itsm_pager_links(pager, url, params, param):
        """Point a portal pager's links at ``url`` with the page number in the query parameter ``param``.

        Odoo's pager links to ``<url>/page/<n>``; the contract page has two pagers (interventions and ledger)
        on one URL, the links of each keep the filters and the other pager's page (``params``, falsy ones left out).
        """

        def link(num):
            args = {key: value for key, value in {**params, param: num if num > 1 else None}.items() if value}
            return f"{url}?{url_encode(args)}" if args else url

        for entry in (pager["page"], *pager["pages"], *(pager[key] for key in PAGER_LINKS)):
            entry["url"] = link(entry["num"])
        return pager

    @staticmethod
    def _itsm_pager_total(model, domain, page, step):
        """The records of ``domain`` a pager at ``page`` needs to know of: counted up to its last page link.

        Odoo's pager shows the previous page, the pages around the current one (scope 5) and the next page: a
        count stopped one record past the last page it links to draws the same pager as the full count, and
        costs what the page's offset costs, not what the whole history does. Past the end, the count is exact
        and the pager brings the page back to the last one.
        """
        return model.search_count(domain, limit=(page + PAGER_SCOPE - 1) * step + 1)

    @staticmethod
    def _itsm_contract_months(contract):
        """The months of the contract's interventions, latest first (``YYYY-MM``).

        A loose index scan: from the first date, each step reads the first date of the following months by
        the index ``(itsm_contract_id, date, id)``, one probe a month with an intervention. An aggregate
        (``_read_group`` by ``date:month``) reads every line of the history; the ORM has no such skip scan,
        hence the SQL, with parameters only.
        """
        contract.env.cr.execute(
            SQL(
                """
                WITH RECURSIVE months(first_day) AS (
                    SELECT date_trunc('month', min(date))::date
                      FROM account_analytic_line
                     WHERE itsm_contract_id = %(contract)s
                    UNION ALL
                    SELECT (SELECT date_trunc('month', min(line.date))::date
                              FROM account_analytic_line line
                             WHERE line.itsm_contract_id = %(contract)s
                               AND line.date >= (months.first_day + interval '1 month')::date)
                      FROM months
                     WHERE months.first_day IS NOT NULL
                )
                SELECT to_char(first_day, 'YYYY-MM') FROM months WHERE first_day IS NOT NULL ORDER BY first_day DESC
                """,
                contract=contract.id,
            )
        )
        return [first_day for [first_day] in contract.env.cr.fetchall()]

    @staticmethod
    def _itsm_contract_tickets(contract):
        """The tickets of the contract's latest interventions, most recently worked on first.

        A window of the history (its last ``TICKET_WINDOW`` interventions, read backwards on the index
        ``(itsm_contract_id, date, id)``), so that the choices cost the same whatever its length; a ticket
        worked on before it is still a valid filter. A ticket's own fields cannot say it: a ticket's lines may
        be counted on several contracts (a renewal), its ``itsm_contract_id`` names one. The ORM cannot group
        a limited sub-select (``_read_group`` on ``id in _search(limit=...)`` is planned as a semi-join that
        scans every line of the table), hence the SQL, with parameters only.
        """
        contract.env.cr.execute(
            SQL(
                """
                SELECT latest.ticket_id
                  FROM (SELECT ticket_id, date
                          FROM account_analytic_line
                         WHERE itsm_contract_id = %(contract)s
                         ORDER BY date DESC, id DESC
                         LIMIT %(window)s) latest
                 WHERE latest.ticket_id IS NOT NULL
                 GROUP BY latest.ticket_id
                 ORDER BY max(latest.date) DESC, latest.ticket_id DESC
                 LIMIT %(choices)s
                """,
                contract=contract.id,
                window=TICKET_WINDOW,
                choices=TICKET_CHOICES,
            )
        )
        return contract.env["helpdesk.ticket"].browse([ticket_id for [ticket_id] in contract.env.cr.fetchall()])

    @http.route(["/my/contracts/<int:contract_id>"], type="http", auth="public", website=True)
    def portal_my_contract(
        self, contract_id, access_token=None, month=None, ticket=None, page=1, ledger_page=1, message=None, **kw
    ):
        try:
            contract_sudo = self._document_check_access("itsm.contract", contract_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        Line = request.env["account.analytic.line"].sudo()
        contract_domain = [("itsm_contract_id", "=", contract_sudo.id)]
        # The filters' choices and the pagers read what the page shows, never the whole history: the page costs
        # the same with 100 interventions and with 100 000 (composite indexes in account_analytic_line.init()).
        months = self._itsm_contract_months(contract_sudo)
        tickets = self._itsm_contract_tickets(contract_sudo)
        domain = list(contract_domain)
        if isinstance(month, str) and month in months:
            year, number = (int(part) for part in month.split("-"))
            domain += [
                ("date", ">=", f"{year}-{number:02d}-01"),
                ("date", "<", f"{year + number // 12}-{number % 12 + 1:02d}-01"),
            ]
        else:
            month = None
        ticket_id = portal_id(ticket) if ticket else None
        if ticket_id and ticket_id not in tickets.ids:
            # a ticket worked on long ago, past the choices listed: still a filter of this contract's lines
            if Line.search_count([*contract_domain, ("ticket_id", "=", ticket_id)], limit=1):
                tickets |= tickets.browse(ticket_id)
            else:
                ticket_id = None
        if ticket_id:
            domain.append(("ticket_id", "=", ticket_id))
        Move = request.env["itsm.credit.move"].sudo()
        ledger_domain = [("contract_id", "=", contract_sudo.id)]
        page, ledger_page = self._itsm_page(page), self._itsm_page(ledger_page)
        pager = portal_pager(
            url="", total=self._itsm_pager_total(Line, domain, page, PAGE_SIZE), page=page, step=PAGE_SIZE
        )
        ledger_pager = portal_pager(
            url="",
            total=self._itsm_pager_total(Move, ledger_domain, ledger_page, LEDGER_PAGE_SIZE),
            page=ledger_page,
            step=LEDGER_PAGE_SIZE,
        )
        url = f"/my/contracts/{contract_sudo.id}"
        filters = {"month": month, "ticket": ticket_id, "access_token": access_token}
        page_num, ledger_num = pager["page"]["num"], ledger_pager["page"]["num"]
        self._itsm_pager_links(pager, url, {**filters, "ledger_page": ledger_num if ledger_num > 1 else None}, "page")
        self._itsm_pager_links(
            ledger_pager, url, {**filters, "page": page_num if page_num > 1 else None}, "ledger_page"
        )
        values = {
            "contract": contract_sudo,
            "page_name": "itsm_contract",
            "interventions": Line.search(domain, order="date desc, id desc", limit=PAGE_SIZE, offset=pager["offset"]),
            "moves": Move.search(ledger_domain, limit=LEDGER_PAGE_SIZE, offset=ledger_pager["offset"]),
            "documents": contract_sudo._itsm_portal_documents(),
            "months": months,
            "month": month,
            "tickets": tickets,
            "ticket_id": ticket_id,
            "pager": pager,
            "ledger_pager": ledger_pager,
            "message": message if message in ("recharge_requested", "recharge_pending", "recharge_refused") else None,
            "access_token": access_token,
        }
        values = self._get_page_view_values(contract_sudo, access_token, values, "my_itsm_contracts_history", False)
        return request.render("itsm_service_contract.portal_my_contract", values)

    @http.route(["/my/contracts/<int:contract_id>/recharge"], type="http", auth="user", methods=["POST"], website=True)
    def portal_contract_request_recharge(self, contract_id, access_token=None, **kw):
        try:
            contract_sudo = self._document_check_access("itsm.contract", contract_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        try:
            _order, created = contract_sudo._itsm_portal_request_recharge(request.env.user.partner_id)
        except UserError:
            return request.redirect(f"/my/contracts/{contract_sudo.id}?message=recharge_refused")
        message = "recharge_requested" if created else "recharge_pending"
        return request.redirect(f"/my/contracts/{contract_sudo.id}?message={message}")

    def _itsm_download_pdf(self, model_name, record_id, access_token, report_ref, published=None):
        """A client's document as a PDF, after the Odoo portal access check; anything else goes back to /my."""
        try:
            record_sudo = self._document_check_access(model_name, record_id, access_token)
        except (AccessError, MissingError):
            return request.redirect("/my")
        if published and not published(record_sudo):
            return request.redirect("/my")
        try:
            return self._show_report(model=record_sudo, report_type="pdf", report_ref=report_ref, download=True)
        except UserError as error:
            # beyond what one request may render (ir.actions.report._itsm_pdf_budget): say so, render nothing
            return request.render(
                "itsm_service_contract.portal_itsm_document_refused", {"message": error.args[0]}, status=413
            )

    @http.route(["/my/statements/<int:statement_id>"], type="http", auth="public", website=True, readonly=True)
    def portal_my_statement(self, statement_id, access_token=None, **kw):
        return self._itsm_download_pdf(
            "itsm.statement",
            statement_id,
            access_token,
            "itsm_service_contract.action_report_itsm_statement",
            published=lambda statement: statement.state == "issued",
        )

    @http.route(["/my/committees/<int:committee_id>"], type="http", auth="public", website=True, readonly=True)
    def portal_my_committee(self, committee_id, access_token=None, **kw):
        return self._itsm_download_pdf(
            "itsm.committee",
            committee_id,
            access_token,
            "itsm_service_contract.action_report_itsm_committee",
            published=lambda committee: committee.state == "sent",
        )

    @http.route(["/my/ticket/<int:ticket_id>/assistance-form"], type="http", auth="public", website=True)
    def portal_my_ticket_assistance_form(self, ticket_id, access_token=None, **kw):
        """The user assistance form of the client's own ticket."""
        return self._itsm_download_pdf(
            "helpdesk.ticket", ticket_id, access_token, "itsm_service_contract.action_report_itsm_assistance_form"
        )
