from datetime import timedelta

from dateutil.relativedelta import relativedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.tools import float_compare

from ..access import checked
from ..rules import local_to_utc


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

    # ------------------------------------------------------------ states
    def _itsm_state_label(self):
        """The contract's state as its users read it (translated), for messages."""
        self.ensure_one()
        return dict(self._fields["state"]._description_selection(self.env))[self.state]

    # ------------------------------------------------------------ actions
    @checked("write")
    def action_activate(self):
        for contract in self:
            if contract.state != "draft":
                raise UserError(self.env._("Contract %(name)s is not a draft.", name=contract.name))
        self.write({"state": "active"})

    @checked("write")
    def action_close(self):
        self.write({"state": "closed"})

    @checked("write")
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

    # ------------------------------------------------------------ running contract
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

    # ------------------------------------------------------------ portal
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

    # ------------------------------------------------------------ cron
    @api.model
    def _cron_update_states(self):
        """Move contracts into grace then expiry as their dates pass.

        Idempotent: a contract changes state once, and the expiry move is
        posted when it leaves the grace period, so a second run posts nothing.
        """
        # figures of overdraft-allowed draws whose fold after the commit did not happen (a killed worker)
        self.browse()._itsm_fold_pending_figures()
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

    # ------------------------------------------------------------ committee planning
    def _itsm_committee_datetime(self, month_start, consultant):
        """Meeting time of the committee of the month starting on ``month_start``, in UTC."""
        self.ensure_one()
        last_day = (month_start + relativedelta(months=1) - timedelta(days=1)).day
        day = month_start.replace(day=min(max(self.committee_day, 1), last_day))
        tz_name = consultant.tz or self.user_id.tz or self.company_id.partner_id.tz or "Europe/Paris"
        return local_to_utc(day, self.committee_hour or 10.0, tz_name)
