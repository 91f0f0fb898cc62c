import base64
from collections import defaultdict

from dateutil.relativedelta import relativedelta

from odoo import Command
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import float_round

from ..access import checked

# Fraction of the day rate billed for each on-site span.
DAY_FRACTION = {"full_day": 1.0, "half_day": 0.5}


def _previous_month(today):
    first = today.replace(day=1) - relativedelta(months=1)
    return first, today.replace(day=1) - relativedelta(days=1)


class ItsmActivitySheet(models.Model):
    """Monthly activity sheet of a time-and-material contract (seed 002).

    It freezes the period's interventions, groups them by ticket and activity,
    and bills them on a draft invoice with the sheet attached as a PDF.
    """

    _name = "itsm.activity.sheet"
    _description = "Activity sheet (time and material)"
    _inherit = ["mail.thread"]
    _order = "period_start desc, id desc"
    _check_company_auto = True

    name = fields.Char(compute="_compute_name", store=True)
    contract_id = fields.Many2one(
        "itsm.contract",
        required=True,
        index=True,
        ondelete="restrict",
        check_company=True,
        domain="['|', ('contract_type', '=', 'time_material'), ('out_of_scope_policy', '=', 'time_material')]",
    )
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Client", store=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    currency_id = fields.Many2one(related="company_id.currency_id")
    period_start = fields.Date(
        string="Period start", required=True, default=lambda self: _previous_month(fields.Date.context_today(self))[0]
    )
    period_end = fields.Date(
        string="Period end", required=True, default=lambda self: _previous_month(fields.Date.context_today(self))[1]
    )
    timesheet_ids = fields.Many2many("account.analytic.line", string="Interventions", readonly=True, copy=False)
    hour_quantity = fields.Float(
        string="Hours billed",
        compute="_compute_amounts",
        digits=(16, 2),
        help="Interventions under a half day, billed by the hour (surcharges included).",
    )
    day_quantity = fields.Float(
        string="Days billed",
        compute="_compute_amounts",
        digits=(16, 2),
        help="Half and full days on site, billed at the day rate (surcharges included).",
    )
    amount_untaxed = fields.Monetary(
        string="Amount excl. tax", compute="_compute_amounts", currency_field="currency_id"
    )
    invoice_id = fields.Many2one("account.move", readonly=True, copy=False)
    state = fields.Selection(
        [("draft", "Draft"), ("invoiced", "Invoiced")], default="draft", required=True, tracking=True
    )

    @api.depends("contract_id.name", "period_start")
    def _compute_name(self):
        for sheet in self:
            month = sheet.period_start.strftime("%Y-%m") if sheet.period_start else ""
            sheet.name = f"{sheet.contract_id.name or ''} {month}".strip()

    @api.depends(
        "timesheet_ids.itsm_credit_hours",
        "timesheet_ids.itsm_onsite_span",
        "contract_id.hourly_rate",
        "contract_id.day_rate",
    )
    def _compute_amounts(self):
        for sheet in self:
            hours, days = sheet._billable_quantities()
            sheet.hour_quantity = hours
            sheet.day_quantity = days
            sheet.amount_untaxed = hours * sheet.contract_id.hourly_rate + days * sheet.contract_id.day_rate

    @api.constrains("period_start", "period_end")
    def _check_period(self):
        for sheet in self:
            if sheet.period_end < sheet.period_start:
                raise ValidationError(
                    self.env._(
                        "Activity sheet %(name)s: the period ends (%(end)s) before it starts (%(start)s).",
                        name=sheet.name,
                        end=sheet.period_end,
                        start=sheet.period_start,
                    )
                )

    def _billable_quantities(self):
        """(hours at the hourly rate, days at the day rate) of the sheet's lines."""
        self.ensure_one()
        hours = days = 0.0
        for line in self.timesheet_ids:
            fraction = DAY_FRACTION.get(line.itsm_onsite_span) if line.itsm_mode == "onsite" else None
            if fraction:
                surcharge = line.itsm_credit_hours / line.itsm_counted_hours if line.itsm_counted_hours else 1.0
                days += fraction * surcharge
            else:
                hours += line.itsm_credit_hours
        return float_round(hours, 2), float_round(days, 4)

    def _grouped_lines(self):
        """Lines by ticket, then by activity (the timesheet's description), for the report."""
        self.ensure_one()
        groups = defaultdict(lambda: defaultdict(lambda: self.env["account.analytic.line"]))
        for line in self.timesheet_ids.sorted(lambda ln: (ln.date_time or ln.date, ln.id)):
            groups[line.ticket_id][line.name or ""] |= line
        return groups

    @checked("write")
    def action_collect(self):
        """Take the period's uninvoiced interventions of the contract."""
        for sheet in self:
            if sheet.state != "draft":
                raise UserError(self.env._("Activity sheet %(name)s is already invoiced.", name=sheet.name))
            lines = self.env["account.analytic.line"].search(sheet._itsm_collect_domain())
            sheet.timesheet_ids = [Command.set(lines.ids)]
            lines.itsm_activity_sheet_id = sheet

    def _itsm_collect_domain(self):
        """The interventions the sheet bills: all of a time-and-material contract's, only the out-of-scope
        ones of a prepaid contract (they are billed by time instead of drawn from the credit)."""
        self.ensure_one()
        domain = [
            ("itsm_contract_id", "=", self.contract_id.id),
            ("date", ">=", self.period_start),
            ("date", "<=", self.period_end),
            ("itsm_activity_sheet_id", "in", (False, self.id)),
        ]
        if self.contract_id.contract_type != "time_material":
            domain.append(("ticket_id.itsm_in_scope", "=", False))
        return domain

    @checked("write")
    def action_create_invoice(self):
        self.ensure_one()
        if self.state != "draft":
            raise UserError(self.env._("Activity sheet %(name)s is already invoiced.", name=self.name))
        self.action_collect()
        if not self.timesheet_ids:
            raise UserError(
                self.env._(
                    "No intervention to invoice on %(contract)s between %(start)s and %(end)s.",
                    contract=self.contract_id.name,
                    start=self.period_start,
                    end=self.period_end,
                )
            )
        contract = self.contract_id
        hours, days = self._billable_quantities()
        lines = []
        if hours:
            lines.append(
                Command.create(
                    {
                        "product_id": self.env.ref("itsm_service_contract.product_tm_hour").id,
                        "name": self.env._(
                            "Troubleshooting and assistance by the hour, %(start)s - %(end)s",
                            start=self.period_start,
                            end=self.period_end,
                        ),
                        "quantity": hours,
                        "price_unit": contract.hourly_rate,
                    }
                )
            )
        if days:
            lines.append(
                Command.create(
                    {
                        "product_id": self.env.ref("itsm_service_contract.product_tm_day").id,
                        "name": self.env._(
                            "Technical assistance on site by the day, %(start)s - %(end)s",
                            start=self.period_start,
                            end=self.period_end,
                        ),
                        "quantity": days,
                        "price_unit": contract.day_rate,
                    }
                )
            )
        invoice = self.env["account.move"].create(
            {
                "move_type": "out_invoice",
                "partner_id": contract.partner_id.id,
                "company_id": contract.company_id.id,
                "invoice_origin": self.name,
                "ref": self.env._("Activity sheet %(name)s", name=self.name),
                "invoice_line_ids": lines,
            }
        )
        pdf, _type = self.env["ir.actions.report"]._render_qweb_pdf(
            "itsm_service_contract.action_report_activity_sheet", self.ids
        )
        attachment = self.env["ir.attachment"].create(
            {
                "name": self.env._("Activity sheet %(name)s.pdf", name=self.name).replace("/", "-"),
                "type": "binary",
                "datas": base64.b64encode(pdf),
                "res_model": "account.move",
                "res_id": invoice.id,
                "mimetype": "application/pdf",
            }
        )
        invoice.message_post(body=self.env._("Activity sheet of the period attached."), attachment_ids=attachment.ids)
        self.write({"invoice_id": invoice.id, "state": "invoiced"})
        return {"type": "ir.actions.act_window", "res_model": "account.move", "res_id": invoice.id, "view_mode": "form"}
