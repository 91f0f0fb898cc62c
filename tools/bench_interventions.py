"""Benchmark of intervention logging: lines on a prepaid contract vs plain lines vs Odoo's own prepaid hours.

Run with ``make bench``. It prints figures, it asserts nothing: wall time,
SQL queries and peak Python memory of

* 200 lines created one at a time, the technician's case: each line saved by
  its own request, i.e. in its own transaction, which starts with an empty ORM
  cache and ends with a commit (not timed) -- and, for comparison, the same 200
  lines created one after the other in a single transaction with a warm cache,
* one batch ``create`` of 500 and of 2 000 lines, one ``write`` re-pricing as many existing lines (a bulk
  edit) and one ``unlink`` of as many, for four kinds of lines side by side:
  plain timesheet lines on a ticket whose client has no contract (plain Odoo + OCA timesheets), ours on a
  prepaid contract that allows overdrafts and on one that refuses them, and Odoo's own prepaid hours
  (``sale_timesheet``: the ticket's task is that of a confirmed order of a prepaid service product, its lines
  are counted on the order line),
* reading the balance of a contract,

with the ratios to plain and the queries above plain (the extra queries of a batch must not grow with it); for the
batches also the CPU time spent by this process and its PostgreSQL backend (``/proc``). On this virtual machine
the CPU time moves with the wall time (the machine's speed drifts, by 20 % within a minute), so the batches also
print the median of each round's own ratio and where that median lies with 90 % confidence (bootstrap over the
rounds; ``ITSM_BENCH_ROUNDS`` rounds, 7 by default): each kind is measured between two measures of plain, and its
round's ratio is to their mean (plain's time at the speed of that moment, the drift over a few seconds being about
linear). Each measure is taken three times (the batches of 2 000 lines seven times), on fresh tickets, and the
best time of each kind is kept; peak memory is measured in a separate pass (tracemalloc slows Python down several
times). It runs on a scratch copy of a benchmark database that also has ``sale_timesheet``
(``itsm_bench_st``), dropped at the end.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

# The fixture: four kinds of lines on fresh tickets (``fresh_tickets``), ``vals(kind, i)``; also used by
# ``bench_instructions.py``
SETUP_CODE = r"""
import os
import random
import statistics
import tracemalloc
from collections import defaultdict
from datetime import datetime, timedelta

project, team, employee = bench_support()
def client(name):
    return env["res.partner"].create({"name": name, "is_company": True})
def ticket(partner):
    return env["helpdesk.ticket"].create({"name": "Bench", "description": "Bench", "partner_id": partner.id,
                                          "team_id": team.id, "project_id": project.id})
tickets = {}
contract = env["itsm.contract"]
KINDS = ("plain", "contract", "block", "odoo", "untriggered")
# "untriggered": ours (allow) with the dashboard month cache's triggers off for the batch (they are statement-level
# since issue 24): what they cost
hour_uom = env.ref("uom.product_uom_hour")
# Odoo's prepaid hours are counted on a billable project (the others' project stays as it is)
prepaid_project = env["project.project"].create(
    {"name": "Bench prepaid support", "allow_timesheets": True, "allow_billable": True})
prepaid_product = env["product.product"].create({
    "name": "Bench prepaid hours", "type": "service", "invoice_policy": "order", "service_type": "timesheet",
    "service_tracking": "task_global_project", "project_id": prepaid_project.id, "uom_id": hour_uom.id,
    "uom_po_id": hour_uom.id, "list_price": 100.0})
assert prepaid_product.service_policy == "ordered_prepaid"

def odoo_prepaid_ticket(partner):
    # Odoo's prepaid hours: a confirmed order of the prepaid service; its task collects the ticket's timesheets
    order = env["sale.order"].create({"partner_id": partner.id, "order_line": [
        (0, 0, {"product_id": prepaid_product.id, "product_uom_qty": 100000})]})
    order.action_confirm()
    task = order.order_line.task_id
    assert task, "the prepaid order created no task"
    bench_ticket = ticket(partner)
    bench_ticket.project_id = prepaid_project
    bench_ticket.task_id = task
    return bench_ticket

def fresh_tickets():
    # Each measure logs on new tickets of new clients, the contract one with its own new prepaid contract:
    # - a ticket's own recomputations read all its lines, so lines piling up on one ticket would make the
    #   later measures slower for both kinds;
    # - within one transaction every version of a contract row this transaction updated stays alive, and
    #   every foreign-key check on the row (each line, each move) walks them all: a contract updated by the
    #   previous measures would make this one slower by an artefact of the benchmark; so each kind has its own
    #   (ours allow measured 0.04x above the same code without month triggers while the two shared one).
    global contract
    plain_client, contract_client = client("Bench plain client"), client("Bench contract client")
    block_client, odoo_client = client("Bench block client"), client("Bench Odoo prepaid client")
    contract = prepaid_contract(contract_client, "2026-01-01", "2026-01-02")
    block_contract = prepaid_contract(block_client, "2026-01-01", "2026-01-02")
    block_contract.overdraft_policy = "block"
    tickets["plain"], tickets["contract"] = ticket(plain_client), ticket(contract_client)
    tickets["block"], tickets["odoo"] = ticket(block_client), odoo_prepaid_ticket(odoo_client)
    untriggered_client = client("Bench contract client, no month triggers")
    prepaid_contract(untriggered_client, "2026-01-01", "2026-01-02")
    tickets["untriggered"] = ticket(untriggered_client)
    assert not tickets["plain"].itsm_contract_id and tickets["contract"].itsm_contract_id == contract
    assert tickets["block"].itsm_contract_id == block_contract and not tickets["odoo"].itsm_contract_id
    analyze("itsm_credit_move", "account_analytic_line", "itsm_contract", "helpdesk_ticket")
    # a clean ORM cache, as each request starts with (same_start)
    same_start()
    # one line of each kind on the new tickets: the caches every request has warm (fields, rights, calendar)
    for kind in KINDS:
        Line.create(vals(kind, 0))
    env.flush_all()
    assert tickets["odoo"].timesheet_ids.so_line, "Odoo's prepaid lines are not counted on the order line"

start_dt = datetime(2026, 11, 16, 9, 0)

def vals(kind, i):
    values = {"name": f"Call {i}", "ticket_id": tickets[kind].id, "project_id": project.id,
              "employee_id": employee.id, "date_time": start_dt + timedelta(minutes=7 * (i % 500)),
              "unit_amount": 0.3}
    if kind == "odoo":
        values.update(project_id=prepaid_project.id, task_id=tickets[kind].task_id.id)
    return values

Line = env["account.analytic.line"]

def same_start():
    # Each kind starts from the same state: an empty ORM cache and a collected heap. The records a previous kind
    # left would be scanned by every garbage collection of the next one (its time), and the cache's tables,
    # grown past a size by them, would be copied into larger ones by whichever kind crosses it (its peak memory:
    # block measured 29.5 MiB after allow's 20.2, then Odoo's 10.7 -- the order, not the kinds).
    env.invalidate_all()
    gc.collect()
"""

# The measures, on that fixture
MEASURE_CODE = r"""
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

env.cr.execute("SELECT pg_backend_pid()")
BACKEND_STAT = f"/proc/{env.cr.fetchone()[0]}/stat"
TICK = os.sysconf("SC_CLK_TCK")

def cpu_seconds():
    # CPU time of this process and of its PostgreSQL backend (same machine): what the batch costs, whatever
    # else the machine runs meanwhile (wall time counts the waits for the CPU other processes hold)
    with open(BACKEND_STAT) as stat:
        fields = stat.read().rsplit(")", 1)[1].split()
    return time.process_time() + (int(fields[11]) + int(fields[12])) / TICK

def batch(kind, n):
    payload = [vals(kind, i) for i in range(n)]
    if kind == "untriggered":
        env.cr.execute("ALTER TABLE itsm_credit_move DISABLE TRIGGER USER; "
                       "ALTER TABLE account_analytic_line DISABLE TRIGGER USER")
    q0, c0, t0 = queries(), cpu_seconds(), time.perf_counter()
    Line.create(payload)
    env.flush_all()
    result = time.perf_counter() - t0, queries() - q0, cpu_seconds() - c0
    if kind == "untriggered":
        env.cr.execute("ALTER TABLE itsm_credit_move ENABLE TRIGGER USER; "
                       "ALTER TABLE account_analytic_line ENABLE TRIGGER USER")
    return result

def on_existing(action):
    # A bulk action on n existing lines of the kind, created first (not timed): time, queries and CPU of
    # ``action(lines)`` and its flush
    def measure_action(kind, n):
        lines = Line.create([vals(kind, i) for i in range(n)])
        env.flush_all()
        env.invalidate_all()
        lines = Line.browse(lines.ids)
        q0, c0, t0 = queries(), cpu_seconds(), time.perf_counter()
        action(lines)
        env.flush_all()
        return time.perf_counter() - t0, queries() - q0, cpu_seconds() - c0
    return measure_action

rewrite = on_existing(lambda lines: lines.write({"unit_amount": 0.6}))  # a bulk edit (re-pricing)
delete = on_existing(lambda lines: lines.unlink())  # a bulk deletion

def peak_memory(kind, n):
    # measured apart: tracemalloc slows every allocation down (3 to 4 times here), it would distort the times
    same_start()
    payload = [vals(kind, i) for i in range(n)]
    tracemalloc.start()
    Line.create(payload)
    env.flush_all()
    peak = tracemalloc.get_traced_memory()[1]
    tracemalloc.stop()
    return peak

def fresh_plain_ticket():
    # plain is measured several times a round (measure): each time on a new ticket, with its warm line
    tickets["plain"] = ticket(client("Bench plain client"))
    Line.create(vals("plain", 0))
    env.flush_all()

def measure(func, n, rounds=3, kinds=("plain", "contract")):
    # `rounds` rounds, each on fresh tickets, the other kinds in an order that turns from one round to the next,
    # each between two measures of plain: plain, A, plain, B, plain... Returns the best time of each kind (the
    # usual way to take out the noise of other processes; plain's among the first measure of each round, as many
    # as the others'), its query count, and (batches) the least CPU time and each round's times: the time of
    # each kind and the mean of the two plain measures around it (``times["plain", kind]``). The machine's speed
    # drifts by a fifth within a minute; over the few seconds between two plain measures the drift is about
    # linear, and their mean is plain's time at the speed the kind was measured at.
    # Each measure starts from the same state (same_start).
    best, cpu, times = {}, {}, defaultdict(list)
    others = [kind for kind in kinds if kind != "plain"]

    def run(kind, keep=True):
        if kind == "plain":
            fresh_plain_ticket()
        same_start()
        elapsed, count, *spent = func(kind, n)
        if keep and (kind not in best or elapsed < best[kind][0]):
            best[kind] = (elapsed, count)
        if keep and spent:
            cpu[kind] = min(cpu.get(kind, spent[0]), spent[0])
        return elapsed

    for round_ in range(rounds):
        fresh_tickets()
        before = run("plain")  # plain's best among as many measures as each other kind's: the first of each round
        for kind in others[round_ % len(others):] + others[:round_ % len(others)]:
            times[kind].append(run(kind))
            after = run("plain", keep=False)
            times["plain", kind].append((before + after) / 2)
            before = after
    return (best, cpu, times) if cpu else best

# warm-up: registry caches, prepared statements
fresh_tickets()
per_request("plain", 5); per_request("contract", 5)
one_by_one("plain", 5); one_by_one("contract", 5)

print(f"{'case':44} {'plain':>10} {'contract':>10} {'ratio':>7}")
n = 200
# ITSM_BENCH_BATCH_ONLY=1: only the batches
cases = (("200 lines, one request each: wall (s)", per_request),
         ("200 lines in one transaction: wall (s)", one_by_one))
for label, func in () if os.environ.get("ITSM_BENCH_BATCH_ONLY") else cases:
    best = measure(func, n)
    (tp, qp), (tc, qc) = best["plain"], best["contract"]
    print(f"{label:44} {tp:10.2f} {tc:10.2f} {tc / tp:7.2f}")
    print(f"{'  queries per line':44} {qp / n:10.1f} {qc / n:10.1f} {'+%.1f' % ((qc - qp) / n):>7}")
print()
print(f"{'batch create':26} {'plain':>8} {'ours allow':>15} {'ours block':>15} {'Odoo prepaid':>15} "
      f"{'ours, no month trg':>18}")
def median_interval(ratios, level=0.90, resamples=4000):
    # Where the median of the rounds' own ratios lies with 90 % confidence: the percentile bootstrap (the rounds
    # drawn again with replacement, 4 000 times, seeded so two prints of the same times agree). Narrow when the
    # rounds agree; a goal is shown when the whole interval is below it.
    draw = random.Random(24)
    medians = sorted(statistics.median(draw.choices(ratios, k=len(ratios))) for _ in range(resamples))
    return medians[int(resamples * (1 - level) / 2)], medians[int(resamples * (1 + level) / 2) - 1]

def print_batch(func, n, kinds, rounds=3):
    # wall time, CPU time and queries of each kind against plain's; and the median of the rounds' own ratios
    best, cpu, times = measure(func, n, rounds=rounds, kinds=kinds)
    tp, qp = best["plain"]
    cells = [f"{best[kind][0]:6.2f} {best[kind][0] / tp:4.2f}x" for kind in kinds[1:]]
    cpu_cells = [f"{cpu[kind]:6.2f} {cpu[kind] / cpu['plain']:4.2f}x" for kind in kinds[1:]]
    ratios = {kind: [t / p for t, p in zip(times[kind], times["plain", kind])] for kind in kinds[1:]}
    paired = [statistics.median(ratios[kind]) for kind in kinds[1:]]
    intervals = [median_interval(ratios[kind]) for kind in kinds[1:]]
    extra = [f"{best[kind][1]:6d} {'+%d' % (best[kind][1] - qp):>6}" for kind in kinds[1:]]
    print(f"{'%d lines: wall (s), ratio' % n:26} {tp:8.2f} " + " ".join(f"{c:>15}" for c in cells))
    print(f"{'  CPU (s), ratio':26} {cpu['plain']:8.2f} " + " ".join(f"{c:>15}" for c in cpu_cells))
    print(f"{'  ratio, median of %d rounds' % rounds:26} {'':8} " + " ".join(f"{r:14.2f}x" for r in paired))
    print(f"{'    90 % interval':26} {'':8} " + " ".join(f"{'%.2f-%.2f' % i:>15}" for i in intervals))
    print(f"{'  queries, above plain':26} {qp:8d} " + " ".join(f"{c:>15}" for c in extra))

# ITSM_BENCH_ROUNDS: the rounds of the batches of 2 000 lines (7 by default; 15 for a narrower interval)
for n, rounds in ((500, 3), (2000, int(os.environ.get("ITSM_BENCH_ROUNDS") or 7))):
    print_batch(batch, n, KINDS, rounds=rounds)
    fresh_tickets()
    memory = {kind: peak_memory(kind, n) for kind in KINDS}
    print(f"{'  peak Python memory (MiB)':26} {memory['plain'] / 2**20:8.1f} "
          + " ".join(f"{memory[kind] / 2**20:15.1f}" for kind in KINDS[1:]))
print()
WRITE_KINDS = ("plain", "contract", "block", "odoo")
print(f"{'batch write (re-pricing)':26} {'plain':>8} {'ours allow':>15} {'ours block':>15} {'Odoo prepaid':>15}")
for n in (500, 2000):
    print_batch(rewrite, n, WRITE_KINDS)
print()
print(f"{'batch delete':26} {'plain':>8} {'ours allow':>15} {'ours block':>15} {'Odoo prepaid':>15}")
for n in (500, 2000):
    print_batch(delete, n, WRITE_KINDS)
env.invalidate_all()
q0, t0 = queries(), time.perf_counter()
balance = contract.balance_hours
print(f"balance read: {balance:.2f} h from {len(contract.credit_move_ids)} moves in {queries() - q0} queries, "
      f"{(time.perf_counter() - t0) * 1000:.1f} ms")
env.cr.rollback()
"""
SHELL_CODE = SETUP_CODE + MEASURE_CODE


def main():
    devctl.run_bench_shell(
        SHELL_CODE,
        "benchmark",
        scratch=True,
        db=os.environ.get("ITSM_BENCH_ST_DB", "itsm_bench_st"),
        modules=("sale_timesheet",),
    )


if __name__ == "__main__":
    main()
