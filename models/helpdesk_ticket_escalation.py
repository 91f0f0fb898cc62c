import logging

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

from .. import rules
from ..access import checked

_logger = logging.getLogger(__name__)

ESCALATION_SCAN_BATCH = 200  # tickets escalated per cron transaction
NEXT_LEVEL = {"1": "2", "2": "3"}
LEVEL_TEAM = {"1": "n1_team_id", "2": "n2_team_id", "3": "n3_team_id"}


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    itsm_escalation_ids = fields.One2many("itsm.ticket.escalation", "ticket_id", string="Escalations")
    itsm_escalation_due_date = fields.Datetime(
        string="Automatic escalation due",
        compute="_compute_itsm_escalation_due_date",
        store=True,
        index="btree_not_null",
        copy=False,
        help="When the scheduled action escalates the ticket to the next level if it is still open: the contract's "
        "threshold of the resolution time for level 2, halfway through what is left for level 3. Empty when there "
        "is nothing to escalate to, or when it was already escalated automatically to that level.",
    )

    @api.depends(
        "itsm_request_date",
        "itsm_resolution_deadline",
        "itsm_support_level",
        "itsm_in_scope",
        "itsm_contract_id.escalation_threshold_pct",
        "itsm_contract_id.n2_team_id",
        "itsm_contract_id.n3_team_id",
        "itsm_escalation_ids.to_level",
        "itsm_escalation_ids.automatic",
    )
    def _compute_itsm_escalation_due_date(self):
        for ticket in self:
            ticket.itsm_escalation_due_date = ticket._itsm_escalation_due()

    def _itsm_escalation_due(self):
        """The moment of the next automatic escalation, or False (see ``itsm_escalation_due_date``)."""
        self.ensure_one()
        contract = self.itsm_contract_id
        level = NEXT_LEVEL.get(self.itsm_support_level)
        if not (contract and level and self.itsm_in_scope and self.itsm_resolution_deadline):
            return False
        if not contract[LEVEL_TEAM[level]]:
            return False
        if self.itsm_escalation_ids.filtered(lambda e: e.automatic and e.to_level == level):
            return False  # once per level
        start = self.itsm_request_date or self.create_date or fields.Datetime.now()
        share = rules.escalation_shares(contract.escalation_threshold_pct)[level]
        return rules.share_moment(start, self.itsm_resolution_deadline, share)

    # ------------------------------------------------------------ manual
    @checked("write")
    def action_itsm_escalate(self):
        """Open the escalation wizard: the reason is asked for, the ticket moves one level up."""
        self.ensure_one()
        self._itsm_check_escalable()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Escalate %(ticket)s", ticket=self.display_name),
            "res_model": "itsm.escalation.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_ticket_id": self.id},
        }

    def _itsm_check_escalable(self):
        self.ensure_one()
        if self.closed:
            raise UserError(
                self.env._("Ticket %(ticket)s is closed: it cannot be escalated.", ticket=self.display_name)
            )
        if self.itsm_support_level not in NEXT_LEVEL:
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s is already at level 3, the last level of the escalation path.",
                    ticket=self.display_name,
                )
            )

    def _itsm_escalation_target(self):
        """{level, team, project, warning} of this ticket's next escalation, shown by the wizard before confirming.

        ``project``: where time is logged once escalated (the new team's timesheet project, else the ticket's
        current one); ``warning``: why the escalation will be refused, or False.
        """
        self.ensure_one()
        level = NEXT_LEVEL.get(self.itsm_support_level)
        contract = self.itsm_contract_id
        team = contract[LEVEL_TEAM[level]] if contract and level else self.env["helpdesk.ticket.team"]
        project = team._itsm_timesheet_project() or self.project_id
        warning = False
        if self.closed:
            warning = self.env._("The ticket is closed: it cannot be escalated.")
        elif not level:
            warning = self.env._("The ticket is already at level 3, the last level of the escalation path.")
        elif not team:
            warning = self.env._(
                "Contract %(contract)s has no level %(level)s team.",
                contract=contract.name or self.env._("(none)"),
                level=level,
            )
        elif not project:
            warning = self.env._(
                "Team %(team)s has no project with timesheets and the ticket has none: time could not be logged.",
                team=team.display_name,
            )
        return {"level": level or False, "team": team, "project": project, "warning": warning}

    def _itsm_escalate(self, reason, automatic=False):
        """Move this ticket one level up the contract's path: its team, one history record, a message and a
        to-do for the new team's leader. Returns the escalation record (False when an automatic escalation is
        skipped because the contract has no team for the next level)."""
        self.ensure_one()
        if not self.env.su:
            self.check_access("write")
        self._itsm_check_escalable()
        reason = (reason or "").strip()
        if not reason:
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s: say why it is escalated (the reason is kept in its history).",
                    ticket=self.display_name,
                )
            )
        level = NEXT_LEVEL[self.itsm_support_level]
        contract = self.itsm_contract_id
        team = contract[LEVEL_TEAM[level]] if contract else self.env["helpdesk.ticket.team"]
        if not team:
            if automatic:
                _logger.info(
                    "Ticket %s: no level %s team on its contract, automatic escalation skipped", self.id, level
                )
                return False
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s cannot be escalated to level %(level)s: contract %(contract)s has no level "
                    "%(level)s team.",
                    ticket=self.display_name,
                    level=level,
                    contract=contract.name or self.env._("(none)"),
                )
            )
        project = team._itsm_timesheet_project() or self.project_id
        if not project:
            if automatic:
                _logger.info(
                    "Ticket %s: team %s has no timesheet project, automatic escalation skipped", self.id, team.id
                )
                return False
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s cannot be escalated to %(team)s: the team has no project with timesheets and "
                    "the ticket has none, so no time could be logged on it. Enable timesheets on the team and set "
                    "its project.",
                    ticket=self.display_name,
                    team=team.display_name,
                )
            )
        previous_team, previous_level = self.team_id, self.itsm_support_level
        # The history is written here only (no user may create or change it through the ACL): as superuser,
        # with the author and the moment fixed by this path, never by the caller's values.
        escalation = (
            self.env["itsm.ticket.escalation"]
            .sudo()
            .create(
                {
                    "ticket_id": self.id,
                    "from_level": previous_level,
                    "to_level": level,
                    "from_team_id": previous_team.id,
                    "to_team_id": team.id,
                    "reason": reason,
                    "automatic": automatic,
                    "user_id": self.env.uid,
                    "date": fields.Datetime.now(),
                }
            )
            .with_env(self.env)
        )
        # the caller may write the ticket (checked by the action); past this point it may belong to a team the
        # technician is not in, so the rest runs as superuser, the technician staying the author.
        # The level and the team only: routing runs on a domain change at level 1, never here.
        ticket = self.sudo()
        ticket.write({"team_id": team.id, "itsm_support_level": level, "project_id": project.id})
        staff = ticket.company_id._itsm_staff_env()
        ticket.message_post(
            body=staff._(
                "Escalated from level %(from)s (%(from_team)s) to level %(to)s (%(to_team)s)%(how)s: %(reason)s",
                **{
                    "from": previous_level,
                    "from_team": previous_team.display_name or "-",
                    "to": level,
                    "to_team": team.display_name,
                    "how": staff._(", automatically") if automatic else "",
                    "reason": reason,
                },
            ),
            message_type="comment",
            subtype_xmlid="mail.mt_note",
        )
        leader = team.user_id or team.user_ids[:1]
        if leader:
            ticket.activity_schedule(
                "mail.mail_activity_data_todo",
                user_id=leader.id,
                summary=self.env._("Escalated to level %(level)s", level=level),
                note=self.env._(
                    "Ticket %(ticket)s was escalated to %(team)s: %(reason)s",
                    ticket=self.display_name,
                    team=team.display_name,
                    reason=reason,
                ),
            )
        return escalation

    # ------------------------------------------------------------ automatic
    @api.model
    def _itsm_escalation_scan_domain(self, now):
        """Open tickets in scope, with a contract, not waiting for the client, whose next automatic escalation
        is due: stored fields only, the database does the filtering."""
        return [
            ("itsm_escalation_due_date", "!=", False),
            ("itsm_escalation_due_date", "<=", now),
            ("itsm_contract_id", "!=", False),
            ("itsm_in_scope", "=", True),
            ("itsm_support_level", "in", ("1", "2")),
            ("itsm_pause_start", "=", False),
            ("closed", "=", False),
        ]

    @api.model
    def _cron_itsm_escalation_scan(self, batch_size=ESCALATION_SCAN_BATCH):
        """Escalate the tickets past their contract's threshold, one bounded batch per transaction.

        A ticket escalated automatically to a level is never escalated automatically to it again (its due date
        moves to the next level, or empties), so running the action twice changes nothing. Returns the number
        of tickets escalated in this batch.
        """
        now = fields.Datetime.now()
        domain = self._itsm_escalation_scan_domain(now)
        candidates = self.search(domain, order="itsm_escalation_due_date, id", limit=batch_size)
        done = 0
        for ticket in candidates:
            level = NEXT_LEVEL[ticket.itsm_support_level]
            start = ticket.itsm_request_date or ticket.create_date
            share = rules.sla_elapsed_share(start, ticket.itsm_resolution_deadline, now)
            threshold = rules.escalation_shares(ticket.itsm_contract_id.escalation_threshold_pct)[level]
            reason = self.env._(
                "%(share)s %% of the resolution time has elapsed (threshold for level %(level)s: %(threshold)s %%, "
                "resolution due %(deadline)s).",
                share=round(share * 100),
                level=level,
                threshold=round(threshold * 100, 1),
                deadline=ticket.itsm_resolution_deadline,
            )
            if ticket._itsm_escalate(reason, automatic=True):
                done += 1
        # a batch that escalated nothing makes no progress: do not ask the scheduler to run it again at once
        remaining = self.search_count(domain) if done and len(candidates) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=done, remaining=remaining)
        return done
