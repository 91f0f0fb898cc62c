"""The contract's counting rules, as plain functions.

Seed 000, "Comptabilisation de la consommation du crédit-temps": remote time
is counted by the hour in quarter hours (any started quarter hour counts), a
day on site counts 7 h and a half day 4 h, +50 % for an urgent intervention
(on site, started less than 48 h after the request) and +50 % for work in
non-working hours and days (NHO).

The models call these functions; reports and tests reuse them. Nothing here
touches the database and the counting rules need the standard library only,
so each rule is written once and can be checked alone. Datetimes are naive UTC.

Precision: durations are handled in integer micro-minutes or exact
``timedelta`` arithmetic, counted hours keep the exact step fraction (a
5-minute step is 1/12 h), and only the surcharge is rounded to 6 decimals.
The models round what they store (2 decimals).
"""

import bisect
import calendar
import functools
import math
import re
import unicodedata
from datetime import datetime
from datetime import time
from datetime import timedelta

from babel.numbers import format_decimal

MODES = ("remote", "onsite")
SPANS = ("hours", "half_day", "full_day")
DAY_SPANS = ("half_day", "full_day")
COMBINATIONS = ("add", "multiply")
_DIGITS = 6
_MICRO = 10**_DIGITS


# ---------------------------------------------------------------- dates
def add_months(day, months):
    """``day`` plus ``months`` months, clamped to the end of a shorter month.

    2026-01-31 + 1 month = 2026-02-28: a validity never spills into the month after.
    """
    index = day.year * 12 + day.month - 1 + months
    year, month = divmod(index, 12)
    month += 1
    return day.replace(year=year, month=month, day=min(day.day, calendar.monthrange(year, month)[1]))


# ---------------------------------------------------------------- counting
def round_up_to_step(hours, step_minutes=15):
    """Hours rounded up to the step: any started step counts (10 min -> 0.25 h).

    The duration is first turned into whole micro-minutes, so that float noise
    (1.25 h x 60 = 75.00000000001 min) does not cost the client a whole step;
    the ceiling is then taken in integers. The result is the exact step
    fraction (``steps x step / 60``, not rounded to 6 decimals): a 5-minute
    step is 0.08333... h, and "counted >= raw" and "a whole number of steps"
    must hold exactly.
    """
    if step_minutes <= 0:
        raise ValueError("the rounding step must be positive")
    if hours < 0:
        raise ValueError("a duration cannot be negative")
    micro_minutes = round(hours * 60 * _MICRO)
    micro_step = round(step_minutes * _MICRO)
    steps = -(-micro_minutes // micro_step)
    return steps * step_minutes / 60


def counted_hours(duration_hours, mode, span, step_minutes=15, day_hours=7.0, half_day_hours=4.0):
    """Hours the contract counts for an intervention, before surcharges.

    Hourly time (remote, or on site by the hour) is rounded up to the step; a
    day or half day on site is a package whatever its duration. Remote work is
    always hourly: a "remote full day" is refused rather than guessed.
    """
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
    """On site and started less than ``delay_hours`` after the client's request.

    Only on-site work is urgent (the seed's definition); a start before the
    request (back-dated ticket) is within the delay, hence urgent.
    """
    if mode != "onsite" or not start or not request_date:
        return False
    return start - request_date < timedelta(hours=delay_hours)


# ---------------------------------------------------------------- intervals
def _merged(intervals):
    """The union of (start, end) intervals as sorted, disjoint [start, end] lists."""
    merged = []
    for start, end in sorted((s, e) for s, e in intervals if e > s):
        if merged and start <= merged[-1][1]:
            if end > merged[-1][1]:
                merged[-1][1] = end
        else:
            merged.append([start, end])
    return merged


class WorkingTime:
    """Working intervals merged and sorted once, for the many lookups of a batch of interventions.

    ``_covered`` (and so ``nho_share``, ``covered_seconds``) accepts it in place of a list of intervals: a
    lookup then visits only the intervals that overlap [start, end) (a binary search for the first one),
    instead of merging the whole list again. A batch spanning months has hundreds of working intervals.
    """

    __slots__ = ("ends", "merged")

    def __init__(self, intervals):
        self.merged = _merged(intervals)
        self.ends = [end for _start, end in self.merged]

    def covered(self, start, end):
        covered = timedelta(0)
        merged = self.merged
        index = bisect.bisect_right(self.ends, start)
        while index < len(merged) and merged[index][0] < end:
            low, high = max(start, merged[index][0]), min(end, merged[index][1])
            if high > low:
                covered += high - low
            index += 1
        return covered


def _covered(start, end, working_intervals):
    """Exact ``timedelta`` of [start, end) covered by the union of the intervals (a list, or ``WorkingTime``)."""
    if end <= start:
        return timedelta(0)
    if not isinstance(working_intervals, WorkingTime):
        working_intervals = WorkingTime(working_intervals)
    return working_intervals.covered(start, end)


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

    ``weekly``: a tuple of (weekday 0=Monday, hour_from, hour_to) in the
    calendar's time zone, the attendances of a resource.calendar (hashable: it
    keys the memo of each day's attendances); ``holidays``: (start, end) naive
    UTC, its global leaves, which are taken out.
    """
    # pytz, like resource.calendar, so that DST edges land where Odoo puts them;
    # imported here to keep the counting rules importable with the stdlib alone.
    import pytz  # noqa: PLC0415

    tz_name = tz_name or "UTC"
    tz = pytz.timezone(tz_name)
    day = pytz.utc.localize(start).astimezone(tz).date()
    last = pytz.utc.localize(end).astimezone(tz).date()
    found = []  # in order: each local day's attendances lie within that day
    while day <= last:
        found.extend(_day_attendances(weekly, tz_name, day))
        day += timedelta(days=1)
    holes = [(h_start, h_end) for h_start, h_end in holidays if h_start < end and h_end > start]
    return [(max(s, start), min(e, end)) for s, e in subtract(found, holes) if min(e, end) > max(s, start)]


@functools.lru_cache(maxsize=4096)
def _day_attendances(weekly, tz_name, day):
    """The attendances of one local ``day`` of a weekly schedule, as sorted (start, end) naive UTC.

    Memoized: localizing a time in a real time zone (pytz) costs about 10 us and an intervention needs three
    days of a schedule; the arguments are immutable and the result depends on them alone.
    """
    import pytz  # noqa: PLC0415

    tz = pytz.timezone(tz_name)
    midnight = datetime.combine(day, time.min)
    found = []
    for weekday, hour_from, hour_to in weekly:
        if weekday != day.weekday() or hour_to <= hour_from:
            continue
        local_from = tz.localize(midnight + timedelta(hours=hour_from))
        local_to = tz.localize(midnight + timedelta(hours=hour_to))
        found.append(
            (local_from.astimezone(pytz.utc).replace(tzinfo=None), local_to.astimezone(pytz.utc).replace(tzinfo=None))
        )
    return tuple(sorted(found))


def plan_hours(weekly, tz_name, holidays, start, hours, horizon_days=366):
    """The moment ``hours`` working hours after ``start`` (naive UTC).

    Same semantics as ``resource.calendar.plan_hours``: the clock only runs in
    the working intervals (attendances minus global leaves). ``hours`` <= 0
    gives ``start``. Returns None when the calendar has no working time within
    ``horizon_days``.
    """
    if hours <= 0:
        return start
    remaining = timedelta(hours=hours)
    window = start
    while window < start + timedelta(days=horizon_days):
        chunk_end = window + timedelta(days=14)
        for w_start, w_end in working_intervals(weekly, tz_name, holidays, window, chunk_end):
            length = w_end - w_start
            if length >= remaining:
                return w_start + remaining
            remaining -= length
        window = chunk_end
    return None


def business_hours_between(weekly, tz_name, holidays, start, end):
    """Working hours between two moments (naive UTC): what a paused clock did not count."""
    if end <= start:
        return 0.0
    return covered_seconds(start, end, working_intervals(weekly, tz_name, holidays, start, end)) / 3600


def sla_elapsed_share(start, deadline, now):
    """Share of the time from ``start`` to ``deadline`` that has elapsed at ``now``, in wall time."""
    total = (deadline - start).total_seconds()
    if total <= 0:
        return 1.0
    return (now - start).total_seconds() / total


def share_moment(start, deadline, share):
    """The moment at which ``share`` (0..1) of the time from ``start`` to ``deadline`` has elapsed.

    The inverse of ``sla_elapsed_share``: ``sla_elapsed_share(start, deadline, share_moment(start, deadline, s))``
    is ``s``. A deadline at or before the start is reached at once (``start``).
    """
    if deadline <= start:
        return start
    return start + (deadline - start) * share


def escalation_shares(threshold_pct):
    """{level reached: share of the resolution time} of the automatic escalations (seed 001).

    The contract's threshold sends an unresolved ticket to level 2; level 3 follows halfway through what is
    left (50 % then 75 %, 60 % then 80 %).
    """
    first = threshold_pct / 100
    return {"2": first, "3": first + (1 - first) / 2}


def covered_seconds(start, end, working_intervals):
    """Seconds of [start, end) covered by the union of the working intervals."""
    return _covered(start, end, working_intervals).total_seconds()


def outside_seconds(start, end, working_intervals):
    """Seconds of [start, end) outside the working intervals (the NHO part).

    Computed as an exact ``timedelta`` (overlapping or unsorted intervals are
    merged first), so whole seconds in give whole seconds out.
    """
    if end <= start:
        return 0.0
    return ((end - start) - _covered(start, end, working_intervals)).total_seconds()


# ---------------------------------------------------------------- surcharges
def nho_share(counted, start, end, working_intervals, span="hours"):
    """How many of the counted hours are in non-working hours (NHO).

    Hourly time: the share of [start, end) outside the working intervals,
    scaled to the counted hours (17:00-19:00 with a day ending at 18:00 is
    half NHO, so 2 counted hours hold 1 NHO hour).

    Half and full days: the package stands for a working day. It is entirely
    NHO when its time touches no working interval (week-end, public holiday,
    night work) and not NHO otherwise: scaling it would bill the lunch break
    of an ordinary 08:00-17:00 day as non-working time. A day logged without
    a duration is taken to last its counted hours from its start.

    The result lies in [0, counted]; exactly 0 or ``counted`` at the ends, else
    rounded to 6 decimals.
    """
    if counted <= 0:
        return 0.0
    if span in DAY_SPANS:
        if end <= start:
            end = start + timedelta(hours=counted)
        return 0.0 if _covered(start, end, working_intervals) else float(counted)
    if end <= start:
        return 0.0
    total = end - start
    outside = total - _covered(start, end, working_intervals)
    if not outside:
        return 0.0
    if outside == total:
        return float(counted)
    return min(float(counted), round(counted * (outside / total), _DIGITS))


def surcharge_hours(counted, nho_hours, urgent, urgent_pct=50.0, nho_pct=50.0, combination="add"):
    """The hours added on top of the counted hours (credit = counted + surcharge).

    Expanding the seed's formulas, with u and n the two rates:
    add:      normal x (1 + u) + nho x (1 + u + n)       = counted + u x counted + n x nho
    multiply: normal x (1 + u) + nho x (1 + u) x (1 + n) = counted + u x counted + (1 + u) x n x nho
    Written this way the surcharge is never negative and grows with the NHO
    hours, and "multiply >= add" holds exactly in floating point.
    """
    if combination not in COMBINATIONS:
        raise ValueError(f"unknown surcharge combination {combination!r}")
    if counted < 0:
        raise ValueError("the counted hours cannot be negative")
    if nho_hours < 0 or nho_hours > counted + 1e-9:
        raise ValueError("the NHO hours must lie between 0 and the counted hours")
    nho_hours = min(nho_hours, counted)
    u = urgent_pct / 100.0 if urgent else 0.0
    n = nho_pct / 100.0
    nho_rate = n if combination == "add" else (1 + u) * n
    return round(u * counted + nho_rate * nho_hours, _DIGITS)


def credit_hours(counted, nho_hours, urgent, urgent_pct=50.0, nho_pct=50.0, combination="add"):
    """Hours drawn from the credit.

    add:      normal x (1 + u) + nho x (1 + u + n)
    multiply: normal x (1 + u) + nho x (1 + u) x (1 + n)
    with normal = counted - nho. Computed as counted + the surcharge rounded
    to 6 decimals (see ``surcharge_hours``): float noise cannot tip the
    callers' rounding to 2 decimals, and credit >= counted holds exactly.
    """
    return counted + surcharge_hours(counted, nho_hours, urgent, urgent_pct, nho_pct, combination)


# ---------------------------------------------------------------- explanation
def format_hours(hours):
    """1.0833 -> '1 h 05': hours and minutes, to the nearest minute (half up)."""
    minutes = math.floor(round(abs(hours) * 60, _DIGITS) + 0.5)
    sign = "-" if hours < 0 and minutes else ""
    return f"{sign}{minutes // 60} h {minutes % 60:02d}"


def _pct(value, decimal_comma=False):
    """50.0 -> '50', 12.5 -> '12.5' (or '12,5' in French)."""
    text = f"{value:g}"
    return text.replace(".", ",") if decimal_comma else text


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
    """How the credit hours were obtained, in the client's language (French for 'fr*').

    e.g. '1 h 05 → 1 h 15 (quarter hours); 0 h 30 NHO +50 %; total 1 h 30'.
    The client reads it on statements and on the portal, so every figure that
    changed the cost is named: rounding or day package, urgency, NHO share.
    """
    french = (lang or "").startswith("fr")
    words = _WORDS["fr" if french else "en"]
    if mode == "onsite" and span in DAY_SPANS:
        parts = [f"{words[span]} → {format_hours(counted)}"]
    else:
        step = words["quarter"] if step_minutes == 15 else words["step"].format(_pct(step_minutes, french))
        parts = [f"{format_hours(raw_hours)} → {format_hours(counted)} ({step})"]
    if urgent:
        parts.append(f"{words['urgent']} +{_pct(urgent_pct, french)} %")
    if nho_hours > 0:
        parts.append(f"{format_hours(nho_hours)} {words['nho']} +{_pct(nho_pct, french)} %")
    if urgent and nho_hours > 0 and combination == "multiply":
        parts.append(words["multiply"])
    parts.append(f"{words['total']} {format_hours(credit)}")
    return words["sep"].join(parts)


def count_terms(step_minutes, urgent_pct, nho_pct, combination):
    """The contract's counting terms a line was counted with, as stored on the line (``explain``'s keywords)."""
    return {"step_minutes": step_minutes, "urgent_pct": urgent_pct, "nho_pct": nho_pct, "combination": combination}


def explain_counted(raw_hours, counted, nho_hours, urgent, credit, mode, span, terms, lang="en"):
    """``explain`` from a line's stored figures and terms, in ``lang``; ``False`` for a line never counted."""
    if not terms:
        return False
    span = span if mode == "onsite" else "hours"
    return explain(raw_hours, counted, nho_hours, urgent, credit, mode, span, lang=lang, **terms)


# --------------------------------------------------------------- steering committees
def review_period(meeting_day, months=1):
    """Period reviewed by a committee meeting on ``meeting_day``: the ``months`` calendar months before it.

    ``(first day, last day)`` both included: a meeting on 2026-11-10 reviews October 2026 (``months=1``)
    or 2025-11-01 to 2026-10-31 (``months=12``, annual review).
    """
    first_of_month = meeting_day.replace(day=1)
    return add_months(first_of_month, -months), first_of_month - timedelta(days=1)


def share_pct(part, whole):
    """``part`` of ``whole`` in per cent, one decimal; ``None`` when nothing was measured.

    A ratio of nothing is not a number: never 100 % (it would flatter the provider), never 0 %.
    """
    if not whole:
        return None
    return round(100.0 * part / whole, 1)


def format_number(value, digits=2, locale="en_US", trim=False):
    """A figure for people in ``locale``'s way: ``183.12`` in English, ``183,12`` in French (babel), thousands
    grouped; ``trim`` drops the decimals that are zero (``7`` rather than ``7.00``, axis values)."""
    pattern = "#,##0" + ("." + ("#" if trim else "0") * digits if digits else "")
    return format_decimal(value, format=pattern, locale=locale or "en_US")


def format_decimal_hours(value, locale="en_US"):
    """Hours for people, the one format of the forms, portal pages and PDFs: ``183.12 h`` / ``183,12 h``."""
    return f"{format_number(value, 2, locale)}\u00a0h"


def format_pct(value, na="—", locale="en_US"):
    """A share for people: ``"87.5 %"`` (``"87,5 %"`` in French), or ``na`` when there was nothing to measure
    (``None``)."""
    return na if value is None else f"{format_number(value, 1, locale)} %"


SLA_MET = "met"
SLA_MISSED = "missed"


def sla_outcome(deadline, done_at, clock):
    """How one service-level target stands at ``clock``: ``"met"``, ``"missed"`` or ``None`` (not judged yet).

    Met when it was done (answered, resolved) by its deadline; missed when it was done late, or when the clock
    passed the deadline with nothing done, whether the ticket is still open or not. A target with no deadline,
    or not done and not yet due, is not judged. ``clock`` is the time the ticket's clock shows: now, or the start
    of the client's pause while the ticket waits for the client (a paused clock does not run).
    """
    if not deadline:
        return None
    if done_at:
        return SLA_MET if done_at <= deadline else SLA_MISSED
    return SLA_MISSED if clock > deadline else None


def sla_clock(pause_start, now):
    """The time a ticket's SLA clock shows at ``now``: the start of its pause while it waits for the client."""
    return pause_start or now


def sla_done_dates(first_response, closed, closed_date, clock):
    """(answered at, resolved at) of a ticket, ``None`` for what is not done; a closed ticket without a closing
    date counts as resolved at its clock."""
    return first_response or None, ((closed_date or clock) if closed else None)


def local_to_utc(day, hour, tz_name):
    """Naive UTC datetime of ``hour`` o'clock (decimal, 9.5 = 09:30) on ``day`` in time zone ``tz_name``."""
    import pytz  # noqa: PLC0415

    tz = pytz.timezone(tz_name or "UTC")
    minutes = round(hour * 60)
    local = tz.localize(datetime.combine(day, time(hour=minutes // 60, minute=minutes % 60)))
    return local.astimezone(pytz.utc).replace(tzinfo=None)


# --------------------------------------------------------------- knowledge suggestions
# Words that say that something is broken, not what: a scenario sharing only these with a ticket is not relevant
# ("the server does not respond any more" is not "the printer does not respond any more"). Folded (no accents,
# lower case), French and English.
KB_GENERIC_WORDS = frozenset(
    (
        "marche",
        "marchent",
        "fonctionne",
        "fonctionnent",
        "fonctionnement",
        "plus",
        "repond",
        "repondent",
        "reponse",
        "bloque",
        "bloquee",
        "bloques",
        "bloquees",
        "erreur",
        "erreurs",
        "probleme",
        "problemes",
        "panne",
        "pannes",
        "hors",
        "ligne",
        "impossible",
        "lent",
        "lente",
        "lents",
        "souci",
        "soucis",
        "bug",
        "bugs",
        "demarre",
        "demarrer",
        "redemarre",
        "redemarrer",
        "acces",
        "ouvre",
        "ouvrir",
        "affiche",
        "message",
        "depuis",
        "toujours",
        "encore",
        "arrive",
        "rien",
        "tout",
        "tous",
        "toutes",
        "merci",
        "bonjour",
        "urgent",
        "svp",
        "matin",
        "soir",
        "aujourd",
        "hui",
        "not",
        "working",
        "works",
        "work",
        "error",
        "errors",
        "down",
        "offline",
        "online",
        "slow",
        "issue",
        "issues",
        "problem",
        "problems",
        "broken",
        "cannot",
        "cant",
        "failed",
        "fails",
        "failure",
        "since",
        "anymore",
        "still",
        "hello",
        "thanks",
        "please",
    )
)


def kb_fold(word):
    """``"Répond"`` -> ``"repond"``: lower case without accents (what ``KB_GENERIC_WORDS`` holds)."""
    decomposed = unicodedata.normalize("NFKD", word.lower())
    return "".join(char for char in decomposed if not unicodedata.combining(char))


def kb_specific_text(text):
    """The words of ``text`` that say what is at fault: without the generic malfunction words
    (``KB_GENERIC_WORDS``) nor the excluded ones (``-word``). A suggested scenario must match one of them: the
    relevance floor of the suggestions. Empty when the ticket says only that something is broken."""
    words = []
    for token in (text or "").split():
        if token.startswith("-"):
            continue
        for word in re.split(r"\W+", token):
            if len(word) > 1 and not word.isdigit() and kb_fold(word) not in KB_GENERIC_WORDS:
                words.append(word)
    return " ".join(words)
