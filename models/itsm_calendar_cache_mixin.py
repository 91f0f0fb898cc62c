from odoo import api
from odoo import models


class ItsmCalendarCacheMixin(models.AbstractModel):
    """Clears the cached calendar schedules when calendars, attendances or leaves change.

    ``resource.calendar._itsm_schedule()`` is cached per registry; any change
    of what it reads must empty that cache, in every worker.
    """

    _name = "itsm.calendar.cache.mixin"
    _description = "Calendar schedule cache invalidation"

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
