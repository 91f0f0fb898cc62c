from babel.dates import format_date as babel_format_date

from odoo import api
from odoo import fields
from odoo import models
from odoo.tools.misc import babel_locale_parse

from .itsm_problem import PROBLEM_STATES
from .itsm_sla_rule import TICKET_KINDS

PRIORITY_LABELS = {"3": "P1", "2": "P2", "1": "P3", "0": "P4"}


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
    name = fields.Char(
        string="Label",
        compute="_compute_name",
        help="Written when read, in the reader's language, from the row's keys (kind and priority, category, "
        "service domain, problem, month).",
    )
    frozen_name = fields.Char(
        string="Label when frozen",
        help="The name of the row's category, domain or problem when the figures were frozen: shown if that record "
        "was deleted since.",
    )
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
    problem_state = fields.Selection(
        PROBLEM_STATES, string="Problem state", help="State of the problem when the figures were frozen."
    )

    @api.depends_context("lang")
    @api.depends("section", "ticket_kind", "priority", "category_id", "domain_id", "problem_id", "month", "frozen_name")
    def _compute_name(self):
        kinds = dict(self._fields["ticket_kind"]._description_selection(self.env))
        locale = babel_locale_parse(self.env.lang or "en_US")
        for line in self:
            # the names of categories, domains and problems are the provider's data: read whoever reads the minutes
            record = line.sudo()
            if line.section == "tickets":
                name = f"{kinds.get(line.ticket_kind, '')} {PRIORITY_LABELS.get(line.priority, line.priority or '')}"
            elif line.section == "consumption" and line.month:
                name = babel_format_date(line.month, "MM/y", locale=locale)
            elif line.section == "category":
                name = record.category_id.name or line.frozen_name
            elif line.section == "domain":
                name = record.domain_id.name or line.frozen_name or self.env._("No domain")
            elif line.section == "recurring":
                name = record.problem_id._itsm_kpi_label() if record.problem_id else line.frozen_name
            else:
                name = line.frozen_name
            line.name = (name or "").strip()
