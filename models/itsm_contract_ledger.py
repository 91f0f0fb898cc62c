import logging
from collections import defaultdict
from functools import partial

from odoo import SUPERUSER_ID
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.modules import module as odoo_module
from odoo.modules.registry import Registry
from odoo.tools import float_compare
from odoo.tools import float_is_zero
from odoo.tools import float_round

from .itsm_contract import HOURS_DIGITS

_logger = logging.getLogger(__name__)

# Moves that buy credit: they restart the validity of the contract.
CREDIT_MOVE_TYPES = ("purchase", "recharge")
# Stored figures the ledger keeps up to date (itsm.contract._itsm_add_to_figures)
FIGURE_FIELDS = ["credit_hours", "consumed_hours", "expired_hours", "adjusted_hours", "balance_hours"]
# Columns of the pending figures' sums (itsm.contract.figure.pending), named apart from the contract's.
PENDING_SUMS = ", ".join(f"COALESCE(SUM({name}), 0) AS pending_{name}" for name in FIGURE_FIELDS)
PENDING_COLUMNS = ", ".join(FIGURE_FIELDS)
# One statement whatever the move types: adding 0 to a figure leaves it as it is. The figures of the contract's
# pending rows (overdraft-allowed draws not yet folded) are taken in the same statement.
INCREMENT_FIGURES = (
    "WITH gone AS (DELETE FROM itsm_contract_figure_pending WHERE contract_id = %(id)s "
    f"RETURNING {PENDING_COLUMNS}), pending AS (SELECT {PENDING_SUMS} FROM gone) "
    "UPDATE itsm_contract SET "
    + ", ".join(
        f"{name} = ROUND(COALESCE(itsm_contract.{name}, 0) + %({name})s + pending.pending_{name}, {HOURS_DIGITS})"
        for name in FIGURE_FIELDS
    )
    + " FROM pending WHERE itsm_contract.id = %(id)s RETURNING "
    + ", ".join(f"itsm_contract.{name}" for name in FIGURE_FIELDS)
)
# Adds the pending figures of some contracts (all of them when the ids are NULL) to their rows, and deletes them.
FOLD_PENDING = (
    "WITH gone AS (DELETE FROM itsm_contract_figure_pending "
    "WHERE %(ids)s::int[] IS NULL OR contract_id = ANY(%(ids)s::int[]) "
    f"RETURNING contract_id, {PENDING_COLUMNS}), "
    f"pending AS (SELECT contract_id, {PENDING_SUMS} FROM gone GROUP BY contract_id) "
    "UPDATE itsm_contract SET "
    + ", ".join(
        f"{name} = ROUND(COALESCE(itsm_contract.{name}, 0) + pending.pending_{name}, {HOURS_DIGITS})"
        for name in FIGURE_FIELDS
    )
    + " FROM pending WHERE itsm_contract.id = pending.contract_id RETURNING itsm_contract.id, "
    + ", ".join(f"itsm_contract.{name}" for name in FIGURE_FIELDS)
)
INSERT_PENDING = f"INSERT INTO itsm_contract_figure_pending (contract_id, {PENDING_COLUMNS}) VALUES "
POSTCOMMIT_KEY = "itsm_service_contract.fold_pending_figures"


def _fold_after_commit(dbname, contract_ids):
    """Add the pending figures of the contracts a transaction drew on to their rows, right after its commit.

    Its own short transaction, READ COMMITTED: the UPDATE waits for a concurrent one on the same row and then
    adds to the row as committed, it is never refused for a concurrent update (what REPEATABLE READ would do).
    The contract rows are locked first, in id order, as every other writer of the figures does (no deadlock).
    Whatever goes wrong here leaves the pending rows in place for the next fold: the draw is committed.
    """
    try:
        with Registry(dbname).cursor() as cr:
            cr.execute("SET TRANSACTION ISOLATION LEVEL READ COMMITTED")
            env = api.Environment(cr, SUPERUSER_ID, {})
            env["itsm.contract"].browse(sorted(contract_ids))._itsm_fold_pending_figures(lock=True)
    except Exception:  # after the commit: never fail the request that committed the draw
        _logger.warning("Pending ledger figures of contracts %s not folded yet", sorted(contract_ids), exc_info=True)


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

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
        deferred = self.browse(increments)._itsm_deferring_figures({cid: set(sums[cid]) for cid in increments})
        if deferred:
            self._itsm_post_pending_figures({cid: increments.pop(cid) for cid in deferred.ids})
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

    def _itsm_deferring_figures(self, move_types):
        """The contracts of ``self`` whose figures may wait for the fold after the commit: those that allow
        overdrafts, for consumption moves only (nothing can refuse them, nothing decides on their balance).
        ``move_types``: contract id -> move types posted."""
        return self.filtered(
            lambda contract: (
                contract.overdraft_policy == "allow"
                and contract.contract_type == "prepaid"
                and move_types[contract.id] <= {"consumption"}
            )
        )

    def _itsm_post_pending_figures(self, increments):
        """Post the figures ``increments`` (contract id -> figures) as pending rows, without touching the
        contract rows: an INSERT, which takes only the foreign key's ``KEY SHARE`` lock on the contract row and
        conflicts with no other draw. The transaction's cache gets the new figures (the row's plus these);
        the rows get them right after the commit (``_fold_after_commit``)."""
        # pending ORM writes of the figures (a recompute) reach the row first: the cache set below is not written
        self.flush_model(FIGURE_FIELDS)
        rows = [(cid, *(increments[cid][name] for name in FIGURE_FIELDS)) for cid in sorted(increments)]
        self.env.cr.execute(INSERT_PENDING + ", ".join(["%s"] * len(rows)), rows)
        contracts = self.browse(sorted(increments))
        for contract in contracts:
            current = {name: contract[name] for name in FIGURE_FIELDS}
            contract.modified(FIGURE_FIELDS)
            for name in FIGURE_FIELDS:
                field = self._fields[name]
                value = float_round(current[name] + increments[contract.id][name], HOURS_DIGITS)
                self.env.cache.set(contract, field, field.convert_to_cache(value, contract))
        if odoo_module.current_test and not self.env.context.get("itsm_defer_figures"):
            # A test never commits: its folds run now, in its transaction (the same statement).
            contracts._itsm_fold_pending_figures()
            return
        callbacks = self.env.cr.postcommit
        if POSTCOMMIT_KEY not in callbacks.data:
            callbacks.data[POSTCOMMIT_KEY] = set()
            callbacks.add(partial(_fold_after_commit, self.env.cr.dbname, callbacks.data[POSTCOMMIT_KEY]))
        callbacks.data[POSTCOMMIT_KEY].update(contracts.ids)

    def _itsm_fold_pending_figures(self, lock=False):
        """Add the pending figures of these contracts (of all contracts when ``self`` is empty) to their rows.

        One statement. With ``lock``, the contract rows are locked first in id order (the fold after a commit:
        the other writers of the figures lock them first too). The new figures go into the cache."""
        ids = self.ids or None
        if lock:
            self.env.cr.execute(
                "SELECT id FROM itsm_contract WHERE id IN (SELECT contract_id FROM itsm_contract_figure_pending "
                "WHERE %(ids)s::int[] IS NULL OR contract_id = ANY(%(ids)s::int[])) ORDER BY id FOR NO KEY UPDATE",
                {"ids": ids},
            )
        else:
            # pending ORM writes of the figures (a recompute) must reach the rows before they are added to
            self.flush_model(FIGURE_FIELDS)
        self.env.cr.execute(FOLD_PENDING, {"ids": ids})
        for row in self.env.cr.dictfetchall():
            contract = self.browse(row["id"])
            contract.modified(FIGURE_FIELDS)
            for name in FIGURE_FIELDS:
                field = self._fields[name]
                self.env.cache.set(contract, field, field.convert_to_cache(float(row[name]), contract))

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
        Move.flush_model(["contract_id", "move_type", "hours", "date", "reversal_move_id"])
        # the whole ledger includes the moves whose figures are pending
        self.env.cr.execute("DELETE FROM itsm_contract_figure_pending WHERE contract_id IN %s", [tuple(contracts.ids)])
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
            # the balance read next must include the figures of overdraft-allowed draws not folded yet
            self._itsm_fold_pending_figures()

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
        moves = self._post_credit_moves(
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
