from odoo import fields
from odoo import models

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
    mode = fields.Char(help="Remote or on site, as labelled when the statement was made.")
    raw_hours = fields.Float(string="Time spent", digits=HOURS)
    counted_hours = fields.Float(string="Counted", digits=HOURS, help="After quarter-hour rounding or day spans.")
    nho_hours = fields.Float(string="Non-working hours", digits=HOURS)
    is_urgent = fields.Boolean(string="Urgent")
    is_project = fields.Boolean(string="Project work")
    credit_hours = fields.Float(string="Credit drawn", digits=HOURS)
    detail = fields.Char(string="How it is counted")
