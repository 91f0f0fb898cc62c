import logging
import os
from collections import defaultdict
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import float_compare
from odoo.tools import float_is_zero
from odoo.tools import float_round

from ..rules import add_months
from ..rules import local_to_utc
from .itsm_reversibility_export import PACKAGE_MARK

_logger = logging.getLogger(__name__)

HOURS_DIGITS = 2
# Moves that buy credit: they restart the validity of the contract.
CREDIT_MOVE_TYPES = ("purchase", "recharge")
# Stored figures the ledger keeps up to date (itsm.contract._itsm_add_to_figures)
FIGURE_FIELDS = ["credit_hours", "consumed_hours", "expired_hours", "adjusted_hours", "balance_hours"]
# One statement whatever the move types: adding 0 to a figure leaves it as it is.
INCREMENT_FIGURES = (
    "UPDATE itsm_contract SET "
    + ", ".join(f"{name} = ROUND(COALESCE({name}, 0) + %({name})s, {HOURS_DIGITS})" for name in FIGURE_FIELDS)
    + " WHERE id = %(id)s RETURNING "
    + ", ".join(FIGURE_FIELDS)
)


class ItsmContract(models.Model):
    _name = "itsm.contract"
    _description = "Service contract"
    _inherit = ["itsm.reference.mixin", "mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "date_end desc, id desc"
    _check_company_auto = True

    title = fields.Char(help="Short description of the contract, e.g. 'Expertise à la demande 2026'.")
    partner_id = fields.Many2one(
        "res.partner",
        string="Client",
        required=True,
        tracking=True,
        index=True,
        check_company=True,
        domain="[('is_company', '=', True)]",
        help="The client company. Its contacts see the contract on the portal.",
    )
    company_id = fields.Many2one(
        "res.company", required=True, index=True, default=lambda self: self.env.company, tracking=True
    )
    currency_id = fields.Many2one(related="company_id.currency_id", string="Currency")
    user_id = fields.Many2one(
        "res.users",
        string="Account manager",
        default=lambda self: self.env.user,
        tracking=True,
        check_company=True,
        domain="[('share', '=', False)]",
    )
    contract_type = fields.Selection(
        [("prepaid", "Prepaid time credit"), ("time_material", "Time and material")],
        string="Type",
        required=True,
        default="prepaid",
        tracking=True,
        help="Prepaid: the client buys hours that interventions draw down. "
        "Time and material: interventions are billed at the end of each month.",
    )
    state = fields.Selection(
        [
            ("draft", "Draft"),
            ("active", "Running"),
            ("grace", "Grace period"),
            ("expired", "Expired"),
            ("closed", "Closed"),
        ],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
        index=True,
        help="Running: the credit can be used. Grace period: the validity is over and the "
        "remaining credit may only be spent on project work. Expired: the remaining credit was lost.",
    )
    date_start = fields.Date(
        string="Start date", required=True, default=fields.Date.context_today, tracking=True, copy=False
    )
    validity_months = fields.Integer(
        string="Validity (months)",
        default=12,
        required=True,
        tracking=True,
        help="Validity of the credit, restarted by each purchase or recharge.",
    )
    grace_months = fields.Integer(
        string="Grace period (months)",
        default=2,
        required=True,
        tracking=True,
        help="Months after the validity end during which the remaining credit may still be spent on projects.",
    )
    last_credit_date = fields.Date(
        string="Last purchase or recharge",
        readonly=True,
        copy=False,
        help="Date of the last purchase or recharge that still stands (cancelled recharges do not count).",
    )
    date_end = fields.Date(
        string="Validity end",
        compute="_compute_dates",
        store=True,
        tracking=True,
        help="Date of the last purchase or recharge plus the validity.",
    )
    grace_end = fields.Date(
        string="Grace period end",
        compute="_compute_dates",
        store=True,
        tracking=True,
        help="Validity end plus the grace period.",
    )
    credit_hours = fields.Float(
        string="Hours bought",
        readonly=True,
        copy=False,
        digits=(16, HOURS_DIGITS),
        help="All hours bought by purchases and recharges, less cancelled ones.",
    )
    consumed_hours = fields.Float(
        string="Hours consumed",
        readonly=True,
        copy=False,
        digits=(16, HOURS_DIGITS),
        help="Hours drawn by interventions (a positive figure).",
    )
    expired_hours = fields.Float(
        string="Hours expired",
        readonly=True,
        copy=False,
        digits=(16, HOURS_DIGITS),
        help="Hours lost at the end of the grace period.",
    )
    adjusted_hours = fields.Float(
        string="Hours adjusted",
        readonly=True,
        copy=False,
        digits=(16, HOURS_DIGITS),
        help="Signed sum of the manual adjustments.",
    )
    balance_hours = fields.Float(
        string="Balance",
        readonly=True,
        copy=False,
        digits=(16, HOURS_DIGITS),
        # Not tracked: the ledger is its history, move by move with the reason; tracking it would post a
        # chatter message per intervention.
        help="Signed sum of all the moves of the ledger.",
    )
    balance_percent = fields.Float(
        string="Remaining credit (%)",
        compute="_compute_balance_percent",
        help="Balance as a share of the hours bought.",
    )
    is_low_balance = fields.Boolean(
        string="Low balance", compute="_compute_is_low_balance", search="_search_is_low_balance"
    )
    is_overdrawn = fields.Boolean(string="Overdrawn", compute="_compute_is_low_balance", search="_search_is_overdrawn")
    low_balance_threshold = fields.Float(
        string="Low balance threshold (h)",
        default=7.0,
        tracking=True,
        help="Under this balance, the account manager gets an activity and the client an email "
        "offering a recharge (once, until the next recharge).",
    )
    low_balance_notified = fields.Boolean(
        string="Low-balance notice sent",
        copy=False,
        readonly=True,
        help="Set when the low-balance notice was sent; cleared when the balance goes back above the threshold.",
    )
    overdraft_policy = fields.Selection(
        [("block", "Refuse the intervention"), ("allow", "Allow an overdraft")],
        string="Overdraft policy",
        default="block",
        required=True,
        tracking=True,
        help="What happens when an intervention would draw more hours than the balance.",
    )
    hourly_rate = fields.Monetary(
        string="Hourly rate",
        currency_field="currency_id",
        tracking=True,
        help="Price of an hour (time and material, troubleshooting).",
    )
    day_rate = fields.Monetary(
        string="Day rate", currency_field="currency_id", tracking=True, help="Price of a day on site."
    )
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working calendar",
        default=lambda self: self.env.company.resource_calendar_id,
        check_company=True,
        help="Working hours of the contract: work outside them is surcharged (non-working hours).",
    )
    # Rules of the consumption (seed 000, "Comptabilisation de la consommation du crédit-temps").
    remote_rounding_minutes = fields.Integer(
        string="Rounding step (min)",
        default=15,
        tracking=True,
        help="Remote and on-site hourly time is counted in steps of this many minutes; any started step counts.",
    )
    onsite_day_hours = fields.Float(
        string="On-site day (h)", default=7.0, tracking=True, help="Hours counted for a full day on site."
    )
    onsite_half_day_hours = fields.Float(
        string="On-site half day (h)", default=4.0, tracking=True, help="Hours counted for a half day on site."
    )
    urgent_delay_hours = fields.Integer(
        string="Urgency delay (h)",
        default=48,
        tracking=True,
        help="An on-site intervention started less than this many hours after the client's request is urgent.",
    )
    urgent_surcharge = fields.Float(string="Urgency surcharge (%)", default=50.0, tracking=True)
    nho_surcharge = fields.Float(
        string="Non-working hours surcharge (%)",
        default=50.0,
        tracking=True,
        help="Surcharge on the hours worked outside the working calendar (evenings, week-ends, public holidays).",
    )
    surcharge_combination = fields.Selection(
        [("add", "Add the surcharges"), ("multiply", "Multiply the surcharges")],
        string="Surcharge combination",
        default="add",
        required=True,
        tracking=True,
        help="Add: urgent work in non-working hours costs +50 % +50 % = +100 %. Multiply: x1.5 x1.5 = x2.25.",
    )
    sla_matrix_id = fields.Many2one(
        "itsm.sla.matrix",
        string="SLA matrix",
        check_company=True,
        tracking=True,
        default=lambda self: self.env["itsm.sla.matrix"]._default_matrix(self.env.company),
        help="Response and resolution times by kind and priority promised to this client.",
    )
    credit_move_ids = fields.One2many("itsm.credit.move", "contract_id", string="Ledger")
    committee_monthly = fields.Boolean(
        string="Monthly steering committee",
        tracking=True,
        help="The client subscribed to one steering committee a month: the scheduler plans next month's "
        "committee and its meeting, and each held committee is invoiced at the monthly fee.",
    )
    committee_fee = fields.Monetary(
        string="Monthly committee fee",
        default=1000.0,
        tracking=True,
        help="Price of the monthly steering committee (seed: 1 000 EUR excl. VAT a month).",
    )
    committee_exceptional_fee = fields.Monetary(
        string="Exceptional committee fee",
        default=1000.0,
        tracking=True,
        help="Price of an exceptional steering committee, invoiced once held.",
    )
    committee_user_id = fields.Many2one(
        "res.users",
        string="Steering consultant",
        tracking=True,
        help="Dedicated consultant who prepares, leads and writes the minutes; the account manager by default.",
    )
    committee_attendee_ids = fields.Many2many(
        "res.partner",
        "itsm_contract_committee_attendee_rel",
        "contract_id",
        "partner_id",
        string="Usual attendees",
        help="Invited to every planned committee.",
    )
    committee_day = fields.Integer(
        string="Committee day of month",
        default=10,
        help="Day of the month of the planned committee (moved to the last day of shorter months).",
    )
    committee_hour = fields.Float(string="Committee time", default=10.0, help="Local time of the consultant.")
    committee_duration = fields.Float(string="Committee duration (h)", default=1.5)
    committee_ids = fields.One2many("itsm.committee", "contract_id", string="Committees")
    committee_count = fields.Integer(compute="_compute_committee_count", string="Committee count")
    statement_count = fields.Integer(compute="_compute_statement_count", string="Statement count")
    timesheet_count = fields.Integer(compute="_compute_timesheet_count", string="Intervention count")
    sale_order_ids = fields.One2many("sale.order", "itsm_contract_id", string="Sales orders")
    sale_order_count = fields.Integer(compute="_compute_sale_order_count", string="Quotations and orders")
    amendment_count = fields.Integer(
        string="Amendments",
        readonly=True,
        copy=False,
        help="Number of recharges (amendments) still standing.",
    )
    package_product_id = fields.Many2one(
        "product.product",
        string="Credit package",
        check_company=True,
        domain="[('itsm_is_credit_package', '=', True)]",
        help="Package proposed by the Recharge button; by default the last package sold.",
    )
    note = fields.Html(string="Notes")

    _sql_constraints = [
        ("name_company_uniq", "unique(name, company_id)", "The contract reference must be unique per company."),
    ]

    # ------------------------------------------------------------ ledger figures
    @api.model
    def _itsm_figures(self, sums):
        """The credit figures of a ledger (rounded to the hundredth) from its sums of hours by move type.

        The figures are linear in the sums: the ledger keeps them up to date by adding those of the moves it
        posts (``_itsm_add_to_figures``), and recomputes them from the whole ledger with the same rule
        (``_itsm_recompute_credit_figures``).
        """
        bought = sums.get("purchase", 0.0) + sums.get("recharge", 0.0)
        consumed = -sums.get("consumption", 0.0)
        expired = -sums.get("expiry", 0.0)
        adjusted = sums.get("adjustment", 0.0)
        figures = {
            "credit_hours": bought,
            "consumed_hours": consumed,
            "expired_hours": expired,
            "adjusted_hours": adjusted,
            "balance_hours": bought - consumed - expired + adjusted,
        }
        return {name: float_round(hours, HOURS_DIGITS) for name, hours in figures.items()}

    @api.model
    def _itsm_add_to_figures(self, entries):
        """Add ledger entries ``(contract, move type, signed hours)`` to their contracts' stored figures.

        Called by ``itsm.credit.move`` for every move posted, changed or deleted. The hours are added in
        the row, ``SET balance_hours = balance_hours + delta``, not summed again from the whole ledger: one
        UPDATE per contract whatever the ledger's length. This is SQL on purpose: the ORM has no atomic
        increment, and the UPDATE is also the draw's lock. It takes the row lock (``NO KEY UPDATE``, which
        lets the foreign keys of concurrent inserts in) and, under Odoo's REPEATABLE READ, fails when
        another transaction changed the row since this one's snapshot: Odoo then replays the request, so
        the balance a draw was checked against is the one it changes. Contracts are updated in id order
        (no deadlock between batches spanning several contracts). The new figures come back with
        ``RETURNING`` into the cache. Purchases and recharges also move the validity dates and the
        amendment count: their contracts are recomputed from the whole ledger instead (rare).
        """
        sums = defaultdict(lambda: defaultdict(float))
        whole = self.browse()
        for contract, move_type, hours in entries:
            sums[contract.id][move_type] += hours
            if move_type in CREDIT_MOVE_TYPES:
                whole |= contract
        increments = {}
        for contract_id, by_type in sums.items():
            if contract_id in whole.ids:
                continue
            delta = self._itsm_figures(by_type)
            if any(not float_is_zero(hours, precision_digits=HOURS_DIGITS) for hours in delta.values()):
                increments[contract_id] = delta
        if increments:
            # pending ORM writes of the figures (a recompute) must reach the row before it is incremented
            self.flush_model(FIGURE_FIELDS)
        for contract_id in sorted(increments):
            delta = increments[contract_id]
            self.env.cr.execute(INCREMENT_FIGURES, {**delta, "id": contract_id})
            row = self.env.cr.dictfetchone()
            contract = self.browse(contract_id)
            contract.modified(FIGURE_FIELDS)
            for name in FIGURE_FIELDS:
                field = self._fields[name]
                self.env.cache.set(contract, field, field.convert_to_cache(float(row[name]), contract))
        whole._itsm_recompute_credit_figures()

    def _itsm_recompute_credit_figures(self):
        """Recompute the stored figures from the whole ledger, in SQL: a constant number of queries whatever
        its length (the ledger may hold 100 000 moves)."""
        contracts = self.filtered("id").sudo()
        if not contracts:
            return
        sums = defaultdict(dict)
        last_dates = {}
        amendments = {}
        Move = self.env["itsm.credit.move"]
        Move.flush_model(["contract_id", "move_type", "hours", "date", "reversal_move_id"])
        self.env.cr.execute(
            """
            SELECT contract_id, move_type, SUM(hours),
                   MAX(date) FILTER (WHERE hours > 0 AND reversal_move_id IS NULL),
                   COUNT(*) FILTER (WHERE hours > 0 AND reversal_move_id IS NULL)
              FROM itsm_credit_move
             WHERE contract_id IN %s
          GROUP BY contract_id, move_type
            """,
            [tuple(contracts.ids)],
        )
        for contract_id, move_type, hours, last_date, standing in self.env.cr.fetchall():
            sums[contract_id][move_type] = hours or 0.0
            if move_type in CREDIT_MOVE_TYPES and last_date:
                previous = last_dates.get(contract_id)
                last_dates[contract_id] = max(previous, last_date) if previous else last_date
            if move_type == "recharge":
                amendments[contract_id] = standing
        for contract in contracts:
            values = self._itsm_figures(sums[contract.id])
            values.update(
                last_credit_date=last_dates.get(contract.id, False), amendment_count=amendments.get(contract.id, 0)
            )
            contract.with_context(tracking_disable=True).write(values)

    # ------------------------------------------------------------ compute
    @api.depends("date_start", "last_credit_date", "validity_months", "grace_months")
    def _compute_dates(self):
        for contract in self:
            origin = contract.last_credit_date or contract.date_start
            if not origin:
                contract.date_end = contract.grace_end = False
                continue
            contract.date_end = add_months(origin, contract.validity_months)
            contract.grace_end = add_months(contract.date_end, contract.grace_months)

    @api.depends("balance_hours", "credit_hours")
    def _compute_balance_percent(self):
        for contract in self:
            if contract.credit_hours > 0:
                share = 100.0 * contract.balance_hours / contract.credit_hours
                contract.balance_percent = float_round(max(0.0, min(100.0, share)), precision_digits=1)
            else:
                contract.balance_percent = 0.0

    @api.depends("balance_hours", "low_balance_threshold", "contract_type")
    def _compute_is_low_balance(self):
        for contract in self:
            prepaid = contract.contract_type == "prepaid"
            contract.is_low_balance = prepaid and contract.balance_hours < contract.low_balance_threshold
            contract.is_overdrawn = prepaid and contract.balance_hours < 0

    def _search_is_low_balance(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        # Compares two columns of the same row: the ORM has no domain for that.
        self.flush_model(["contract_type", "balance_hours", "low_balance_threshold"])
        self.env.cr.execute(
            "SELECT id FROM itsm_contract WHERE contract_type = %s AND balance_hours < low_balance_threshold",
            ["prepaid"],
        )
        low_ids = [row[0] for row in self.env.cr.fetchall()]
        positive = (operator == "=") == value
        return [("id", "in" if positive else "not in", low_ids)]

    def _search_is_overdrawn(self, operator, value):
        if operator not in ("=", "!=") or not isinstance(value, bool):
            raise UserError(self.env._("Operation not supported"))
        positive = (operator == "=") == value
        domain = [("contract_type", "=", "prepaid"), ("balance_hours", "<", 0)]
        return domain if positive else ["!", "&", *domain]

    def _compute_sale_order_count(self):
        counts = dict(
            self.env["sale.order"]._read_group(
                [("itsm_contract_id", "in", self.ids)], ["itsm_contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.sale_order_count = counts.get(contract, 0)

    def _compute_committee_count(self):
        counts = dict(
            self.env["itsm.committee"]._read_group([("contract_id", "in", self.ids)], ["contract_id"], ["__count"])
        )
        for contract in self:
            contract.committee_count = counts.get(contract, 0)

    def _compute_statement_count(self):
        counts = dict(
            self.env["itsm.statement"]._read_group([("contract_id", "in", self.ids)], ["contract_id"], ["__count"])
        )
        for contract in self:
            contract.statement_count = counts.get(contract, 0)

    def action_view_statements(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_statement")
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action

    def _itsm_committee_datetime(self, month_start, consultant):
        """Meeting time of the committee of the month starting on ``month_start``, in UTC."""
        self.ensure_one()
        last_day = (month_start + relativedelta(months=1) - timedelta(days=1)).day
        day = month_start.replace(day=min(max(self.committee_day, 1), last_day))
        tz_name = consultant.tz or self.user_id.tz or self.company_id.partner_id.tz or "Europe/Paris"
        return local_to_utc(day, self.committee_hour or 10.0, tz_name)

    def action_export_reversibility(self):
        """Build the reversibility package (ZIP), attach it to the contract and download it."""
        self.ensure_one()
        if not self.env.user.has_group("itsm_service_contract.group_itsm_account_manager"):
            raise AccessError(self.env._("Only account managers may export the reversibility package of a contract."))
        Export = self.env["itsm.reversibility.export"].with_context(lang=self.partner_id.lang or self.env.lang)
        path, counts = Export._itsm_build(self)
        try:
            with open(path, "rb") as package:
                attachment = (
                    self.env["ir.attachment"]
                    .sudo()
                    .create(
                        {
                            "name": f"{self.name.replace('/', '-')}{PACKAGE_MARK}"
                            f"{fields.Date.context_today(self).strftime('%Y%m%d')}.zip",
                            "raw": package.read(),
                            "mimetype": "application/zip",
                            "res_model": self._name,
                            "res_id": self.id,
                        }
                    )
                )
        finally:
            os.unlink(path)
        self.message_post(
            body=self.env._(
                "Reversibility package exported: %(tickets)s tickets, %(messages)s messages, %(timesheets)s "
                "interventions, %(moves)s ledger moves, %(statements)s statements, %(committees)s committee "
                "minutes, %(documents)s documents.",
                **counts,
            ),
            attachment_ids=attachment.ids,
        )
        return {"type": "ir.actions.act_url", "url": f"/web/content/{attachment.id}?download=true", "target": "self"}

    def action_print_sla_report(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_sla_report_wizard")
        action["context"] = {"default_contract_id": self.id}
        return action

    def action_view_committees(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_committee")
        action["domain"] = [("contract_id", "=", self.id)]
        action["context"] = {"default_contract_id": self.id}
        return action

    def _compute_timesheet_count(self):
        counts = dict(
            self.env["account.analytic.line"]._read_group(
                [("itsm_contract_id", "in", self.ids)], ["itsm_contract_id"], ["__count"]
            )
        )
        for contract in self:
            contract.timesheet_count = counts.get(contract, 0)

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for contract in self:
            contract.access_url = f"/my/contracts/{contract.id}"
        return result

    # ------------------------------------------------------------ constraints
    @api.constrains(
        "validity_months",
        "grace_months",
        "low_balance_threshold",
        "remote_rounding_minutes",
        "onsite_day_hours",
        "onsite_half_day_hours",
        "urgent_delay_hours",
        "urgent_surcharge",
        "nho_surcharge",
    )
    def _check_durations(self):
        for contract in self:
            if (
                contract.remote_rounding_minutes <= 0
                or contract.onsite_day_hours <= 0
                or contract.onsite_half_day_hours <= 0
                or contract.urgent_delay_hours < 0
            ):
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s: the rounding step, the on-site day and half day must be positive "
                        "and the urgency delay cannot be negative.",
                        name=contract.name,
                    )
                )
            if contract.urgent_surcharge < 0 or contract.nho_surcharge < 0:
                raise ValidationError(
                    self.env._("Contract %(name)s: a surcharge cannot be negative.", name=contract.name)
                )
            if contract.validity_months <= 0:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s: the validity must be at least one month (got %(months)s).",
                        name=contract.name,
                        months=contract.validity_months,
                    )
                )
            if contract.grace_months < 0:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s: the grace period cannot be negative (got %(months)s months).",
                        name=contract.name,
                        months=contract.grace_months,
                    )
                )
            if contract.low_balance_threshold < 0:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s: the low balance threshold cannot be negative (got %(hours)s h).",
                        name=contract.name,
                        hours=contract.low_balance_threshold,
                    )
                )

    @api.constrains("date_start", "date_end")
    def _check_dates(self):
        for contract in self:
            if contract.date_start and contract.date_end and contract.date_end < contract.date_start:
                raise ValidationError(
                    self.env._(
                        "Contract %(name)s: the validity end (%(end)s) cannot precede the start date (%(start)s).",
                        name=contract.name,
                        end=contract.date_end,
                        start=contract.date_start,
                    )
                )

    # ------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("partner_id", self.default_get(["partner_id"]).get("partner_id")):
                raise ValidationError(self.env._("A service contract needs a client: choose the client company."))
        return super().create(vals_list)

    @api.ondelete(at_uninstall=False)
    def _unlink_except_ledger(self):
        for contract in self:
            if contract.credit_move_ids:
                raise UserError(
                    self.env._(
                        "Contract %(name)s has a credit ledger and cannot be deleted: close it instead.",
                        name=contract.name,
                    )
                )

    def _compute_display_name(self):
        for contract in self:
            label = contract.name or ""
            if contract.partner_id:
                label = f"{label} - {contract.partner_id.name}"
            contract.display_name = label

    @api.model
    def _running_contracts(self, clients):
        """The contract each client's work is counted on, by (client id, company id).

        Running contracts first (active, then grace), prepaid before time and
        material, the most recent first: one query for the whole batch.
        """
        result = {}
        if not clients:
            return result
        order = {"active": 0, "grace": 1}
        found = self.sudo().search(
            [("partner_id", "in", clients.ids), ("state", "in", ("active", "grace"))], order="date_end desc, id desc"
        )
        for contract in found.sorted(lambda c: (order[c.state], c.contract_type != "prepaid")):
            result.setdefault((contract.partner_id.id, contract.company_id.id), contract.with_env(self.env))
        return result

    # ------------------------------------------------------------ ledger
    def _lock_for_update(self):
        """Lock these contracts' rows before reading a balance that decides what to post.

        Used where the balance read decides the move itself (expiry posts the
        remaining balance, a cancelled order takes back hours only if they
        are still there, an adjustment by hand). An intervention's draw needs
        no separate lock: the UPDATE that adds its hours to the row
        (``_itsm_add_to_figures``) takes the same lock.

        The row lock is held until the transaction ends. A second transaction
        waits; when the first commits, having rewritten the row, PostgreSQL
        refuses the second one's stale REPEATABLE READ snapshot (serialization
        failure) and Odoo replays it from the start: the balance it checks is
        the one it changes. So what this transaction already read of the
        contract stays valid once the lock is granted.

        ``FOR NO KEY UPDATE``, not ``FOR UPDATE``: inserting an intervention
        or a move takes a ``KEY SHARE`` lock on the contract row (foreign
        key check), which ``FOR UPDATE`` conflicts with. Two technicians who
        had both inserted their line then each waited for the other's key
        share: a deadlock, one second of ``deadlock_timeout`` and a replay,
        under load (``make load``).
        """
        if self.ids:
            self.env.cr.execute(
                "SELECT id FROM itsm_contract WHERE id IN %s ORDER BY id FOR NO KEY UPDATE", [tuple(self.ids)]
            )

    def _post_credit_moves(self, vals_list):
        """Post ledger moves (internal use: the callers check the rights)."""
        contracts = self.browse({vals["contract_id"] for vals in vals_list}).sudo()
        related = {c.id: {"company_id": c.company_id.id, "partner_id": c.partner_id.id} for c in contracts}
        # The related values go in the INSERT: no UPDATE per batch afterwards.
        lines = self.env["sale.order.line"].browse(
            {vals.get("sale_order_line_id") for vals in vals_list} - {None, False}
        )
        orders = {line.id: line.order_id.id for line in lines.sudo()}
        vals_list = [
            {**related[vals["contract_id"]], "sale_order_id": orders.get(vals.get("sale_order_line_id"), False), **vals}
            for vals in vals_list
        ]
        moves = self.env["itsm.credit.move"].sudo().with_context(itsm_ledger_post=True).create(vals_list)
        moves.contract_id._notify_low_balance()
        return moves

    def _check_can_consume(self, hours, is_project=False):
        """Refuse a draw of ``hours`` the contract does not allow.

        Called by the timesheet code before it posts a consumption move,
        with the contract row locked.
        """
        for contract in self:
            if contract.contract_type != "prepaid":
                continue
            if contract.state in ("draft", "closed", "expired"):
                raise UserError(
                    self.env._(
                        "Contract %(name)s is %(state)s: no hours can be drawn from it.",
                        name=contract.name,
                        state=contract._itsm_state_label(),
                    )
                )
            if contract.state == "grace" and not is_project:
                raise UserError(
                    self.env._(
                        "Contract %(name)s is in its grace period since %(date)s: only project work may still "
                        "draw on its remaining %(balance).2f h. Flag the intervention as project work or "
                        "recharge the contract.",
                        name=contract.name,
                        date=contract.date_end,
                        balance=contract.balance_hours,
                    )
                )
            if (
                contract.overdraft_policy == "block"
                and float_compare(contract.balance_hours - hours, 0.0, precision_digits=HOURS_DIGITS) < 0
            ):
                raise UserError(
                    self.env._(
                        "Contract %(name)s has %(balance).2f h left: drawing %(hours).2f h would overdraw it. "
                        "Recharge the contract or allow overdrafts on it.",
                        name=contract.name,
                        balance=contract.balance_hours,
                        hours=hours,
                    )
                )
        return True

    def _consume(self, hours, name, date=None, is_project=False, timesheet=None):
        """Draw ``hours`` from the credit: check, post one consumption move, check again (programmatic draw,
        the same steps as an intervention's)."""
        self.ensure_one()
        if hours <= 0:
            raise UserError(
                self.env._(
                    "An intervention must draw a positive number of hours from %(name)s (got %(hours).2f h).",
                    name=self.name,
                    hours=hours,
                )
            )
        self._check_can_consume(hours, is_project=is_project)
        moves = self._post_credit_moves(
            [
                {
                    "contract_id": self.id,
                    "date": date or fields.Date.context_today(self),
                    "move_type": "consumption",
                    "hours": -hours,
                    "name": name,
                    "timesheet_id": timesheet.id if timesheet else False,
                }
            ]
        )
        self._check_draw_posted(is_project=is_project)
        return moves

    def _itsm_state_label(self):
        """The contract's state as its users read it (translated), for messages."""
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    def _check_draw_posted(self, is_project=False):
        """Check again, once a draw's moves are posted, the contracts that refuse overdrafts.

        A draw is checked against the balance of the transaction's snapshot, then posted: posting adds the
        moves to the contract row in one UPDATE, which locks it and fails (Odoo replays the request) if another
        draw changed it meanwhile (``_itsm_add_to_figures``). The balance now in the row, returned by that
        UPDATE, is what the first check saw unless the database says otherwise; only an overdraft can differ
        (the state was checked before).
        """
        for contract in self.filtered(lambda c: c.overdraft_policy == "block"):
            contract._check_can_consume(0.0, is_project=is_project)

    def _notify_low_balance(self):
        """Tell the account manager (activity) and the client (email) once."""
        for contract in self.sudo():
            if contract.contract_type != "prepaid" or contract.state not in ("active", "grace"):
                continue
            low = contract.balance_hours < contract.low_balance_threshold
            if not low:
                if contract.low_balance_notified:
                    contract.low_balance_notified = False
                continue
            if contract.low_balance_notified:
                continue
            contract.low_balance_notified = True
            contract.activity_schedule(
                "itsm_service_contract.mail_activity_low_balance",
                user_id=(contract.user_id or self.env.user).id,
                note=self.env._(
                    "The balance of %(name)s is %(balance).2f h, under the threshold of %(threshold).2f h: "
                    "offer the client a recharge.",
                    name=contract.name,
                    balance=contract.balance_hours,
                    threshold=contract.low_balance_threshold,
                ),
            )
            template = self.env.ref("itsm_service_contract.mail_template_low_balance", raise_if_not_found=False)
            if template and contract.partner_id.email:
                contract.message_post_with_source(template, subtype_xmlid="mail.mt_comment")

    # ------------------------------------------------------------ actions
    def action_activate(self):
        for contract in self:
            if contract.state != "draft":
                raise UserError(self.env._("Contract %(name)s is not a draft.", name=contract.name))
        self.write({"state": "active"})

    def action_close(self):
        self.write({"state": "closed"})

    def action_reopen(self):
        for contract in self:
            if contract.state != "closed":
                raise UserError(self.env._("Contract %(name)s is not closed.", name=contract.name))
            contract.state = contract._state_for_today()

    def _state_for_today(self):
        self.ensure_one()
        today = fields.Date.context_today(self)
        if self.date_end and today > self.date_end:
            return "grace" if self.grace_end and today <= self.grace_end else "expired"
        return "active"

    def _check_can_recharge(self):
        for contract in self:
            if contract.state == "closed":
                raise UserError(self.env._("Contract %(name)s is closed: it cannot be recharged.", name=contract.name))
            if contract.contract_type != "prepaid":
                raise UserError(
                    self.env._(
                        "Contract %(name)s is not a prepaid contract: it has no credit to recharge.", name=contract.name
                    )
                )

    def _default_package(self):
        self.ensure_one()
        if self.package_product_id:
            return self.package_product_id
        last = self.credit_move_ids.filtered(lambda m: m.sale_order_line_id and m.hours > 0).sorted("id")[-1:]
        if last:
            return last.sale_order_line_id.product_id
        return self.env.ref("itsm_service_contract.product_credit_annual", raise_if_not_found=False)

    def _next_amendment_number(self):
        self.ensure_one()
        return self.amendment_count + 1

    def _itsm_create_recharge_order(self, salesperson):
        self.ensure_one()
        self._check_can_recharge()
        product = self._default_package()
        order_lines = []
        if product:
            order_lines.append((0, 0, {"product_id": product.id, "product_uom_qty": 1.0}))
        order = self.env["sale.order"].create(
            {
                "partner_id": self.partner_id.id,
                "company_id": self.company_id.id,
                # Whoever prepares the amendment is its salesperson (sales record rules follow).
                "user_id": salesperson.id,
                "itsm_contract_id": self.id,
                "order_line": order_lines,
            }
        )
        self.message_post(body=self.env._("Recharge quotation %(order)s prepared.", order=order._get_html_link()))
        return order

    def action_recharge(self):
        """Prepare the draft quotation of a recharge (an amendment to the contract)."""
        self.ensure_one()
        order = self._itsm_create_recharge_order(self.env.user)
        return {
            "type": "ir.actions.act_window",
            "res_model": "sale.order",
            "res_id": order.id,
            "view_mode": "form",
            "target": "current",
        }

    def _itsm_portal_request_recharge(self, requester):
        """A client asks for a recharge on the portal: one draft quotation for the account manager.

        Returns ``(order, created)``; a request while a draft quotation is pending returns that one.
        """
        self.ensure_one()
        if self.state not in ("active", "grace"):
            raise UserError(
                self.env._(
                    "Contract %(name)s is %(state)s: a recharge cannot be requested online, "
                    "contact your account manager.",
                    name=self.name,
                    state=self._itsm_state_label(),
                )
            )
        pending = self.env["sale.order"].search(
            [("itsm_contract_id", "=", self.id), ("state", "=", "draft")], order="id desc", limit=1
        )
        if pending:
            return pending, False
        manager = self.user_id or self.env.user
        order = self._itsm_create_recharge_order(manager)
        self.activity_schedule(
            "mail.mail_activity_data_todo",
            user_id=manager.id,
            summary=self.env._("Recharge requested by the client"),
            note=self.env._(
                "%(who)s asked for a recharge on the portal: quotation %(order)s is ready to review and send.",
                who=requester.name,
                order=order.name,
            ),
        )
        return order, True

    def _itsm_portal_documents(self):
        """Documents the client downloads from the contract's portal page, newest first."""
        self.ensure_one()
        documents = []
        for statement in (
            self.env["itsm.statement"].sudo().search([("contract_id", "=", self.id), ("state", "=", "issued")])
        ):
            documents.append(
                {
                    "kind": "statement",
                    "name": self.env._("Statement %(name)s", name=statement.name),
                    "date": statement.period_end,
                    "url": statement.get_portal_url(),
                }
            )
        for committee in (
            self.env["itsm.committee"].sudo().search([("contract_id", "=", self.id), ("state", "=", "sent")])
        ):
            documents.append(
                {
                    "kind": "minutes",
                    "name": self.env._("Minutes %(name)s", name=committee.name),
                    "date": committee.date.date(),
                    "url": committee.get_portal_url(),
                }
            )
        for order in self.sale_order_ids.filtered(lambda o: o.state == "sale"):
            documents.append(
                {
                    "kind": "order",
                    "name": self.env._("Order %(name)s", name=order.name),
                    "date": order.date_order.date(),
                    "url": order.get_portal_url(),
                }
            )
        return sorted(documents, key=lambda doc: doc["date"], reverse=True)

    def action_view_sale_orders(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("sale.action_orders")
        action.update(
            {
                "domain": [("itsm_contract_id", "=", self.id)],
                "context": {"default_itsm_contract_id": self.id, "default_partner_id": self.partner_id.id},
            }
        )
        return action

    def action_view_interventions(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_interventions")
        action["domain"] = [("itsm_contract_id", "=", self.id)]
        action["context"] = {"default_itsm_contract_id": self.id}
        return action

    def action_new_activity_sheet(self):
        self.ensure_one()
        sheet = self.env["itsm.activity.sheet"].create({"contract_id": self.id})
        sheet.action_collect()
        return {
            "type": "ir.actions.act_window",
            "res_model": "itsm.activity.sheet",
            "res_id": sheet.id,
            "view_mode": "form",
        }

    def action_view_credit_moves(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_credit_move")
        action.update({"domain": [("contract_id", "=", self.id)], "context": {"default_contract_id": self.id}})
        return action

    def action_open_adjustment(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Adjust the credit"),
            "res_model": "itsm.credit.adjust.wizard",
            "view_mode": "form",
            "target": "new",
            "context": {"default_contract_id": self.id},
        }

    # ------------------------------------------------------------ cron
    @api.model
    def _cron_update_states(self):
        """Move contracts into grace then expiry as their dates pass.

        Idempotent: a contract changes state once, and the expiry move is
        posted when it leaves the grace period, so a second run posts nothing.
        """
        today = fields.Date.context_today(self)
        to_grace = self.search([("state", "=", "active"), ("date_end", "<", today)])
        for contract in to_grace:
            contract.state = "grace"
            contract.message_post(
                body=self.env._(
                    "The validity ended on %(date)s: the remaining %(balance).2f h may only be spent on "
                    "project work until %(grace)s.",
                    date=contract.date_end,
                    balance=contract.balance_hours,
                    grace=contract.grace_end,
                )
            )
        to_expire = self.search([("state", "=", "grace"), ("grace_end", "<", today)])
        to_expire._expire(today)
        return True

    def _expire(self, date):
        for contract in self:
            contract._lock_for_update()
            contract.invalidate_recordset(["balance_hours"])
            remaining = contract.balance_hours
            if contract.contract_type == "prepaid" and float_compare(remaining, 0.0, precision_digits=2) > 0:
                self._post_credit_moves(
                    [
                        {
                            "contract_id": contract.id,
                            "date": date,
                            "move_type": "expiry",
                            "hours": -remaining,
                            "name": self.env._(
                                "Credit expired at the end of the grace period (%(date)s)", date=contract.grace_end
                            ),
                        }
                    ]
                )
            contract.state = "expired"
            contract.message_post(
                body=self.env._(
                    "The grace period ended on %(date)s: %(hours).2f h expired.",
                    date=contract.grace_end,
                    hours=max(remaining, 0.0),
                )
            )
