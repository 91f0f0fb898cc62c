from datetime import datetime
from datetime import time
from datetime import timedelta

import pytz

from odoo import api
from odoo import fields
from odoo import models

# Thresholds of the daily follow-up digest, in full business days (see ``_itsm_business_days``).
DIGEST_WAITING_DAYS = 3  # waiting for the client for more than this
DIGEST_STALE_DAYS = 2  # not updated for at least this
DIGEST_WINDOW_DAYS = 60  # working days are listed over this many calendar days back
# Reasons a ticket is listed for, in the order of the digest's sections: a ticket appears once, in the section of
# its first reason, with all its reasons.
DIGEST_REASONS = ("breached", "at_risk", "waiting", "stale", "escalated")


class HelpdeskTicketTeam(models.Model):
    _inherit = "helpdesk.ticket.team"

    itsm_digest_date = fields.Date(
        string="Last follow-up digest",
        readonly=True,
        copy=False,
        help="Day the team's last daily follow-up e-mail was sent: at most one a day.",
    )

    def _itsm_timesheet_project(self):
        """The project time is logged on for a ticket of this team: its default project when the team allows
        timesheets and that project has them, else an empty recordset."""
        team = self[:1].sudo()
        project = team.default_project_id if team.allow_timesheet else team.default_project_id.browse()
        return project.sudo(False) if project.allow_timesheets else self.env["project.project"]

    # ------------------------------------------------------------ business days
    @api.model
    def _itsm_working_days(self, calendar, today):
        """(tz name, set of the local dates the calendar works on) over the ``DIGEST_WINDOW_DAYS`` before today."""
        tz_name = calendar.tz or "UTC"
        tz = pytz.timezone(tz_name)
        start = datetime.combine(today - timedelta(days=DIGEST_WINDOW_DAYS), time.min)
        end = datetime.combine(today + timedelta(days=1), time.min)
        days = set()
        for begin, _end in calendar._itsm_working_intervals(start, end):
            days.add(pytz.utc.localize(begin).astimezone(tz).date())
        return tz_name, days

    @api.model
    def _itsm_business_days(self, since, working, today):
        """Full business days between ``since`` (naive UTC) and ``today``, both days excluded.

        ``working``: ``(tz name, working dates)`` of the ticket's calendar, or ``None`` (no calendar: every day
        counts). A ticket updated on Tuesday shows 1 on Thursday morning (Wednesday), 2 on Friday morning.
        """
        if not working:
            return max(((today - since.date()).days - 1), 0)
        tz_name, days = working
        since_day = pytz.utc.localize(since).astimezone(pytz.timezone(tz_name)).date()
        return sum(1 for day in days if since_day < day < today)

    # ------------------------------------------------------------ digest
    def _itsm_digest_data(self, now):
        """{team id: [(ticket, [reasons])]} of these teams' open tickets that need a look at ``now``.

        A constant number of queries whatever the number of tickets and teams: one search over the candidate
        tickets of all the teams (a superset, filtered in Python on business days), one over the escalations
        of the last day when escalations exist, the contracts' matrices and the calendars (cached).

        "Not updated" is judged on the ticket's ``write_date`` (any change of the ticket, the SLA scan's
        included; a message alone does not count), "waiting for the client" on ``itsm_pause_start``.
        Business days are those of the working calendar of the contract's SLA matrix, else of the company's
        default matrix, else of the company (``_itsm_business_days``).
        """
        Ticket = self.env["helpdesk.ticket"].sudo()
        today = now.date()
        ticket_fields = [
            "team_id",
            "number",
            "name",
            "partner_id",
            "itsm_sla_state",
            "itsm_pause_start",
            "write_date",
            "itsm_contract_id",
            "company_id",
            "itsm_resolution_deadline",
        ]
        # calendar days bound business days: a ticket past the business-day threshold is past this one
        candidates = Ticket.search_fetch(
            [
                ("team_id", "in", self.ids),
                ("closed", "=", False),
                "|",
                "|",
                ("itsm_sla_state", "in", ("breached", "at_risk")),
                ("itsm_pause_start", "<", now - timedelta(days=DIGEST_WAITING_DAYS)),
                ("write_date", "<", now - timedelta(days=DIGEST_STALE_DAYS)),
            ],
            ticket_fields,
            order="id",
        )
        escalated = {}
        if "itsm.ticket.escalation" in self.env:
            escalations = (
                self.env["itsm.ticket.escalation"]
                .sudo()
                .search_fetch(
                    [
                        ("to_team_id", "in", self.ids),
                        ("date", ">=", now - timedelta(days=1)),
                        ("ticket_id.closed", "=", False),
                    ],
                    ["ticket_id", "to_team_id"],
                )
            )
            for escalation in escalations:
                escalated.setdefault(escalation.ticket_id.id, set()).add(escalation.to_team_id.id)
            extra = Ticket.browse(set(escalated) - set(candidates.ids))
            if extra:
                extra.fetch(ticket_fields)
                candidates |= extra
        Matrix = self.env["itsm.sla.matrix"].sudo()
        defaults = {company.id: Matrix._default_matrix(company) for company in candidates.company_id}
        calendars = {}
        working = {}
        result = {}
        for ticket in candidates:
            teams = {}
            if ticket.team_id.id in self.ids:
                teams[ticket.team_id.id] = []
            for team_id in escalated.get(ticket.id, ()):
                teams.setdefault(team_id, []).append("escalated")
            key = (ticket.itsm_contract_id.id, ticket.company_id.id)
            if key not in calendars:
                calendar = ticket._itsm_matrix(defaults).calendar_id or ticket.company_id.resource_calendar_id
                calendars[key] = calendar
                if calendar and calendar.id not in working:
                    working[calendar.id] = self._itsm_working_days(calendar, today)
            calendar = calendars[key]
            days = working.get(calendar.id) if calendar else None
            reasons = []
            if ticket.itsm_sla_state in ("breached", "at_risk"):
                reasons.append(ticket.itsm_sla_state)
            if (
                ticket.itsm_pause_start
                and self._itsm_business_days(ticket.itsm_pause_start, days, today) > DIGEST_WAITING_DAYS
            ):
                reasons.append("waiting")
            if self._itsm_business_days(ticket.write_date, days, today) >= DIGEST_STALE_DAYS:
                reasons.append("stale")
            for team_id, team_reasons in teams.items():
                listed = reasons + team_reasons if team_id == ticket.team_id.id else team_reasons
                if listed:
                    result.setdefault(team_id, []).append((ticket, listed))
        return result

    def _itsm_digest_sections(self, items):
        """The digest's sections: [(reason, [{ticket, url, reasons}])], a ticket in the section of its first reason."""
        self.ensure_one()
        base_url = self.get_base_url()
        sections = {reason: [] for reason in DIGEST_REASONS}
        for ticket, reasons in items:
            ordered = [reason for reason in DIGEST_REASONS if reason in reasons]
            sections[ordered[0]].append(
                {
                    "ticket": ticket,
                    "url": f"{base_url}/odoo/helpdesk.ticket/{ticket.id}",
                    "reasons": ordered,
                }
            )
        return [(reason, rows) for reason, rows in sections.items() if rows]

    def _itsm_claim_digest(self, today):
        """Mark these teams' digest as sent today; returns the teams this transaction claimed.

        One UPDATE: a team already done today, or locked by a digest running at the same time, is not returned
        (``FOR UPDATE SKIP LOCKED``), so no team gets two mails for one day.
        """
        if not self:
            return self
        self.flush_recordset(["itsm_digest_date"])
        self.env.cr.execute(
            """
            UPDATE helpdesk_ticket_team
               SET itsm_digest_date = %(today)s
             WHERE id IN (
                    SELECT id
                      FROM helpdesk_ticket_team
                     WHERE id = ANY(%(ids)s)
                       AND itsm_digest_date IS DISTINCT FROM %(today)s
                       FOR UPDATE SKIP LOCKED
                   )
         RETURNING id
            """,
            {"today": today, "ids": self.ids},
        )
        claimed = [row[0] for row in self.env.cr.fetchall()]
        self.invalidate_recordset(["itsm_digest_date"])
        return self.browse(claimed)

    def _itsm_digest_render(self, sections, today, lang, template=None):
        """(subject, body) of this team's digest in ``lang``: what the morning e-mail holds, and its preview."""
        self.ensure_one()
        template = template or self.env.ref("itsm_service_contract.mail_template_itsm_daily_digest").sudo()
        context = {"digest": sections, "digest_date": today}
        subject = template._render_field("subject", self.ids, set_lang=lang, add_context=context)[self.id]
        body = template._render_field("body_html", self.ids, set_lang=lang, add_context=context)[self.id]
        return subject, body

    @api.model
    def _cron_itsm_daily_digest(self, now=None):
        """Send each helpdesk team the morning list of its open tickets that need a look.

        One e-mail per team and day, to the team's members and leader, in each one's language; nothing to a
        team with nothing to report. The day is claimed on the team in the transaction that queues the mails.
        Returns the teams that got a digest.
        """
        now = now or fields.Datetime.now()
        today = now.date()
        teams = self.sudo().search([("itsm_digest_date", "!=", today)])
        data = teams._itsm_digest_data(now)
        recipients = {}
        for team in teams.browse(list(data)):
            partners = (team.user_ids | team.user_id).filtered("active").partner_id.filtered("email")
            if partners:
                recipients[team.id] = partners
        claimed = teams.browse(list(recipients))._itsm_claim_digest(today)
        template = self.env.ref("itsm_service_contract.mail_template_itsm_daily_digest").sudo()
        mails = []
        for team in claimed:
            email_from = (team.company_id or self.env.company).email_formatted
            sections = team._itsm_digest_sections(data[team.id])
            by_lang = {}
            for partner in recipients[team.id]:
                by_lang.setdefault(partner.lang or "en_US", []).append(partner.id)
            for lang, partner_ids in by_lang.items():
                subject, body = team._itsm_digest_render(sections, today, lang, template)
                mails.append(
                    {
                        "subject": subject,
                        "body_html": body,
                        "email_from": email_from,
                        "recipient_ids": [(6, 0, partner_ids)],
                        "model": team._name,
                        "res_id": team.id,
                        "auto_delete": True,
                    }
                )
        if mails:
            self.env["mail.mail"].sudo().create(mails)
        return claimed
