from datetime import datetime
from datetime import time
from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools.misc import format_amount

from .. import rules
from ..access import checked

COMMITTEE_TYPES = [
    ("monthly", "Monthly steering committee"),
    ("exceptional", "Exceptional steering committee"),
    ("service_review", "Service review"),
    ("annual", "Annual strategic review"),
]
# Committee types sold with a fee (seed 000, "Pilotage du service"); reviews are part of the service.
FEE_TYPES = ("monthly", "exceptional")


class ItsmCommittee(models.Model):
    _name = "itsm.committee"
    _description = "Steering committee"
    _inherit = ["itsm.reference.mixin", "mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "itsm.contract",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        tracking=True,
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True, string="Company")
    currency_id = fields.Many2one(related="contract_id.currency_id", string="Currency")
    partner_id = fields.Many2one(
        related="contract_id.partner_id", store=True, index=True, string="Client", help="The contract's client."
    )
    committee_type = fields.Selection(COMMITTEE_TYPES, string="Type", required=True, default="monthly", tracking=True)
    date = fields.Datetime(string="Meeting date", required=True, tracking=True, default=fields.Datetime.now)
    period_start = fields.Date(
        string="Reviewed from",
        required=True,
        compute="_compute_period",
        store=True,
        readonly=False,
        precompute=True,
        help="First day of the period the committee reviews: by default the previous calendar month, "
        "or the previous 12 months for an annual review.",
    )
    period_end = fields.Date(
        string="Reviewed until",
        required=True,
        compute="_compute_period",
        store=True,
        readonly=False,
        precompute=True,
        help="Last day (included) of the reviewed period.",
    )
    user_id = fields.Many2one(
        "res.users",
        string="Consultant",
        default=lambda self: self.env.user,
        tracking=True,
        help="The dedicated consultant who prepares, leads and writes the minutes.",
    )
    attendee_ids = fields.Many2many(
        "res.partner",
        string="Attendees",
        help="People invited on both sides; the minutes are e-mailed to them.",
    )
    agenda = fields.Html(sanitize=True, help="Filled in when the committee is prepared, editable.")
    minutes = fields.Html(sanitize=True, help="Decisions and discussions, written during or after the meeting.")
    anonymised_date = fields.Date(
        string="Anonymised on",
        readonly=True,
        copy=False,
        help="When the attendee list was removed (GDPR retention).",
    )
    state = fields.Selection(
        [
            ("planned", "Planned"),
            ("prepared", "Prepared"),
            ("held", "Held"),
            ("sent", "Minutes sent"),
            ("cancelled", "Cancelled"),
        ],
        default="planned",
        required=True,
        tracking=True,
        copy=False,
    )
    action_ids = fields.One2many("itsm.committee.action", "committee_id", string="Actions decided")
    carried_action_ids = fields.Many2many(
        "itsm.committee.action",
        "itsm_committee_carried_action_rel",
        "committee_id",
        "action_id",
        string="Open actions carried over",
        copy=False,
        help="Actions of earlier committees of the contract still open when this one was prepared.",
    )
    evolution_ids = fields.Many2many(
        "itsm.committee.action",
        "itsm_committee_evolution_rel",
        "committee_id",
        "action_id",
        string="Evolution requests reviewed",
        copy=False,
        help="Annual review: the evolution requests raised by the committees of the period, to approve or reject.",
    )
    fee_amount = fields.Monetary(
        string="Fee",
        compute="_compute_fee_amount",
        store=True,
        readonly=False,
        precompute=True,
        tracking=True,
        help="Invoiced once the committee is held (monthly and exceptional committees).",
    )
    invoice_line_id = fields.Many2one(
        "account.move.line",
        string="Invoice line",
        copy=False,
        readonly=True,
        ondelete="set null",
        index="btree_not_null",
    )
    invoice_id = fields.Many2one(related="invoice_line_id.move_id", string="Invoice")
    calendar_event_id = fields.Many2one("calendar.event", string="Meeting", copy=False, readonly=True)
    prepared_date = fields.Datetime(string="Figures taken on", readonly=True, copy=False)
    # ---- snapshot (action_prepare): frozen figures of the period
    kpi_line_ids = fields.One2many("itsm.committee.kpi", "committee_id", string="Figures", copy=False)
    kpi_tickets_opened = fields.Integer(string="Tickets opened", readonly=True, copy=False)
    kpi_tickets_closed = fields.Integer(string="Tickets closed", readonly=True, copy=False)
    kpi_sla_tickets = fields.Integer(
        string="Tickets with a target due",
        readonly=True,
        copy=False,
        help="Tickets with a response or resolution deadline in the period.",
    )
    kpi_response_due = fields.Integer(
        string="Response targets judged",
        readonly=True,
        copy=False,
        help="Response deadlines of the period that were met or missed (open tickets included); those not come yet "
        "are left out.",
    )
    kpi_response_met = fields.Integer(string="Response targets met", readonly=True, copy=False)
    kpi_response_met_pct = fields.Float(
        string="Response met (%)",
        readonly=True,
        copy=False,
        digits=(5, 1),
        help="Meaningful only when some target was judged: see Response met.",
    )
    kpi_resolution_due = fields.Integer(
        string="Resolution targets judged",
        readonly=True,
        copy=False,
        help="Resolution deadlines of the period that were met or missed (open tickets included); those not come "
        "yet are left out.",
    )
    kpi_resolution_met = fields.Integer(string="Resolution targets met", readonly=True, copy=False)
    kpi_resolution_met_pct = fields.Float(
        string="Resolution met (%)",
        readonly=True,
        copy=False,
        digits=(5, 1),
        help="Meaningful only when some target was judged: see Resolution met.",
    )
    kpi_response_display = fields.Char(
        string="Response met",
        compute="_compute_kpi_display",
        help="The share of response targets met, or — when none was judged in the period.",
    )
    kpi_resolution_display = fields.Char(
        string="Resolution met",
        compute="_compute_kpi_display",
        help="The share of resolution targets met, or — when none was judged in the period.",
    )
    kpi_consumed_hours = fields.Float(
        string="Credit consumed (h)", readonly=True, copy=False, digits=(16, 2), help="Net consumption of the period."
    )
    kpi_balance_end = fields.Float(string="Balance at period end (h)", readonly=True, copy=False, digits=(16, 2))
    kpi_validity_days_left = fields.Integer(
        string="Days of validity left",
        readonly=True,
        copy=False,
        help="From the end of the period to the validity end.",
    )
    kpi_nho_hours = fields.Float(
        string="Non-working hours (h)",
        readonly=True,
        copy=False,
        digits=(16, 2),
        help="Hours worked outside the contract's working calendar in the period.",
    )
    kpi_urgent_hours = fields.Float(
        string="Urgent hours (h)",
        readonly=True,
        copy=False,
        digits=(16, 2),
        help="Counted hours of urgent on-site interventions in the period.",
    )
    kpi_escalations_manual = fields.Integer(
        string="Manual escalations", readonly=True, copy=False, help="Tickets escalated by hand in the period."
    )
    kpi_escalations_automatic = fields.Integer(
        string="Automatic escalations",
        readonly=True,
        copy=False,
        help="Tickets escalated by the scheduled action in the period (past the contract's threshold).",
    )
    kpi_out_of_scope_tickets = fields.Integer(
        string="Out-of-scope tickets",
        readonly=True,
        copy=False,
        help="Tickets opened in the period in a domain the contract does not cover.",
    )
    kpi_alerts_received = fields.Integer(
        string="Monitoring alerts received", readonly=True, copy=False, help="Alerts first seen in the period."
    )
    kpi_alert_tickets = fields.Integer(
        string="Tickets opened by monitoring", readonly=True, copy=False, help="Tickets the period's alerts opened."
    )
    kpi_alerts_self_resolved = fields.Integer(
        string="Alerts resolved by themselves",
        readonly=True,
        copy=False,
        help="Alerts resolved in the period with no time logged on their ticket.",
    )
    kpi_alert_response_minutes = fields.Float(
        string="Alert to first response (min)",
        readonly=True,
        copy=False,
        digits=(16, 1),
        help="Mean minutes from an alert to the first response on the ticket it opened; 0 when none was answered.",
    )

    # ------------------------------------------------------------ computes
    @api.depends("kpi_response_due", "kpi_response_met_pct", "kpi_resolution_due", "kpi_resolution_met_pct")
    def _compute_kpi_display(self):
        for committee in self:
            committee.kpi_response_display = rules.format_pct(committee._itsm_response_pct())
            committee.kpi_resolution_display = rules.format_pct(committee._itsm_resolution_pct())

    def _itsm_response_pct(self):
        """The share of response targets met, ``None`` when none was judged (shown as a dash)."""
        self.ensure_one()
        return self.kpi_response_met_pct if self.kpi_response_due else None

    def _itsm_resolution_pct(self):
        """The share of resolution targets met, ``None`` when none was judged (shown as a dash)."""
        self.ensure_one()
        return self.kpi_resolution_met_pct if self.kpi_resolution_due else None

    @api.depends("committee_type", "date")
    def _compute_period(self):
        for committee in self:
            if committee.period_start and committee.period_end and committee._origin.id:
                continue  # set by hand or by an earlier default: keep it
            start, end = rules.review_period(
                fields.Datetime.to_datetime(committee.date or fields.Datetime.now()).date(),
                12 if committee.committee_type == "annual" else 1,
            )
            committee.period_start, committee.period_end = start, end

    @api.depends("committee_type", "contract_id")
    def _compute_fee_amount(self):
        for committee in self:
            contract = committee.contract_id
            if committee.committee_type == "monthly":
                committee.fee_amount = contract.committee_fee
            elif committee.committee_type == "exceptional":
                committee.fee_amount = contract.committee_exceptional_fee
            else:
                committee.fee_amount = 0.0

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for committee in self:
            committee.access_url = f"/my/committees/{committee.id}"
        return result

    # ------------------------------------------------------------ constraints
    @api.constrains("period_start", "period_end")
    def _check_period(self):
        self._itsm_check_period_order()

    @api.constrains("contract_id", "state")
    def _check_contract_open(self):
        for committee in self:
            if committee.contract_id.state == "closed" and committee.state in ("planned", "prepared"):
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s is closed: no committee can be planned or prepared on it.",
                        contract=committee.contract_id.display_name,
                    )
                )

    @api.constrains("contract_id", "committee_type", "date", "state")
    def _check_one_monthly_per_month(self):
        monthly = self.filtered(lambda c: c.committee_type == "monthly" and c.state != "cancelled")
        for committee in monthly:
            month_start = committee.date.replace(day=1, hour=0, minute=0, second=0, microsecond=0)
            clash = self.search_count(
                [
                    ("id", "!=", committee.id),
                    ("contract_id", "=", committee.contract_id.id),
                    ("committee_type", "=", "monthly"),
                    ("state", "!=", "cancelled"),
                    ("date", ">=", month_start),
                    ("date", "<", month_start + relativedelta(months=1)),
                ]
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s already has a monthly committee in %(month)s.",
                        contract=committee.contract_id.display_name,
                        month=month_start.strftime("%m/%Y"),
                    )
                )

    # ------------------------------------------------------------ CRUD
    @api.ondelete(at_uninstall=False)
    def _unlink_except_held(self):
        for committee in self:
            if committee.state in ("held", "sent"):
                raise UserError(
                    self.env._(
                        "Committee %(committee)s was held: cancel it instead of deleting it.",
                        committee=committee.display_name,
                    )
                )

    # ------------------------------------------------------------ workflow
    @checked("write")
    def action_hold(self):
        for committee in self:
            if committee.state not in ("planned", "prepared"):
                raise UserError(
                    self.env._("Committee %(committee)s is not planned or prepared.", committee=committee.display_name)
                )
            if committee.state == "planned":
                committee.action_prepare()
            committee.state = "held"
        self.filtered(lambda c: c.committee_type in FEE_TYPES and c.fee_amount)._itsm_invoice_fee()
        return True

    @checked("write")
    def action_cancel(self):
        for committee in self:
            if committee.invoice_line_id and committee.invoice_line_id.parent_state != "cancel":
                raise UserError(
                    self.env._(
                        "Committee %(committee)s is invoiced on %(invoice)s (%(amount)s): "
                        "remove the line from the invoice or credit it before cancelling the committee.",
                        committee=committee.display_name,
                        invoice=committee.invoice_line_id.move_id.display_name,
                        amount=committee.invoice_line_id.price_subtotal,
                    )
                )
        self.calendar_event_id.sudo().unlink()
        self.write({"state": "cancelled"})
        return True

    @checked("write")
    def action_reset_planned(self):
        self.filtered(lambda c: c.state == "cancelled").write({"state": "planned"})
        return True

    def _itsm_fee_product(self):
        self.ensure_one()
        xmlid = "product_committee_monthly" if self.committee_type == "monthly" else "product_committee_exceptional"
        return self.env.ref(f"itsm_service_contract.{xmlid}", raise_if_not_found=False)

    def _itsm_invoice_fee(self):
        """One invoice line per committee, on the client's draft invoice or on a new one."""
        Move = self.env["account.move"].sudo()
        for committee in self.filtered(lambda c: not c.invoice_line_id):
            partner = committee.partner_id.commercial_partner_id
            invoice = Move.search(
                [
                    ("move_type", "=", "out_invoice"),
                    ("state", "=", "draft"),
                    ("partner_id", "child_of", partner.id),
                    ("company_id", "=", committee.company_id.id),
                    ("currency_id", "=", committee.currency_id.id),
                ],
                order="id desc",
                limit=1,
            )
            if not invoice:
                invoice = Move.with_company(committee.company_id).create(
                    {
                        "move_type": "out_invoice",
                        "partner_id": partner.id,
                        "company_id": committee.company_id.id,
                        "currency_id": committee.currency_id.id,
                        "invoice_origin": committee.contract_id.name,
                    }
                )
            product = committee._itsm_fee_product()
            label = self.env._(
                "%(type)s %(committee)s of %(date)s - contract %(contract)s",
                type=dict(committee._fields["committee_type"]._description_selection(self.env))[
                    committee.committee_type
                ],
                committee=committee.name,
                date=fields.Date.to_string(committee.date.date()),
                contract=committee.contract_id.name,
            )
            lines_before = invoice.invoice_line_ids
            invoice.write(
                {
                    "invoice_line_ids": [
                        fields.Command.create(
                            {
                                "product_id": product.id if product else False,
                                "name": label,
                                "quantity": 1.0,
                                "price_unit": committee.fee_amount,
                            }
                        )
                    ]
                }
            )
            committee.invoice_line_id = (invoice.invoice_line_ids - lines_before)[:1]
            env = committee.company_id._itsm_staff_env()
            committee.message_post(
                body=env._(
                    "Fee of %(amount)s added to draft invoice %(invoice)s.",
                    amount=format_amount(env, committee.fee_amount, invoice.currency_id),
                    invoice=invoice.display_name,
                )
            )

    @checked("write")
    def action_send(self):
        """E-mail the minutes PDF to the attendees (client's language) and mark the committee sent."""
        template = self.env.ref("itsm_service_contract.mail_template_itsm_committee_minutes")
        for committee in self:
            if committee.state not in ("held", "sent"):
                raise UserError(
                    self.env._(
                        "Committee %(committee)s has not been held yet: hold it before sending its minutes.",
                        committee=committee.display_name,
                    )
                )
            if not committee.attendee_ids.filtered("email"):
                raise UserError(
                    self.env._(
                        "Committee %(committee)s: no attendee has an e-mail address to send the minutes to.",
                        committee=committee.display_name,
                    )
                )
            committee.message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=committee.attendee_ids.filtered("email").ids,
            )
            committee.state = "sent"
        return True

    @checked()
    def action_view_invoice(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "account.move",
            "res_id": self.invoice_id.id,
            "view_mode": "form",
        }

    @checked()
    def action_print_minutes(self):
        return self.env.ref("itsm_service_contract.action_report_itsm_committee").report_action(self)

    # ------------------------------------------------------------ planning
    @api.model
    def _cron_plan_monthly_committees(self, today=None):
        """Plan next month's committee of every contract with the monthly option: one, never two."""
        today = today or fields.Date.context_today(self)
        next_month = today.replace(day=1) + relativedelta(months=1)
        contracts = self.env["itsm.contract"].search(
            [("committee_monthly", "=", True), ("state", "in", ("active", "grace"))]
        )
        existing = self.with_context(active_test=False).search(
            [
                ("contract_id", "in", contracts.ids),
                ("committee_type", "=", "monthly"),
                ("date", ">=", datetime.combine(next_month, time.min)),
                ("date", "<", datetime.combine(next_month + relativedelta(months=1), time.min)),
            ]
        )
        planned_for = set(existing.contract_id.ids)  # a cancelled one counts: it was cancelled on purpose
        vals_list = []
        for contract in contracts.filtered(lambda c: c.id not in planned_for):
            consultant = contract.committee_user_id or contract.user_id
            vals_list.append(
                {
                    "contract_id": contract.id,
                    "committee_type": "monthly",
                    "date": contract._itsm_committee_datetime(next_month, consultant),
                    "user_id": consultant.id,
                    "attendee_ids": [fields.Command.set(contract.committee_attendee_ids.ids)],
                }
            )
        committees = self.create(vals_list)
        committees._itsm_schedule_meeting()
        return committees

    def _itsm_schedule_meeting(self):
        Event = self.env["calendar.event"].sudo()
        for committee in self.filtered(lambda c: not c.calendar_event_id):
            partners = committee.attendee_ids | committee.user_id.partner_id
            # the meeting is the client's: named in the client's language
            env = self.env(context=dict(self.env.context, lang=committee.partner_id.lang or self.env.lang))
            committee.calendar_event_id = Event.with_context(no_mail_to_attendees=True).create(
                {
                    "name": env._(
                        "Steering committee %(contract)s - %(client)s",
                        contract=committee.contract_id.name,
                        client=committee.partner_id.name,
                    ),
                    "start": committee.date,
                    "stop": committee.date + timedelta(hours=committee.contract_id.committee_duration or 1.0),
                    "user_id": committee.user_id.id,
                    "partner_ids": [fields.Command.set(partners.ids)],
                    "res_model_id": self.env["ir.model"]._get_id(self._name),
                    "res_id": committee.id,
                }
            )

    @checked("write")
    def action_schedule_meeting(self):
        self._itsm_schedule_meeting()
        return True
