from odoo import api
from odoo import fields
from odoo import models

from ..access import checked


class ItsmRetentionWizard(models.TransientModel):
    _name = "itsm.retention.wizard"
    _description = "Preview and run the retention of personal data"

    company_id = fields.Many2one("res.company", required=True, default=lambda self: self.env.company)
    retention_years = fields.Integer(string="Retention (years)", compute="_compute_counts")
    cutoff_date = fields.Date(
        string="Older than", compute="_compute_counts", help="Data dated before this day is anonymised."
    )
    state = fields.Selection([("preview", "Preview"), ("done", "Done")], default="preview", required=True)
    ticket_count = fields.Integer(string="Closed tickets", compute="_compute_counts")
    message_count = fields.Integer(string="Ticket messages", compute="_compute_counts")
    attachment_count = fields.Integer(string="Ticket attachments (deleted)", compute="_compute_counts")
    timesheet_count = fields.Integer(string="Intervention descriptions", compute="_compute_counts")
    committee_count = fields.Integer(string="Committee attendee lists", compute="_compute_counts")
    package_count = fields.Integer(
        string="Reversibility packages (deleted)",
        compute="_compute_counts",
        help="Packages already built for the contracts concerned hold the data about to be anonymised.",
    )
    done_summary = fields.Text(string="Result", readonly=True)

    @api.depends("company_id", "company_id.itsm_retention_years", "state")
    def _compute_counts(self):
        Retention = self.env["itsm.retention"]
        for wizard in self:
            counts = Retention._itsm_anonymise(wizard.company_id, dry_run=True)
            wizard.retention_years = wizard.company_id.itsm_retention_years
            wizard.cutoff_date = Retention._itsm_cutoff(wizard.company_id)
            wizard.ticket_count = counts["tickets"]
            wizard.message_count = counts["messages"]
            wizard.attachment_count = counts["attachments"]
            wizard.timesheet_count = counts["timesheets"]
            wizard.committee_count = counts["committees"]
            wizard.package_count = counts["packages"]

    @checked()
    def action_anonymise(self):
        self.ensure_one()
        counts = self.env["itsm.retention"]._itsm_anonymise(self.company_id)
        self.write(
            {
                "state": "done",
                "done_summary": self.env._(
                    "Anonymised: %(tickets)s closed ticket(s), %(messages)s message(s), %(attachments)s attachment(s) "
                    "deleted, %(timesheets)s intervention description(s), %(committees)s committee attendee list(s), "
                    "%(packages)s reversibility package(s) deleted.",
                    **counts,
                ),
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": self._name,
            "res_id": self.id,
            "view_mode": "form",
            "target": "new",
        }
