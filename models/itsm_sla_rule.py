from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

TICKET_KINDS = [("incident", "Incident"), ("request", "Request")]
# The keys of helpdesk.ticket.priority.
PRIORITIES = [("3", "P1 - Critical"), ("2", "P2 - High"), ("1", "P3 - Normal"), ("0", "P4 - Low")]


class ItsmSlaRule(models.Model):
    _name = "itsm.sla.rule"
    _description = "SLA rule"
    _order = "matrix_id, ticket_kind, priority desc"

    matrix_id = fields.Many2one("itsm.sla.matrix", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="matrix_id.company_id", store=True)
    ticket_kind = fields.Selection(TICKET_KINDS, string="Kind", required=True)
    priority = fields.Selection(PRIORITIES, required=True)
    response_hours = fields.Float(
        string="Response (h)", help="Time allowed for the first answer to the client, from the request."
    )
    resolution_hours = fields.Float(string="Resolution (h)", help="Time allowed to resolve, from the request.")
    use_calendar = fields.Boolean(
        string="Business hours",
        default=True,
        help="Count on the matrix's working calendar (business hours); unticked, the clock runs round the clock.",
    )
    allowed = fields.Boolean(
        default=True, help="Unticked: tickets of this kind and priority are refused (P1 requests)."
    )
    requires_agreed_date = fields.Boolean(
        string="Requires an agreed date",
        help="The resolution deadline is the date agreed with the client (P4 requests).",
    )

    @api.depends("ticket_kind", "priority")
    def _compute_display_name(self):
        kinds = dict(self._fields["ticket_kind"]._description_selection(self.env))
        priorities = dict(self._fields["priority"]._description_selection(self.env))
        for rule in self:
            rule.display_name = f"{kinds.get(rule.ticket_kind, '')} {priorities.get(rule.priority, '')}".strip()

    @api.constrains("matrix_id", "ticket_kind", "priority")
    def _check_unique(self):
        for rule in self:
            twins = rule.matrix_id.rule_ids.filtered(
                lambda r, rule=rule: r != rule and r.ticket_kind == rule.ticket_kind and r.priority == rule.priority
            )
            if twins:
                raise ValidationError(
                    self.env._(
                        "SLA matrix %(matrix)s already has a rule for %(rule)s: one rule per kind and priority.",
                        matrix=rule.matrix_id.name,
                        rule=rule.display_name,
                    )
                )

    @api.constrains("response_hours", "resolution_hours")
    def _check_hours(self):
        for rule in self:
            if rule.response_hours < 0 or rule.resolution_hours < 0:
                raise ValidationError(
                    self.env._(
                        "SLA rule %(rule)s of %(matrix)s: hours cannot be negative (response %(response)s h, "
                        "resolution %(resolution)s h).",
                        rule=rule.display_name,
                        matrix=rule.matrix_id.name,
                        response=rule.response_hours,
                        resolution=rule.resolution_hours,
                    )
                )
