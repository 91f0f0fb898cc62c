from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

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
    @api.depends(
        "itsm_kind",
        "priority",
        "itsm_request_date",
        "itsm_agreed_date",
        "itsm_contract_id.sla_matrix_id",
        "itsm_paused_hours",
        "itsm_paused_business_hours",
        "company_id",
        "itsm_in_scope",
    )
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
        contract = self.itsm_contract_id
        values = {}
        if not contract:
            return values, None
        line = scopes.get(contract.id, {}).get(self.itsm_domain_id.id) if self.itsm_domain_id else None
        if line and line.coverage == "routed":
            values = {"team_id": line.team_id.id, "itsm_support_level": line.level}
        elif line and line.coverage == "excluded":
            if contract.out_of_scope_policy == "refuse":
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the domain %(domain)s is outside contract %(contract)s, which refuses "
                        "requests out of its scope.",
                        ticket=self.display_name,
                        domain=self.itsm_domain_id.display_name,
                        contract=contract.name,
                    )
                )
            if contract.n1_team_id:
                values = {"team_id": contract.n1_team_id.id, "itsm_support_level": "1"}
        elif contract.n1_team_id:
            values = {"team_id": contract.n1_team_id.id, "itsm_support_level": "1"}
        return values, line

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
                if (ticket[key].id if key == "team_id" else ticket[key]) != value
            }
            if values:
                groups.setdefault(tuple(sorted(values.items())), []).append(ticket.id)
            if line and line.coverage == "routed" and "team_id" in values:
                bodies[ticket.id] = self.env._(
                    "Routed to %(team)s (domain %(domain)s is handled by %(team)s).",
                    team=line.team_id.display_name,
                    domain=ticket.itsm_domain_id.display_name,
                )
        for values, ids in groups.items():
            super(HelpdeskTicket, self.browse(ids)).write(dict(values))
        if bodies:
            self.browse(list(bodies)).sudo()._message_log_batch(bodies=bodies)

    @api.model_create_multi
    def create(self, vals_list):
        catalog_ids = [vals["itsm_catalog_id"] for vals in vals_list if vals.get("itsm_catalog_id")]
        if catalog_ids:
            entries = self.env["itsm.ticket.catalog"].browse(catalog_ids)
            for vals in vals_list:
                if vals.get("itsm_catalog_id"):
                    vals.setdefault("itsm_domain_id", entries.browse(vals["itsm_catalog_id"]).domain_id.id or False)
        tickets = super().create(vals_list)
        tickets._itsm_route()
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
