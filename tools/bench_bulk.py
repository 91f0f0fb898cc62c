#!/usr/bin/env python3
"""Benchmark of bulk writes: what the addon's triggers add to one statement over thousands of rows.

Run with ``make bench``. It prints figures, it asserts nothing. A prepaid contract, its project, one ticket,
one intervention and its consumption move made through the ORM and committed; then, for N = 2 000, 20 000 and
100 000, in one transaction each (rolled back afterwards):

* *moves*: ``INSERT INTO itsm_credit_move ... SELECT ... generate_series`` of N consumption moves of the
  contract (copies of the ORM's move), then ``UPDATE`` of their hours;
* *interventions*: the same with N ``account_analytic_line`` rows of the contract's project (copies of the
  ORM's intervention), then ``UPDATE`` of their hours and credit hours;

dated in a closed month (the 15th of last month: the dashboard's months that are over) and in the current
month (today), with the addon's triggers and without them (``ALTER TABLE ... DISABLE TRIGGER`` of the addon's
own triggers only, inside the measured transaction, so the rollback enables them again; Odoo's foreign keys
and checks stay). Each measure is made twice (the best kept), with and without alternately, the order turned
between the two. It prints time, ratio and time per row of each, then the done-when of issue 24: closed month,
20 000 and 100 000 rows, INSERT and UPDATE at most 1.5 times the time without triggers, and the time per row
flat from 2 000 to 100 000. It runs on a scratch copy of the benchmark database, dropped at the end.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
from datetime import date, datetime, timedelta

cr = env.cr
project, team, employee = bench_support()
client = env["res.partner"].create({"name": "Bulk bench client", "is_company": True})
today = date.today()
closed_day = (today.replace(day=1) - timedelta(days=1)).replace(day=15)
contract = prepaid_contract(client, today - timedelta(days=400), today - timedelta(days=399), hours=10**7)
ticket = env["helpdesk.ticket"].create({
    "name": "Bulk ticket", "description": "Bulk", "partner_id": client.id, "team_id": team.id,
    "project_id": project.id, "itsm_contract_id": contract.id})
line = env["account.analytic.line"].create({
    "name": "Bulk call", "ticket_id": ticket.id, "project_id": project.id, "employee_id": employee.id,
    "itsm_contract_id": contract.id, "date_time": datetime.now().replace(microsecond=0) - timedelta(hours=1),
    "unit_amount": 0.5})
env.flush_all()
move = line.itsm_credit_move_ids[:1]
assert move, "the intervention posted its move"
analyze("itsm_credit_move", "account_analytic_line", "itsm_contract", "itsm_contract_month")
env.cr.commit()

def columns(table, skip):
    cr.execute("SELECT * FROM %s LIMIT 0" % table)
    return [d[0] for d in cr.description if d[0] not in skip]

def addon_triggers(table):
    cr.execute("SELECT t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
               "WHERE c.relname = %s AND NOT t.tgisinternal AND t.tgname LIKE 'itsm%%'", [table])
    return [name for name, in cr.fetchall()]

KINDS = {
    # table, template id, columns set by the copy, the UPDATE's SET
    "moves": ("itsm_credit_move", move.id, {"id", "date", "name", "timesheet_id", "reversed_move_id",
                                            "reversal_move_id"}, "hours = hours - 0.25"),
    "interventions": ("account_analytic_line", line.id, {"id", "date", "name"},
                      "unit_amount = unit_amount + 0.25, itsm_credit_hours = itsm_credit_hours + 0.25"),
}
TRIGGERS = {table: addon_triggers(table) for table, *_rest in KINDS.values()}
print("addon triggers: " + "; ".join(f"{table}: {', '.join(names)}" for table, names in TRIGGERS.items()))

def measure(kind, day, n, triggers):
    table, template, skip, assignment = KINDS[kind]
    keep = columns(table, skip)
    cr.rollback()
    if not triggers:
        for name in TRIGGERS[table]:
            cr.execute(f'ALTER TABLE {table} DISABLE TRIGGER "{name}"')
    cr.execute(f"SELECT coalesce(max(id), 0) FROM {table}")
    last_id = cr.fetchone()[0]
    t0 = time.perf_counter()
    cr.execute(f'''
        INSERT INTO {table} ({", ".join(keep)}, date, name)
        SELECT {", ".join("t." + c for c in keep)}, %(day)s, 'Bulk ' || g
          FROM {table} t, generate_series(1, %(n)s) g
         WHERE t.id = %(template)s''', {"day": day, "n": n, "template": template})
    t1 = time.perf_counter()
    cr.execute(f"UPDATE {table} SET {assignment} WHERE id > %s", [last_id])
    t2 = time.perf_counter()
    assert cr.rowcount == n, (cr.rowcount, n)
    cr.rollback()
    return t1 - t0, t2 - t1

SIZES = (2000, 20000, 100000)
results = {}
for kind in KINDS:
    for month, day in (("closed", closed_day), ("current", today)):
        for n in SIZES:
            best = {}
            # twice, the order turned: the first statement of a pair may pay for the other's leftovers
            # (autovacuum, dirty buffers written back)
            for order in ((True, False), (False, True)):
                for triggers in order:
                    insert, update = measure(kind, day, n, triggers)
                    old = best.get(triggers)
                    best[triggers] = (min(insert, old[0]), min(update, old[1])) if old else (insert, update)
            results[kind, month, n] = best
            (ins, upd), (ins0, upd0) = best[True], best[False]
            print(f"{kind:>13} {month:>7} {n:>7}: INSERT {ins:7.2f} s vs {ins0:6.2f} s ({ins / ins0:4.2f}x) "
                  f"{ins / n * 1e6:6.1f} us/row | UPDATE {upd:7.2f} s vs {upd0:6.2f} s ({upd / upd0:4.2f}x) "
                  f"{upd / n * 1e6:6.1f} us/row", flush=True)

print("done when (issue 24): closed month, 20 000 and 100 000 rows, addon <= 1.5x without its triggers; "
      "time per row flat from 2 000 to 100 000")
for kind in KINDS:
    for month in ("closed", "current"):
        ratios = []
        for n in SIZES[1:]:
            (ins, upd), (ins0, upd0) = results[kind, month, n][True], results[kind, month, n][False]
            ratios += [ins / ins0, upd / upd0]
        flat = {}
        for triggers in (True, False):
            small, large = results[kind, month, SIZES[0]][triggers], results[kind, month, SIZES[-1]][triggers]
            flat[triggers] = [(large[i] / SIZES[-1]) / (small[i] / SIZES[0]) for i in (0, 1)]
        print(f"{kind:>13} {month:>7}: worst ratio {max(ratios):4.2f} "
              f"({'met' if max(ratios) <= 1.5 else 'NOT met'}); time per row 100 000 / 2 000: "
              f"INSERT {flat[True][0]:4.2f} (without triggers {flat[False][0]:4.2f}), "
              f"UPDATE {flat[True][1]:4.2f} (without {flat[False][1]:4.2f})")
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "bulk writes benchmark", scratch=True)


if __name__ == "__main__":
    main()
