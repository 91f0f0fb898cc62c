"""The counting rules' working intervals are Odoo's own, on a calendar in a real time zone.

NHO hours and SLA deadlines are computed from the calendar's cached weekly schedule
(``resource.calendar._itsm_schedule``) by ``rules.working_intervals``, not by Odoo's calendar code, which
reads the database on every call. The expected intervals here come from Odoo itself
(``resource.calendar._work_intervals_batch``), over windows crossing both daylight-saving changes of 2026,
public holidays and week-ends.
"""

from datetime import datetime
from datetime import timedelta

import pytz
from hypothesis import HealthCheck
from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from odoo.tests import tagged

from .. import rules
from .common import ItsmCase

PARIS = pytz.timezone("Europe/Paris")
# 2026: summer time from Sunday 29 March, winter time from Sunday 25 October
WINDOWS = (datetime(2026, 3, 20), datetime(2026, 10, 16))


def paris_day_in_utc(year, month, day):
    """A whole local day of Paris as naive UTC (start, end), the way a public holiday is entered."""
    start = PARIS.localize(datetime(year, month, day)).astimezone(pytz.utc).replace(tzinfo=None)
    end = PARIS.localize(datetime(year, month, day, 23, 59, 59)).astimezone(pytz.utc).replace(tzinfo=None)
    return start, end


@tagged("post_install", "-at_install")
class TestCalendarSchedule(ItsmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        weekdays = [(day, start, end) for day in range(5) for start, end in ((8.0, 12.0), (13.0, 17.5))]
        cls.calendar = cls._calendar("Paris office", "Europe/Paris", [*weekdays, (5, 9.0, 12.0)])  # + Saturday mornings
        holidays = (("Easter Monday", (2026, 4, 6)), ("Company closure", (2026, 11, 2)), ("Armistice", (2026, 11, 11)))
        for name, day in holidays:
            start, end = paris_day_in_utc(*day)
            cls.env["resource.calendar.leaves"].create(
                {"name": name, "calendar_id": cls.calendar.id, "resource_id": False, "date_from": start, "date_to": end}
            )

    def odoo_intervals(self, start, end):
        work = self.calendar._work_intervals_batch(pytz.utc.localize(start), pytz.utc.localize(end))[False]
        utc = pytz.utc
        return [(s.astimezone(utc).replace(tzinfo=None), e.astimezone(utc).replace(tzinfo=None)) for s, e, _r in work]

    def rule_intervals(self, start, end):
        tz_name, weekly, holidays = self.calendar._itsm_schedule()
        return rules.working_intervals(weekly, tz_name, holidays, start, end)

    def test_a_week_across_the_change_to_summer_time(self):
        start, end = datetime(2026, 3, 27), datetime(2026, 4, 1)
        ours = self.rule_intervals(start, end)
        self.assertEqual(rules._merged(ours), rules._merged(self.odoo_intervals(start, end)))
        # Friday 27 March 08:00 Paris is 07:00 UTC (winter), Monday 30 March 08:00 is 06:00 UTC (summer)
        self.assertIn((datetime(2026, 3, 27, 7, 0), datetime(2026, 3, 27, 11, 0)), ours)
        self.assertIn((datetime(2026, 3, 30, 6, 0), datetime(2026, 3, 30, 10, 0)), ours)
        # Saturday morning worked, Sunday not
        self.assertIn((datetime(2026, 3, 28, 8, 0), datetime(2026, 3, 28, 11, 0)), ours)
        self.assertFalse([i for i in ours if i[0].date() == datetime(2026, 3, 29).date()])

    def test_public_holidays_are_not_worked(self):
        start, end = datetime(2026, 11, 10), datetime(2026, 11, 13)
        ours = self.rule_intervals(start, end)
        self.assertEqual(rules._merged(ours), rules._merged(self.odoo_intervals(start, end)))
        self.assertFalse([i for i in ours if i[0].date() == datetime(2026, 11, 11).date()])
        self.assertEqual(len(ours), 4, "Tuesday 10 and Thursday 12: morning and afternoon")

    @settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
    @given(
        window=st.sampled_from(WINDOWS),
        offset=st.integers(min_value=0, max_value=25 * 24 * 60),  # minutes into the window
        minutes=st.integers(min_value=0, max_value=72 * 60),
    )
    def test_same_intervals_as_odoo_on_any_window(self, window, offset, minutes):
        start = window + timedelta(minutes=offset)
        end = start + timedelta(minutes=minutes)
        self.assertEqual(rules._merged(self.rule_intervals(start, end)), rules._merged(self.odoo_intervals(start, end)))
