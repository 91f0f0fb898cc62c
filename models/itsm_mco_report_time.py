from datetime import datetime
from datetime import time

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError

# An MCO report's time becomes one intervention: the same bounds (see account.analytic.line._check_itsm_line).
MAX_HOURS = 24.0

MANAGER_GROUP = "itsm_service_contract.group_itsm_account_manager"


class ItsmMcoReport(models.Model):
    """The time an MCO report took: whose it is, on which project, and how it is logged (issue 23).

    The time is logged as the technician who did the checks: a technician marks done under their own name (the
    report passes to them), only an account manager may name somebody else. It goes on a project of the
    contract's own desks, within the bounds of any intervention, and it is created as the user, through the
    timesheet rules every intervention goes through: no superuser draws on a contract for somebody.
    """

    _inherit = "itsm.mco.report"

    itsm_allowed_project_ids = fields.Many2many(
        "project.project",
        compute="_compute_itsm_allowed_project_ids",
        string="Projects of the contract",
        help="The projects of the contract's first, second and third level desks.",
    )

    @api.depends("contract_id.n1_team_id", "contract_id.n2_team_id", "contract_id.n3_team_id")
    def _compute_itsm_allowed_project_ids(self):
        for report in self:
            report.itsm_allowed_project_ids = report._itsm_contract_projects()

    def _itsm_contract_projects(self):
        self.ensure_one()
        contract = self.sudo().contract_id
        teams = contract.n1_team_id | contract.n2_team_id | contract.n3_team_id
        return teams.default_project_id

    # ------------------------------------------------------------ checks
    @api.constrains("project_id", "contract_id")
    def _check_itsm_project(self):
        for report in self.filtered("project_id"):
            allowed = report._itsm_contract_projects()
            if report.project_id not in allowed:
                raise ValidationError(
                    self.env._(
                        "MCO report %(report)s: its time is logged on a project of contract %(contract)s's desks "
                        "(%(projects)s), not on %(project)s.",
                        report=report.name,
                        contract=report.contract_id.name,
                        projects=", ".join(allowed.mapped("display_name")) or "-",
                        project=report.project_id.display_name,
                    )
                )

    @api.constrains("duration")
    def _check_itsm_duration(self):
        for report in self:
            if report.duration < 0 or report.duration > MAX_HOURS:
                raise ValidationError(
                    self.env._(
                        "MCO report %(report)s: %(hours).2f h spent. The time spent is between 0 and %(max)s h, "
                        "like any intervention (one report a day).",
                        report=report.name,
                        hours=report.duration,
                        max=int(MAX_HOURS),
                    )
                )

    def _itsm_check_user_choice(self, user_id):
        """A technician writes a report under their own name only; an account manager chooses."""
        if self.env.su or not user_id or user_id == self.env.uid or self.env.user.has_group(MANAGER_GROUP):
            return
        raise AccessError(
            self.env._(
                "Only an account manager may put an MCO report under another technician's name (%(user)s): "
                "the time spent is logged as the one who did the checks.",
                user=self.env["res.users"].sudo().browse(user_id).name or "-",
            )
        )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            self._itsm_check_user_choice(vals.get("user_id"))
        return super().create(vals_list)

    def write(self, vals):
        if "user_id" in vals:
            self._itsm_check_user_choice(vals["user_id"])
        return super().write(vals)

    # ------------------------------------------------------------ done
    def _itsm_set_done_by(self):
        """A technician (not an account manager) who marks the report done did the checks: it is theirs."""
        self.ensure_one()
        if not self.env.su and self.user_id != self.env.user and not self.env.user.has_group(MANAGER_GROUP):
            self.user_id = self.env.user

    def _itsm_log_time(self):
        """The time spent, as project work on the contract, created as the user (timesheet rules apply)."""
        self.ensure_one()
        if self.duration <= 0 or self.timesheet_id:
            return
        if not self.project_id:
            raise UserError(
                self.env._(
                    "MCO report %(report)s: choose the project its %(hours).2f h are logged on.",
                    report=self.name,
                    hours=self.duration,
                )
            )
        # finding the employee only: the line itself is created as the user
        employee = (
            self.env["hr.employee"]
            .sudo()
            .search([("user_id", "=", self.user_id.id), ("company_id", "in", [self.company_id.id, False])], limit=1)
        )
        if not employee:
            raise UserError(
                self.env._(
                    "MCO report %(report)s: %(user)s has no employee to log the time spent on.",
                    report=self.name,
                    user=self.user_id.name or "-",
                )
            )
        self.timesheet_id = self.env["account.analytic.line"].create(
            {
                "name": self.env._("MCO report %(report)s", report=self.name),
                "project_id": self.project_id.id,
                "employee_id": employee.id,
                "date": self.date,
                "date_time": datetime.combine(self.date, time(9, 0)),
                "unit_amount": self.duration,
                "itsm_contract_id": self.contract_id.id,
                "itsm_is_project": True,
            }
        )
