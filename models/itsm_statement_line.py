from odoo import api
from odoo import fields
from odoo import models

from .. import rules

HOURS = (16, 2)


class ItsmStatementLine(models.Model):
    """An intervention as the statement showed it: plain values, so later edits never change an issued statement."""

    _name = "itsm.statement.line"
    _description = "Time credit statement line"
    _order = "statement_id, date, id"

    statement_id = fields.Many2one("itsm.statement", required=True, index=True, ondelete="cascade")
    timesheet_id = fields.Many2one(
        "account.analytic.line", string="Intervention", ondelete="set null", help="The live line, if it still exists."
    )
    date = fields.Date(required=True)
    ticket_ref = fields.Char(string="Ticket")
    ticket_name = fields.Char(string="Subject")
    technician = fields.Char()
    description = fields.Char()
    mode = fields.Char(
        string="Mode (as issued)",
        help="Remote or on site as labelled when the statement was made: statements issued before the mode was "
        "kept structured (see Mode key).",
    )
    mode_key = fields.Selection([("remote", "Remote"), ("onsite", "On site")], string="Mode key")
    onsite_span = fields.Selection(
        [("hours", "Hours"), ("half_day", "Half day"), ("full_day", "Full day")], string="On-site span"
    )
    count_terms = fields.Json(help="The contract's counting terms the intervention was counted with.")
    raw_hours = fields.Float(string="Time spent", digits=HOURS)
    counted_hours = fields.Float(string="Counted", digits=HOURS, help="After quarter-hour rounding or day spans.")
    nho_hours = fields.Float(string="Non-working hours", digits=HOURS)
    is_urgent = fields.Boolean(string="Urgent")
    is_project = fields.Boolean(string="Project work")
    credit_hours = fields.Float(string="Credit drawn", digits=HOURS)
    detail = fields.Char(
        string="How it is counted (as issued)",
        help="The explanation as written when the statement was made: statements issued before the figures were "
        "kept structured.",
    )
    mode_label = fields.Char(string="Mode", compute="_compute_labels")
    explanation = fields.Char(string="How it is counted", compute="_compute_labels")

    @api.depends(
        "mode",
        "mode_key",
        "onsite_span",
        "count_terms",
        "detail",
        "raw_hours",
        "counted_hours",
        "nho_hours",
        "is_urgent",
        "credit_hours",
    )
    @api.depends_context("lang")
    def _compute_labels(self):
        """Mode and explanation in the reader's language, from the frozen figures (the client's language on the PDF)."""
        lang = self.env.lang or "en_US"
        modes = dict(self._fields["mode_key"]._description_selection(self.env))
        for line in self:
            line.mode_label = modes.get(line.mode_key) or line.mode or ""
            line.explanation = (
                rules.explain_counted(
                    line.raw_hours,
                    line.counted_hours,
                    line.nho_hours,
                    line.is_urgent,
                    line.credit_hours,
                    line.mode_key,
                    line.onsite_span,
                    line.count_terms,
                    lang=lang,
                )
                or line.detail
                or ""
            )
