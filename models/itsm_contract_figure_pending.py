from odoo import fields
from odoo import models


class ItsmContractFigurePending(models.Model):
    """Ledger figures posted but not yet added to their contract's row (overdraft-allowed draws).

    A draw on a contract that allows overdrafts can never be refused: it needs neither the contract's lock nor
    a balance that is exactly current. Updating the contract row anyway would make concurrent draws on the same
    contract conflict (under REPEATABLE READ, the second writer of a row is replayed). Such a draw inserts its
    figures here instead, in the same transaction as its moves (an insert conflicts with nobody), and right
    after its commit a short READ COMMITTED transaction adds them to the row and deletes them
    (``itsm.contract._itsm_fold_pending_figures``). A draw that is killed between its commit and that fold
    leaves its row here, never lost: the next fold of the contract takes it, as does any operation that reads
    the balance to decide (block-policy draws, expiry, adjustments, cancellations) before it decides.
    """

    _name = "itsm.contract.figure.pending"
    _description = "Ledger figures not yet added to the contract"
    _log_access = False

    contract_id = fields.Many2one("itsm.contract", required=True, ondelete="cascade", index=True)
    credit_hours = fields.Float(digits=(16, 2))
    consumed_hours = fields.Float(digits=(16, 2))
    expired_hours = fields.Float(digits=(16, 2))
    adjusted_hours = fields.Float(digits=(16, 2))
    balance_hours = fields.Float(digits=(16, 2))
