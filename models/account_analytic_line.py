from collections import defaultdict
from datetime import timedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.tools import float_compare
from odoo.tools import float_round
from odoo.tools import format_datetime
from odoo.tools import format_time
from odoo.tools.sql import create_index

from .. import rules
from ..fast_fields import FlatJson
from ..fast_fields import RoundedFloat


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
    itsm_counted_hours = RoundedFloat(
        string="Counted hours",
        compute="_compute_itsm_credit",
        store=True,
        precompute=True,
        digits=(16, 2),
        help="Duration as the contract counts it: rounded up to the quarter hour, or the day / half day.",
    )
    itsm_nho_hours = RoundedFloat(
        string="Non-working hours",
        compute="_compute_itsm_credit",
        store=True,
        precompute=True,
        digits=(16, 2),
        help="Counted hours that fall outside the contract's working calendar (public holidays included).",
    )
    itsm_credit_hours = RoundedFloat(
        string="Credit hours",
        compute="_compute_itsm_credit",
        store=True,
        precompute=True,
        digits=(16, 2),
        help="Hours drawn from the credit (prepaid) or billed (time and material), surcharges included.",
    )
    itsm_count_terms = FlatJson(
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
        # one assignment per contract, not per line (a batch of 2 000 lines on one ticket pays one)
        assigned = defaultdict(list)
        for line in self:
            ticket, current = line.ticket_id, line.itsm_contract_id
            if not ticket:
                if not current:
                    assigned[self.env["itsm.contract"]].append(line.id)
                continue
            if current and current.partner_id == ticket.partner_id.commercial_partner_id:
                continue
            assigned[ticket.itsm_contract_id].append(line.id)
        for contract, ids in assigned.items():
            self.browse(ids).itsm_contract_id = contract

    @api.depends("itsm_mode", "date_time", "ticket_id.itsm_request_date", "ticket_id.create_date", "itsm_contract_id")
    def _compute_itsm_is_urgent(self):
        urgent = []
        for line, mode, start in zip(self, self.mapped("itsm_mode"), self.mapped("date_time"), strict=True):
            if mode != "onsite" or not start:
                continue  # only on-site work is urgent (rules.is_urgent): the ticket is not read for the rest
            contract = line.itsm_contract_id
            request = line.ticket_id.itsm_request_date or line.ticket_id.create_date
            if contract and request and rules.is_urgent(mode, start, request, contract.urgent_delay_hours):
                urgent.append(line.id)
        # one assignment per value, not per line (a batch of 2 000 lines pays two)
        urgent = self.browse(urgent)
        urgent.itsm_is_urgent = True
        (self - urgent).itsm_is_urgent = False

    # The contract's parameters are deliberately not dependencies: changing a
    # contract's rules applies to new and edited interventions, it does not
    # rewrite the cost of past ones (their moves are in the ledger).
    @api.depends("unit_amount", "date_time", "itsm_contract_id", "itsm_mode", "itsm_onsite_span", "itsm_is_urgent")
    def _compute_itsm_credit(self):
        """Count the lines with their contracts' terms (``rules``).

        Batch-safe and cheap per line: a contract's terms and its calendar's working intervals are read once
        for all its lines, the lines' own values a column at a time, and each distinct result is assigned once
        to all the lines that have it (an assignment costs more than the counting itself).
        """
        by_contract = defaultdict(list)
        results = defaultdict(list)  # (contract id, counted, nho, credit) or None -> ids of the lines
        fnames = ("date_time", "unit_amount", "itsm_mode", "itsm_onsite_span", "itsm_is_urgent")
        for line, *row in zip(self, *(self.mapped(fname) for fname in fnames), strict=True):
            start, raw, mode, span, _urgent = row
            contract = line.itsm_contract_id
            if not (contract and start) or raw < 0 or (mode == "remote" and span != "hours"):
                # Nothing to count; a negative duration or a remote day is refused by _check_itsm_line.
                results[None].append(line.id)
            else:
                by_contract[contract].append((line.id, *row))
        terms = {}
        for contract, rows in by_contract.items():
            step, day, half_day = (
                contract.remote_rounding_minutes,
                contract.onsite_day_hours,
                contract.onsite_half_day_hours,
            )
            urgent_pct, nho_pct, combination = (
                contract.urgent_surcharge,
                contract.nho_surcharge,
                contract.surcharge_combination,
            )
            terms[contract.id] = rules.count_terms(step, urgent_pct, nho_pct, combination)
            # A contract without calendar has no working interval: all of its time is NHO.
            intervals = ()
            if contract.calendar_id:
                first = min(row[1] for row in rows)
                last = max(row[1] + timedelta(hours=row[2]) for row in rows)
                intervals = rules.WorkingTime(contract.calendar_id._itsm_working_intervals(first, last))
            for line_id, start, raw, mode, span, urgent in rows:
                span = span if mode == "onsite" else "hours"
                counted = rules.counted_hours(raw, mode, span, step, day, half_day)
                nho = rules.nho_share(counted, start, start + timedelta(hours=raw), intervals, span)
                credit = rules.credit_hours(counted, nho, urgent, urgent_pct, nho_pct, combination)
                results[contract.id, counted, nho, float_round(credit, precision_digits=2)].append(line_id)
        for key, ids in results.items():
            contract_id, counted, nho, credit = key or (None, 0.0, 0.0, 0.0)
            self.browse(ids).update(
                {
                    "itsm_counted_hours": counted,
                    "itsm_nho_hours": nho,
                    "itsm_credit_hours": credit,
                    "itsm_count_terms": terms.get(contract_id, False),
                }
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
