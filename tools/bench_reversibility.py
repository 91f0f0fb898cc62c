#!/usr/bin/env python3
"""Benchmark of the reversibility package: memory stays flat whatever the size of the contract.

Run with ``make bench``. It prints figures, it asserts nothing: for a contract with 2 000 and then 20 000
tickets (each with one message and one intervention), the wall time, SQL queries, peak Python memory
(tracemalloc) and the size of the ZIP written by the export, then the same for the whole contract button
(the ZIP is then stored as an attachment, which reads it once). PDF reports are left out (there are none
in this data set). Everything is rolled back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
import os, resource, tracemalloc
from datetime import datetime, timedelta

project, team, employee = bench_support()
client = env["res.partner"].create({"name": "Bench client", "is_company": True})
contract = prepaid_contract(client, "2026-01-01", "2026-01-02")
start = datetime(2026, 11, 16, 9, 0)

def add_tickets(n, offset):
    t0 = time.perf_counter()
    for chunk in range(0, n, 2000):
        size = min(2000, n - chunk)
        tickets = env["helpdesk.ticket"].create([
            {"name": f"Bench ticket {offset + chunk + i}", "description": "<p>Printer jammed on floor 2</p>",
             "partner_id": client.id, "team_id": team.id, "project_id": project.id}
            for i in range(size)])
        env["mail.message"].create([
            {"model": "helpdesk.ticket", "res_id": t.id, "body": "<p>We are on it: driver reinstalled.</p>",
             "message_type": "comment"} for t in tickets])
        env["account.analytic.line"].create([
            {"name": "Driver reinstalled", "ticket_id": t.id, "project_id": project.id, "employee_id": employee.id,
             "date_time": start + timedelta(minutes=7 * (i % 500)), "unit_amount": 0.3}
            for i, t in enumerate(tickets)])
        env.flush_all()
        env.invalidate_all()
    return time.perf_counter() - t0

Export = env["itsm.reversibility.export"].with_context(itsm_reversibility_no_pdf=True)
print(f"{'tickets':>8} {'export (s)':>11} {'queries':>8} {'peak Python MiB':>16} {'ZIP MiB':>8}"
      f" {'button (s)':>11} {'button peak MiB':>16} {'max RSS MiB':>12}")
total = 0
for size in (2000, 20000):
    built = add_tickets(size - total, total)
    total = size
    analyze("helpdesk_ticket", "mail_message", "account_analytic_line", "itsm_credit_move")
    env.invalidate_all()
    tracemalloc.start()
    q0, t0 = queries(), time.perf_counter()
    path, counts = Export._itsm_build(contract)
    export_s, export_q = time.perf_counter() - t0, queries() - q0
    export_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    zip_size = os.path.getsize(path)
    os.unlink(path)
    assert counts["tickets"] == size, counts
    env.invalidate_all()
    tracemalloc.start()
    t0 = time.perf_counter()
    contract.with_context(itsm_reversibility_no_pdf=True).action_export_reversibility()
    button_s = time.perf_counter() - t0
    button_peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    rss = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(f"{size:8d} {export_s:11.2f} {export_q:8d} {export_peak / 2**20:16.1f} {zip_size / 2**20:8.2f}"
          f" {button_s:11.2f} {button_peak / 2**20:16.1f} {rss:12.0f}")
print(f"(fixture: {total} tickets with a message and an intervention each)")
env.cr.rollback()
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "reversibility benchmark")


if __name__ == "__main__":
    main()
