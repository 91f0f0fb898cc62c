from datetime import timedelta

import pytz

from odoo import models
from odoo import tools

from .. import rules


class ResourceCalendar(models.Model):
    _name = "resource.calendar"
    _inherit = ["resource.calendar", "itsm.calendar.cache.mixin"]

    @tools.ormcache("self.id")
    def _itsm_schedule(self):
        """The calendar as plain data, cached per registry (cleared when it changes).

        Returns ``(tz name, ((weekday, hour_from, hour_to), ...), ((leave start,
        leave end) naive UTC, ...))``, or ``None`` for calendars this simple
        form cannot describe (two-week, dated or flexible attendances).
        """
        self.ensure_one()
        attendances = self.attendance_ids.filtered(lambda a: not a.resource_id and a.day_period != "lunch")
        if self.two_weeks_calendar or self.flexible_hours or any(a.date_from or a.date_to for a in attendances):
            return None
        weekly = tuple(sorted((int(a.dayofweek), a.hour_from, a.hour_to) for a in attendances))
        leaves = (
            self.env["resource.calendar.leaves"]
            .sudo()
            .search(
                [
                    ("time_type", "=", "leave"),
                    ("resource_id", "=", False),
                    ("calendar_id", "in", [False, self.id]),
                    ("company_id", "in", [False, self.company_id.id]),
                ]
            )
        )
        holidays = tuple(sorted((leave.date_from, leave.date_to) for leave in leaves))
        return self.tz or "UTC", weekly, holidays

    def _itsm_working_intervals(self, start, end):
        """Working intervals of the calendar over [start, end], naive UTC.

        Attendances minus global leaves (public holidays), like
        ``_work_intervals_batch``, without a query once the calendar is cached.
        """
        self.ensure_one()
        schedule = self._itsm_schedule()
        if schedule is None:
            work = self._work_intervals_batch(pytz.utc.localize(start), pytz.utc.localize(end))[False]
            return [
                (s.astimezone(pytz.utc).replace(tzinfo=None), e.astimezone(pytz.utc).replace(tzinfo=None))
                for s, e, _record in work
            ]
        tz_name, weekly, holidays = schedule
        return rules.working_intervals(weekly, tz_name, holidays, start - timedelta(days=1), end + timedelta(days=1))
