from collections import defaultdict

from odoo import api
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import float_compare

# Fields whose change changes what an intervention costs the client.
CREDIT_FIELDS = {
    "unit_amount",
    "date_time",
    "date",
    "itsm_contract_id",
    "itsm_mode",
    "itsm_onsite_span",
    "itsm_is_project",
    "itsm_is_urgent",
    "ticket_id",
}


class AccountAnalyticLine(models.Model):
    """Interventions on a contract: what is refused, the moves they post to the credit ledger, and the CRUD that
    keeps both. The fields and how an intervention is counted are in ``account_analytic_line.py``."""

    _inherit = "account.analytic.line"

    # ------------------------------------------------------------ checks
    def _check_itsm_line(self):
        """Refuse what cannot be counted on a contract, with the figure at fault.

        Batch-safe: what depends only on the contract (its state) or on the ticket and the contract (whose
        client it is) is checked once per contract or pair, whatever the number of lines.
        """
        contracts_checked, pairs_checked = {}, set()
        fnames = ("unit_amount", "itsm_mode", "itsm_onsite_span", "date")
        for line, hours, mode, span, day in zip(self, *(self.mapped(fname) for fname in fnames), strict=True):
            contract = line.itsm_contract_id
            if not contract:
                continue  # nothing to check against (the callers pass the lines on a contract)
            if hours < 0:
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s': the end precedes the start (duration %(hours).2f h).",
                        line=line._itsm_label(),
                        hours=hours,
                    )
                )
            if hours == 0 and span == "hours" and not line._itsm_is_running_timer():
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s' lasts 0 h: enter its duration or its start and end.",
                        line=line._itsm_label(),
                    )
                )
            if hours > 24:
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s' lasts %(hours).2f h: an intervention cannot exceed 24 h; "
                        "log one line per day.",
                        line=line._itsm_label(),
                        hours=hours,
                    )
                )
            if mode == "remote" and span != "hours":
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s': half and full days are counted on site only; remote time "
                        "is counted by the quarter hour.",
                        line=line._itsm_label(),
                    )
                )
            ticket = line.ticket_id
            if ticket and (ticket.id, contract.id) not in pairs_checked:
                client = ticket.partner_id.commercial_partner_id
                if contract.partner_id != client:
                    raise ValidationError(
                        self.env._(
                            "Intervention '%(line)s': contract %(contract)s belongs to %(owner)s, not to the "
                            "ticket's client %(client)s.",
                            line=line._itsm_label(),
                            contract=contract.name,
                            owner=contract.partner_id.display_name,
                            client=client.display_name,
                        )
                    )
                pairs_checked.add((ticket.id, contract.id))
            bounds = contracts_checked.get(contract.id)
            if bounds is None:
                if contract.state in ("draft", "closed", "expired"):
                    raise ValidationError(
                        self.env._(
                            "Intervention '%(line)s': contract %(contract)s is %(state)s, no intervention can "
                            "be counted on it.",
                            line=line._itsm_label(),
                            contract=contract.name,
                            state=contract._itsm_state_label(),
                        )
                    )
                bounds = contracts_checked[contract.id] = (contract.date_start, contract.grace_end)
            first_day, last_day = bounds
            if day and (day < first_day or (last_day and day > last_day)):
                raise ValidationError(
                    self.env._(
                        "Intervention '%(line)s' of %(date)s is outside the validity of %(contract)s "
                        "(%(start)s to %(end)s).",
                        line=line._itsm_label(),
                        date=day,
                        contract=contract.name,
                        start=contract.date_start,
                        end=contract.grace_end or contract.date_end,
                    )
                )

    def _itsm_label(self):
        """How an error message names the intervention."""
        self.ensure_one()
        return self.name or self.ticket_id.display_name or ""

    def _itsm_is_running_timer(self):
        """A line started by the timer buttons has no duration until it is stopped."""
        self.ensure_one()
        return bool(self.env.context.get("itsm_timer_start") or self.env.context.get("resuming_lines")) and bool(
            self.date_time
        )

    # ------------------------------------------------------------ ledger
    def _itsm_sync_credit_moves(self, new=False):
        """Keep exactly one consumption move per line drawing on a prepaid contract.

        Batch-safe: one check per contract, one INSERT for all new moves and one update of the figures per
        contract, whatever the number of lines.
        """
        Move, Contract = self.env["itsm.credit.move"], self.env["itsm.contract"]
        deltas = defaultdict(float)
        project_only = defaultdict(lambda: True)
        to_create = []
        to_update = []
        draws = {}  # (contract, ticket) -> whether the ticket's lines draw on the contract's credit
        # Each line's live consumption move, read for the whole batch at once (lines being created have none)
        live = {}
        for move in () if new else self.sudo().itsm_credit_move_ids:
            if move.move_type == "consumption" and not move.reversed_move_id and not move.reversal_move_id:
                live.setdefault(move.timesheet_id.id, move)
        labels = self._itsm_move_labels()
        for line, credit, is_project in zip(
            self, self.mapped("itsm_credit_hours"), self.mapped("itsm_is_project"), strict=True
        ):
            move = live.get(line.id, Move)
            contract = line.itsm_contract_id
            key = (contract.id, line.ticket_id.id)
            if key not in draws:
                draws[key] = line._itsm_draws_credit()
            if not draws[key]:
                contract = Contract
            hours = credit if contract else 0.0
            if move and (
                move.contract_id != contract or float_compare(-move.hours, hours, 2) != 0 or move.date != line.date
            ):
                deltas[move.contract_id] -= move.hours  # gives the old draw back (a draw is negative)
                if contract and hours > 0:
                    deltas[contract] += -hours
                    project_only[contract] &= is_project
                to_update.append((line, move, contract, hours))
            elif not move and contract and hours > 0:
                deltas[contract] -= hours
                project_only[contract] &= is_project
                to_create.append((line, contract, hours))
        if not deltas:
            return Move
        contracts = Contract.union(*deltas.keys()).sudo()
        # Checked against this transaction's snapshot, posted, checked again (itsm.contract._check_draw_posted).
        drawing = {contract: -delta for contract, delta in deltas.items() if float_compare(delta, 0.0, 2) < 0}
        for contract, hours in drawing.items():
            contract.sudo()._check_can_consume(hours, is_project=project_only[contract])
        rewritten, values, uncounted = [], [], {}
        for line, move, contract, hours in to_update:
            if contract and hours > 0:
                rewritten.append(move.id)
                values.append({"contract_id": contract.id, "hours": -hours, "date": line.date, "name": labels[line.id]})
            else:
                uncounted[move] = self.env._("Intervention no longer counted: %(line)s", line=labels[line.id])
        Move.sudo().browse(rewritten)._itsm_rewrite(values)
        Move.sudo().union(*uncounted)._reverse(uncounted.get)
        created = Move
        if to_create:
            created = Move.sudo()._itsm_post_consumptions(
                [
                    {
                        "contract_id": contract.id,
                        "date": line.date,
                        "move_type": "consumption",
                        "hours": -hours,
                        "name": labels[line.id],
                        "timesheet_id": line.id,
                        "user_id": line.user_id.id or self.env.uid,
                    }
                    for line, contract, hours in to_create
                ]
            )
        for contract in drawing:
            contract.sudo()._check_draw_posted(is_project=project_only[contract])
        if to_update:
            contracts._notify_low_balance()
        return created

    def _itsm_draws_credit(self):
        """A line draws on the credit of a prepaid contract, unless its ticket is out of the contract's scope
        (billed by time on the activity sheet instead)."""
        self.ensure_one()
        # the contract's own field: the related itsm_contract_type would be computed for the whole prefetch batch
        return self.itsm_contract_id.contract_type == "prepaid" and (not self.ticket_id or self.ticket_id.itsm_in_scope)

    def _itsm_move_labels(self):
        """The description each line's move is posted with, by line id: its ticket's number and its own text.
        A ticket's number is read once for all its lines."""
        numbers = {}
        labels = {}
        for line, name in zip(self, self.mapped("name"), strict=True):
            ticket = line.ticket_id
            if ticket.id not in numbers:
                numbers[ticket.id] = ticket.number if "number" in ticket._fields else False
            parts = (numbers[ticket.id], name)
            labels[line.id] = " - ".join(p for p in parts if p and p != "/") or self.env._("Intervention")
        return labels

    # ------------------------------------------------------------ CRUD
    @api.model_create_multi
    def create(self, vals_list):
        if (
            not self.env.su
            and any("itsm_is_urgent" in vals for vals in vals_list)
            and not self.env.user.has_group("itsm_service_contract.group_itsm_account_manager")
        ):
            for vals in vals_list:
                vals.pop("itsm_is_urgent", None)
        lines = super().create(vals_list)
        itsm_lines = lines.filtered("itsm_contract_id")
        if itsm_lines:
            itsm_lines._check_itsm_line()
            itsm_lines._itsm_sync_credit_moves(new=True)
        return lines

    def write(self, vals):
        self._itsm_check_not_stated()
        if (
            "itsm_is_urgent" in vals
            and not self.env.su
            and not self.env.user.has_group("itsm_service_contract.group_itsm_account_manager")
        ):
            raise AccessError(self.env._("Only an account manager may override the urgency of an intervention."))
        tracked = CREDIT_FIELDS.intersection(vals)
        before = self.filtered("itsm_credit_move_ids") if tracked else self.browse()
        result = super().write(vals)
        if tracked:
            lines = self.filtered("itsm_contract_id") | before
            lines.filtered("itsm_contract_id")._check_itsm_line()
            lines._itsm_sync_credit_moves()
        return result

    def _itsm_check_not_stated(self):
        """Interventions of a period whose statement is issued are locked (the client has the figures)."""
        if self.env.su or self.env.context.get("itsm_statement_unlock"):
            return
        locked = self.env["itsm.statement"]._itsm_locked_lines(self)
        if locked:
            raise UserError(
                self.env._(
                    "The intervention of %(date)s on %(contract)s belongs to an issued statement: "
                    "it can no longer be changed (a service manager may reopen the statement).",
                    date=locked[0].date,
                    contract=locked[0].itsm_contract_id.name,
                )
            )

    @api.ondelete(at_uninstall=False)
    def _unlink_itsm_stated(self):
        self._itsm_check_not_stated()

    @api.ondelete(at_uninstall=False)
    def _unlink_itsm_reverse_moves(self):
        moves = self.sudo().itsm_credit_move_ids.filtered(
            lambda m: m.move_type == "consumption" and not m.reversed_move_id and not m.reversal_move_id
        )
        moves.contract_id._lock_for_update()
        moves._reverse(lambda move: self.env._("Intervention deleted: %(line)s", line=move.name), detach=True)
