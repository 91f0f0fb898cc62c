from odoo import fields
from odoo import models

from ..access import checked


class ItsmCreditAdjustWizard(models.TransientModel):
    _name = "itsm.credit.adjust.wizard"
    _description = "Adjust the credit of a contract"

    contract_id = fields.Many2one("itsm.contract", required=True, readonly=True)
    balance_hours = fields.Float(related="contract_id.balance_hours", string="Current balance")
    date = fields.Date(required=True, default=fields.Date.context_today)
    hours = fields.Float(required=True, digits=(16, 2), help="Positive to give hours back, negative to take them.")
    reason = fields.Text(required=True, help="Kept in the ledger and shown to the client on the portal.")

    @checked()
    def action_confirm(self):
        self.ensure_one()
        self.env["itsm.credit.move"].create(
            {
                "contract_id": self.contract_id.id,
                "date": self.date,
                "move_type": "adjustment",
                "hours": self.hours,
                "name": self.env._(
                    "Adjustment: %(reason)s",
                    reason=(self.reason or "").strip().splitlines()[0] if (self.reason or "").strip() else "",
                ),
                "reason": self.reason,
            }
        )
        self.contract_id.message_post(
            body=self.env._("Credit adjusted by %(hours)+.2f h: %(reason)s", hours=self.hours, reason=self.reason)
        )
        return {"type": "ir.actions.act_window_close"}
