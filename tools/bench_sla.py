#!/usr/bin/env python3
"""Benchmark of the SLA matrix: deadline planning and breach scan at 1 000 and 10 000 tickets.

Run with ``make bench``. It prints figures, it asserts nothing: time per
ticket to recompute the deadlines of a batch of tickets (business-hours
rules on a calendar with public holidays), and time and SQL queries of the
at-risk / breach scan over the open tickets, at 1 000 and at 10 000 tickets,
with the ratio of the per-ticket costs. The scan runs the cron method until
it finds nothing due, as Odoo's scheduler does when the cron reports a
remainder; the figure to watch is the query count of one run, which must not
depend on the number of tickets. Everything is rolled back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
from datetime import datetime, timedelta
from freezegun import freeze_time

clock = time.perf_counter  # bound before freezegun patches the time module
Ticket = env["helpdesk.ticket"]
priorities = ["0", "1", "2", "3"]
WINDOW = 60 * 24 * 60  # requests spread over 60 days, whatever the number of tickets

def make(n):
    team = env["helpdesk.ticket.team"].create({"name": "SLA bench"})
    client = env["res.partner"].create({"name": "SLA bench client", "is_company": True})
    calendar = env.ref("itsm_service_contract.sla_matrix_default").calendar_id
    for day in range(1, 25, 3):
        env["resource.calendar.leaves"].create({"name": f"Holiday {day}", "calendar_id": calendar.id,
            "resource_id": False, "date_from": datetime(2026, 12, day), "date_to": datetime(2026, 12, day, 23, 59)})
    start = datetime(2026, 11, 2, 8, 0)
    vals = [{"name": f"Bench {i}", "description": "x", "partner_id": client.id, "team_id": team.id,
             "priority": priorities[i % 3 + 1],
             "itsm_request_date": start + timedelta(minutes=i * WINDOW // n)}
            for i in range(n)]
    tickets = Ticket.create(vals)
    env.flush_all()
    return tickets

print(f"{'tickets':>8} {'recompute ms/ticket':>20} {'scan ms/ticket':>15} {'flagged':>8} "
      f"{'runs':>5} {'queries/run':>12}")
results = {}
for n in (1000, 10000):
    tickets = make(n)
    analyze("helpdesk_ticket", "resource_calendar_leaves")
    env.invalidate_all()
    t0 = clock()
    env.add_to_compute(Ticket._fields["itsm_response_deadline"], tickets)
    tickets._compute_itsm_sla()
    env.flush_all()
    recompute = (clock() - t0) / n * 1000
    env.invalidate_all()
    flagged, per_run = 0, []
    with freeze_time(datetime(2026, 12, 20)):
        t0 = clock()
        while True:
            q0 = queries()
            done = Ticket._cron_itsm_sla_scan()
            env.flush_all()
            per_run.append(queries() - q0)
            flagged += done
            if not done:
                break
        scan = (clock() - t0) / n * 1000
    results[n] = (recompute, scan)
    span = "%d-%d" % (min(per_run[:-1] or per_run), max(per_run))
    print(f"{n:8d} {recompute:20.3f} {scan:15.3f} {flagged:8d} {len(per_run):5d} {span:>12}")
    env.cr.rollback()
    env.invalidate_all()
r1, s1 = results[1000]
r2, s2 = results[10000]
print(f"per-ticket cost ratio 10 000 / 1 000: recompute {r2 / r1:.2f}, scan {s2 / s1:.2f}")
print("a run evaluates at most one batch of 1 000 tickets; the last run of each scan finds nothing due (1 query)")
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "SLA benchmark")


if __name__ == "__main__":
    main()
