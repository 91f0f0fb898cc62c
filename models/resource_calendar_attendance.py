from odoo import api
from odoo import models


class ResourceCalendarAttendance(models.Model):
    _inherit = "resource.calendar.attendance"

    # resource.calendar._itsm_schedule() caches the calendars: keep it exact.
    @api.model_create_multi
    def create(self, vals_list):
        records = super().create(vals_list)
        self.env.registry.clear_cache()
        return records

    def write(self, vals):
        result = super().write(vals)
        self.env.registry.clear_cache()
        return result

    def unlink(self):
        result = super().unlink()
        self.env.registry.clear_cache()
        return result
