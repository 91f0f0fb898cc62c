#!/usr/bin/env python3
"""Benchmark of intervention logging: lines on a prepaid contract vs plain lines.

Run with ``make bench``. It prints figures, it asserts nothing: wall time,
SQL queries and peak Python memory of

* 200 lines created one at a time (the technician's case),
* one batch ``create`` of 500 and of 5 000 lines,
* reading the balance of a contract,

for plain timesheet lines on a ticket whose client has no contract (plain
Odoo + OCA timesheets) and for the same lines drawing on a prepaid contract,
side by side in the same run, with the ratios. Everything is rolled back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
import time, tracemalloc
from datetime import datetime, timedelta
import odoo
from odoo import Command

def queries():
    return odoo.sql_db.sql_counter

env = env(context=dict(env.context, tracking_disable=True, mail_notrack=True))
project = env["project.project"].create({"name": "Bench support", "allow_timesheets": True})
team = env["helpdesk.ticket.team"].create({"name": "Bench", "allow_timesheet": True, "default_project_id": project.id})
employee = env["hr.employee"].create({"name": "Bench technician"})
def client(name):
    return env["res.partner"].create({"name": name, "is_company": True})
plain_client, contract_client = client("Bench plain client"), client("Bench contract client")
contract = env["itsm.contract"].create({"partner_id": contract_client.id, "state": "active",
                                        "overdraft_policy": "allow", "date_start": "2026-01-01"})
env["itsm.credit.move"].with_context(itsm_ledger_post=True).create(
    {"contract_id": contract.id, "move_type": "purchase", "hours": 100000, "name": "Bench credit",
     "date": "2026-01-02"})
def ticket(partner):
    return env["helpdesk.ticket"].create({"name": "Bench", "description": "Bench", "partner_id": partner.id,
                                          "team_id": team.id, "project_id": project.id})
tickets = {"plain": ticket(plain_client), "contract": ticket(contract_client)}
assert not tickets["plain"].itsm_contract_id and tickets["contract"].itsm_contract_id == contract
env.flush_all()
start_dt = datetime(2026, 11, 16, 9, 0)

def vals(kind, i):
    return {"name": f"Call {i}", "ticket_id": tickets[kind].id, "project_id": project.id,
            "employee_id": employee.id, "date_time": start_dt + timedelta(minutes=7 * (i % 500)),
            "unit_amount": 0.3}

Line = env["account.analytic.line"]
def one_by_one(kind, n):
    q0, t0 = queries(), time.perf_counter()
    for i in range(n):
        Line.create(vals(kind, i))
        env.flush_all()
    return time.perf_counter() - t0, queries() - q0

def batch(kind, n):
    payload = [vals(kind, i) for i in range(n)]
    tracemalloc.start()
    q0, t0 = queries(), time.perf_counter()
    Line.create(payload)
    env.flush_all()
    elapsed, count = time.perf_counter() - t0, queries() - q0
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return elapsed, count, peak

# warm-up: registry caches, prepared statements
one_by_one("plain", 5); one_by_one("contract", 5)

print(f"{'case':38} {'plain':>12} {'contract':>12} {'ratio':>7}")
n = 200
tp, qp = one_by_one("plain", n)
tc, qc = one_by_one("contract", n)
print(f"{'200 lines one at a time: wall (s)':38} {tp:12.2f} {tc:12.2f} {tc / tp:7.2f}")
print(f"{'  queries per line':38} {qp / n:12.1f} {qc / n:12.1f} {'+%.1f' % ((qc - qp) / n):>7}")
for n in (500, 5000):
    tp, qp, mp = batch("plain", n)
    tc, qc, mc = batch("contract", n)
    print(f"{'batch of %d: wall (s)' % n:38} {tp:12.2f} {tc:12.2f} {tc / tp:7.2f}")
    print(f"{'  queries for the batch':38} {qp:12d} {qc:12d} {'+%d' % (qc - qp):>7}")
    print(f"{'  peak Python memory (MiB)':38} {mp / 2**20:12.1f} {mc / 2**20:12.1f} {mc / mp:7.2f}")
env.invalidate_all()
q0, t0 = queries(), time.perf_counter()
balance = contract.balance_hours
print(f"balance read: {balance:.2f} h from {len(contract.credit_move_ids)} moves in {queries() - q0} queries, "
      f"{(time.perf_counter() - t0) * 1000:.1f} ms")
env.cr.rollback()
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "benchmark")


if __name__ == "__main__":
    main()
