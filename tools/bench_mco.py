#!/usr/bin/env python3
"""Benchmark of the MCO planner (the scheduled action creating each contract's report of the period).

Run with ``make bench``. It prints figures, it asserts nothing: for 10, 100 and 1 000 time-and-material
contracts with the shipped MCO template (monthly), each with two registered machines, the planner's wall time
and SQL queries on its first run of a month (it creates one report per contract, its lines from the template's
checks and the machines) and on a second run the same day (it must create nothing); then the ratios of queries
per run 1 000 / 10 contracts. Everything is rolled back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
from datetime import date

cr = env.cr
template = env.ref("itsm_service_contract.mco_template_standard")
servers = env.ref("itsm_service_contract.service_domain_servers")
Report = env["itsm.mco.report"]
# reports already planned by the database's own contracts do not count: the bench's contracts only
print(f"{'contracts':>9} {'1st run s':>10} {'queries':>8} {'reports':>8} {'lines':>7} {'2nd run s':>10} "
      f"{'queries':>8} {'created':>8}")
results = {}
for size in (10, 100, 1000):
    cr.execute("SAVEPOINT plan")
    clients = env["res.partner"].create([{"name": f"MCO bench {i}", "is_company": True} for i in range(size)])
    contracts = env["itsm.contract"].create([
        {"partner_id": client.id, "contract_type": "time_material", "state": "active", "hourly_rate": 60.0,
         "day_rate": 300.0, "date_start": date(2026, 1, 5), "mco_template_id": template.id,
         "mco_interval": "monthly"} for client in clients])
    env["maintenance.equipment"].create([
        {"name": f"Server {n}", "itsm_partner_id": contract.partner_id.id, "itsm_contract_id": contract.id,
         "itsm_hostname": f"srv{n}", "itsm_domain_id": servers.id}
        for contract in contracts for n in (1, 2)])
    analyze("itsm_contract", "itsm_mco_report", "maintenance_equipment")
    env.invalidate_all()
    q0, t0 = queries(), time.perf_counter()
    created = Report._cron_itsm_plan_mco(today=date(2026, 12, 10))
    env.flush_all()
    first, first_q = time.perf_counter() - t0, queries() - q0
    mine = created.filtered(lambda report: report.contract_id in contracts)
    env.invalidate_all()
    q0, t0 = queries(), time.perf_counter()
    again = Report._cron_itsm_plan_mco(today=date(2026, 12, 10))
    env.flush_all()
    second, second_q = time.perf_counter() - t0, queries() - q0
    results[size] = (first_q, second_q)
    print(f"{size:9d} {first:10.2f} {first_q:8d} {len(mine):8d} {len(mine.line_ids):7d} {second:10.2f} "
          f"{second_q:8d} {len(again):8d}")
    cr.execute("ROLLBACK TO SAVEPOINT plan")
    env.invalidate_all()
print(f"ratio of queries 1 000 / 10 contracts: first run {results[1000][0] / results[10][0]:.2f}, "
      f"second run {results[1000][1] / results[10][1]:.2f}")
env.cr.rollback()
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "MCO planner benchmark")


if __name__ == "__main__":
    main()
