from datetime import timedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError
from odoo.tools.sql import create_index

from .. import rules
from .itsm_sla_rule import TICKET_KINDS

SLA_STATES = [("on_track", "On track"), ("at_risk", "At risk"), ("breached", "Breached"), ("met", "Met")]
# Fields whose change moves the SLA deadlines.
SLA_SCAN_BATCH = 1000  # tickets evaluated per cron transaction
FORM_LINES = 50  # interventions listed on the user assistance form (its totals count them all)

# What the SLA deadlines are computed from (extensions add theirs: helpdesk_ticket_scope).
SLA_DEPENDS = (
    "itsm_kind",
    "priority",
    "itsm_request_date",
    "itsm_agreed_date",
    "itsm_contract_id.sla_matrix_id",
    "itsm_paused_hours",
    "itsm_paused_business_hours",
    "company_id",
)
SLA_FIELDS = {"itsm_kind", "priority", "itsm_request_date", "itsm_agreed_date", "itsm_contract_id", "company_id"}


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    itsm_contract_id = fields.Many2one(
        "itsm.contract",
        string="Service contract",
        compute="_compute_itsm_contract_id",
        store=True,
        readonly=False,
        index="btree_not_null",
        tracking=True,
        domain="[('partner_id', '=', commercial_partner_id), ('state', 'in', ('active', 'grace'))]",
        help="The client's contract the interventions on this ticket are counted on.",
    )
    itsm_request_date = fields.Datetime(
        string="Request date",
        default=fields.Datetime.now,
        tracking=True,
        help="When the client made the request: the urgency of on-site interventions and the SLA deadlines "
        "count from it.",
    )
    itsm_kind = fields.Selection(
        TICKET_KINDS,
        string="Kind",
        required=True,
        default="incident",
        tracking=True,
        help="Incident: something does not work as it should. Request: a change to make (create, modify, remove).",
    )
    itsm_catalog_id = fields.Many2one(
        "itsm.ticket.catalog",
        string="Classification",
        help="Pick the closest example: it sets the kind and the priority, which stay editable.",
    )
    itsm_agreed_date = fields.Datetime(
        string="Agreed date", tracking=True, help="Date agreed with the client; required for low-priority requests."
    )
    itsm_sla_rule_id = fields.Many2one(
        "itsm.sla.rule", string="SLA rule", compute="_compute_itsm_sla", store=True, index="btree_not_null"
    )
    itsm_response_deadline = fields.Datetime(string="Response deadline", compute="_compute_itsm_sla", store=True)
    itsm_resolution_deadline = fields.Datetime(
        string="Resolution deadline", compute="_compute_itsm_sla", store=True, index=True
    )
    itsm_response_risk_date = fields.Datetime(compute="_compute_itsm_sla", store=True, string="Response at risk from")
    itsm_resolution_risk_date = fields.Datetime(
        compute="_compute_itsm_sla", store=True, string="Resolution at risk from"
    )
    itsm_first_response_date = fields.Datetime(
        string="First response",
        copy=False,
        tracking=True,
        help="First public message to the client or first move out of the initial stage.",
    )
    itsm_response_breached = fields.Boolean(string="Response breached", copy=False, index=True)
    itsm_resolution_breached = fields.Boolean(string="Resolution breached", copy=False, index=True)
    itsm_sla_state = fields.Selection(
        SLA_STATES, string="SLA", default="on_track", copy=False, index=True, tracking=True
    )
    itsm_pause_start = fields.Datetime(string="Paused since", copy=False, help="Waiting for the client since.")
    itsm_paused_hours = fields.Float(
        string="Paused (h)", copy=False, help="Wall-clock hours spent waiting for the client."
    )
    itsm_paused_business_hours = fields.Float(
        string="Paused business hours", copy=False, help="Business hours spent waiting for the client."
    )
    # Counts (0 or 1) rather than a percentage per ticket: an average of per-ticket percentages would count the
    # tickets not judged yet as 0 % (or 100 %); the analysis sums what was judged and what was met.
    itsm_response_judged = fields.Integer(
        string="Responses judged",
        compute="_compute_itsm_sla_counts",
        store=True,
        help="1 once the response target is met or missed (answered, or its deadline passed unanswered).",
    )
    itsm_response_in_time = fields.Integer(string="Responses in time", compute="_compute_itsm_sla_counts", store=True)
    itsm_resolution_judged = fields.Integer(
        string="Resolutions judged",
        compute="_compute_itsm_sla_counts",
        store=True,
        help="1 once the resolution target is met or missed (closed, or its deadline passed unresolved).",
    )
    itsm_resolution_in_time = fields.Integer(
        string="Resolutions in time", compute="_compute_itsm_sla_counts", store=True
    )

    # "Fiche d'assistance utilisateur": what the help desk records on the call
    itsm_requester_phone = fields.Char(
        string="Requester phone", help="Where the help desk can call the user back (defaults to the contact's)."
    )
    itsm_site = fields.Char(string="Site", help="Where the user works: site, building, office.")
    itsm_equipment = fields.Char(
        string="Equipment", help="The workstation, peripheral or application concerned (name, asset tag, version)."
    )
    itsm_diagnosis = fields.Text(string="Diagnosis", help="What the help desk found out about the cause.")
    itsm_actions = fields.Text(
        string="Actions taken", help="What was done to solve the request, or to whom it was routed or escalated."
    )
    itsm_credit_hours = fields.Float(
        string="Credit drawn (h)",
        compute="_compute_itsm_credit_hours",
        help="Hours drawn from the contract by the interventions on this ticket, surcharges included.",
    )
    itsm_anonymised_date = fields.Date(
        string="Anonymised on",
        readonly=True,
        copy=False,
        help="When the requester's personal data was removed (GDPR retention).",
    )

    def init(self):
        """Composite indexes of a contract's tickets: the service dashboard reads 12 months of requests and
        deadlines, and the open tickets, by index whatever the length of the history."""
        result = super().init()
        where = "itsm_contract_id IS NOT NULL"
        for column in ("itsm_request_date", "itsm_response_deadline", "itsm_resolution_deadline", "stage_id"):
            create_index(
                self.env.cr,
                f"helpdesk_ticket_itsm_contract_{column}_index",
                self._table,
                ["itsm_contract_id", column],
                where=where,
            )
        return result

    # ------------------------------------------------------------ compute
    @api.depends("timesheet_ids.itsm_credit_hours")
    def _compute_itsm_credit_hours(self):
        # one aggregate query for the batch: a ticket may carry thousands of interventions
        sums = dict(
            self.env["account.analytic.line"]
            .sudo()
            ._read_group([("ticket_id", "in", self.ids)], ["ticket_id"], ["itsm_credit_hours:sum"])
        )
        for ticket in self:
            ticket.itsm_credit_hours = sums.get(ticket._origin, 0.0) if ticket._origin else 0.0

    def _itsm_form_lines_note(self, shown, count):
        """The assistance form's line saying how many interventions it leaves out (one sentence to translate)."""
        return self.env._(
            "The last %(shown)s of %(count)s interventions; the totals count them all.", shown=shown, count=count
        )

    def _itsm_form_lines(self, limit=FORM_LINES):
        """The interventions the user assistance form lists: the last ``limit`` ones, oldest first.

        The form is for a person to read, and anyone with the ticket's link can ask for it: it stays bounded
        whatever the ticket's history; its totals are of all the interventions (``total_hours``,
        ``itsm_credit_hours``) and it says how many it leaves out.
        """
        self.ensure_one()
        Line = self.env["account.analytic.line"]
        lines = Line.search([("ticket_id", "=", self.id)], order="date desc, date_time desc, id desc", limit=limit)
        count = Line.search_count([("ticket_id", "=", self.id)]) if len(lines) == limit else len(lines)
        return lines.sorted(lambda line: (line.date_time or line.date, line.id)), count

    def _get_report_base_filename(self):
        """File name of the PDFs printed from the portal (the user assistance form)."""
        self.ensure_one()
        return self.env._("Assistance form %(ticket)s", ticket=self.number or self.id)

    @api.onchange("partner_id")
    def _onchange_partner_id_itsm_phone(self):
        for ticket in self:
            if ticket.partner_id and not ticket.itsm_requester_phone:
                ticket.itsm_requester_phone = ticket.partner_id.phone or ticket.partner_id.mobile

    @api.depends("partner_id", "company_id")
    def _compute_itsm_contract_id(self):
        contracts = self.env["itsm.contract"]._running_contracts(self.partner_id.commercial_partner_id)
        for ticket in self:
            client = ticket.partner_id.commercial_partner_id
            if ticket.itsm_contract_id and ticket.itsm_contract_id.partner_id == client:
                continue
            ticket.itsm_contract_id = contracts.get((client.id, ticket.company_id.id), False)

    def _itsm_matrix(self, defaults=None):
        self.ensure_one()
        if self.itsm_contract_id.sla_matrix_id:
            return self.itsm_contract_id.sla_matrix_id
        if defaults is not None and self.company_id.id in defaults:
            return defaults[self.company_id.id]
        return self.env["itsm.sla.matrix"]._default_matrix(self.company_id)

    @api.depends(*SLA_DEPENDS)
    def _compute_itsm_sla(self):
        """Plan the deadlines on the rule's clock, from the request, plus the paused time."""
        Matrix = self.env["itsm.sla.matrix"]
        defaults = {company.id: Matrix._default_matrix(company) for company in self.company_id}
        for ticket in self:
            matrix = ticket._itsm_matrix(defaults)
            rule = matrix._rule_for(ticket.itsm_kind, ticket.priority) if matrix else self.env["itsm.sla.rule"]
            start = ticket.itsm_request_date or ticket.create_date or fields.Datetime.now()
            values = {
                "itsm_sla_rule_id": rule.id,
                "itsm_response_deadline": False,
                "itsm_resolution_deadline": False,
                "itsm_response_risk_date": False,
                "itsm_resolution_risk_date": False,
            }
            if rule and rule.allowed:
                share = matrix.at_risk_percent / 100.0
                plan = ticket._itsm_planner(rule, matrix, start)
                if rule.response_hours:
                    values["itsm_response_deadline"] = plan(rule.response_hours)
                    values["itsm_response_risk_date"] = plan(rule.response_hours * share)
                if rule.requires_agreed_date and ticket.itsm_agreed_date:
                    deadline = ticket.itsm_agreed_date
                    values["itsm_resolution_deadline"] = deadline
                    values["itsm_resolution_risk_date"] = start + (deadline - start) * share
                elif rule.resolution_hours:
                    values["itsm_resolution_deadline"] = plan(rule.resolution_hours)
                    values["itsm_resolution_risk_date"] = plan(rule.resolution_hours * share)
            ticket.update(values)

    def _itsm_planner(self, rule, matrix, start):
        """A function hours -> deadline on the rule's clock, the paused time added back."""
        self.ensure_one()
        calendar = matrix.calendar_id
        if not rule.use_calendar or not calendar:
            paused = self.itsm_paused_hours
            return lambda hours: start + timedelta(hours=hours + paused)
        paused = self.itsm_paused_business_hours
        schedule = calendar._itsm_schedule()
        if schedule is None:
            return lambda hours: calendar.plan_hours(hours + paused, start, compute_leaves=True).replace(tzinfo=None)
        tz_name, weekly, holidays = schedule
        return lambda hours: rules.plan_hours(weekly, tz_name, holidays, start, hours + paused)

    @api.depends(
        "itsm_response_breached",
        "itsm_resolution_breached",
        "itsm_first_response_date",
        "closed",
        "itsm_sla_rule_id",
        "itsm_response_deadline",
        "itsm_resolution_deadline",
    )
    def _compute_itsm_sla_counts(self):
        """The stored counts follow the breach flags the SLA scan sets with the same rule (rules.sla_outcome)."""
        for ticket in self:
            judged = {"response": False, "resolution": False}
            if ticket.itsm_sla_rule_id:
                judged["response"] = bool(ticket.itsm_response_deadline) and (
                    bool(ticket.itsm_first_response_date) or ticket.itsm_response_breached
                )
                judged["resolution"] = bool(ticket.itsm_resolution_deadline) and (
                    ticket.closed or ticket.itsm_resolution_breached
                )
            ticket.itsm_response_judged = int(judged["response"])
            ticket.itsm_response_in_time = int(judged["response"] and not ticket.itsm_response_breached)
            ticket.itsm_resolution_judged = int(judged["resolution"])
            ticket.itsm_resolution_in_time = int(judged["resolution"] and not ticket.itsm_resolution_breached)

    def _itsm_sla_clock(self, now):
        """The time this ticket's SLA clock shows at ``now``: the start of the pause while it waits for the client."""
        self.ensure_one()
        return rules.sla_clock(self.itsm_pause_start, now)

    def _itsm_sla_done_dates(self, clock):
        """(answered at, resolved at) of this ticket, ``None`` for what is not done."""
        self.ensure_one()
        return rules.sla_done_dates(self.itsm_first_response_date, self.closed, self.closed_date, clock)

    def _itsm_sla_outcomes(self, now=None):
        """(response, resolution) outcome of this ticket at ``now``: ``"met"``, ``"missed"`` or ``None``.

        One rule (``rules.sla_outcome``) for the SLA scan, the committees, the compliance report and the portal.
        A ticket under no SLA rule is never judged.
        """
        self.ensure_one()
        if not self.itsm_sla_rule_id:
            return None, None
        clock = self._itsm_sla_clock(now or fields.Datetime.now())
        answered, resolved = self._itsm_sla_done_dates(clock)
        return (
            rules.sla_outcome(self.itsm_response_deadline, answered, clock),
            rules.sla_outcome(self.itsm_resolution_deadline, resolved, clock),
        )

    @api.model
    def _itsm_sla_due_domain(self, start, end):
        """Tickets with a response or resolution deadline in [start, end) (naive UTC datetimes)."""
        return [
            ("itsm_sla_rule_id", "!=", False),
            "|",
            "&",
            ("itsm_response_deadline", ">=", start),
            ("itsm_response_deadline", "<", end),
            "&",
            ("itsm_resolution_deadline", ">=", start),
            ("itsm_resolution_deadline", "<", end),
        ]

    @api.model
    def _itsm_sla_period(self, domain, start, end, now=None):
        """The service levels of a period: the targets of the tickets of ``domain`` that fell due in [start, end).

        A target counts in the period whose dates hold its deadline, as soon as it is met or missed (open or
        closed ticket); a target not judged yet is left out. Returns ``_itsm_sla_tally``'s cells.
        """
        tickets = self.with_context(active_test=False).search(
            [*domain, *self._itsm_sla_due_domain(start, end)], order="id"
        )
        return tickets._itsm_sla_tally(start, end, now=now)

    def _itsm_sla_tally(self, start=None, end=None, now=None):
        """SLA results of these tickets by (kind, priority), the figures of the compliance report and committees.

        Each cell: ``tickets``, ``sla`` (those under an SLA rule), ``response_due`` / ``response_met`` and
        ``resolution_due`` / ``resolution_met`` (targets judged / met, see ``_itsm_sla_outcomes``), ``breached``
        (tickets that missed one). With ``start`` and ``end``, only the targets whose deadline lies in
        [start, end) count. Cells are ordered incidents first, then by decreasing priority.
        """
        now = now or fields.Datetime.now()
        kinds = [key for key, _label in TICKET_KINDS]
        tally = {}

        def in_period(deadline):
            return start is None or (deadline and start <= deadline < end)

        for ticket in self:
            cell = tally.setdefault(
                (ticket.itsm_kind, ticket.priority),
                {
                    "tickets": self.browse(),
                    "sla": 0,
                    "response_due": 0,
                    "response_met": 0,
                    "resolution_due": 0,
                    "resolution_met": 0,
                    "breached": self.browse(),
                },
            )
            cell["tickets"] |= ticket
            cell["sla"] += bool(ticket.itsm_sla_rule_id)
            response, resolution = ticket._itsm_sla_outcomes(now)
            missed = False
            if response and in_period(ticket.itsm_response_deadline):
                cell["response_due"] += 1
                cell["response_met"] += response == rules.SLA_MET
                missed = response == rules.SLA_MISSED
            if resolution and in_period(ticket.itsm_resolution_deadline):
                cell["resolution_due"] += 1
                cell["resolution_met"] += resolution == rules.SLA_MET
                missed = missed or resolution == rules.SLA_MISSED
            if missed:
                cell["breached"] |= ticket
        return dict(sorted(tally.items(), key=lambda item: (kinds.index(item[0][0]), -int(item[0][1] or 0))))

    # ------------------------------------------------------------ checks
    @api.constrains("itsm_kind", "priority", "itsm_agreed_date", "itsm_request_date")
    def _check_itsm_sla(self):
        for ticket in self:
            if (
                ticket.itsm_agreed_date
                and ticket.itsm_request_date
                and ticket.itsm_agreed_date < ticket.itsm_request_date
            ):
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the agreed date (%(agreed)s) cannot precede the request (%(request)s).",
                        ticket=ticket.display_name,
                        agreed=ticket.itsm_agreed_date,
                        request=ticket.itsm_request_date,
                    )
                )
            rule = ticket.itsm_sla_rule_id
            if not rule:
                continue
            if not rule.allowed:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: a %(rule)s is not accepted by the service levels of %(matrix)s "
                        "(there is no critical request: the highest priority of a request is P2).",
                        ticket=ticket.display_name,
                        rule=rule.display_name,
                        matrix=rule.matrix_id.name,
                    )
                )
            if rule.requires_agreed_date and not ticket.itsm_agreed_date:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: a %(rule)s needs a date agreed with the client.",
                        ticket=ticket.display_name,
                        rule=rule.display_name,
                    )
                )

    # ------------------------------------------------------------ onchange
    @api.onchange("itsm_catalog_id")
    def _onchange_itsm_catalog_id(self):
        if self.itsm_catalog_id:
            self.itsm_kind = self.itsm_catalog_id.ticket_kind
            self.priority = self.itsm_catalog_id.priority

    # ------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        catalog = self.env["itsm.ticket.catalog"]
        for vals in vals_list:
            if vals.get("itsm_catalog_id"):
                entry = catalog.browse(vals["itsm_catalog_id"])
                vals.setdefault("itsm_kind", entry.ticket_kind)
                vals.setdefault("priority", entry.priority)
        tickets = super().create(vals_list)
        waiting = tickets.filtered(lambda t: t.stage_id.itsm_waiting_client)
        if waiting:
            waiting.itsm_pause_start = fields.Datetime.now()
        return tickets

    def write(self, vals):
        if vals.get("itsm_catalog_id") and not ("itsm_kind" in vals or "priority" in vals):
            entry = self.env["itsm.ticket.catalog"].browse(vals["itsm_catalog_id"])
            vals = dict(vals, itsm_kind=entry.ticket_kind, priority=entry.priority)
        if "stage_id" not in vals:
            result = super().write(vals)
            if SLA_FIELDS.intersection(vals):
                self._itsm_evaluate_sla()
            return result
        now = fields.Datetime.now()
        stage = self.env["helpdesk.ticket.stage"].browse(vals["stage_id"])
        before = {ticket.id: ticket.stage_id for ticket in self}
        result = super().write(vals)
        for ticket in self:
            previous = before[ticket.id]
            if previous == stage:
                continue
            updates = {}
            if not ticket.itsm_first_response_date:
                updates["itsm_first_response_date"] = now
            if previous.itsm_waiting_client and ticket.itsm_pause_start and not stage.itsm_waiting_client:
                updates.update(ticket._itsm_pause_end_values(now))
            elif stage.itsm_waiting_client and not ticket.itsm_pause_start:
                updates["itsm_pause_start"] = now
            if updates:
                super(HelpdeskTicket, ticket).write(updates)
        self._itsm_evaluate_sla(now=now)
        return result

    def _itsm_pause_end_values(self, now):
        self.ensure_one()
        start = self.itsm_pause_start
        values = {
            "itsm_pause_start": False,
            "itsm_paused_hours": self.itsm_paused_hours + (now - start).total_seconds() / 3600,
        }
        calendar = self._itsm_matrix().calendar_id
        schedule = calendar._itsm_schedule() if calendar else None
        if schedule:
            tz_name, weekly, holidays = schedule
            business = rules.business_hours_between(weekly, tz_name, holidays, start, now)
        elif calendar:
            business = calendar.get_work_hours_count(start.replace(tzinfo=None), now, compute_leaves=True)
        else:
            business = (now - start).total_seconds() / 3600
        values["itsm_paused_business_hours"] = self.itsm_paused_business_hours + business
        return values

    def message_post(self, **kwargs):
        message = super().message_post(**kwargs)
        if (
            not self.itsm_first_response_date
            and message.message_type == "comment"
            and message.subtype_id == self.env.ref("mail.mt_comment")
            and message.author_id.with_context(active_test=False).user_ids.filtered(lambda u: not u.share)
        ):
            self.sudo().itsm_first_response_date = message.date or fields.Datetime.now()
            self._itsm_evaluate_sla(notify=True)
        return message
