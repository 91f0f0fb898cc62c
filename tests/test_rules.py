"""The counting rules alone, without a database: the figures of seed 000 worked out by hand, then properties
checked by hypothesis against independent computations."""

from datetime import date
from datetime import datetime
from datetime import timedelta

from hypothesis import given
from hypothesis import settings
from hypothesis import strategies as st

from odoo.addons.itsm_service_contract import rules
from odoo.tests.common import BaseCase
from odoo.tests.common import tagged

# Week of Monday 2026-11-16 .. Sunday 2026-11-22.
MONDAY = datetime(2026, 11, 16)
SATURDAY = datetime(2026, 11, 21)
SUNDAY = datetime(2026, 11, 22)

# The properties must not depend on a random seed nor leave a database in the addon.
PROPERTY = settings(max_examples=200, deadline=None, derandomize=True, database=None)


def office_hours(first_day, days=7, afternoon_end=17):
    """Working intervals built by hand: Monday to Friday 08:00-12:00 and 13:00-``afternoon_end``."""
    intervals = []
    for offset in range(days):
        day = first_day + timedelta(days=offset)
        if day.weekday() < 5:
            intervals.append((day.replace(hour=8), day.replace(hour=12)))
            intervals.append((day.replace(hour=13), day.replace(hour=afternoon_end)))
    return tuple(intervals)


WEEK = office_hours(MONDAY)  # 8-12 / 13-17, as in the seed's example schedule
WEEK_18 = office_hours(MONDAY, afternoon_end=18)  # a calendar whose day ends at 18:00


def cost(start, raw, mode="remote", span="hours", urgent=False, combination="add", intervals=WEEK):
    """(counted, nho, credit) of an intervention, through the same steps as the models."""
    counted = rules.counted_hours(raw, mode, span)
    nho = rules.nho_share(counted, start, start + timedelta(hours=raw), intervals, span)
    return counted, nho, rules.credit_hours(counted, nho, urgent, combination=combination)


@tagged("post_install", "-at_install")
class TestRules(BaseCase):
    # ------------------------------------------------------------ seed figures
    def test_quarter_hours(self):
        # 10 min: one started quarter hour -> 15 min = 0.25 h
        self.assertEqual(rules.counted_hours(10 / 60, "remote", "hours"), 0.25)
        # 65 min: 4 quarters + 5 min started -> 5 x 15 = 75 min = 1.25 h
        self.assertEqual(rules.counted_hours(65 / 60, "remote", "hours"), 1.25)
        # 60 min: exactly 4 quarters, nothing started after -> 1 h
        self.assertEqual(rules.counted_hours(1.0, "remote", "hours"), 1.0)
        # 1.25 h x 60 carries float noise; 75 min must stay 75 min, not become 90
        self.assertEqual(rules.counted_hours(1.25, "remote", "hours"), 1.25)
        self.assertEqual(rules.round_up_to_step(0.1 + 0.2 + 0.95), 1.25, "1.25000000000000004 h is 75 min")
        self.assertEqual(rules.counted_hours(0.0, "remote", "hours"), 0.0)
        # On site by the hour is rounded the same way: 61 min -> 75 min
        self.assertEqual(rules.counted_hours(61 / 60, "onsite", "hours"), 1.25)
        # Another step: 65 min in steps of 10 min -> 7 x 10 = 70 min = 7/6 h
        self.assertEqual(rules.round_up_to_step(65 / 60, 10), 70 / 60)
        with self.assertRaises(ValueError):
            rules.round_up_to_step(1.0, 0)
        with self.assertRaises(ValueError):
            rules.round_up_to_step(1.0, -15)

    def test_days_on_site(self):
        # A day is 7 h and a half day 4 h, whatever was actually spent.
        self.assertEqual(rules.counted_hours(9.0, "onsite", "full_day"), 7.0)
        self.assertEqual(rules.counted_hours(3.0, "onsite", "half_day"), 4.0)
        self.assertEqual(rules.counted_hours(9.0, "onsite", "full_day", day_hours=8.0), 8.0)
        self.assertEqual(rules.counted_hours(3.0, "onsite", "half_day", half_day_hours=3.5), 3.5)

    def test_refused_inputs(self):
        with self.assertRaises(ValueError, msg="a full day logged remotely is invalid"):
            rules.counted_hours(8.0, "remote", "full_day")
        with self.assertRaises(ValueError):
            rules.counted_hours(4.0, "remote", "half_day")
        with self.assertRaises(ValueError):
            rules.counted_hours(-1.0, "remote", "hours")
        with self.assertRaises(ValueError):
            rules.counted_hours(1.0, "phone", "hours")
        with self.assertRaises(ValueError):
            rules.credit_hours(1.0, 0.0, False, combination="max")
        with self.assertRaises(ValueError):
            rules.credit_hours(1.0, 1.5, False)
        with self.assertRaises(ValueError):
            rules.credit_hours(1.0, -0.25, False)

    def test_urgency(self):
        request = MONDAY.replace(hour=8)
        self.assertTrue(rules.is_urgent("onsite", request + timedelta(hours=24), request))
        self.assertTrue(rules.is_urgent("onsite", request + timedelta(hours=47, minutes=59), request))
        self.assertFalse(rules.is_urgent("onsite", request + timedelta(hours=48), request), "48 h is not < 48 h")
        self.assertTrue(rules.is_urgent("onsite", request - timedelta(hours=2), request), "before the request")
        self.assertFalse(rules.is_urgent("remote", request + timedelta(hours=1), request), "on site only")
        self.assertTrue(rules.is_urgent("onsite", request + timedelta(hours=70), request, delay_hours=72))
        self.assertFalse(rules.is_urgent("onsite", request + timedelta(hours=1), None), "no request date")

    def test_full_day_on_site_24h_after_request(self):
        request = MONDAY.replace(hour=8)
        start = request + timedelta(hours=24)  # Tuesday 08:00, 24 h < 48 h
        urgent = rules.is_urgent("onsite", start, request)
        self.assertTrue(urgent)
        # 08:00-16:00 on a working day: the day package is not NHO (its lunch break neither)
        # 7 h x (1 + 0.5) = 10.5
        self.assertEqual(cost(start, 8.0, "onsite", "full_day", urgent=urgent), (7.0, 0.0, 10.5))
        # the same day and a half day without urgency: 7 and 4
        self.assertEqual(cost(start, 9.0, "onsite", "full_day"), (7.0, 0.0, 7.0))
        self.assertEqual(cost(start + timedelta(days=1), 3.5, "onsite", "half_day"), (4.0, 0.0, 4.0))

    def test_remote_hour_on_saturday(self):
        # 10:00-11:00 on Saturday: no working interval, 3600 s of 3600 s are NHO
        # counted 1 h, nho 1 h -> 0 x 1 + 1 x (1 + 0.5) = 1.5
        self.assertEqual(cost(SATURDAY.replace(hour=10), 1.0), (1.0, 1.0, 1.5))
        # the same hour on Monday: 1 h, no surcharge
        self.assertEqual(cost(MONDAY.replace(hour=10), 1.0), (1.0, 0.0, 1.0))

    def test_urgent_full_day_on_sunday(self):
        start = SUNDAY.replace(hour=8)
        # the whole day is NHO: nho = counted = 7
        # add: 7 x (1 + 0.5 + 0.5) = 14 ; multiply: 7 x 1.5 x 1.5 = 15.75
        self.assertEqual(cost(start, 8.0, "onsite", "full_day", urgent=True), (7.0, 7.0, 14.0))
        self.assertEqual(cost(start, 8.0, "onsite", "full_day", urgent=True, combination="multiply"), (7.0, 7.0, 15.75))
        # not urgent: 7 x 1.5 = 10.5 either way
        self.assertEqual(cost(start, 8.0, "onsite", "full_day", combination="multiply")[2], 10.5)
        # logged without a duration, the day still falls on Sunday
        self.assertEqual(cost(start, 0.0, "onsite", "full_day", urgent=True)[1:], (7.0, 14.0))

    def test_evening_half_outside_calendar(self):
        wednesday = MONDAY + timedelta(days=2)
        # 17:00-19:00 with a day ending at 18:00: 3600 s of 7200 s outside -> nho = 2 x 1/2 = 1
        # credit = 1 x 1 + 1 x 1.5 = 2.5
        self.assertEqual(cost(wednesday.replace(hour=17), 2.0, intervals=WEEK_18), (2.0, 1.0, 2.5))
        # 17:45-18:05 (20 min -> 30 min counted): 15 min in, 5 min out -> nho = 0.5 x 1/4 = 0.125
        # credit = 0.375 + 0.125 x 1.5 = 0.5625
        self.assertEqual(cost(wednesday.replace(hour=17, minute=45), 20 / 60, intervals=WEEK_18), (0.5, 0.125, 0.5625))
        # 17:50-18:05 (15 min): 10 min in, 5 min out -> nho = 0.25 x 1/3 = 0.0833333... kept to 6 decimals
        self.assertEqual(cost(wednesday.replace(hour=17, minute=50), 0.25, intervals=WEEK_18)[:2], (0.25, 0.083333))

    def test_nho_share_of_days(self):
        monday = MONDAY
        # a night on site, Monday 20:00 to Tuesday 04:00, touches no working time: all NHO
        night = monday.replace(hour=20)
        self.assertEqual(rules.nho_share(7.0, night, night + timedelta(hours=8), WEEK, "full_day"), 7.0)
        # a half day on Saturday morning: all NHO
        saturday = SATURDAY.replace(hour=8)
        self.assertEqual(rules.nho_share(4.0, saturday, saturday + timedelta(hours=4), WEEK, "half_day"), 4.0)
        # a day overlapping working time is a working day
        self.assertEqual(rules.nho_share(7.0, monday.replace(hour=15), monday.replace(hour=23), WEEK, "full_day"), 0.0)
        # hours: no time, no NHO
        self.assertEqual(rules.nho_share(1.0, saturday, saturday, WEEK), 0.0)
        self.assertEqual(rules.nho_share(0.0, saturday, saturday + timedelta(hours=1), WEEK), 0.0)

    def test_outside_seconds(self):
        start, end = MONDAY.replace(hour=7), MONDAY.replace(hour=14)
        # unsorted and overlapping: 08:00-10:00 U 09:00-12:00 U 13:30-15:00 covers 08:00-12:00 and 13:30-14:00
        intervals = [
            (MONDAY.replace(hour=13, minute=30), MONDAY.replace(hour=15)),
            (MONDAY.replace(hour=9), MONDAY.replace(hour=12)),
            (MONDAY.replace(hour=8), MONDAY.replace(hour=10)),
        ]
        # 7 h - (4 h + 0.5 h) = 2.5 h = 9000 s
        self.assertEqual(rules.outside_seconds(start, end, intervals), 9000)
        self.assertEqual(rules.outside_seconds(start, end, []), 7 * 3600)
        self.assertEqual(rules.outside_seconds(end, start, intervals), 0)

    def test_explain(self):
        # 1 h 05 remote, 0.5 h of it NHO: counted 1.25, credit 0.75 + 0.5 x 1.5 = 1.5 = 1 h 30
        self.assertEqual(rules.credit_hours(1.25, 0.5, False), 1.5)
        self.assertEqual(
            rules.explain(65 / 60, 1.25, 0.5, False, 1.5, "remote", "hours"),
            "1 h 05 → 1 h 15 (quarter hours); 0 h 30 NHO +50 %; total 1 h 30",
        )
        self.assertEqual(
            rules.explain(65 / 60, 1.25, 0.5, False, 1.5, "remote", "hours", lang="fr_FR"),
            "1 h 05 → 1 h 15 (quarts d'heure) ; 0 h 30 HNO +50 % ; total 1 h 30",
        )
        self.assertEqual(
            rules.explain(65 / 60, 1.25, 0.0, False, 1.25, "remote", "hours"),
            "1 h 05 → 1 h 15 (quarter hours); total 1 h 15",
        )
        self.assertEqual(
            rules.explain(8.0, 7.0, 7.0, True, 14.0, "onsite", "full_day"),
            "full day on site → 7 h 00; urgent +50 %; 7 h 00 NHO +50 %; total 14 h 00",
        )
        self.assertEqual(
            rules.explain(8.0, 7.0, 0.0, True, 10.5, "onsite", "full_day", lang="fr_BE"),
            "journée sur site → 7 h 00 ; urgence +50 % ; total 10 h 30",
        )
        self.assertEqual(
            rules.explain(3.5, 4.0, 0.0, False, 4.0, "onsite", "half_day", lang="fr"),
            "demi-journée sur site → 4 h 00 ; total 4 h 00",
        )
        self.assertEqual(
            rules.explain(65 / 60, 70 / 60, 0.0, False, 70 / 60, "remote", "hours", step_minutes=10),
            "1 h 05 → 1 h 10 (steps of 10 min); total 1 h 10",
        )
        self.assertEqual(
            rules.explain(8.0, 7.0, 7.0, True, 15.75, "onsite", "full_day", combination="multiply", lang="fr_FR"),
            "journée sur site → 7 h 00 ; urgence +50 % ; 7 h 00 HNO +50 % ; majorations multipliées ; total 15 h 45",
        )

    def test_format_hours(self):
        self.assertEqual(rules.format_hours(0.25), "0 h 15")
        self.assertEqual(rules.format_hours(14), "14 h 00")
        self.assertEqual(rules.format_hours(65 / 60), "1 h 05")
        self.assertEqual(rules.format_hours(0.0), "0 h 00")
        # to the nearest minute, half up: 30 s -> 1 min, 29 s -> 0 min
        self.assertEqual(rules.format_hours(30 / 3600), "0 h 01")
        self.assertEqual(rules.format_hours(29 / 3600), "0 h 00")

    def test_add_months(self):
        self.assertEqual(rules.add_months(date(2026, 1, 31), 1), date(2026, 2, 28))
        self.assertEqual(rules.add_months(date(2028, 1, 31), 1), date(2028, 2, 29), "leap year")
        self.assertEqual(rules.add_months(date(2026, 1, 15), 12), date(2027, 1, 15))
        self.assertEqual(rules.add_months(date(2026, 11, 30), 2), date(2027, 1, 30))
        self.assertEqual(rules.add_months(date(2026, 3, 31), -1), date(2026, 2, 28))

    def test_working_intervals_match_hand_built_week(self):
        weekly = tuple((day, start, end) for day in range(5) for start, end in ((8, 12), (13, 17)))
        self.assertEqual(rules.working_intervals(weekly, "UTC", (), MONDAY, MONDAY + timedelta(days=7)), list(WEEK))

    def test_working_intervals_dst_and_holidays(self):
        weekly = tuple((day, start, end) for day in range(5) for start, end in ((8, 12), (13, 18)))
        # Paris: 08:00 local is 07:00 UTC in winter, 06:00 UTC in summer.
        winter = rules.working_intervals(weekly, "Europe/Paris", (), datetime(2026, 11, 16), datetime(2026, 11, 17))
        self.assertEqual(winter[0], (datetime(2026, 11, 16, 7, 0), datetime(2026, 11, 16, 11, 0)))
        summer = rules.working_intervals(weekly, "Europe/Paris", (), datetime(2026, 6, 15), datetime(2026, 6, 16))
        self.assertEqual(summer[0], (datetime(2026, 6, 15, 6, 0), datetime(2026, 6, 15, 10, 0)))
        holiday = ((datetime(2026, 11, 16, 0, 0), datetime(2026, 11, 16, 23, 59)),)
        self.assertEqual(
            rules.working_intervals(weekly, "UTC", holiday, datetime(2026, 11, 16), datetime(2026, 11, 17)), []
        )

    # ------------------------------------------------------------ properties
    @PROPERTY
    @given(seconds=st.integers(min_value=0, max_value=48 * 3600), step=st.sampled_from([1, 5, 7, 10, 15, 20, 30, 60]))
    def test_counted_is_whole_steps_covering_raw(self, seconds, step):
        raw = seconds / 3600
        counted = rules.counted_hours(raw, "remote", "hours", step)
        self.assertGreaterEqual(counted, raw)
        self.assertLess(counted - raw, step / 60, "less than one step is added")
        minutes = round(counted * 60, 6)
        self.assertTrue(minutes.is_integer(), f"{counted} h is not a whole number of minutes")
        self.assertEqual(int(minutes) % step, 0, "a whole number of steps")
        self.assertEqual(rules.round_up_to_step(counted, step), counted, "rounding twice changes nothing")

    @PROPERTY
    @given(raw=st.floats(min_value=0, max_value=1000, allow_nan=False), step=st.sampled_from([5, 10, 15, 30]))
    def test_counted_covers_any_float_duration(self, raw, step):
        counted = rules.round_up_to_step(raw, step)
        # float noise below a micro-minute is forgiven, nothing more
        self.assertGreaterEqual(counted, raw - 1e-6 / 60)
        self.assertLess(counted - raw, step / 60 + 1e-9)

    @PROPERTY
    @given(
        start_minute=st.integers(min_value=0, max_value=7 * 24 * 60 - 1),
        minutes=st.integers(min_value=1, max_value=12 * 60),
        urgent=st.booleans(),
        urgent_pct=st.sampled_from([0.0, 25.0, 50.0, 100.0]),
        nho_pct=st.sampled_from([0.0, 50.0, 75.0, 100.0]),
        combination=st.sampled_from(rules.COMBINATIONS),
    )
    def test_credit_covers_counted_covers_raw(self, start_minute, minutes, urgent, urgent_pct, nho_pct, combination):
        raw = minutes / 60
        start = MONDAY + timedelta(minutes=start_minute)
        counted = rules.counted_hours(raw, "remote", "hours")
        nho = rules.nho_share(counted, start, start + timedelta(minutes=minutes), WEEK)
        self.assertTrue(0 <= nho <= counted)
        credit = rules.credit_hours(counted, nho, urgent, urgent_pct, nho_pct, combination)
        self.assertGreaterEqual(credit, counted)
        self.assertGreaterEqual(counted, raw)

    @PROPERTY
    @given(
        counted=st.floats(min_value=0, max_value=24, allow_nan=False),
        share_a=st.floats(min_value=0, max_value=1),
        share_b=st.floats(min_value=0, max_value=1),
        urgent=st.booleans(),
        urgent_pct=st.floats(min_value=0, max_value=200),
        nho_pct=st.floats(min_value=0, max_value=200),
    )
    def test_more_nho_never_costs_less(self, counted, share_a, share_b, urgent, urgent_pct, nho_pct):
        low, high = sorted((min(counted, share_a * counted), min(counted, share_b * counted)))
        for combination in rules.COMBINATIONS:
            self.assertLessEqual(
                rules.credit_hours(counted, low, urgent, urgent_pct, nho_pct, combination),
                rules.credit_hours(counted, high, urgent, urgent_pct, nho_pct, combination),
                combination,
            )
        self.assertLessEqual(
            rules.credit_hours(counted, high, urgent, urgent_pct, nho_pct, "add"),
            rules.credit_hours(counted, high, urgent, urgent_pct, nho_pct, "multiply"),
            "multiplying the surcharges never costs less than adding them",
        )

    @PROPERTY
    @given(
        start_minute=st.integers(min_value=0, max_value=3 * 24 * 60),
        minutes=st.integers(min_value=0, max_value=12 * 60),
        blocks=st.lists(st.tuples(st.integers(0, 4 * 24 * 60), st.integers(0, 600)), max_size=12),
    )
    def test_outside_seconds_against_minute_count(self, start_minute, minutes, blocks):
        start = MONDAY + timedelta(minutes=start_minute)
        end = start + timedelta(minutes=minutes)
        # unsorted, possibly overlapping or empty intervals
        intervals = [(MONDAY + timedelta(minutes=b), MONDAY + timedelta(minutes=b + length)) for b, length in blocks]
        outside = rules.outside_seconds(start, end, intervals)
        self.assertTrue(0 <= outside <= minutes * 60)
        # Independent computation: count the minutes one by one.
        covered = {m for b, length in blocks for m in range(b, b + length)}
        expected = sum(1 for m in range(start_minute, start_minute + minutes) if m not in covered) * 60
        self.assertEqual(outside, expected)
        # the same intervals merged once for a batch (issue 24: rules.WorkingTime)
        self.assertEqual(rules.outside_seconds(start, end, rules.WorkingTime(intervals)), expected)

    def test_nho_share_with_working_time_of_a_year(self):
        """A year of office hours merged once gives the seed's figures of the week (17:00-19:00: half NHO)."""
        year = rules.WorkingTime(office_hours(MONDAY - timedelta(days=180), days=365, afternoon_end=18))
        wednesday = MONDAY + timedelta(days=2)
        self.assertEqual(rules.nho_share(2.0, wednesday.replace(hour=17), wednesday.replace(hour=19), year), 1.0)
        self.assertEqual(rules.nho_share(1.0, SATURDAY.replace(hour=10), SATURDAY.replace(hour=11), year), 1.0)
        self.assertEqual(rules.nho_share(1.0, MONDAY.replace(hour=9), MONDAY.replace(hour=10), year), 0.0)
        self.assertEqual(rules.nho_share(7.0, SUNDAY.replace(hour=8), SUNDAY.replace(hour=16), year, "full_day"), 7.0)

    @PROPERTY
    @given(
        mode=st.sampled_from(rules.MODES),
        offset_minutes=st.integers(min_value=-10 * 24 * 60, max_value=10 * 24 * 60),
        delay_hours=st.integers(min_value=0, max_value=96),
    )
    def test_urgency_only_on_site(self, mode, offset_minutes, delay_hours):
        request = MONDAY.replace(hour=9)
        start = request + timedelta(minutes=offset_minutes)
        urgent = rules.is_urgent(mode, start, request, delay_hours)
        self.assertEqual(urgent, mode == "onsite" and offset_minutes < delay_hours * 60)
