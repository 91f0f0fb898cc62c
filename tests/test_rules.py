"""The counting rules, alone: figures of seed 000 and properties (hypothesis)."""

from datetime import date
from datetime import datetime
from datetime import timedelta

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from odoo.addons.itsm_service_contract import rules
from odoo.tests import BaseCase
from odoo.tests import tagged

# Monday to Friday, 08:00-12:00 and 13:00-18:00, in UTC.
WEEKLY = tuple((day, start, end) for day in range(5) for start, end in ((8, 12), (13, 18)))


def week_intervals(start, end, holidays=()):
    return rules.working_intervals(WEEKLY, "UTC", holidays, start - timedelta(days=1), end + timedelta(days=1))


def cost(start, hours, mode="remote", span="hours", urgent=False, combination="add", holidays=()):
    """Credit hours of an intervention, through the same steps as the models."""
    counted = rules.counted_hours(hours, mode, span)
    end = start + timedelta(hours=hours)
    nho = rules.nho_share(counted, start, end, week_intervals(start, end, holidays), span)
    return rules.credit_hours(counted, nho, urgent, combination=combination)


@tagged("post_install", "-at_install")
class TestRules(BaseCase):
    # ------------------------------------------------------------ seed figures
    def test_quarter_hours(self):
        self.assertEqual(rules.counted_hours(10 / 60, "remote", "hours"), 0.25)
        self.assertEqual(rules.counted_hours(65 / 60, "remote", "hours"), 1.25)
        self.assertEqual(rules.counted_hours(1.0, "remote", "hours"), 1.0)
        self.assertEqual(rules.counted_hours(1.25, "remote", "hours"), 1.25, "no float noise: 75 min stays 75")
        self.assertEqual(rules.counted_hours(0.0, "remote", "hours"), 0.0)

    def test_days_on_site(self):
        self.assertEqual(rules.counted_hours(9.0, "onsite", "full_day"), 7.0)
        self.assertEqual(rules.counted_hours(3.0, "onsite", "half_day"), 4.0)
        with self.assertRaises(ValueError):
            rules.counted_hours(8.0, "remote", "full_day")
        with self.assertRaises(ValueError):
            rules.counted_hours(-1.0, "remote", "hours")

    def test_urgency(self):
        request = datetime(2026, 11, 16, 8, 0)
        self.assertTrue(rules.is_urgent("onsite", request + timedelta(hours=24), request))
        self.assertFalse(rules.is_urgent("onsite", request + timedelta(hours=48), request), "48 h is not < 48 h")
        self.assertFalse(rules.is_urgent("remote", request + timedelta(hours=1), request))

    def test_surcharges(self):
        monday = datetime(2026, 11, 17, 8, 0)
        # full day on site, urgent, on a working day: 7 x 1.5
        self.assertEqual(cost(monday, 8.0, "onsite", "full_day", urgent=True), 10.5)
        # remote 1 h on Saturday: 1 x 1.5
        self.assertEqual(cost(datetime(2026, 11, 21, 10, 0), 1.0), 1.5)
        sunday = datetime(2026, 11, 22, 8, 0)
        # urgent full day on Sunday: 7 x (1 + .5 + .5) and 7 x 1.5 x 1.5
        self.assertEqual(cost(sunday, 8.0, "onsite", "full_day", urgent=True), 14.0)
        self.assertEqual(cost(sunday, 8.0, "onsite", "full_day", urgent=True, combination="multiply"), 15.75)
        # 17:00-19:00 with a day ending at 18:00: 1 + 1 x 1.5
        self.assertEqual(cost(datetime(2026, 11, 18, 17, 0), 2.0), 2.5)
        # one hour on a public holiday: 1 x 1.5
        holiday = ((datetime(2026, 11, 11), datetime(2026, 11, 12)),)
        self.assertEqual(cost(datetime(2026, 11, 11, 10, 0), 1.0, holidays=holiday), 1.5)
        self.assertEqual(cost(datetime(2026, 11, 11, 10, 0), 1.0), 1.0)

    def test_explain(self):
        self.assertEqual(
            rules.explain(65 / 60, 1.25, 0.5, False, 1.5, "remote", "hours"),
            "1 h 05 → 1 h 15 (quarter hours); 0 h 30 NHO +50 %; total 1 h 30",
        )
        self.assertEqual(
            rules.explain(65 / 60, 1.25, 0.5, False, 1.5, "remote", "hours", lang="fr_FR"),
            "1 h 05 → 1 h 15 (quarts d'heure) ; 0 h 30 HNO +50 % ; total 1 h 30",
        )
        self.assertEqual(
            rules.explain(8.0, 7.0, 7.0, True, 14.0, "onsite", "full_day"),
            "full day on site → 7 h 00; urgent +50 %; 7 h 00 NHO +50 %; total 14 h 00",
        )

    def test_add_months(self):
        self.assertEqual(rules.add_months(date(2026, 1, 31), 1), date(2026, 2, 28))
        self.assertEqual(rules.add_months(date(2026, 1, 15), 12), date(2027, 1, 15))

    def test_working_intervals_dst_and_holidays(self):
        # Paris: 08:00 local is 07:00 UTC in winter, 06:00 UTC in summer.
        winter = rules.working_intervals(WEEKLY, "Europe/Paris", (), datetime(2026, 11, 16), datetime(2026, 11, 17))
        self.assertEqual(winter[0], (datetime(2026, 11, 16, 7, 0), datetime(2026, 11, 16, 11, 0)))
        summer = rules.working_intervals(WEEKLY, "Europe/Paris", (), datetime(2026, 6, 15), datetime(2026, 6, 16))
        self.assertEqual(summer[0], (datetime(2026, 6, 15, 6, 0), datetime(2026, 6, 15, 10, 0)))
        holiday = ((datetime(2026, 11, 16, 0, 0), datetime(2026, 11, 16, 23, 59)),)
        self.assertEqual(
            rules.working_intervals(WEEKLY, "UTC", holiday, datetime(2026, 11, 16), datetime(2026, 11, 17)), []
        )

    # ------------------------------------------------------------ properties
    @settings(max_examples=200, deadline=None)
    @given(
        minutes=st.integers(min_value=1, max_value=24 * 60),
        step=st.sampled_from([5, 10, 15, 30, 60]),
        start_minute=st.integers(min_value=0, max_value=7 * 24 * 60),
        urgent=st.booleans(),
        combination=st.sampled_from(["add", "multiply"]),
    )
    def test_credit_covers_counted_covers_raw(self, minutes, step, start_minute, urgent, combination):
        raw = minutes / 60
        start = datetime(2026, 11, 16) + timedelta(minutes=start_minute)
        end = start + timedelta(minutes=minutes)
        counted = rules.counted_hours(raw, "onsite", "hours", step)
        self.assertGreaterEqual(counted + 1e-9, raw)
        self.assertLess(counted - raw, step / 60, "less than one step is added")
        counted_minutes = round(counted * 60, 6)
        self.assertEqual(counted_minutes % step, 0, "a whole number of steps")
        nho = rules.nho_share(counted, start, end, week_intervals(start, end))
        self.assertTrue(0 <= nho <= counted + 1e-9)
        credit = rules.credit_hours(counted, nho, urgent, combination=combination)
        self.assertGreaterEqual(credit + 1e-9, counted)

    @settings(max_examples=200, deadline=None)
    @given(
        counted=st.floats(min_value=0, max_value=24, allow_nan=False),
        nho_a=st.floats(min_value=0, max_value=1),
        nho_b=st.floats(min_value=0, max_value=1),
        urgent=st.booleans(),
        combination=st.sampled_from(["add", "multiply"]),
    )
    def test_more_nho_never_costs_less(self, counted, nho_a, nho_b, urgent, combination):
        low, high = sorted((nho_a * counted, nho_b * counted))
        self.assertLessEqual(
            rules.credit_hours(counted, low, urgent, combination=combination),
            rules.credit_hours(counted, high, urgent, combination=combination) + 1e-9,
        )
        self.assertLessEqual(
            rules.credit_hours(counted, high, urgent, combination="add"),
            rules.credit_hours(counted, high, urgent, combination="multiply") + 1e-9,
            "multiplying the surcharges never costs less than adding them",
        )

    @settings(max_examples=150, deadline=None)
    @given(
        start_minute=st.integers(min_value=0, max_value=3 * 24 * 60),
        minutes=st.integers(min_value=1, max_value=12 * 60),
        blocks=st.lists(st.tuples(st.integers(0, 4 * 24 * 60), st.integers(1, 600)), max_size=6),
    )
    def test_outside_seconds_against_minute_count(self, start_minute, minutes, blocks):
        origin = datetime(2026, 11, 16)
        start = origin + timedelta(minutes=start_minute)
        end = start + timedelta(minutes=minutes)
        intervals = [(origin + timedelta(minutes=b), origin + timedelta(minutes=b + length)) for b, length in blocks]
        # Independent computation: count the minutes one by one.
        covered = {m for b, length in blocks for m in range(b, b + length)}
        expected = sum(1 for m in range(start_minute, start_minute + minutes) if m not in covered) * 60
        self.assertEqual(rules.outside_seconds(start, end, intervals), expected)
