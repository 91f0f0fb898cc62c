"""The SLA clock of the helpdesk tickets: breach and at-risk flags, their notifications, the scheduled scan."""

from odoo import api
from odoo import fields
from odoo import models
from odoo.tools.misc import format_datetime

from .. import rules
from .helpdesk_ticket import SLA_SCAN_BATCH


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    # ------------------------------------------------------------ SLA scan
    def _itsm_evaluate_sla(self, now=None, notify=True):
        """Set breach flags and the SLA state of these tickets at ``now``.

        Batch-safe and idempotent: a flag is set once, so a breach posts one
        message and an at-risk ticket gets one activity, however often it runs.
        """
        now = now or fields.Datetime.now()
        breached_response, breached_resolution, at_risk, updates = [], [], [], {}
        for ticket in self:
            clock = ticket._itsm_sla_clock(now)  # a paused clock does not run
            answered, resolved = ticket._itsm_sla_done_dates(clock)
            values = {}
            if (
                not ticket.itsm_response_breached
                and rules.sla_outcome(ticket.itsm_response_deadline, answered, clock) == rules.SLA_MISSED
            ):
                values["itsm_response_breached"] = True
                breached_response.append(ticket)
            if (
                not ticket.itsm_resolution_breached
                and rules.sla_outcome(ticket.itsm_resolution_deadline, resolved, clock) == rules.SLA_MISSED
            ):
                values["itsm_resolution_breached"] = True
                breached_resolution.append(ticket)
            response_breached = values.get("itsm_response_breached", ticket.itsm_response_breached)
            resolution_breached = values.get("itsm_resolution_breached", ticket.itsm_resolution_breached)
            if response_breached or resolution_breached:
                state = "breached"
            elif ticket.closed:
                state = "met" if ticket.itsm_sla_rule_id else "on_track"
            elif (
                not ticket.itsm_first_response_date
                and ticket.itsm_response_risk_date
                and clock >= ticket.itsm_response_risk_date
            ) or (ticket.itsm_resolution_risk_date and clock >= ticket.itsm_resolution_risk_date):
                state = "at_risk"
            else:
                state = "on_track"
            if state != ticket.itsm_sla_state:
                values["itsm_sla_state"] = state
                if state == "at_risk":
                    at_risk.append(ticket)
            if values:
                updates.setdefault(tuple(sorted(values.items())), []).append(ticket.id)
        for values, ids in updates.items():
            self.browse(ids).sudo().write(dict(values))
        if notify:
            self._itsm_notify_sla(breached_response, breached_resolution, at_risk)

    def _itsm_staff_tz(self):
        """The time zone the ticket's deadlines are told in: its contract's working calendar's, else the
        company's."""
        self.ensure_one()
        calendar = self.itsm_contract_id.calendar_id or self.company_id.resource_calendar_id
        return calendar.tz or "UTC"

    def _itsm_notify_sla(self, breached_response, breached_resolution, at_risk):
        bodies = {}
        for ticket in breached_response:
            env = ticket.company_id._itsm_staff_env()
            bodies[ticket.id] = env._(
                "SLA breached: no response by %(deadline)s.",
                deadline=format_datetime(env, ticket.itsm_response_deadline, tz=ticket._itsm_staff_tz()),
            )
        for ticket in breached_resolution:
            env = ticket.company_id._itsm_staff_env()
            text = env._(
                "SLA breached: not resolved by %(deadline)s.",
                deadline=format_datetime(env, ticket.itsm_resolution_deadline, tz=ticket._itsm_staff_tz()),
            )
            bodies[ticket.id] = f"{bodies[ticket.id]} {text}" if ticket.id in bodies else text
        if bodies:
            self.browse(list(bodies)).sudo()._message_log_batch(bodies=bodies)
        if at_risk:
            activity_type = self.env.ref("mail.mail_activity_data_todo")
            model_id = self.env["ir.model"]._get_id("helpdesk.ticket")
            today = fields.Date.context_today(self)
            self.env["mail.activity"].sudo().create(
                [
                    {
                        "res_model_id": model_id,
                        "res_id": ticket.id,
                        "activity_type_id": activity_type.id,
                        "summary": self.env._("SLA at risk"),
                        "note": self.env._(
                            "Ticket %(ticket)s is at risk: response due %(response)s, resolution due %(resolution)s.",
                            ticket=ticket.display_name,
                            response=ticket.itsm_response_deadline or "-",
                            resolution=ticket.itsm_resolution_deadline or "-",
                        ),
                        "user_id": (ticket.team_id.user_id or ticket.user_id or self.env.user).id,
                        "date_deadline": today,
                    }
                    for ticket in at_risk
                ]
            )

    @api.model
    def _itsm_sla_scan_domain(self, now):
        """Open, running tickets whose SLA state is behind the clock.

        A ticket leaves this domain once evaluated (breach flag set, or state
        already ``at_risk``), so successive batches always make progress.
        """
        return [
            ("itsm_sla_rule_id", "!=", False),
            ("closed", "=", False),
            ("itsm_pause_start", "=", False),
            "|",
            "&",
            "&",
            ("itsm_response_breached", "=", False),
            ("itsm_first_response_date", "=", False),
            "|",
            ("itsm_response_deadline", "<", now),
            "&",
            ("itsm_response_risk_date", "<=", now),
            ("itsm_sla_state", "=", "on_track"),
            "&",
            ("itsm_resolution_breached", "=", False),
            "|",
            ("itsm_resolution_deadline", "<", now),
            "&",
            ("itsm_resolution_risk_date", "<=", now),
            ("itsm_sla_state", "=", "on_track"),
        ]

    @api.model
    def _cron_itsm_sla_scan(self, batch_size=SLA_SCAN_BATCH):
        """Flag at-risk and breached tickets, one bounded batch per transaction.

        The batch keeps each run's queries and locks constant whatever the
        number of open tickets; when more tickets are due, the cron reports
        the remainder to Odoo's scheduler, which runs it again at once.
        Returns the number of tickets evaluated in this batch.
        """
        now = fields.Datetime.now()
        domain = self._itsm_sla_scan_domain(now)
        candidates = self.search(domain, order="id", limit=batch_size)
        candidates._itsm_evaluate_sla(now=now)
        remaining = self.search_count(domain) if len(candidates) == batch_size else 0
        self.env["ir.cron"]._notify_progress(done=len(candidates), remaining=remaining)
        return len(candidates)
