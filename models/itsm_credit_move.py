from collections import defaultdict

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL
from odoo.tools import float_is_zero
from odoo.tools.sql import create_index

# Fields that define what a move did to the balance: never rewritten in place.
# Fields the contract's stored figures are computed from (see itsm.contract._itsm_add_to_figures).
FIGURE_SOURCE_FIELDS = {"contract_id", "move_type", "hours", "date", "reversal_move_id"}
LEDGER_FIELDS = {"contract_id", "date", "move_type", "hours", "sale_order_line_id", "timesheet_id", "reversed_move_id"}
# The columns ``_itsm_insert`` writes, with their PostgreSQL types
INSERT_TYPES = {
    "contract_id": "int4",
    "company_id": "int4",
    "partner_id": "int4",
    "date": "date",
    "move_type": "varchar",
    "hours": "numeric",
    "name": "varchar",
    "timesheet_id": "int4",
    "user_id": "int4",
    "figures_pending": "bool",
    "sale_order_line_id": "int4",
    "sale_order_id": "int4",
    "reversed_move_id": "int4",
}


class ItsmCreditMove(models.Model):
    _name = "itsm.credit.move"
    _description = "Credit ledger move"
    _order = "date desc, id desc"
    _check_company_auto = True

    # No check_company: the move's company is its contract's (related field), a check could never fail.
    contract_id = fields.Many2one("itsm.contract", required=True, index=True, ondelete="restrict")
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True)
    partner_id = fields.Many2one(related="contract_id.partner_id", string="Client", store=True, index=True)
    date = fields.Date(required=True, default=fields.Date.context_today, index=True)
    move_type = fields.Selection(
        [
            ("purchase", "Purchase"),
            ("recharge", "Recharge (amendment)"),
            ("consumption", "Consumption"),
            ("expiry", "Expiry"),
            ("adjustment", "Adjustment"),
        ],
        string="Type",
        required=True,
        index=True,
    )
    hours = fields.Float(required=True, digits=(16, 2), help="Signed hours: positive adds credit, negative draws it.")
    name = fields.Char(
        string="Description as posted",
        required=True,
        help="The description written when the move was posted, in the poster's language: the audit record.",
    )
    label = fields.Char(
        string="Description",
        compute="_compute_label",
        help="The move described in the reader's language, from what it is linked to (order and package, "
        "intervention, reversed move); the description as posted for adjustments.",
    )
    reason = fields.Text(help="Why the credit was adjusted by hand (required for adjustments).")
    sale_order_line_id = fields.Many2one(
        "sale.order.line", string="Sales order line", index="btree_not_null", ondelete="restrict", copy=False
    )
    sale_order_id = fields.Many2one(related="sale_order_line_id.order_id", string="Sales order", store=True)
    timesheet_id = fields.Many2one(
        "account.analytic.line", string="Intervention", index="btree_not_null", ondelete="set null", copy=False
    )
    user_id = fields.Many2one("res.users", string="Posted by", default=lambda self: self.env.user, readonly=True)
    reversed_move_id = fields.Many2one(
        "itsm.credit.move",
        string="Reverses",
        index="btree_not_null",
        readonly=True,
        copy=False,
        help="The move this one cancels.",
    )
    reversal_move_id = fields.Many2one(
        "itsm.credit.move",
        string="Reversed by",
        readonly=True,
        copy=False,
        index="btree_not_null",
        help="The move that cancels this one.",
    )
    figures_pending = fields.Boolean(
        string="Not yet in the contract's stored figures",
        readonly=True,
        copy=False,
        help="A draw on a contract that allows overdrafts is not added to the contract's row when it is posted "
        "(concurrent draws would wait for each other): the contract's balance and consumption add the moves "
        "still pending when they are read, and the scheduler folds them into the row.",
    )

    def init(self):
        """The ledger of a contract in its order (date desc, id desc): the portal reads a page of it by index.
        The moves not yet folded into their contract's figures, read with every balance: a small partial index."""
        result = super().init()
        create_index(self.env.cr, "itsm_credit_move_contract_date_index", self._table, ["contract_id", "date", "id"])
        create_index(
            self.env.cr, "itsm_credit_move_pending_index", self._table, ["contract_id"], where="figures_pending"
        )
        return result

    @api.constrains("move_type", "hours", "reason", "reversed_move_id")
    def _check_sign(self):
        for move in self:
            if move.move_type == "adjustment":
                if float_is_zero(move.hours, precision_digits=2):
                    raise ValidationError(self.env._("An adjustment of zero hours changes nothing."))
                if not (move.reason or "").strip():
                    raise ValidationError(
                        self.env._(
                            "An adjustment of %(hours).2f h on %(contract)s needs a reason.",
                            hours=move.hours,
                            contract=move.contract_id.name,
                        )
                    )
                continue
            positive = move.move_type in ("purchase", "recharge")
            if move.reversed_move_id:
                positive = not positive
            if positive and move.hours <= 0:
                raise ValidationError(
                    self.env._(
                        "A %(type)s move must add hours (got %(hours).2f h on %(contract)s).",
                        type=move._itsm_type_label(),
                        hours=move.hours,
                        contract=move.contract_id.name,
                    )
                )
            if not positive and move.hours > 0:
                raise ValidationError(
                    self.env._(
                        "A %(type)s move must draw hours (got %(hours).2f h on %(contract)s).",
                        type=move._itsm_type_label(),
                        hours=move.hours,
                        contract=move.contract_id.name,
                    )
                )

    @api.depends_context("lang")
    @api.depends("move_type", "name", "sale_order_line_id", "reversed_move_id", "reason")
    def _compute_label(self):
        # the order, its package and the intervention are read whoever reads the ledger (a portal client reads
        # its own ledger, not the provider's orders)
        for move, record in zip(self, self.sudo(), strict=True):
            move.label = record._itsm_label()

    def _itsm_label(self):
        """The move in the reader's language (``self.env.lang``), rebuilt from stored keys: what is stored is the
        move's type and links, not a sentence (``name`` keeps the sentence as posted, for the audit). A
        consumption's description is its intervention's ticket number and text as posted (the client's and the
        technician's words, no sentence of the addon's): its ``name``, read without the intervention."""
        self.ensure_one()
        line = self.sale_order_line_id
        if self.reversed_move_id:
            original = self.reversed_move_id
            if original.sale_order_line_id:
                return self.env._("Cancellation of %(order)s", order=original.sale_order_line_id.order_id.name)
            if original.move_type == "consumption":
                if original.timesheet_id:
                    return self.env._("Intervention no longer counted: %(line)s", line=original.name)
                return self.env._("Intervention deleted: %(line)s", line=original.name)
            return self.env._("Reversal of %(move)s", move=original._itsm_label())
        if line and self.move_type in ("purchase", "recharge"):
            product = line.product_id.with_context(lang=self.env.lang).display_name
            number = line.order_id.itsm_confirmed_amendment_number
            if self.move_type == "recharge":
                if not number:  # the order was cancelled since: its number is gone, the sentence posted stays
                    return self.name
                what = self.env._("Amendment no. %(number)s - %(order)s", number=number, order=line.order_id.name)
            else:
                what = self.env._("Purchase - %(order)s", order=line.order_id.name)
            return f"{what}: {product}"
        if self.move_type == "expiry":
            return self.env._("Credit expired at the end of the grace period")
        if self.move_type == "adjustment" and (self.reason or "").strip():
            return self.env._("Adjustment: %(reason)s", reason=self.reason.strip().splitlines()[0])
        return self.name

    def _itsm_type_label(self):
        self.ensure_one()
        return dict(self._fields["move_type"]._description_selection(self.env))[self.move_type]

    @api.model_create_multi
    def create(self, vals_list):
        # Only the addon's own code posts other moves, as superuser: a context key sent over RPC is not enough.
        internal = self.env.context.get("itsm_ledger_post") and self.env.su
        if not internal:
            for vals in vals_list:
                if vals.get("move_type") != "adjustment":
                    raise UserError(
                        self.env._(
                            "Only adjustments can be entered by hand: purchases and recharges come from confirmed "
                            "sales orders, consumption from interventions, expiry from the scheduled action."
                        )
                    )
            if not self.env.user.has_group("itsm_service_contract.group_itsm_account_manager"):
                raise AccessError(self.env._("Only account managers may adjust a contract's credit."))
            contracts = self.env["itsm.contract"].browse({vals["contract_id"] for vals in vals_list})
            for contract in contracts:
                if contract.state == "closed":
                    raise UserError(
                        self.env._("Contract %(name)s is closed: its ledger can no longer change.", name=contract.name)
                    )
            contracts._lock_for_update()
        moves = super().create(vals_list)
        self.env["itsm.contract"]._itsm_add_to_figures(moves._itsm_figure_entries())
        if not internal:
            moves.contract_id._notify_low_balance()
        return moves

    def write(self, vals):
        if LEDGER_FIELDS.intersection(vals) and not self.env.context.get("itsm_ledger_post"):
            raise UserError(self.env._("A ledger move is never rewritten: post an adjustment or a reversal instead."))
        if not FIGURE_SOURCE_FIELDS.intersection(vals):
            return super().write(vals)
        self._itsm_fold()  # a pending move is not in its contract's row: fold it before moving figures
        before = self._itsm_figure_entries(sign=-1)
        result = super().write(vals)
        self.env["itsm.contract"]._itsm_add_to_figures(before + self._itsm_figure_entries())
        return result

    def unlink(self):
        self._itsm_fold()
        entries = self._itsm_figure_entries(sign=-1)
        result = super().unlink()
        self.env["itsm.contract"]._itsm_add_to_figures(entries)
        return result

    @api.model
    def _itsm_post_consumptions(self, vals_list):
        """Post the consumption moves of a batch of interventions in one INSERT, whatever their number.

        The ORM's ``create`` inserts by hundreds and validates each record again; these moves are built by
        ``account.analytic.line._itsm_sync_credit_moves`` from lines already checked, with only the columns
        below: a consumption draws hours (negative), the related company and client are the contract's. Then
        the same as ``create``: the figures of their contracts are incremented once per contract
        (``_itsm_add_to_figures``). Internal: the callers check the rights.
        """
        contracts = self.env["itsm.contract"].browse({vals["contract_id"] for vals in vals_list}).sudo()
        # A draw that cannot be refused does not touch its contract's row (see itsm.contract._field_to_sql)
        deferred = contracts.filtered(lambda contract: contract.overdraft_policy == "allow")
        deferred_ids = set(deferred.ids)
        for vals in vals_list:
            if vals["move_type"] != "consumption" or not vals["hours"] < 0:
                raise ValidationError(
                    self.env._(
                        "A %(type)s move must draw hours (got %(hours).2f h on %(contract)s).",
                        type=dict(self._fields["move_type"]._description_selection(self.env))[vals["move_type"]],
                        hours=vals["hours"],
                        contract=contracts.browse(vals["contract_id"]).name,
                    )
                )
        moves = self._itsm_insert(
            [{**vals, "figures_pending": vals["contract_id"] in deferred_ids} for vals in vals_list], contracts
        )
        drawn = defaultdict(float)  # hours a contract's row is incremented by, summed in the moves' order
        for vals in vals_list:
            if vals["contract_id"] not in deferred_ids:
                drawn[vals["contract_id"]] += vals["hours"]
        self.env["itsm.contract"]._itsm_add_to_figures(
            [(contracts.browse(contract_id), "consumption", hours) for contract_id, hours in drawn.items()]
        )
        deferred._itsm_pending_figures_changed()
        contracts._notify_low_balance()
        return moves

    @api.model
    def _itsm_insert(self, vals_list, contracts):
        """Insert moves built by the addon's own code in one statement, in ``vals_list``'s order; return them.

        The ORM's ``create`` inserts by hundreds and validates each record again; these moves come from records
        already checked (a batch of interventions, the reversal of valid moves). The related company and client
        are the contract's (``contracts``: those of ``vals_list``), the order of a sales order line its order's.
        A column whose value every row shares (the contract of a batch, its type, its author, the timestamps) is
        sent once; the others are sent as one array each (``unnest``): a batch of 2 000 interventions sends four
        arrays, not 26 000 parameters for PostgreSQL to parse one by one (``tools/bench_interventions.py``). The
        figures are the caller's (``_itsm_add_to_figures``). Internal: the callers check the rights.
        """
        if not vals_list:
            return self.browse()
        related = {contract.id: (contract.company_id.id, contract.partner_id.id) for contract in contracts}
        uid = self.env.uid
        values = {
            "contract_id": [vals["contract_id"] for vals in vals_list],
            "company_id": [related[vals["contract_id"]][0] or None for vals in vals_list],
            "partner_id": [related[vals["contract_id"]][1] or None for vals in vals_list],
            "date": [vals["date"] for vals in vals_list],
            "move_type": [vals["move_type"] for vals in vals_list],
            "hours": [vals["hours"] for vals in vals_list],
            "name": [vals["name"] for vals in vals_list],
            "timesheet_id": [vals.get("timesheet_id") or None for vals in vals_list],
            "user_id": [vals.get("user_id") or uid for vals in vals_list],
            "figures_pending": [bool(vals.get("figures_pending")) for vals in vals_list],
            "sale_order_line_id": [vals.get("sale_order_line_id") or None for vals in vals_list],
            "sale_order_id": [vals.get("sale_order_id") or None for vals in vals_list],
            "reversed_move_id": [vals.get("reversed_move_id") or None for vals in vals_list],
        }
        # the statement's text is made of this module's constants only (INSERT_TYPES); every value is a parameter
        selected, params, arrays, array_params = [], [], [], []
        for column, sql_type in INSERT_TYPES.items():
            column_values = values[column]
            first = column_values[0]
            # equal values are the same value once cast to the column's type (1, 1.0 and True as an int4)
            if column_values.count(first) == len(column_values):
                selected.append(f"%s::{sql_type}")
                params.append(first)
            else:
                selected.append(f"rows.{column}")
                arrays.append((column, sql_type))
                array_params.append(column_values)
        if arrays:
            source = "FROM unnest({}) WITH ORDINALITY AS rows({}, position) ORDER BY rows.position".format(
                ", ".join(f"%s::{sql_type}[]" for _column, sql_type in arrays),
                ", ".join(column for column, _type in arrays),
            )
        elif len(vals_list) > 1:  # as many identical rows (no column differs)
            source = "FROM generate_series(1, %s)"
            array_params = [len(vals_list)]
        else:  # one row (an intervention saved alone)
            source = ""
        now = self.env.cr.now()
        self.flush_model()
        self.env.cr.execute(
            SQL(
                f"INSERT INTO itsm_credit_move ({', '.join(INSERT_TYPES)}, create_uid, create_date, write_uid, "
                f"write_date) SELECT {', '.join(selected)}, %s, %s, %s, %s {source} RETURNING id",
                *params,
                uid,
                now,
                uid,
                now,
                *array_params,
            )
        )
        moves = self.browse(row[0] for row in self.env.cr.fetchall())
        # the one2many lists of the lines and contracts in the cache no longer hold all their moves
        self.env["account.analytic.line"].invalidate_model(["itsm_credit_move_ids"])
        self.env["itsm.contract"].invalidate_model(["credit_move_ids"])
        return moves

    def _itsm_rewrite(self, values):
        """Write to each of these moves its own ``values`` (one dict per move, in the same order): a batch of
        interventions counted again (a month re-priced, a bulk edit).

        ``write`` folds the moves and increments their contracts' rows at each call; a batch of 2 000 moves
        would update the same contract row 2 000 times in one transaction. Here: one fold, one increment per
        contract, and one ORM write per distinct set of values (a re-pricing changes the hours, rarely anything
        else): the ORM flushes the rows 100 at a time. Internal: the callers checked the rights and the draw.
        """
        if not self:
            return
        self._itsm_fold()
        before = self._itsm_figure_entries(sign=-1)
        groups = defaultdict(list)
        relational = {fname for fname in set().union(*values) if self._fields[fname].type == "many2one"}
        for move, vals in zip(self, values, strict=True):
            changed = {
                fname: value
                for fname, value in vals.items()
                if (move[fname].id if fname in relational else move[fname]) != value
            }
            if changed:
                groups[tuple(sorted(changed.items()))].append(move.id)
        for items, ids in groups.items():
            # our write() would fold and increment again for each group: the ORM's own write (the write below
            # ours in the MRO; not a context switch, which an RPC caller could send)
            moves = self.browse(ids).with_context(itsm_ledger_post=True)
            super(ItsmCreditMove, moves).write(dict(items))  # pylint: disable=super-method-mismatch
        self.env["itsm.contract"]._itsm_add_to_figures(before + self._itsm_figure_entries())

    def _itsm_fold(self):
        """Fold these moves, if pending, into their contracts' stored figures: before a move's hours or contract
        change, or it is deleted."""
        if self.ids:
            self.env["itsm.contract"]._itsm_add_to_figures(self._itsm_unpend(SQL("id IN %s", tuple(self.ids))))

    @api.model
    def _itsm_unpend(self, where):
        """Mark the pending moves matching ``where`` as folded; return them as ``(contract, move type, hours)``
        entries for ``itsm.contract._itsm_add_to_figures`` (the one statement every fold goes through)."""
        self.flush_model(["figures_pending"])
        self.env.cr.execute(
            SQL(
                "UPDATE itsm_credit_move SET figures_pending = false WHERE figures_pending AND %s "
                "RETURNING contract_id, move_type, hours",
                where,
            )
        )
        rows = self.env.cr.fetchall()
        self.invalidate_model(["figures_pending"])
        Contract = self.env["itsm.contract"]
        return [(Contract.browse(contract_id), kind, hours) for contract_id, kind, hours in rows]

    def _itsm_figure_entries(self, sign=1):
        """What these moves add to their contracts' figures: ``(contract, move type, signed hours)``."""
        return [(move.contract_id, move.move_type, sign * move.hours) for move in self.sudo()]

    @api.ondelete(at_uninstall=False)
    def _unlink_never(self):
        if not self.env.context.get("itsm_ledger_post"):
            raise UserError(self.env._("A ledger move is never deleted: post an adjustment or a reversal instead."))

    def _reverse(self, name, detach=False):
        """Cancel these moves by posting opposite ones (the ledger keeps both). ``name``: the reversals' label, or
        a function giving a move's. ``detach``: the moves' interventions are being deleted (their link is
        cleared now, in the same statement, rather than by the foreign key's ``SET NULL`` afterwards).

        Batch-safe, in three statements whatever the number of moves: the reversals in one INSERT
        (``_itsm_insert``), the links written, the pending moves folded and (``detach``) the interventions
        unlinked in one UPDATE (``_itsm_link_reversals``), the figures added once per contract. A deletion of
        2 000 interventions posted and linked 2 000 reversals one by one before (each updating its contract's
        row twice), then through the ORM (a ``create`` and 2 000 ``write`` of a link, and each move updated three
        times: folded, linked, unlinked by the foreign key).
        """
        reversed_already = self.filtered("reversal_move_id")
        if reversed_already:
            raise UserError(self.env._("Move %(name)s is already reversed.", name=reversed_already[0].name))
        if not self:
            return self
        moves = self.sudo()
        label = name if callable(name) else (lambda _move: name)
        contracts = moves.contract_id
        reversals = moves._itsm_insert(
            [dict(move._prepare_reversal(label(move)), sale_order_id=move.sale_order_id.id) for move in moves],
            contracts,
        )
        folded = moves._itsm_link_reversals(reversals, detach)
        Contract = self.env["itsm.contract"]
        Contract._itsm_add_to_figures(folded + reversals._itsm_figure_entries())
        # a folded draw and its reversal may add nothing to the row, but the draw is no longer pending: the
        # figures in the cache (row + pending draws) are stale
        Contract.union(*(contract for contract, _kind, _hours in folded))._itsm_pending_figures_changed()
        contracts._notify_low_balance()
        return reversals.with_env(self.env)

    def _itsm_link_reversals(self, reversals, detach):
        """Link these moves to their ``reversals`` (same order) in one UPDATE, which also folds those pending
        (a reversed move is in its contract's figures like any other) and, with ``detach``, clears their
        intervention. Return the folded moves as figure entries (``_itsm_unpend``'s)."""
        self.flush_model()
        uid, now = self.env.uid, self.env.cr.now()
        # "old" is the row as this statement's snapshot sees it: whether the move was pending before the UPDATE
        self.env.cr.execute(
            "UPDATE itsm_credit_move AS move SET reversal_move_id = v.reversal, figures_pending = false, "
            "timesheet_id = CASE WHEN %s THEN NULL ELSE move.timesheet_id END, write_uid = %s, write_date = %s "
            "FROM (VALUES " + ", ".join(["(%s, %s)"] * len(self)) + ") AS v(id, reversal), itsm_credit_move AS old "
            "WHERE move.id = v.id AND old.id = move.id "
            "RETURNING move.contract_id, move.move_type, move.hours, old.figures_pending",
            [bool(detach), uid, now, *(value for pair in zip(self.ids, reversals.ids, strict=True) for value in pair)],
        )
        rows = self.env.cr.fetchall()
        self.invalidate_recordset(["reversal_move_id", "figures_pending", "timesheet_id", "write_uid", "write_date"])
        self.env["account.analytic.line"].invalidate_model(["itsm_credit_move_ids"])
        Contract = self.env["itsm.contract"]
        return [(Contract.browse(contract_id), kind, hours) for contract_id, kind, hours, pending in rows if pending]

    def _prepare_reversal(self, name):
        self.ensure_one()
        return {
            "contract_id": self.contract_id.id,
            "date": fields.Date.context_today(self),
            "move_type": self.move_type,
            "hours": -self.hours,
            "name": name,
            "sale_order_line_id": self.sale_order_line_id.id,
            "reversed_move_id": self.id,
        }
