import logging
from collections import defaultdict

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.tools import SQL
from odoo.tools import float_compare
from odoo.tools import float_is_zero
from odoo.tools import float_round

from .itsm_contract import HOURS_DIGITS

_logger = logging.getLogger(__name__)

# Moves that buy credit: they restart the validity of the contract.
CREDIT_MOVE_TYPES = ("purchase", "recharge")
# Stored figures the ledger keeps up to date (itsm.contract._itsm_add_to_figures)
FIGURE_FIELDS = ["credit_hours", "consumed_hours", "expired_hours", "adjusted_hours", "balance_hours"]
# Figures that draws still pending (not yet folded into the row) change, with the sign they add them with.
PENDING_FIGURES = {"balance_hours": 1, "consumed_hours": -1}
# The hours of a contract's pending draws (negative), by the partial index itsm_credit_move_pending_index.
PENDING_SUM = (
    "COALESCE((SELECT SUM(pending.hours) FROM itsm_credit_move pending "
    "WHERE pending.contract_id = {contract} AND pending.figures_pending), 0)"
)
# One statement whatever the move types: adding 0 to a figure leaves it as it is. It returns the figures as
# they are read: the row's plus the pending draws'.
INCREMENT_FIGURES = (
    "UPDATE itsm_contract SET "
    + ", ".join(f"{name} = ROUND(COALESCE({name}, 0) + %({name})s, {HOURS_DIGITS})" for name in FIGURE_FIELDS)
    + " WHERE id = %(id)s RETURNING "
    + ", ".join(
        f"ROUND({name} + {sign} * {PENDING_SUM.format(contract='itsm_contract.id')}, {HOURS_DIGITS}) AS {name}"
        if (sign := PENDING_FIGURES.get(name))
        else name
        for name in FIGURE_FIELDS
    )
)


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

    # ------------------------------------------------------------ figures with pending draws
    def _field_to_sql(self, alias, fname, query=None, flush=True):
        """The balance and the consumption as read, searched, sorted and grouped: the row's figure plus the
        draws still pending.

        A draw on a contract that allows overdrafts cannot be refused, so it does not need the contract's row:
        it posts its move marked ``figures_pending`` and leaves the row alone (``_itsm_post_consumptions``).
        Were it to add its hours to the row as a refusable draw does, concurrent draws on that contract would
        wait for each other's row lock and, under Odoo's REPEATABLE READ, fail and be replayed (``make load``:
        0.35x plain throughput). Every read of these two figures goes through this expression, so what a list,
        a form, a search (``balance_hours < 0``), an order by balance, a ``read_group`` or a client over RPC
        sees is the ledger's sum, pending draws included; ``_itsm_fold_pending_figures`` (scheduled, and on
        every recompute) moves them into the row. The sum reads the partial index of pending moves: a few rows.
        """
        sql = super()._field_to_sql(alias, fname, query, flush)
        sign = PENDING_FIGURES.get(fname)
        if not sign:
            return sql
        pending = SQL(
            PENDING_SUM.format(contract="%s"),
            SQL.identifier(alias, "id", to_flush=self.env["itsm.credit.move"]._fields["figures_pending"]),
        )
        return SQL("ROUND(COALESCE(%s, 0) + %s * %s, %s)", sql, sign, pending, HOURS_DIGITS)

    def _itsm_pending_figures_changed(self):
        """Draws were posted pending on these contracts: their figures in the cache are stale (they are read
        again, pending draws included, through ``_field_to_sql``)."""
        if self:
            self.modified(list(PENDING_FIGURES))
            self.invalidate_recordset(list(PENDING_FIGURES))

    def _itsm_fold_pending_figures(self):
        """Move the pending draws of these contracts (all contracts when empty) into their rows: one UPDATE of
        the moves, one per contract. Scheduled (``ir_cron_itsm_fold_figures``), and when a contract comes to
        refuse overdrafts. What stays pending (draws not committed yet) is still counted when read."""
        where = SQL("contract_id IN %s", tuple(self.ids)) if self else SQL("TRUE")
        entries = self.env["itsm.credit.move"]._itsm_unpend(where)
        self._itsm_add_to_figures(entries)
        return len(entries)

    @api.model
    def _cron_fold_pending_figures(self):
        folded = self.browse()._itsm_fold_pending_figures()
        _logger.info("itsm: %s pending draws folded into their contracts' figures", folded)

    def write(self, vals):
        result = super().write(vals)
        if vals.get("overdraft_policy") == "block":
            # a refusable draw checks the row's figures: fold what the allowed draws left pending
            self._itsm_fold_pending_figures()
        return result

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
        # the whole ledger goes into the row: nothing it holds stays pending
        Move._itsm_unpend(SQL("contract_id IN %s", tuple(contracts.ids)))
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
        moves = (
            self.env["itsm.credit.move"]
            .sudo()
            ._itsm_post_consumptions(
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
            .with_env(self.env)
        )
        self._check_draw_posted(is_project=is_project)
        return moves

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
