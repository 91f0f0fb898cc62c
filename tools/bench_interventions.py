"""Benchmark of intervention logging: lines on a prepaid contract vs plain lines.

Run with ``make bench``. It prints figures, it asserts nothing: wall time,
SQL queries and peak Python memory of

* 200 lines created one at a time, the technician's case: each line saved by
  its own request, i.e. in its own transaction, which starts with an empty ORM
  cache and ends with a commit (not timed) -- and, for comparison, the same 200
  lines created one after the other in a single transaction with a warm cache,
* one batch ``create`` of 500 and of 5 000 lines,
* reading the balance of a contract,

for plain timesheet lines on a ticket whose client has no contract (plain
Odoo + OCA timesheets) and for the same lines drawing on a prepaid contract,
side by side in the same run, with the ratios. Each measure is taken three times,
plain and contract alternately on fresh tickets, and the best time of each
kind is kept; peak memory is measured in a separate pass (tracemalloc slows
Python down several times). It runs on a scratch copy of the benchmark
database, dropped at the end.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
import tracemalloc
from datetime import datetime, timedelta

project, team, employee = bench_support()
def client(name):
    return env["res.partner"].create({"name": name, "is_company": True})
def ticket(partner):
    return env["helpdesk.ticket"].create({"name": "Bench", "description": "Bench", "partner_id": partner.id,
                                          "team_id": team.id, "project_id": project.id})
tickets = {}
contract = env["itsm.contract"]

def fresh_tickets():
    # Each measure logs on new tickets of new clients, the contract one with its own new prepaid contract:
    # - a ticket's own recomputations read all its lines, so lines piling up on one ticket would make the
    #   later measures slower for both kinds;
    # - within one transaction every version of a contract row this transaction updated stays alive, and
    #   every foreign-key check on the row (each line, each move) walks them all: a contract updated by the
    #   previous measures would make this one slower by an artefact of the benchmark.
    global contract
    plain_client, contract_client = client("Bench plain client"), client("Bench contract client")
    contract = prepaid_contract(contract_client, "2026-01-01", "2026-01-02")
    tickets["plain"], tickets["contract"] = ticket(plain_client), ticket(contract_client)
    assert not tickets["plain"].itsm_contract_id and tickets["contract"].itsm_contract_id == contract
    analyze("itsm_credit_move", "account_analytic_line", "itsm_contract", "helpdesk_ticket")
    # a clean ORM cache, as each request starts with: the records the previous measures left in the cache
    # would be scanned by every garbage collection of this one.
    env.invalidate_all()
    gc.collect()
    # one line of each kind on the new tickets: the caches every request has warm (fields, rights, calendar)
    for kind in ("plain", "contract"):
        Line.create(vals(kind, 0))
    env.flush_all()

start_dt = datetime(2026, 11, 16, 9, 0)

def vals(kind, i):
    return {"name": f"Call {i}", "ticket_id": tickets[kind].id, "project_id": project.id,
            "employee_id": employee.id, "date_time": start_dt + timedelta(minutes=7 * (i % 500)),
            "unit_amount": 0.3}

Line = env["account.analytic.line"]
def per_request(kind, n):
    # The technician's case: each line saved by its own request, in its own transaction. A transaction starts
    # with an empty ORM cache (Odoo clears it at each commit) and ends with a commit, not timed here.
    env.cr.commit()
    q0, total = queries(), 0.0
    for i in range(n):
        t0 = time.perf_counter()
        Line.create(vals(kind, i))
        env.flush_all()
        total += time.perf_counter() - t0
        env.cr.commit()
    return total, queries() - q0

def one_by_one(kind, n):
    # The same lines one after the other in a single transaction, the cache kept warm between them.
    q0, t0 = queries(), time.perf_counter()
    for i in range(n):
        Line.create(vals(kind, i))
        env.flush_all()
    return time.perf_counter() - t0, queries() - q0

def batch(kind, n):
    payload = [vals(kind, i) for i in range(n)]
    q0, t0 = queries(), time.perf_counter()
    Line.create(payload)
    env.flush_all()
    return time.perf_counter() - t0, queries() - q0

def peak_memory(kind, n):
    # measured apart: tracemalloc slows every allocation down (3 to 4 times here), it would distort the times
    payload = [vals(kind, i) for i in range(n)]
    tracemalloc.start()
    Line.create(payload)
    env.flush_all()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak

def measure(func, n, rounds=3):
    # Plain and contract alternately, `rounds` times, each on fresh tickets: the best time of each kind
    # (the usual way to take out the noise of other processes), and its query count.
    best = {}
    for _round in range(rounds):
        fresh_tickets()
        for kind in ("plain", "contract"):
            elapsed, count = func(kind, n)
            if kind not in best or elapsed < best[kind][0]:
                best[kind] = (elapsed, count)
    return best

# warm-up: registry caches, prepared statements
fresh_tickets()
per_request("plain", 5); per_request("contract", 5)
one_by_one("plain", 5); one_by_one("contract", 5)

print(f"{'case':44} {'plain':>10} {'contract':>10} {'ratio':>7}")
n = 200
for label, func in (("200 lines, one request each: wall (s)", per_request),
                    ("200 lines in one transaction: wall (s)", one_by_one)):
    best = measure(func, n)
    (tp, qp), (tc, qc) = best["plain"], best["contract"]
    print(f"{label:44} {tp:10.2f} {tc:10.2f} {tc / tp:7.2f}")
    print(f"{'  queries per line':44} {qp / n:10.1f} {qc / n:10.1f} {'+%.1f' % ((qc - qp) / n):>7}")
for n in (500, 5000):
    best = measure(batch, n)
    (tp, qp), (tc, qc) = best["plain"], best["contract"]
    fresh_tickets()
    mp, mc = peak_memory("plain", n), peak_memory("contract", n)
    print(f"{'batch of %d: wall (s)' % n:44} {tp:10.2f} {tc:10.2f} {tc / tp:7.2f}")
    print(f"{'  queries for the batch':44} {qp:10d} {qc:10d} {'+%d' % (qc - qp):>7}")
    print(f"{'  peak Python memory (MiB)':44} {mp / 2**20:10.1f} {mc / 2**20:10.1f} {mc / mp:7.2f}")
env.invalidate_all()
q0, t0 = queries(), time.perf_counter()
balance = contract.balance_hours
print(f"balance read: {balance:.2f} h from {len(contract.credit_move_ids)} moves in {queries() - q0} queries, "
      f"{(time.perf_counter() - t0) * 1000:.1f} ms")
env.cr.rollback()
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "benchmark", scratch=True)


if __name__ == "__main__":
    main()
