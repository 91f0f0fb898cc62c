#!/usr/bin/env python3
"""Benchmark of a history import: a year of an MSP's clients through ``Model.load()``, with and without the addon.

Run with ``make bench`` (or ``python3 tools/bench_import.py --interventions 5000`` for a quick run). It prints
figures and checks the imported figures (a failed check ends the script with an error), it times nothing else.

What is imported is what an MSP adopting the addon brings from its previous tool: 20 client companies, for
each a prepaid contract started 12 months ago and its opening balance (an adjustment of the hours left), then
5 000 tickets and 50 000 interventions spread over the 12 months of the dashboard (the current one included).
Every file goes through ``load()``, the method Odoo's import dialog calls, in batches of 2 000 rows (the
dialog's default batch limit), each batch in its own transaction, with the dialog's context
(``import_file``), as ``admin``; relations by external id (``partner_id/id``, ``ticket_id/id``) or database id
(``project_id/.id``), as a CSV exported from another Odoo would give them.

The baseline is the same load() of the same partners, tickets and interventions (the same columns, but for
the ticket's request date, a column of the addon) in a database with the addon's dependencies only (Odoo's
sale, account, project and hr_timesheet, OCA's helpdesk_mgmt_timesheet...) and not the addon: what the import
costs an MSP on plain Odoo with OCA's helpdesk timesheets. It has no contracts to import, so the ratio compares
the tickets and interventions; the contracts and opening balances are timed on their own.

Afterwards, in the addon's database: every contract's balance equals the sum of its ledger, every intervention
has its consumption move, one imported contract's monthly statements (computed for each of the 12 months)
consume what its interventions of the month drew, and its dashboard shows the 12 months with the same figures.
Both runs are on scratch copies of their databases (``itsm_bench``, ``itsm_bench_plain``), dropped at the end.
"""

import argparse
import json
import os
import subprocess
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

PLAIN_DB = os.environ.get("ITSM_BENCH_PLAIN_DB", "itsm_bench_plain")
# the addon's dependencies (its manifest's ``depends``), without the addon
PLAIN_MODULES = (
    "sale_management,account,portal,resource,helpdesk_mgmt_timesheet,calendar,document_knowledge,document_page,"
    "maintenance"
)

SHELL_CODE = r"""
import json
from datetime import date, datetime, time as dtime, timedelta
from dateutil.relativedelta import relativedelta

ADDON = "itsm.contract" in env
N_CONTRACTS, N_TICKETS, N_LINES, BATCH = 20, PARAMS["tickets"], PARAMS["interventions"], 2000
project, team, employee = bench_support()
env.cr.commit()
admin = env.ref("base.user_admin")
# what the import dialog gives load(): its context, the user's rights
imp = env(user=admin.id, su=False, context={"import_file": True, "tz": "UTC", "lang": "en_US"})
today = date.today()
first_month = today.replace(day=1) - relativedelta(months=11)
start = datetime.combine(first_month, dtime(8, 0))
span = (datetime.combine(today, dtime(8, 0)) - start).total_seconds()
timings, counts = {}, {}

def load(model, fields, rows, label):
    t0, q0 = time.perf_counter(), queries()
    ids = []
    for offset in range(0, len(rows), BATCH):
        result = imp[model].load(fields, rows[offset:offset + BATCH])
        errors = [message for message in result["messages"] if message.get("type") == "error"]
        assert not errors and result["ids"], (label, errors[:3])
        ids += result["ids"]
        env.cr.commit()  # one batch per transaction, as the dialog's successive calls
        env.invalidate_all()
    timings[label] = time.perf_counter() - t0
    counts[label] = (len(ids), queries() - q0)
    print(f"{label:>24}: {len(ids):6d} rows in {timings[label]:7.1f} s "
          f"({timings[label] / len(ids) * 1000:6.2f} ms a row, {(queries() - q0) / len(ids):5.1f} queries a row)",
          flush=True)
    return ids

load("res.partner", ["id", "name", "is_company", "email"],
     [[f"client_{c}", f"Import client {c}", "1", f"it@client{c}.example.com"] for c in range(N_CONTRACTS)],
     "partners")
if ADDON:
    contract_ids = load(
        "itsm.contract", ["id", "partner_id/id", "date_start", "state"],
        [[f"contract_{c}", f"client_{c}", str(first_month - relativedelta(months=1)), "active"]
         for c in range(N_CONTRACTS)], "contracts")
    # hours left in the previous tool: enough for the year's interventions (at most 2 h each, +50 % at night: 3 h)
    opening = max(4000, 3 * N_LINES // N_CONTRACTS)
    load("itsm.credit.move", ["contract_id/id", "move_type", "date", "hours", "name", "reason"],
         [[f"contract_{c}", "adjustment", str(first_month - relativedelta(months=1)), str(opening),
           "Opening balance", "Hours left on the prepaid package in the previous tool"] for c in range(N_CONTRACTS)],
         "opening balances")

def requested(t):
    return start + timedelta(seconds=span * t / N_TICKETS)

ticket_fields = ["id", "name", "description", "partner_id/id", "team_id/.id", "priority"]
if ADDON:
    ticket_fields.append("itsm_request_date")
ticket_rows = []
for t in range(N_TICKETS):
    row = [f"ticket_{t}", f"Imported ticket {t}", f"Imported from the previous tool ({t})",
           f"client_{t % N_CONTRACTS}", str(team.id), str(t % 4)]
    if ADDON:
        row.append(requested(t).strftime("%Y-%m-%d %H:%M:%S"))
    ticket_rows.append(row)
load("helpdesk.ticket", ticket_fields, ticket_rows, "tickets")

# each ticket's interventions on the hours after its request (the last ticket's still before now)
per_ticket = N_LINES // N_TICKETS
line_rows = []
for i in range(N_LINES):
    t = i % N_TICKETS
    at = requested(t) + timedelta(minutes=20 * (i // N_TICKETS))
    line_rows.append([f"Imported intervention {i}", at.strftime("%Y-%m-%d %H:%M:%S"), str(0.25 * (1 + i % 8)),
                      f"ticket_{t}", str(project.id), str(employee.id)])
load("account.analytic.line",
     ["name", "date_time", "unit_amount", "ticket_id/id", "project_id/.id", "employee_id/.id"],
     line_rows, "interventions")

checks = []
if ADDON:
    cr = env.cr
    env.invalidate_all()
    Contract = env["itsm.contract"]
    contracts = Contract.browse(contract_ids)
    cr.execute("SELECT contract_id, sum(hours) FROM itsm_credit_move WHERE contract_id = ANY(%s) GROUP BY 1",
               [contracts.ids])
    ledger = dict(cr.fetchall())
    wrong = [c.name for c in contracts if round(c.balance_hours - ledger[c.id], 2)]
    assert not wrong, f"balance differs from the ledger: {wrong}"
    checks.append(f"{len(contracts)} balances = their ledger sums")
    cr.execute('''SELECT count(*) FROM account_analytic_line l WHERE l.itsm_contract_id = ANY(%s)
                  AND NOT EXISTS (SELECT 1 FROM itsm_credit_move m WHERE m.timesheet_id = l.id
                                  AND m.move_type = 'consumption')''', [contracts.ids])
    assert cr.fetchone()[0] == 0, "an intervention has no consumption move"
    cr.execute("SELECT count(*) FROM account_analytic_line WHERE itsm_contract_id = ANY(%s)", [contracts.ids])
    assert cr.fetchone()[0] == N_LINES, "every intervention is counted on its client's contract"
    checks.append(f"{N_LINES} interventions on their contracts, each with its consumption move")
    contract = contracts[(N_TICKETS - 1) % N_CONTRACTS]  # the client of the last ticket: the current month too
    cr.execute('''SELECT date_trunc('month', date)::date, round(sum(itsm_credit_hours)::numeric, 2)
                    FROM account_analytic_line WHERE itsm_contract_id = %s GROUP BY 1''', [contract.id])
    by_month = {month: float(hours) for month, hours in cr.fetchall()}
    months = [first_month + relativedelta(months=m) for m in range(12)]
    assert all(by_month.get(month) for month in months), f"interventions in every month: {sorted(by_month)}"
    t0 = time.perf_counter()
    statements = env["itsm.statement"].create([
        {"contract_id": contract.id, "period_start": month, "period_end": month + relativedelta(months=1, days=-1)}
        for month in months])
    statements.action_compute()
    seconds = time.perf_counter() - t0
    got = [round(s.consumed_hours, 2) for s in statements.sorted("period_start")]
    assert got == [by_month[month] for month in months], (got, by_month)
    checks.append(f"12 monthly statements of {contract.name} consume the month's interventions "
                  f"({sum(got):.2f} h, computed in {seconds:.1f} s)")
    data = contract._itsm_dashboard_data()
    assert data["months"] == months, data["months"]
    assert [round(h, 2) for h in data["consumed"]] == got, (data["consumed"], got)
    assert sum(sum(values) for values in data["tickets"].values()) == N_TICKETS // N_CONTRACTS
    assert round(data["balance"][-1], 2) == round(contract.balance_hours, 2), (data["balance"], contract.balance_hours)
    checks.append(f"its dashboard shows the 12 months: the same consumption, {N_TICKETS // N_CONTRACTS} tickets, "
                  f"balance {contract.balance_hours:.2f} h at the end")
    env.cr.rollback()
    for check in checks:
        print("check: " + check)
with open(PARAMS["result"], "w") as out:
    json.dump({"timings": timings, "counts": counts, "checks": checks}, out)
"""


def run_plain(code):
    """The same shell code on a scratch copy of a database with the addon's dependencies but not the addon."""
    odoo_cmd, env, bindir = devctl.setup()
    if not devctl.db_exists(bindir, PLAIN_DB):
        devctl.say(f"creating database {PLAIN_DB} (the addon's dependencies without the addon, no demo)")
        install = ["-i", PLAIN_MODULES, "--without-demo", "all", "--stop-after-init", "--log-level", "warn"]
        subprocess.run(
            [*odoo_cmd, *devctl.odoo_args(PLAIN_DB), *install],
            env=env,
            check=True,
        )
    run_db = f"{PLAIN_DB}_scratch_{os.getpid()}"
    devctl.drop_db(bindir, run_db)
    devctl.psql(bindir, f'CREATE DATABASE "{run_db}" TEMPLATE "{PLAIN_DB}"')
    devctl.say(f"history import without the addon on {run_db}")
    try:
        subprocess.run(
            [*odoo_cmd, "shell", *devctl.odoo_args(run_db), "--log-level", "warn", "--no-http"],
            input=devctl.BENCH_PRELUDE + code,
            text=True,
            env=env,
            check=True,
        )
    finally:
        devctl.drop_db(bindir, run_db)


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--tickets", type=int, default=5000)
    parser.add_argument("--interventions", type=int, default=50000)
    args = parser.parse_args()
    results = {}
    with tempfile.TemporaryDirectory() as tmp:
        for label in ("plain", "addon"):
            params = {"tickets": args.tickets, "interventions": args.interventions}
            params["result"] = os.path.join(tmp, f"{label}.json")
            code = f"PARAMS = {json.dumps(params)}\n" + SHELL_CODE
            if label == "plain":
                run_plain(code)
            else:
                devctl.run_bench_shell(code, "history import with the addon", scratch=True)
            with open(params["result"], encoding="utf-8") as fh:
                results[label] = json.load(fh)
    plain, addon = results["plain"]["timings"], results["addon"]["timings"]
    print(f"{'import':>14} {'rows':>7} {'plain s':>8} {'addon s':>8} {'ratio':>6}")
    for label in ("partners", "tickets", "interventions"):
        rows = results["addon"]["counts"][label][0]
        print(f"{label:>14} {rows:7d} {plain[label]:8.1f} {addon[label]:8.1f} {addon[label] / plain[label]:6.2f}")
    shared = sum(plain[label] for label in ("partners", "tickets", "interventions"))
    total = sum(addon[label] for label in ("partners", "tickets", "interventions"))
    extra = addon["contracts"] + addon["opening balances"]
    print(
        f"{'total':>14} {'':7} {shared:8.1f} {total:8.1f} {total / shared:6.2f}   "
        f"(+ {extra:.1f} s for the addon's 20 contracts and opening balances)"
    )


if __name__ == "__main__":
    main()
