from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import float_compare
from odoo.tools import float_round

from .. import rules
from ..access import checked
from ..charts import bar_chart_svg

HOURS = (16, 2)


class ItsmStatement(models.Model):
    """Monthly credit statement ("Relevé de consommation"): the period's ledger, frozen when issued.

    ``opening_balance + credited_hours - consumed_hours - expired_hours = closing_balance`` to the
    hundredth of an hour. Manual adjustments are in that identity by sign: a positive adjustment is
    credited, a negative one consumed (``adjusted_hours`` shows their net for information).
    """

    _name = "itsm.statement"
    _description = "Time credit statement"
    _inherit = ["itsm.reference.mixin", "mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "period_start desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one(
        "itsm.contract",
        required=True,
        index=True,
        check_company=True,
        ondelete="restrict",
        domain="[('contract_type', '=', 'prepaid')]",
    )
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True, string="Company")
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, index=True, string="Client")
    period_start = fields.Date(
        string="From",
        required=True,
        default=lambda self: rules.review_period(fields.Date.context_today(self))[0],
    )
    period_end = fields.Date(
        string="To",
        required=True,
        default=lambda self: rules.review_period(fields.Date.context_today(self))[1],
        help="Last day of the period, included.",
    )
    state = fields.Selection(
        [("draft", "Draft"), ("issued", "Issued")], default="draft", required=True, tracking=True, copy=False
    )
    issue_date = fields.Date(string="Issued on", readonly=True, copy=False)
    opening_balance = fields.Float(
        string="Opening balance", digits=HOURS, readonly=True, help="Balance at the start of the period (h)."
    )
    credited_hours = fields.Float(
        string="Credited hours",
        digits=HOURS,
        readonly=True,
        help="Purchases and recharges of the period, with positive adjustments (h).",
    )
    consumed_hours = fields.Float(
        string="Consumed hours",
        digits=HOURS,
        readonly=True,
        help="Interventions of the period, with negative adjustments (h).",
    )
    expired_hours = fields.Float(
        string="Expired hours", digits=HOURS, readonly=True, help="Credit lost at the end of its validity (h)."
    )
    adjusted_hours = fields.Float(
        string="Of which adjustments",
        digits=HOURS,
        readonly=True,
        help="Net of the manual adjustments of the period, already counted in credited or consumed hours.",
    )
    closing_balance = fields.Float(
        string="Closing balance", digits=HOURS, readonly=True, help="Balance at the end of the period (h)."
    )
    date_end_validity = fields.Date(
        string="Validity end", readonly=True, help="The contract's validity end when the statement was issued."
    )
    date_end_grace = fields.Date(
        string="Grace end", readonly=True, help="Last day project work may still draw on the credit."
    )
    line_ids = fields.One2many("itsm.statement.line", "statement_id", string="Interventions", readonly=True)
    chart_data = fields.Json(
        string="Chart data",
        readonly=True,
        copy=False,
        help="Consumption of the 12 months ending with the period, for the chart.",
    )

    _sql_constraints = [
        (
            "contract_period_unique",
            "UNIQUE(contract_id, period_start)",
            "A contract has one statement per period.",
        )
    ]

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for statement in self:
            statement.access_url = f"/my/statements/{statement.id}"
        return result

    def _compute_display_name(self):
        for statement in self:
            statement.display_name = f"{statement.name} ({statement.contract_id.name})"

    @api.constrains("period_start", "period_end", "contract_id")
    def _check_period(self):
        self._itsm_check_period_order()
        for statement in self:
            if statement.contract_id.contract_type != "prepaid":
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s is a time-and-material contract: it has no credit to state; "
                        "use its activity sheets.",
                        contract=statement.contract_id.display_name,
                    )
                )
            clash = self.search_count(
                [
                    ("id", "!=", statement.id),
                    ("contract_id", "=", statement.contract_id.id),
                    ("period_start", "<=", statement.period_end),
                    ("period_end", ">=", statement.period_start),
                ]
            )
            if clash:
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s already has a statement overlapping %(start)s - %(end)s.",
                        contract=statement.contract_id.display_name,
                        start=statement.period_start,
                        end=statement.period_end,
                    )
                )

    @api.ondelete(at_uninstall=False)
    def _unlink_except_issued(self):
        if self.filtered(lambda s: s.state == "issued"):
            raise UserError(self.env._("An issued statement cannot be deleted: reset it to draft first."))

    # ------------------------------------------------------------ figures
    def _itsm_compute_figures(self):
        """Figures and frozen lines of the period, from the ledger and the interventions."""
        self.ensure_one()
        Move = self.env["itsm.credit.move"].sudo()
        contract = self.contract_id
        opening = sum(
            Move.search([("contract_id", "=", contract.id), ("date", "<", self.period_start)]).mapped("hours")
        )
        moves = Move.search(
            [
                ("contract_id", "=", contract.id),
                ("date", ">=", self.period_start),
                ("date", "<=", self.period_end),
            ]
        )
        by_type = defaultdict(float)
        credited = consumed = 0.0
        for move in moves:
            by_type[move.move_type] += move.hours
            if move.move_type in ("purchase", "recharge") or (move.move_type == "adjustment" and move.hours > 0):
                credited += move.hours
            elif move.move_type != "expiry":
                consumed -= move.hours
        values = {
            "opening_balance": float_round(opening, 2),
            "credited_hours": float_round(credited, 2),
            "consumed_hours": float_round(consumed, 2),
            "expired_hours": float_round(-by_type["expiry"], 2),
            "adjusted_hours": float_round(by_type["adjustment"], 2),
            "closing_balance": float_round(opening + sum(moves.mapped("hours")), 2),
            "date_end_validity": contract.date_end,
            "date_end_grace": contract.grace_end,
        }
        identity = values["opening_balance"] + values["credited_hours"]
        identity -= values["consumed_hours"] + values["expired_hours"]
        if float_compare(identity, values["closing_balance"], precision_digits=2):
            raise UserError(
                self.env._(
                    "Statement %(statement)s does not balance: %(identity).2f h against a closing balance of "
                    "%(closing).2f h.",
                    statement=self.name,
                    identity=identity,
                    closing=values["closing_balance"],
                )
            )
        lines = (
            self.env["account.analytic.line"]
            .sudo()
            .search(
                [
                    ("itsm_contract_id", "=", contract.id),
                    ("date", ">=", self.period_start),
                    ("date", "<=", self.period_end),
                ],
                order="date, date_time, id",
            )
        )
        values["line_ids"] = [fields.Command.clear()] + [
            fields.Command.create(
                {
                    "timesheet_id": line.id,
                    "date": line.date,
                    "ticket_ref": line.ticket_id.number or line.ticket_id.name or "",
                    "ticket_name": line.ticket_id.name or "",
                    "technician": line.employee_id.name or line.user_id.name or "",
                    "description": line.name or "",
                    "mode_key": line.itsm_mode,
                    "onsite_span": line.itsm_onsite_span,
                    "count_terms": line.itsm_count_terms,
                    "raw_hours": line.unit_amount,
                    "counted_hours": line.itsm_counted_hours,
                    "nho_hours": line.itsm_nho_hours,
                    "is_urgent": line.itsm_is_urgent,
                    "is_project": line.itsm_is_project,
                    "credit_hours": line.itsm_credit_hours,
                }
            )
            for line in lines
        ]
        chart_start = self.period_end.replace(day=1) - relativedelta(months=11)
        monthly = defaultdict(float)
        for move in Move.search(
            [
                ("contract_id", "=", contract.id),
                ("move_type", "=", "consumption"),
                ("date", ">=", chart_start),
                ("date", "<=", self.period_end),
            ]
        ):
            monthly[move.date.strftime("%Y-%m")] -= move.hours
        values["chart_data"] = [
            [(chart_start + relativedelta(months=i)).strftime("%m/%Y"), float_round(monthly[key], 2)]
            for i in range(12)
            for key in [(chart_start + relativedelta(months=i)).strftime("%Y-%m")]
        ]
        return values

    @checked("write")
    def action_compute(self):
        for statement in self:
            if statement.state != "draft":
                raise UserError(
                    self.env._("Statement %(statement)s is issued: its figures are frozen.", statement=statement.name)
                )
            statement.write(statement._itsm_compute_figures())
        return True

    @checked("write")
    def action_issue(self):
        """Freeze the figures and lock the period's interventions."""
        for statement in self.filtered(lambda s: s.state == "draft"):
            statement.write(
                {**statement._itsm_compute_figures(), "state": "issued", "issue_date": fields.Date.context_today(self)}
            )
        return True

    @checked("write")
    def action_reset_draft(self):
        if not self.env.user.has_group("itsm_service_contract.group_itsm_service_manager"):
            raise UserError(self.env._("Only a service manager may reopen an issued statement."))
        self.write({"state": "draft", "issue_date": False})
        return True

    @checked("write")
    def action_send(self):
        template = self.env.ref("itsm_service_contract.mail_template_itsm_statement")
        for statement in self:
            if statement.state != "issued":
                raise UserError(
                    self.env._("Statement %(statement)s is a draft: issue it first.", statement=statement.name)
                )
            billing = statement._itsm_billing_contact()
            statement.message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=billing.ids,
            )
        return True

    @checked()
    def action_print(self):
        return self.env.ref("itsm_service_contract.action_report_itsm_statement").report_action(self)

    def _itsm_billing_contact(self):
        self.ensure_one()
        client = self.partner_id.commercial_partner_id
        return self.env["res.partner"].browse(client.address_get(["invoice"])["invoice"]) or client

    def _itsm_chart_svg(self):
        self.ensure_one()
        return bar_chart_svg(
            [(label, hours) for label, hours in (self.chart_data or [])], locale=self.env.lang or "en_US"
        )

    # ------------------------------------------------------------ scheduler
    @api.model
    def _cron_issue_monthly_statements(self, today=None):
        """Issue and send last month's statement of every running prepaid contract: one per contract and month."""
        today = today or fields.Date.context_today(self)
        start, end = rules.review_period(today)
        contracts = self.env["itsm.contract"].search(
            [("contract_type", "=", "prepaid"), ("state", "in", ("active", "grace")), ("date_start", "<=", end)]
        )
        # a contract with any statement over these days (made by hand, say) gets no second one
        done = set(
            self.search(
                [("contract_id", "in", contracts.ids), ("period_start", "<=", end), ("period_end", ">=", start)]
            ).contract_id.ids
        )
        statements = self.create(
            [
                {"contract_id": contract.id, "period_start": start, "period_end": end}
                for contract in contracts
                if contract.id not in done
            ]
        )
        statements.action_issue()
        for statement in statements:
            if statement._itsm_billing_contact().email:
                statement.action_send()
        return statements

    @api.model
    def _itsm_locked_lines(self, lines):
        """Those of ``lines`` that fall in the period of an issued statement of their contract."""
        lines = lines.filtered("itsm_contract_id")
        if not lines:
            return lines
        issued = self.sudo().search(
            [
                ("state", "=", "issued"),
                ("contract_id", "in", lines.itsm_contract_id.ids),
                ("period_start", "<=", max(lines.mapped("date"))),
                ("period_end", ">=", min(lines.mapped("date"))),
            ]
        )
        if not issued:
            return lines.browse()
        return lines.filtered(
            lambda line: any(
                s.contract_id == line.itsm_contract_id and s.period_start <= line.date <= s.period_end for s in issued
            )
        )
