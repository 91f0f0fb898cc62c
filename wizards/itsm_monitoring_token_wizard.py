from odoo import fields
from odoo import models

from ..access import checked


class ItsmMonitoringTokenWizard(models.TransientModel):
    _name = "itsm.monitoring.token.wizard"
    _description = "New token of a monitoring source (shown once)"

    source_id = fields.Many2one("itsm.monitoring.source", required=True, ondelete="cascade")
    token = fields.Char(readonly=True)

    @checked("write")
    def action_done(self):
        """Forget the clear token: it is not shown again."""
        self.sudo().write({"token": False})
        return {"type": "ir.actions.act_window_close"}
