from odoo import models
from odoo.exceptions import UserError

from ..access import checked


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

    # ------------------------------------------------------------ recharges and sales
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

    @checked()
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

    @checked()
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
