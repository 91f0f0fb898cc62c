"""The contract's counting rules, as plain functions.

Seed 000, "Comptabilisation de la consommation du crédit-temps": remote time
is counted by the hour in quarter hours (any started quarter hour counts), a
day on site counts 7 h and a half day 4 h, +50 % for an urgent intervention
(on site, started less than 48 h after the request) and +50 % for work in
non-working hours and days (NHO).

The models call these functions; reports and tests reuse them. Nothing here
touches the database, so each rule is written once and can be checked alone.
Datetimes are naive UTC.
"""

import math
from datetime import datetime
from datetime import time
from datetime import timedelta

import pytz
from dateutil.relativedelta import relativedelta

MODES = ("remote", "onsite")
SPANS = ("hours", "half_day", "full_day")
COMBINATIONS = ("add", "multiply")
_DIGITS = 6


def add_months(day, months):
    """``day`` plus ``months`` months, clamped to the end of a shorter month."""
    return day + relativedelta(months=months)


def round_up_to_step(hours, step_minutes=15):
    """Hours rounded up to the step: any started step counts (10 min -> 0.25 h).

    Works in minutes rounded to the microsecond first, so that float noise
    (1.25 h * 60 = 75.00000000001) does not cost the client a whole step.
    """
    if step_minutes <= 0:
        raise ValueError("the rounding step must be positive")
    if hours < 0:
        raise ValueError("a duration cannot be negative")
    minutes = round(hours * 60, _DIGITS)
    steps = math.ceil(minutes / step_minutes - 1e-9)
    # Not rounded: a 5-minute step is 0.0833... h, and counted >= raw must hold.
    return steps * step_minutes / 60


def counted_hours(duration_hours, mode, span, step_minutes=15, day_hours=7.0, half_day_hours=4.0):
    """Hours the contract counts for an intervention, before surcharges."""
    if mode not in MODES or span not in SPANS:
        raise ValueError(f"unknown mode {mode!r} or span {span!r}")
    if duration_hours < 0:
        raise ValueError("a duration cannot be negative")
    if span != "hours" and mode != "onsite":
        raise ValueError("half and full days are counted on site only")
    if span == "full_day":
        return float(day_hours)
    if span == "half_day":
        return float(half_day_hours)
    return round_up_to_step(duration_hours, step_minutes)


def is_urgent(mode, start, request_date, delay_hours=48):
    """On site and started less than ``delay_hours`` after the client's request."""
    if mode != "onsite" or not start or not request_date:
        return False
    return start - request_date < timedelta(hours=delay_hours)


def _merged(intervals):
    merged = []
    for start, end in sorted((s, e) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


def subtract(intervals, holes):
    """The parts of ``intervals`` outside the ``holes`` (both lists of (start, end))."""
    result = []
    holes = _merged(holes)
    for start, end in intervals:
        pieces = [(start, end)]
        for h_start, h_end in holes:
            if h_end <= start or h_start >= end:
                continue
            pieces = [
                piece
                for p_start, p_end in pieces
                for piece in ((p_start, min(p_end, h_start)), (max(p_start, h_end), p_end))
                if piece[1] > piece[0]
            ]
        result.extend(pieces)
    return result


def working_intervals(weekly, tz_name, holidays, start, end):
    """Working intervals in naive UTC between ``start`` and ``end`` (naive UTC).

    ``weekly``: (weekday 0=Monday, hour_from, hour_to) in the calendar's time
    zone, the attendances of a resource.calendar; ``holidays``: (start, end)
    naive UTC, its global leaves, which are taken out.
    """
    tz = pytz.timezone(tz_name or "UTC")
    first = pytz.utc.localize(start).astimezone(tz).date()
    last = pytz.utc.localize(end).astimezone(tz).date()
    found = []
    day = first
    while day <= last:
        midnight = datetime.combine(day, time.min)
        for weekday, hour_from, hour_to in weekly:
            if weekday != day.weekday() or hour_to <= hour_from:
                continue
            local_from = tz.localize(midnight + timedelta(hours=hour_from))
            local_to = tz.localize(midnight + timedelta(hours=hour_to))
            found.append(
                (
                    local_from.astimezone(pytz.utc).replace(tzinfo=None),
                    local_to.astimezone(pytz.utc).replace(tzinfo=None),
                )
            )
        day += timedelta(days=1)
    return [(max(s, start), min(e, end)) for s, e in subtract(sorted(found), holidays) if min(e, end) > max(s, start)]


def covered_seconds(start, end, working_intervals):
    """Seconds of [start, end) covered by the union of the working intervals."""
    if end <= start:
        return 0.0
    covered = 0.0
    for w_start, w_end in _merged(working_intervals):
        low, high = max(start, w_start), min(end, w_end)
        if high > low:
            covered += (high - low).total_seconds()
    return covered


def outside_seconds(start, end, working_intervals):
    """Seconds of [start, end) outside the working intervals (the NHO part)."""
    if end <= start:
        return 0.0
    return (end - start).total_seconds() - covered_seconds(start, end, working_intervals)


def nho_share(counted, start, end, working_intervals, span="hours"):
    """How many of the counted hours are in non-working hours.

    Hourly time: the share of [start, end) outside the working intervals,
    scaled to the counted hours (17:00-19:00 with a day ending at 18:00 is
    half NHO). Half and full days: the day package stands for a working day,
    so it is entirely NHO when the 24 hours from its start hold no working
    interval (week-end, public holiday) and not NHO otherwise.
    """
    if counted <= 0:
        return 0.0
    if span in ("half_day", "full_day"):
        # The 24 hours from the start: the working day it falls on, in any time zone.
        works_that_day = covered_seconds(start, start + timedelta(days=1), working_intervals) > 0
        return 0.0 if works_that_day else float(counted)
    if end <= start:
        return 0.0
    share = outside_seconds(start, end, working_intervals) / (end - start).total_seconds()
    return min(float(counted), counted * share)


def credit_hours(counted, nho_hours, urgent, urgent_pct=50.0, nho_pct=50.0, combination="add"):
    """Hours drawn from the credit.

    add:      normal x (1 + u) + nho x (1 + u + n)
    multiply: normal x (1 + u) + nho x (1 + u) x (1 + n)
    """
    if combination not in COMBINATIONS:
        raise ValueError(f"unknown surcharge combination {combination!r}")
    if nho_hours < 0 or nho_hours > counted + 1e-9:
        raise ValueError("the NHO hours must lie between 0 and the counted hours")
    nho_hours = min(nho_hours, counted)
    normal = counted - nho_hours
    u = urgent_pct / 100.0 if urgent else 0.0
    n = nho_pct / 100.0
    if combination == "add":
        total = normal * (1 + u) + nho_hours * (1 + u + n)
    else:
        total = normal * (1 + u) + nho_hours * (1 + u) * (1 + n)
    return round(total, _DIGITS)


def format_hours(hours):
    """1.0833 -> '1 h 05' (to the nearest minute)."""
    minutes = round(hours * 60)
    sign = "-" if minutes < 0 else ""
    minutes = abs(minutes)
    return f"{sign}{minutes // 60} h {minutes % 60:02d}"


def _pct(value):
    return f"{value:g}"


_WORDS = {
    "en": {
        "quarter": "quarter hours",
        "step": "steps of {} min",
        "full_day": "full day on site",
        "half_day": "half day on site",
        "nho": "NHO",
        "urgent": "urgent",
        "total": "total",
        "sep": "; ",
        "multiply": "surcharges multiplied",
    },
    "fr": {
        "quarter": "quarts d'heure",
        "step": "pas de {} min",
        "full_day": "journée sur site",
        "half_day": "demi-journée sur site",
        "nho": "HNO",
        "urgent": "urgence",
        "total": "total",
        "sep": " ; ",
        "multiply": "majorations multipliées",
    },
}


def explain(
    raw_hours,
    counted,
    nho_hours,
    urgent,
    credit,
    mode,
    span,
    step_minutes=15,
    urgent_pct=50.0,
    nho_pct=50.0,
    combination="add",
    lang="en",
):
    """How the credit hours were obtained, in the client's language.

    e.g. '1 h 05 → 1 h 15 (quarter hours); 0 h 30 NHO +50 %; total 1 h 30'
    """
    words = _WORDS["fr" if (lang or "").startswith("fr") else "en"]
    if mode == "onsite" and span in ("full_day", "half_day"):
        parts = [f"{words[span]} → {format_hours(counted)}"]
    else:
        step = words["quarter"] if step_minutes == 15 else words["step"].format(step_minutes)
        parts = [f"{format_hours(raw_hours)} → {format_hours(counted)} ({step})"]
    if urgent:
        parts.append(f"{words['urgent']} +{_pct(urgent_pct)} %")
    if nho_hours > 0:
        parts.append(f"{format_hours(nho_hours)} {words['nho']} +{_pct(nho_pct)} %")
    if urgent and nho_hours > 0 and combination == "multiply":
        parts.append(words["multiply"])
    parts.append(f"{words['total']} {format_hours(credit)}")
    return words["sep"].join(parts)
