from odoo import models

from ..access import checked


class HrTimesheetSwitch(models.TransientModel):
    _inherit = "hr.timesheet.switch"

    @checked()
    def action_switch(self):
        # The timer's new line has no duration until it is stopped: not an error.
        return super(HrTimesheetSwitch, self.with_context(itsm_timer_start=True)).action_switch()
