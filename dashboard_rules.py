"""The service dashboard's figures (issue 18), from aggregated rows: plain functions, no ORM.

The contract's dashboard reads a handful of aggregates (``models/itsm_contract_dashboard.py``) and these
functions turn them into the monthly series the charts draw. Months are calendar months in UTC, as the
committees' periods are; a series always has one value per month, zero when nothing happened.
"""

from datetime import date

from dateutil.relativedelta import relativedelta

from . import rules

# the ITIL priority of each Odoo priority key, most urgent first (seed 003)
PRIORITY_ORDER = ("3", "2", "1", "0")
PRIORITY_NAMES = {"3": "P1", "2": "P2", "1": "P3", "0": "P4"}
MCO_RESULTS = ("ok", "warning", "ko", "na")


def month_of(value):
    """The first day of the month of a date or a datetime."""
    return date(value.year, value.month, 1)


def month_starts(today, count=12):
    """The first days of the ``count`` months ending with ``today``'s, oldest first."""
    first = month_of(today)
    return [first - relativedelta(months=count - 1 - index) for index in range(count)]


def _index(months):
    return {month: position for position, month in enumerate(months)}


def tickets_by_month(groups, months, kinds):
    """``{kind: [tickets per month]}`` from ``(month, kind, count)`` groups; other months and kinds are left out."""
    index = _index(months)
    series = {kind: [0] * len(months) for kind in kinds}
    for month, kind, count in groups:
        position = index.get(month_of(month)) if month else None
        if position is not None and kind in series:
            series[kind][position] += count
    return series


def sla_by_month(rows, months, now):
    """Service levels per month: ``{"response": [(met, judged)], "resolution": [(met, judged)]}``.

    ``rows`` are the tickets under an SLA rule as ``(response deadline, first response, resolution deadline,
    closed, closed date, pause start)``. A target counts in the month that holds its deadline, once it is met or
    missed (``rules.sla_outcome``, the rule of the committees and of the compliance report); a target not
    judged yet is left out.
    """
    index = _index(months)
    result = {"response": [[0, 0] for _month in months], "resolution": [[0, 0] for _month in months]}
    for response_deadline, first_response, resolution_deadline, closed, closed_date, pause_start in rows:
        clock = rules.sla_clock(pause_start, now)
        answered, resolved = rules.sla_done_dates(first_response, closed, closed_date, clock)
        for key, deadline, done in (
            ("response", response_deadline, answered),
            ("resolution", resolution_deadline, resolved),
        ):
            position = index.get(month_of(deadline)) if deadline else None
            outcome = rules.sla_outcome(deadline, done, clock) if position is not None else None
            if outcome:
                cell = result[key][position]
                cell[0] += outcome == rules.SLA_MET
                cell[1] += 1
    return {key: [tuple(cell) for cell in cells] for key, cells in result.items()}


def moves_by_month(groups, months):
    """(hours consumed per month, signed sum of the moves per month, sum of all the groups' hours).

    ``groups`` are a prepaid contract's ledger moves dated from the first month on, later ones included, as
    ``(month, move type, signed hours)``. Consumption is net (a reversed intervention gives its hours back in
    its month).
    """
    index = _index(months)
    consumed = [0.0] * len(months)
    net = [0.0] * len(months)
    total = 0.0
    for month, move_type, hours in groups:
        total += hours
        position = index.get(month_of(month))
        if position is None:
            continue
        net[position] += hours
        if move_type == "consumption":
            consumed[position] -= hours
    return [round(hours, 2) + 0.0 for hours in consumed], [round(hours, 2) + 0.0 for hours in net], total


def balance_by_month(net, later, balance_now):
    """The balance at the end of each month: ``balance_now`` (the sum of all the ledger's moves) less ``later``
    (the moves from the first month on, later ones included) gives the balance before the first month, so the
    history before the chart is never read; then each month's ``net`` moves are added."""
    running = balance_now - later
    balance = []
    for hours in net:
        running += hours
        balance.append(round(running, 2) + 0.0)
    return balance


def hours_by_month(groups, months):
    """Hours per month from ``(month, hours)`` groups (the time-and-material contracts' billed hours)."""
    index = _index(months)
    hours_per_month = [0.0] * len(months)
    for month, hours in groups:
        position = index.get(month_of(month)) if month else None
        if position is not None:
            hours_per_month[position] += hours or 0.0
    return [round(hours, 2) + 0.0 for hours in hours_per_month]


def open_by_priority(groups, kinds):
    """``{kind: [open tickets per priority, P1 first]}`` from ``(priority, kind, count)`` groups."""
    series = {kind: [0] * len(PRIORITY_ORDER) for kind in kinds}
    for priority, kind, count in groups:
        if kind in series and priority in PRIORITY_ORDER:
            series[kind][PRIORITY_ORDER.index(priority)] += count
    return series
