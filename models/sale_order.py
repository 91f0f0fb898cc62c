from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import float_compare
from odoo.tools.misc import format_date
from odoo.tools.misc import formatLang

from ..access import checked
from ..rules import add_months

RUNNING_STATES = ("draft", "active", "grace")


class SaleOrder(models.Model):
    _inherit = "sale.order"

    itsm_contract_id = fields.Many2one(
        "itsm.contract",
        string="Service contract",
        copy=False,
        index="btree_not_null",
        tracking=True,
        check_company=True,
        domain="[('partner_id', '=', commercial_partner_id), ('contract_type', '=', 'prepaid')]",
        help="The prepaid contract this order credits. Left empty, confirming an order that sells "
        "time-credit packages uses the client's running contract, or creates one.",
    )
    commercial_partner_id = fields.Many2one(related="partner_id.commercial_partner_id", string="Client company")
    itsm_credit_hours = fields.Float(
        string="Hours credited",
        compute="_compute_itsm_credit",
        digits=(16, 2),
        help="Hours this order credits to the contract.",
    )
    itsm_is_amendment = fields.Boolean(
        string="Is an amendment",
        compute="_compute_itsm_credit",
        help="The order recharges a contract that already has credit: it is an amendment (avenant).",
    )
    itsm_amendment_number = fields.Integer(
        string="Amendment number",
        compute="_compute_itsm_credit",
        help="Number of this amendment to the contract (avenant n°): the one it got when it was confirmed, "
        "or the one it will get.",
    )
    itsm_confirmed_amendment_number = fields.Integer(string="Confirmed amendment number", readonly=True, copy=False)
    itsm_validity_end = fields.Date(
        string="New validity end",
        compute="_compute_itsm_credit",
        help="Validity end of the contract once this order is confirmed (confirmation date + validity).",
    )
    itsm_credit_move_ids = fields.One2many("itsm.credit.move", "sale_order_id", string="Credit moves")

    @api.depends(
        "order_line.product_id",
        "order_line.product_uom_qty",
        "order_line.product_uom",
        "itsm_contract_id",
        "state",
        "date_order",
        "itsm_credit_move_ids",
        "itsm_confirmed_amendment_number",
        "itsm_contract_id.amendment_count",
        "itsm_contract_id.last_credit_date",
        "itsm_contract_id.validity_months",
    )
    def _compute_itsm_credit(self):
        today = fields.Date.context_today(self)
        for order in self:
            order.itsm_credit_hours = sum(line._itsm_credit_hours() for line in order.order_line)
            contract = order.itsm_contract_id
            posted = order.itsm_credit_move_ids.filtered(
                lambda m: m.move_type in ("purchase", "recharge") and not m.reversed_move_id
            )
            if posted:
                order.itsm_is_amendment = posted[0].move_type == "recharge"
                order.itsm_amendment_number = order.itsm_confirmed_amendment_number
            else:
                order.itsm_is_amendment = bool(contract.last_credit_date) and order.itsm_credit_hours > 0
                order.itsm_amendment_number = contract.amendment_count + 1 if order.itsm_is_amendment else 0
            if order.itsm_credit_hours > 0:
                start = order.date_order if order.state == "sale" and order.date_order else False
                start_date = fields.Date.context_today(order, start) if start else today
                months = contract.validity_months if contract else 12
                order.itsm_validity_end = add_months(start_date, months)
            else:
                order.itsm_validity_end = False

    @api.constrains("itsm_contract_id", "partner_id")
    def _check_itsm_contract_partner(self):
        for order in self:
            contract = order.itsm_contract_id
            if contract and contract.partner_id.commercial_partner_id != order.partner_id.commercial_partner_id:
                raise ValidationError(
                    self.env._(
                        "Order %(order)s is for %(client)s but contract %(contract)s belongs to %(owner)s.",
                        order=order.name,
                        client=order.partner_id.commercial_partner_id.display_name,
                        contract=contract.name,
                        owner=contract.partner_id.display_name,
                    )
                )

    @api.onchange("partner_id")
    def _onchange_partner_itsm_contract(self):
        if self.itsm_contract_id and self.itsm_contract_id.partner_id != self.partner_id.commercial_partner_id:
            self.itsm_contract_id = False

    # ------------------------------------------------------------ confirm
    def _action_confirm(self):
        result = super()._action_confirm()
        self._itsm_post_credit()
        return result

    def _itsm_find_or_create_contract(self):
        self.ensure_one()
        client = self.partner_id.commercial_partner_id
        Contract = self.env["itsm.contract"].sudo()
        running = Contract.search(
            [
                ("partner_id", "=", client.id),
                ("company_id", "=", self.company_id.id),
                ("contract_type", "=", "prepaid"),
                ("state", "in", RUNNING_STATES),
            ]
        )
        if len(running) > 1:
            raise UserError(
                self.env._(
                    "%(client)s has several running contracts (%(contracts)s): choose the one order %(order)s "
                    "credits in its Service contract field.",
                    client=client.display_name,
                    contracts=", ".join(running.mapped("name")),
                    order=self.name,
                )
            )
        if running:
            return running
        contract = Contract.create(
            {
                "partner_id": client.id,
                "company_id": self.company_id.id,
                "user_id": (self.user_id or self.env.user).id,
                "contract_type": "prepaid",
                "date_start": fields.Date.context_today(self, self.date_order),
                "title": self.env._("Time credit %(client)s", client=client.name),
            }
        )
        contract.message_post(body=self.env._("Created by the confirmation of %(order)s.", order=self._get_html_link()))
        return contract

    def _itsm_post_credit(self):
        for order in self:
            lines = order.order_line.filtered(lambda line: line._itsm_credit_hours() > 0)
            if not lines:
                if order.itsm_contract_id:
                    order.message_post(
                        body=self.env._(
                            "Order confirmed on contract %(contract)s without any time-credit package: "
                            "no hours were credited.",
                            contract=order.itsm_contract_id.name,
                        )
                    )
                continue
            contract = (order.itsm_contract_id or order._itsm_find_or_create_contract()).sudo()
            contract._check_can_recharge()
            contract._lock_for_update()
            if not order.itsm_contract_id:
                order.itsm_contract_id = contract
            is_recharge = bool(contract.last_credit_date)
            move_type = "recharge" if is_recharge else "purchase"
            date = fields.Date.context_today(order, order.date_order)
            number = contract.amendment_count + 1
            if is_recharge:
                label = self.env._("Amendment no. %(number)s - %(order)s", number=number, order=order.name)
            else:
                label = self.env._("Purchase - %(order)s", order=order.name)
            contract._post_credit_moves(
                [
                    {
                        "contract_id": contract.id,
                        "date": date,
                        "move_type": move_type,
                        "hours": line._itsm_credit_hours(),
                        "name": f"{label}: {line.product_id.display_name}",
                        "sale_order_line_id": line.id,
                    }
                    for line in lines
                ]
            )
            order.itsm_confirmed_amendment_number = number if is_recharge else 0
            if contract.state in ("draft", "grace", "expired"):
                contract.state = "active"
            env = contract.company_id._itsm_staff_env()
            contract.message_post(
                body=env._(
                    "%(what)s of %(hours)s h confirmed by %(order)s: the credit is valid until %(end)s.",
                    what=env._("Amendment no. %(number)s", number=number) if is_recharge else env._("Purchase"),
                    hours=formatLang(env, sum(line._itsm_credit_hours() for line in lines), digits=2),
                    order=order._get_html_link(),
                    end=format_date(env, contract.date_end),
                )
            )

    # ------------------------------------------------------------ cancel
    def _action_cancel(self):
        self._itsm_reverse_credit()
        return super()._action_cancel()

    def _itsm_reverse_credit(self):
        Move = self.env["itsm.credit.move"].sudo()
        for order in self:
            moves = Move.search(
                [
                    ("sale_order_id", "=", order.id),
                    ("move_type", "in", ("purchase", "recharge")),
                    ("reversed_move_id", "=", False),
                    ("reversal_move_id", "=", False),
                ]
            )
            for contract in moves.contract_id:
                contract._lock_for_update()
                contract.invalidate_recordset(["balance_hours"])
                contract_moves = moves.filtered(lambda m, c=contract: m.contract_id == c)
                hours = sum(contract_moves.mapped("hours"))
                if float_compare(contract.balance_hours - hours, 0.0, precision_digits=2) < 0:
                    raise UserError(
                        self.env._(
                            "Order %(order)s cannot be cancelled: it credited %(hours).2f h to %(contract)s, whose "
                            "balance is only %(balance).2f h. Those hours are already consumed.",
                            order=order.name,
                            hours=hours,
                            contract=contract.name,
                            balance=contract.balance_hours,
                        )
                    )
                contract_moves._reverse(self.env._("Cancellation of %(order)s", order=order.name))
                contract.message_post(
                    body=self.env._(
                        "%(order)s cancelled: %(hours).2f h withdrawn; the credit is now valid until %(end)s.",
                        order=order._get_html_link(),
                        hours=hours,
                        end=contract.date_end,
                    )
                )

    @checked()
    def action_view_itsm_contract(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "res_model": "itsm.contract",
            "res_id": self.itsm_contract_id.id,
            "view_mode": "form",
        }
