from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

from .helpdesk_ticket import SLA_DEPENDS
from .itsm_contract_scope import SUPPORT_LEVELS


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    itsm_domain_id = fields.Many2one(
        "itsm.service.domain",
        string="Support domain",
        tracking=True,
        index="btree_not_null",
        help="What the request is about: the contract's scope routes the ticket by it.",
    )
    itsm_support_level = fields.Selection(
        SUPPORT_LEVELS, string="Support level", default="1", required=True, tracking=True
    )
    itsm_in_scope = fields.Boolean(
        string="In scope",
        compute="_compute_itsm_in_scope",
        store=True,
        help="Unchecked when the contract leaves the ticket's domain out: no SLA, interventions billed by time "
        "instead of drawn from the credit.",
    )

    @api.depends("itsm_contract_id", "itsm_domain_id", "itsm_contract_id.scope_ids.coverage")
    def _compute_itsm_in_scope(self):
        to_check = self.filtered(lambda t: t.itsm_contract_id and t.itsm_domain_id)
        (self - to_check).itsm_in_scope = True
        scopes = to_check.itsm_contract_id._itsm_scope_map()
        for ticket in to_check:
            line = scopes.get(ticket.itsm_contract_id.id, {}).get(ticket.itsm_domain_id.id)
            ticket.itsm_in_scope = not (line and line.coverage == "excluded")

    # ------------------------------------------------------------ SLA
    @api.depends(*SLA_DEPENDS, "itsm_in_scope")
    def _compute_itsm_sla(self):
        """Out of scope: no SLA rule, no deadline (the work is billed by time, with no commitment)."""
        out = self.filtered(lambda t: not t.itsm_in_scope)
        out.update(
            {
                "itsm_sla_rule_id": False,
                "itsm_response_deadline": False,
                "itsm_resolution_deadline": False,
                "itsm_response_risk_date": False,
                "itsm_resolution_risk_date": False,
            }
        )
        return super(HelpdeskTicket, self - out)._compute_itsm_sla()

    @api.depends("timesheet_ids.itsm_credit_hours", "itsm_in_scope")
    def _compute_itsm_credit_hours(self):
        """An out-of-scope ticket draws nothing from the credit."""
        out = self.filtered(lambda t: not t.itsm_in_scope)
        out.itsm_credit_hours = 0.0
        return super(HelpdeskTicket, self - out)._compute_itsm_credit_hours()

    # ------------------------------------------------------------ checks
    @api.constrains("itsm_kind", "priority", "itsm_agreed_date")
    def _check_itsm_itil_request(self):
        """Seed 003 holds whatever the matrix or the contract: no critical request, a low request has a date."""
        for ticket in self.filtered(lambda t: t.itsm_kind == "request"):
            if ticket.priority == "3":
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: there is no critical request (P1), the highest priority of a request "
                        "is P2 (High).",
                        ticket=ticket.display_name,
                    )
                )
            if ticket.priority == "0" and not ticket.itsm_agreed_date:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: a low-priority (P4) request needs a date agreed with the client.",
                        ticket=ticket.display_name,
                    )
                )

    # ------------------------------------------------------------ catalogue
    @api.onchange("itsm_catalog_id")
    def _onchange_itsm_catalog_id(self):
        result = super()._onchange_itsm_catalog_id()
        if self.itsm_catalog_id.domain_id:
            self.itsm_domain_id = self.itsm_catalog_id.domain_id
        return result

    # ------------------------------------------------------------ routing
    def _itsm_route_values(self, scopes):
        """{field: value} routing this ticket by its contract's scope (``scopes``: ``_itsm_scope_map``).

        Returns (values, scope line or None). Raises when the contract refuses the domain.
        """
        self.ensure_one()
        return self._itsm_route_for(self.itsm_contract_id, self.itsm_domain_id, scopes, self.display_name)

    @api.model
    def _itsm_route_for(self, contract, domain, scopes, ticket_name):
        """(values, scope line or None) routing a ticket of ``contract`` about ``domain`` (see ``_itsm_route_values``).

        Works on values as well as on records: ``create`` routes the tickets before inserting them.
        """
        values = {}
        if not contract:
            return values, None
        values, line = self._itsm_route_team(contract, domain, scopes, ticket_name)
        project = self.env["helpdesk.ticket.team"].browse(values.get("team_id"))._itsm_timesheet_project()
        if project:
            # routed by the server, not by the form's onchange: the ticket gets its team's project here, so that
            # time can be logged on it at once (the Timesheets tab shows)
            values["project_id"] = project.id
        return values, line

    @api.model
    def _itsm_route_team(self, contract, domain, scopes, ticket_name):
        """(values, scope line or None): the team and level of ``_itsm_route_for``, without the project."""
        values = {}
        line = scopes.get(contract.id, {}).get(domain.id) if domain else None
        if line and line.coverage == "routed":
            values = {"team_id": line.team_id.id, "itsm_support_level": line.level}
        elif line and line.coverage == "excluded":
            if contract.out_of_scope_policy == "refuse":
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the domain %(domain)s is outside contract %(contract)s, which refuses "
                        "requests out of its scope.",
                        ticket=ticket_name,
                        domain=domain.display_name,
                        contract=contract.name,
                    )
                )
            if contract.n1_team_id:
                values = {"team_id": contract.n1_team_id.id, "itsm_support_level": "1"}
        elif contract.n1_team_id:
            values = {"team_id": contract.n1_team_id.id, "itsm_support_level": "1"}
        return values, line

    def _itsm_routed_body(self, line):
        self.ensure_one()
        return self.company_id._itsm_staff_env()._(
            "Routed to %(team)s (domain %(domain)s is handled by %(team)s).",
            team=line.team_id.display_name,
            domain=self.itsm_domain_id.display_name,
        )

    @api.model
    def _itsm_preroute(self, vals_list):
        """Route the tickets about to be created in their values: team and level set before the insert.

        The contract is found as ``_compute_itsm_contract_id`` would (client and company), and set in the values
        so that compute does not search it again; one read of the scope for the whole batch. Returns, per
        values, ``None`` when they could not be routed here (no partner nor contract given: routed after the
        insert), else the scope line when the ticket goes to a routed team (it gets the routing message).
        The contract is chosen on the company known before routing (the values' company, else the current one).
        """
        Contract = self.env["itsm.contract"]
        Partner = self.env["res.partner"]
        partner_ids = [
            vals["partner_id"] for vals in vals_list if vals.get("partner_id") and "itsm_contract_id" not in vals
        ]
        running = {}
        if partner_ids:
            running = Contract._running_contracts(Partner.browse(partner_ids).commercial_partner_id)
        contracts = []
        for vals in vals_list:
            if "itsm_contract_id" in vals:
                contracts.append(Contract.browse(vals["itsm_contract_id"] or []))
            elif vals.get("partner_id"):
                client = Partner.browse(vals["partner_id"]).commercial_partner_id
                company_id = vals.get("company_id") or self.env.company.id
                contract = running.get((client.id, company_id), Contract)
                vals["itsm_contract_id"] = contract.id
                contracts.append(contract)
            else:
                contracts.append(None)
        known = [contract for contract in contracts if contract]
        scopes = Contract.union(*known)._itsm_scope_map() if known else {}
        Domain = self.env["itsm.service.domain"]
        routed = []
        for vals, contract in zip(vals_list, contracts, strict=True):
            if contract is None:
                routed.append(None)
                continue
            values, line = self._itsm_route_for(
                contract, Domain.browse(vals.get("itsm_domain_id") or []), scopes, vals.get("name") or ""
            )
            moved = values and values["team_id"] != vals.get("team_id")
            vals.update(values)
            routed.append(line if moved and line and line.coverage == "routed" else False)
        return routed

    def _itsm_route(self):
        """Route these tickets by their contract's scope: one read of the scope for the whole batch."""
        tickets = self.filtered("itsm_contract_id")
        if not tickets:
            return
        scopes = tickets.itsm_contract_id._itsm_scope_map()
        groups, bodies = {}, {}
        for ticket in tickets:
            values, line = ticket._itsm_route_values(scopes)
            values = {
                key: value
                for key, value in values.items()
                if (ticket[key].id if key in ("team_id", "project_id") else ticket[key]) != value
            }
            if values:
                groups.setdefault(tuple(sorted(values.items())), []).append(ticket.id)
            if line and line.coverage == "routed" and "team_id" in values:
                bodies[ticket.id] = ticket._itsm_routed_body(line)
        for values, ids in groups.items():
            # the plain write, below this model's own: routing must not route again
            super(HelpdeskTicket, self.browse(ids)).write(dict(values))  # pylint: disable=super-method-mismatch
        if bodies:
            self.browse(list(bodies)).sudo()._message_log_batch(bodies=bodies)

    @api.model_create_multi
    def create(self, vals_list):
        vals_list = [dict(vals) for vals in vals_list]  # routing fills them in: the caller's stay as given
        catalog_ids = [vals["itsm_catalog_id"] for vals in vals_list if vals.get("itsm_catalog_id")]
        if catalog_ids:
            entries = self.env["itsm.ticket.catalog"].browse(catalog_ids)
            for vals in vals_list:
                if vals.get("itsm_catalog_id"):
                    vals.setdefault("itsm_domain_id", entries.browse(vals["itsm_catalog_id"]).domain_id.id or False)
        routed = self._itsm_preroute(vals_list)
        tickets = super().create(vals_list)
        tickets.browse([t.id for t, line in zip(tickets, routed, strict=True) if line is None])._itsm_route()
        bodies = {t.id: t._itsm_routed_body(line) for t, line in zip(tickets, routed, strict=True) if line}
        if bodies:
            tickets.browse(list(bodies)).sudo()._message_log_batch(bodies=bodies)
        return tickets

    def write(self, vals):
        if vals.get("itsm_catalog_id") and "itsm_domain_id" not in vals:
            domain = self.env["itsm.ticket.catalog"].browse(vals["itsm_catalog_id"]).domain_id
            if domain:
                vals = dict(vals, itsm_domain_id=domain.id)
        rerouting = "itsm_domain_id" in vals or "itsm_contract_id" in vals
        before = {ticket.id: ticket.itsm_in_scope for ticket in self} if rerouting else {}
        result = super().write(vals)
        if rerouting:
            self.filtered(lambda t: t.itsm_support_level == "1")._itsm_route()
            changed = self.filtered(lambda t: t.itsm_in_scope != before[t.id])
            lines = changed.sudo().timesheet_ids.filtered("itsm_contract_id")
            if lines:
                lines._itsm_sync_credit_moves()
        return result
