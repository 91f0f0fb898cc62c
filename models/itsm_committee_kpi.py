from odoo import fields
from odoo import models

from .itsm_sla_rule import TICKET_KINDS


class ItsmCommitteeKpi(models.Model):
    """One frozen row of a committee's figures: a table line or a bar of the consumption chart."""

    _name = "itsm.committee.kpi"
    _description = "Steering committee figure"
    _order = "committee_id, sequence, id"

    committee_id = fields.Many2one("itsm.committee", required=True, index=True, ondelete="cascade")
    section = fields.Selection(
        [
            ("tickets", "Tickets by kind and priority"),
            ("category", "Top categories"),
            ("domain", "Tickets by service domain"),
            ("recurring", "Problems (recurring incidents)"),
            ("consumption", "Monthly consumption"),
        ],
        required=True,
    )
    sequence = fields.Integer(default=10, help="Tickets first, then categories, recurring incidents, months.")
    name = fields.Char(string="Label", required=True)
    ticket_kind = fields.Selection(TICKET_KINDS, string="Kind")
    priority = fields.Char(help="Priority key of the helpdesk ticket: 3 = P1 ... 0 = P4.")
    category_id = fields.Many2one("helpdesk.ticket.category")
    domain_id = fields.Many2one("itsm.service.domain", string="Service domain")
    count = fields.Integer(string="Tickets", help="Tickets opened in the period (incidents linked, for a problem).")
    count_closed = fields.Integer(string="Closed")
    count_sla = fields.Integer(string="With a target due", help="Tickets with a deadline in the period.")
    response_due = fields.Integer(string="Responses judged", help="Response targets met or missed in the period.")
    response_met = fields.Integer(string="Response met")
    resolution_due = fields.Integer(string="Resolutions judged", help="Resolution targets met or missed in the period.")
    resolution_met = fields.Integer(string="Resolution met")
    month = fields.Date()
    hours = fields.Float(
        digits=(16, 2),
        help="Monthly consumption: hours of the month. Tickets: credit drawn in the period by the row's tickets.",
    )
    detail = fields.Char(help="Tickets concerned; for a problem, its root cause.")
    problem_id = fields.Many2one("itsm.problem", ondelete="set null")
    problem_state = fields.Char(string="Problem state", help="State of the problem when the figures were frozen.")
