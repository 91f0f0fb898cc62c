from collections import defaultdict
from datetime import timedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import float_compare
from odoo.tools import float_round
from odoo.tools import format_datetime
from odoo.tools import format_time
from odoo.tools.sql import create_index

from .. import rules

# Fields whose change changes what an intervention costs the client.
CREDIT_FIELDS = {
    "unit_amount",
    "date_time",
    "date",
    "itsm_contract_id",
    "itsm_mode",
    "itsm_onsite_span",
    "itsm_is_project",
    "itsm_is_urgent",
    "ticket_id",
}


class AccountAnalyticLine(models.Model):
    _inherit = "account.analytic.line"

    itsm_contract_id = fields.Many2one(
        "itsm.contract",
        string="Service contract",
        compute="_compute_itsm_contract_id",
        store=True,
        precompute=True,
        readonly=False,
        index="btree_not_null",
        domain="[('partner_id', '=', itsm_client_id), ('state', 'in', ('active', 'grace'))]",
        help="The contract this intervention is counted on: by default the running contract of the ticket's client.",
    )
    itsm_client_id = fields.Many2one(related="ticket_id.partner_id.commercial_partner_id", string="Client company")
    itsm_contract_type = fields.Selection(related="itsm_contract_id.contract_type", string="Contract type")
    itsm_mode = fields.Selection(
        [("remote", "Remote"), ("onsite", "On site")], string="Mode", default="remote", required=True
    )
    itsm_onsite_span = fields.Selection(
        [("hours", "Hours"), ("half_day", "Half day"), ("full_day", "Full day")],
        string="On-site span",
        default="hours",
        required=True,
        help="Hours: counted like remote time. Half day and full day: counted as the contract says (4 h and 7 h).",
    )
    itsm_is_project = fields.Boolean(
        string="Project work",
        help="Project work is the only kind that may still draw on a contract in its grace period.",
    )
    itsm_is_urgent = fields.Boolean(
        string="Urgent",
        compute="_compute_itsm_is_urgent",
        store=True,
        precompute=True,
        readonly=False,
        help="On site and started less than the contract's urgency delay (48 h) after the client's request. "
        "An account manager may override it.",
    )
    itsm_counted_hours = fields.Float(
        string="Counted hours",
        compute="_compute_itsm_credit",
        store=True,
        precompute=True,
        digits=(16, 2),
        help="Duration as the contract counts it: rounded up to the quarter hour, or the day / half day.",
    )
    itsm_nho_hours = fields.Float(
        string="Non-working hours",
        compute="_compute_itsm_credit",
        store=True,
        precompute=True,
        digits=(16, 2),
        help="Counted hours that fall outside the contract's working calendar (public holidays included).",
    )
    itsm_credit_hours = fields.Float(
        string="Credit hours",
        compute="_compute_itsm_credit",
        store=True,
        precompute=True,
        digits=(16, 2),
        help="Hours drawn from the credit (prepaid) or billed (time and material), surcharges included.",
    )
    itsm_count_terms = fields.Json(
        string="Counting terms",
        compute="_compute_itsm_credit",
        store=True,
        precompute=True,
        help="The contract's terms this line was counted with (rounding step, surcharges and how they combine), "
        "kept so the explanation stays true when the contract's terms change later.",
    )
    itsm_surcharge_detail = fields.Char(
        string="How it is counted",
        compute="_compute_itsm_surcharge_detail",
        help="How the credit hours were obtained from the time spent, in the reader's language.",
    )
    itsm_counted_as = fields.Char(
        string="Counted as",
        compute="_compute_itsm_counted_as",
        help="The hours this intervention counts, from its start time and duration, in the working calendar's "
        "time zone, and whether they fall outside working hours (surcharged). Check the start time of an "
        "intervention logged after the fact: it defaults to the moment it is logged.",
    )
    itsm_credit_move_ids = fields.One2many("itsm.credit.move", "timesheet_id", string="Credit moves")
    itsm_activity_sheet_id = fields.Many2one(
        "itsm.activity.sheet",
        string="Activity sheet",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The time-and-material activity sheet that billed this intervention.",
    )
    itsm_anonymised_date = fields.Date(
        string="Anonymised on",
        readonly=True,
        copy=False,
        help="When the description was removed (GDPR retention); hours and credit figures are kept.",
    )

    def init(self):
        """Composite indexes of a contract's history, the portal contract page reads them in constant time.

        A field's ``index`` is single-column. With ``(contract, date, id)`` the page of interventions in date
        order, the month choices (one index probe a month) and the page counts read only what they show; with
        ``(contract, ticket, date, id)`` the same for the lines of one ticket.
        """
        result = super().init()
        where = "itsm_contract_id IS NOT NULL"
        create_index(
            self.env.cr,
            "account_analytic_line_itsm_contract_date_index",
            self._table,
            ["itsm_contract_id", "date", "id"],
            where=where,
        )
        create_index(
            self.env.cr,
            "account_analytic_line_itsm_contract_ticket_date_index",
            self._table,
            ["itsm_contract_id", "ticket_id", "date", "id"],
            where=where,
        )
        return result

    # ------------------------------------------------------------ compute

    @api.depends("ticket_id.itsm_contract_id", "ticket_id.partner_id")
    def _compute_itsm_contract_id(self):
        for line in self:
            if not line.ticket_id:
                if line.itsm_contract_id:
                    continue
                line.itsm_contract_id = False
                continue
            current = line.itsm_contract_id
            if current and current.partner_id == line.ticket_id.partner_id.commercial_partner_id:
                continue
            line.itsm_contract_id = line.ticket_id.itsm_contract_id

    @api.depends("itsm_mode", "date_time", "ticket_id.itsm_request_date", "ticket_id.create_date", "itsm_contract_id")
    def _compute_itsm_is_urgent(self):
        for line in self:
            request = line.ticket_id.itsm_request_date or line.ticket_id.create_date
            contract = line.itsm_contract_id
            line.itsm_is_urgent = bool(
                contract
                and request
                and line.date_time
                and rules.is_urgent(line.itsm_mode, line.date_time, request, contract.urgent_delay_hours)
            )

    # The contract's parameters are deliberately not dependencies: changing a
    # contract's rules applies to new and edited interventions, it does not
    # rewrite the cost of past ones (their moves are in the ledger).
    @api.depends("unit_amount", "date_time", "itsm_contract_id", "itsm_mode", "itsm_onsite_span", "itsm_is_urgent")
    def _compute_itsm_credit(self):
        lines = self.filtered(lambda line: line.itsm_contract_id and line.date_time)
        (self - lines).update(
            {"itsm_counted_hours": 0.0, "itsm_nho_hours": 0.0, "itsm_credit_hours": 0.0, "itsm_count_terms": False}
        )
        intervals = lines._itsm_working_intervals()
        terms = {}  # the contract's counting terms, read once per contract for the whole batch
        for line in lines:
            contract = line.itsm_contract_id
            if contract.id not in terms:
                terms[contract.id] = {
                    "rounding": contract.remote_rounding_minutes,
                    "day": contract.onsite_day_hours,
                    "half_day": contract.onsite_half_day_hours,
                    "urgent": contract.urgent_surcharge,
                    "nho": contract.nho_surcharge,
                    "combination": contract.surcharge_combination,
                    "intervals": intervals.get(contract.calendar_id.id, ()),
                }
            term = terms[contract.id]
            raw = line.unit_amount
            mode = line.itsm_mode
            if raw < 0 or (mode == "remote" and line.itsm_onsite_span != "hours"):
                # Refused by _check_itsm_line with a clear message; compute nothing meanwhile.
                line.update(
                    {
                        "itsm_counted_hours": 0.0,
                        "itsm_nho_hours": 0.0,
                        "itsm_credit_hours": 0.0,
                        "itsm_count_terms": False,
                    }
                )
                continue
            span = line.itsm_onsite_span if mode == "onsite" else "hours"
            urgent = line.itsm_is_urgent
            counted = rules.counted_hours(raw, mode, span, term["rounding"], term["day"], term["half_day"])
            start = line.date_time
            nho = rules.nho_share(counted, start, start + timedelta(hours=raw), term["intervals"], span)
            credit = rules.credit_hours(counted, nho, urgent, term["urgent"], term["nho"], term["combination"])
            line.itsm_counted_hours = counted
            line.itsm_nho_hours = nho
            line.itsm_credit_hours = float_round(credit, precision_digits=2)
            line.itsm_count_terms = rules.count_terms(
                term["rounding"], term["urgent"], term["nho"], term["combination"]
            )

    @api.depends(
        "unit_amount",
        "itsm_counted_hours",
        "itsm_nho_hours",
        "itsm_is_urgent",
        "itsm_credit_hours",
        "itsm_mode",
        "itsm_onsite_span",
        "itsm_count_terms",
    )
    @api.depends_context("lang")
    def _compute_itsm_surcharge_detail(self):
        """The explanation is written for whoever reads it: the client on a statement or the portal, in its own
        language, the technician in the backend in theirs. Only the figures and the terms are stored."""
        lang = self.env.lang or "en_US"
        for line in self:
            line.itsm_surcharge_detail = rules.explain_counted(
                line.unit_amount,
                line.itsm_counted_hours,
                line.itsm_nho_hours,
                line.itsm_is_urgent,
                line.itsm_credit_hours,
                line.itsm_mode,
                line.itsm_onsite_span,
                line.itsm_count_terms,
                lang=lang,
            )

    @api.depends("date_time", "unit_amount", "itsm_nho_hours", "itsm_count_terms", "itsm_contract_id")
    @api.depends_context("lang")
    def _compute_itsm_counted_as(self):
        """``"Counted 17:30 - 19:00 (Europe/Paris): 1:30 outside working hours, +50 %"``: the hours the surcharge
        was judged on, in the reader's language and the contract calendar's time zone."""
        for line in self:
            if not (line.date_time and line.itsm_count_terms and line.unit_amount >= 0):
                line.itsm_counted_as = False
                continue
            tz = line.itsm_contract_id.calendar_id.tz or self.env.user.tz or "UTC"
            start = line.date_time
            end = start + timedelta(hours=line.unit_amount)
            span = {
                "start": format_datetime(self.env, start, tz=tz, dt_format="short"),
                "end": format_time(self.env, end, tz=tz, time_format="short"),
                "tz": tz,
            }
            if float_compare(line.itsm_nho_hours, 0.0, precision_digits=2) > 0:
                # the surcharge in the reader's way (50 / 37,5): formatted out of the call, which the .pot
                # extraction reads as text
                pct = rules.format_number(line.itsm_count_terms.get("nho_pct") or 0, 2, self.env.lang, trim=True)
                line.itsm_counted_as = self.env._(
                    "Counted %(start)s - %(end)s (%(tz)s): %(nho)s outside working hours, +%(pct)s %%",
                    nho=rules.format_hours(line.itsm_nho_hours),
                    pct=pct,
                    **span,
                )
            else:
                line.itsm_counted_as = self.env._("Counted %(start)s - %(end)s (%(tz)s): within working hours", **span)

    def _itsm_working_intervals(self):
        """Working intervals (naive UTC) of each calendar over the span of these lines.

        One computation per calendar for the whole batch, whatever its size.
        A contract without calendar has no working interval: all of it is NHO.
        """
        result = {}
        by_calendar = defaultdict(list)
        for line in self:
            calendar = line.itsm_contract_id.calendar_id
            if calendar:
                by_calendar[calendar].append(line)
        for calendar, lines in by_calendar.items():
            start = min(line.date_time for line in lines)
            end = max(line.date_time + timedelta(hours=max(line.unit_amount, 0)) for line in lines)
            result[calendar.id] = calendar._itsm_working_intervals(start, end)
        return result

    # ------------------------------------------------------------ checks
    def _check_itsm_line(self):
        """Refuse what cannot be counted on a contract, with the figure at fault.

        Batch-safe: what depends only on the contract (its state) or on the ticket and the contract (whose
        client it is) is checked once per contract or pair, whatever the number of lines.
        """
        contracts_checked, pairs_checked = set(), set()
        for line in self.filtered("itsm_contract_id"):
            contract = line.itsm_contract_id
            hours = line.unit_amount
            if hours < 0:
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s': the end precedes the start (duration %(hours).2f h).",
                        line=line._itsm_label(),
                        hours=hours,
                    )
                )
            if hours == 0 and line.itsm_onsite_span == "hours" and not line._itsm_is_running_timer():
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s' lasts 0 h: enter its duration or its start and end.",
                        line=line._itsm_label(),
                    )
                )
            if hours > 24:
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s' lasts %(hours).2f h: an intervention cannot exceed 24 h; "
                        "log one line per day.",
                        line=line._itsm_label(),
                        hours=hours,
                    )
                )
            if line.itsm_mode == "remote" and line.itsm_onsite_span != "hours":
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s': half and full days are counted on site only; remote time "
                        "is counted by the quarter hour.",
                        line=line._itsm_label(),
                    )
                )
            ticket = line.ticket_id
            if ticket and (ticket.id, contract.id) not in pairs_checked:
                client = ticket.partner_id.commercial_partner_id
                if contract.partner_id != client:
                    raise ValidationError(
                        self.env._(
                            "Intervention '%(line)s': contract %(contract)s belongs to %(owner)s, not to the "
                            "ticket's client %(client)s.",
                            line=line._itsm_label(),
                            contract=contract.name,
                            owner=contract.partner_id.display_name,
                            client=client.display_name,
                        )
                    )
                pairs_checked.add((ticket.id, contract.id))
            if contract.id not in contracts_checked:
                if contract.state in ("draft", "closed", "expired"):
                    raise ValidationError(
                        self.env._(
                            "Intervention '%(line)s': contract %(contract)s is %(state)s, no intervention can "
                            "be counted on it.",
                            line=line._itsm_label(),
                            contract=contract.name,
                            state=contract._itsm_state_label(),
                        )
                    )
                contracts_checked.add(contract.id)
            if line.date and (
                line.date < contract.date_start or (contract.grace_end and line.date > contract.grace_end)
            ):
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s' of %(date)s is outside the validity of %(contract)s "
                        "(%(start)s to %(end)s).",
                        line=line._itsm_label(),
                        date=line.date,
                        contract=contract.name,
                        start=contract.date_start,
                        end=contract.grace_end or contract.date_end,
                    )
                )

    def _itsm_label(self):
        """How an error message names the intervention."""
        self.ensure_one()
        return self.name or self.ticket_id.display_name or ""

    def _itsm_is_running_timer(self):
        """A line started by the timer buttons has no duration until it is stopped."""
        self.ensure_one()
        return bool(self.env.context.get("itsm_timer_start") or self.env.context.get("resuming_lines")) and bool(
            self.date_time
        )

    # ------------------------------------------------------------ ledger
    def _itsm_sync_credit_moves(self, new=False):
        """Keep exactly one consumption move per line drawing on a prepaid contract.

        Batch-safe: one check per contract, one INSERT for all new moves and one update of the figures per
        contract, whatever the number of lines.
        """
        Move = self.env["itsm.credit.move"]
        deltas = defaultdict(float)
        project_only = defaultdict(lambda: True)
        to_create = []
        to_update = []
        for line in self:
            # Lines being created have no move yet: do not read for them.
            move = (
                Move
                if new
                else line.sudo().itsm_credit_move_ids.filtered(
                    lambda m: m.move_type == "consumption" and not m.reversed_move_id and not m.reversal_move_id
                )[:1]
            )
            contract = line.itsm_contract_id if line._itsm_draws_credit() else self.env["itsm.contract"]
            hours = line.itsm_credit_hours if contract else 0.0
            if move and (
                move.contract_id != contract or float_compare(-move.hours, hours, 2) != 0 or move.date != line.date
            ):
                deltas[move.contract_id] += move.hours  # gives the old draw back
                if contract and hours > 0:
                    deltas[contract] += -hours
                    project_only[contract] &= line.itsm_is_project
                to_update.append((line, move, contract, hours))
            elif not move and contract and hours > 0:
                deltas[contract] -= hours
                project_only[contract] &= line.itsm_is_project
                to_create.append(line)
        if not deltas:
            return Move
        contracts = self.env["itsm.contract"].union(*deltas.keys()).sudo()
        # Checked against this transaction's snapshot, posted, checked again (itsm.contract._check_draw_posted).
        drawing = {contract: -delta for contract, delta in deltas.items() if float_compare(delta, 0.0, 2) < 0}
        for contract, hours in drawing.items():
            contract.sudo()._check_can_consume(hours, is_project=project_only[contract])
        for line, move, contract, hours in to_update:
            if contract and hours > 0:
                move.sudo().with_context(itsm_ledger_post=True).write(
                    {"contract_id": contract.id, "hours": -hours, "date": line.date, "name": line._itsm_move_label()}
                )
            else:
                move._reverse(self.env._("Intervention no longer counted: %(line)s", line=line._itsm_move_label()))
        created = Move
        if to_create:
            created = Move.sudo()._itsm_post_consumptions(
                [
                    {
                        "contract_id": line.itsm_contract_id.id,
                        "date": line.date,
                        "move_type": "consumption",
                        "hours": -line.itsm_credit_hours,
                        "name": line._itsm_move_label(),
                        "timesheet_id": line.id,
                        "user_id": line.user_id.id or self.env.user.id,
                    }
                    for line in to_create
                ]
            )
        for contract in drawing:
            contract.sudo()._check_draw_posted(is_project=project_only[contract])
        if to_update:
            contracts._notify_low_balance()
        return created

    def _itsm_draws_credit(self):
        """A line draws on the credit of a prepaid contract, unless its ticket is out of the contract's scope
        (billed by time on the activity sheet instead)."""
        self.ensure_one()
        return self.itsm_contract_type == "prepaid" and (not self.ticket_id or self.ticket_id.itsm_in_scope)

    def _itsm_move_label(self):
        self.ensure_one()
        parts = [self.ticket_id.number if "number" in self.ticket_id._fields else False, self.name]
        return " - ".join(p for p in parts if p and p != "/") or self.env._("Intervention")

    # ------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if (
            not self.env.su
            and any("itsm_is_urgent" in vals for vals in vals_list)
            and not self.env.user.has_group("itsm_service_contract.group_itsm_account_manager")
        ):
            for vals in vals_list:
                vals.pop("itsm_is_urgent", None)
        lines = super().create(vals_list)
        itsm_lines = lines.filtered("itsm_contract_id")
        if itsm_lines:
            itsm_lines._check_itsm_line()
            itsm_lines._itsm_sync_credit_moves(new=True)
        return lines

    def write(self, vals):
        self._itsm_check_not_stated()
        if (
            "itsm_is_urgent" in vals
            and not self.env.su
            and not self.env.user.has_group("itsm_service_contract.group_itsm_account_manager")
        ):
            raise AccessError(self.env._("Only an account manager may override the urgency of an intervention."))
        tracked = CREDIT_FIELDS.intersection(vals)
        before = self.filtered("itsm_credit_move_ids") if tracked else self.browse()
        result = super().write(vals)
        if tracked:
            lines = self.filtered("itsm_contract_id") | before
            lines.filtered("itsm_contract_id")._check_itsm_line()
            lines._itsm_sync_credit_moves()
        return result

    def _itsm_check_not_stated(self):
        """Interventions of a period whose statement is issued are locked (the client has the figures)."""
        if self.env.su or self.env.context.get("itsm_statement_unlock"):
            return
        locked = self.env["itsm.statement"]._itsm_locked_lines(self)
        if locked:
            raise UserError(
                self.env._(
                    "The intervention of %(date)s on %(contract)s belongs to an issued statement: "
                    "it can no longer be changed (a service manager may reopen the statement).",
                    date=locked[0].date,
                    contract=locked[0].itsm_contract_id.name,
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_itsm_stated(self):
        self._itsm_check_not_stated()

    @api.ondelete(at_uninstall=False)
    def _unlink_itsm_reverse_moves(self):
        moves = self.sudo().itsm_credit_move_ids.filtered(
            lambda m: m.move_type == "consumption" and not m.reversed_move_id and not m.reversal_move_id
        )
        moves.contract_id._lock_for_update()
        for move in moves:
            move._reverse(self.env._("Intervention deleted: %(line)s", line=move.name))
