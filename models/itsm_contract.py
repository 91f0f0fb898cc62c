import logging

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools import float_round

from ..rules import add_months

_logger = logging.getLogger(__name__)

HOURS_DIGITS = 2


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
        # Compares two figures of the same row: the ORM has no domain for that. The balance as read, with the
        # draws still pending (_field_to_sql).
        rows = self.env.execute_query(
            SQL(
                "SELECT id FROM itsm_contract WHERE %s = %s AND %s < %s",
                self._field_to_sql(self._table, "contract_type"),
                "prepaid",
                self._field_to_sql(self._table, "balance_hours"),
                self._field_to_sql(self._table, "low_balance_threshold"),
            )
        )
        low_ids = [row[0] for row in rows]
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
