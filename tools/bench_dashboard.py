#!/usr/bin/env python3
"""Benchmark of the contract's service dashboard: 5 years of history against one month.

Run with ``make bench``. It prints figures, it asserts nothing. Two prepaid contracts of the same client:

* *5 years*: 20 000 tickets (requests spread over 1 826 days, SLA deadlines, first responses, most closed) and
  100 000 interventions with their 100 000 consumption moves;
* *1 month*: 333 tickets and 1 667 interventions over the last 30 days (the same rates).

Rows are copied in SQL from one ticket, intervention and move made through the ORM (the ORM would take an hour
for 220 000 rows), the tables analysed, and committed: the page is read by a real HTTP request of the client's
portal user (Odoo's WSGI application in-process through werkzeug's test client, logged-in session: routing,
access check, the aggregates, QWeb, the five SVG charts), best of 9 after one warm-up, with its SQL queries; the
same for the backend's figures alone (``_itsm_dashboard_data``); and *cold*, best of 3, after marking the months
kept for the dashboard stale (as after a change in each: the 12 months are computed again). Then the ratios
5 years / 1 month. It runs on a scratch copy of the benchmark database, dropped at the end.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
from datetime import datetime, timedelta
import odoo

cr = env.cr
project, team, employee = bench_support()
client = env["res.partner"].create({"name": "Dashboard bench client", "is_company": True})
contact = env["res.partner"].create({"name": "Dashboard bench contact", "parent_id": client.id,
                                     "email": "bench@dashboard.example.com"})
portal_user = env["res.users"].create({"name": "Dashboard bench", "login": "itsm_dashboard_bench",
                                       "partner_id": contact.id,
                                       "groups_id": [(6, 0, [env.ref("base.group_portal").id])]})
Stage = env["helpdesk.ticket.stage"]
closed_stage = Stage.search([("closed", "=", True)], limit=1)
open_stage = Stage.search([("closed", "=", False)], limit=1)
rule = env["itsm.sla.rule"].search([], limit=1)
now = datetime.now().replace(microsecond=0)

def columns(table, skip):
    cr.execute("SELECT * FROM %s LIMIT 0" % table)
    return [d[0] for d in cr.description if d[0] not in skip]

def fill(contract, days, n_tickets, n_interventions):
    ticket = env["helpdesk.ticket"].create({
        "name": "Bench ticket", "description": "Bench", "partner_id": contact.id, "team_id": team.id,
        "project_id": project.id, "itsm_contract_id": contract.id, "itsm_request_date": now - timedelta(days=1)})
    line = env["account.analytic.line"].create({
        "name": "Bench call", "ticket_id": ticket.id, "project_id": project.id, "employee_id": employee.id,
        "itsm_contract_id": contract.id, "date_time": now - timedelta(days=1), "unit_amount": 0.5})
    env.flush_all()
    move = line.itsm_credit_move_ids[:1]
    t0 = time.perf_counter()
    keep = columns("helpdesk_ticket", {"id", "number", "itsm_request_date", "itsm_kind", "priority", "stage_id",
                                       "itsm_sla_rule_id", "itsm_response_deadline", "itsm_first_response_date",
                                       "itsm_resolution_deadline", "closed_date", "itsm_pause_start"})
    # the request at noon minus g * span / n; one in 5 answered late; the last 30 open
    cr.execute(f'''
        INSERT INTO helpdesk_ticket ({", ".join(keep)}, number, itsm_request_date, itsm_kind, priority, stage_id,
                                     itsm_sla_rule_id, itsm_response_deadline, itsm_first_response_date,
                                     itsm_resolution_deadline, closed_date)
        SELECT {", ".join("t." + c for c in keep)}, 'DB' || %(contract)s || '-' || g, r.at,
               CASE WHEN g %% 3 = 0 THEN 'request' ELSE 'incident' END,
               CASE WHEN g %% 3 = 0 THEN '1' ELSE (g %% 4)::text END,
               CASE WHEN g <= 30 THEN %(open)s ELSE %(closed)s END,
               %(rule)s, r.at + interval '4 hours',
               r.at + CASE WHEN g %% 5 = 0 THEN interval '6 hours' ELSE interval '1 hour' END,
               r.at + interval '2 days',
               CASE WHEN g <= 30 THEN NULL ELSE r.at + CASE WHEN g %% 7 = 0 THEN interval '3 days'
                                                            ELSE interval '1 day' END END
          FROM helpdesk_ticket t, generate_series(1, %(n)s) g,
               LATERAL (SELECT %(now)s - make_interval(secs => g * %(span)s / %(n)s) AS at) r
         WHERE t.id = %(template)s''',
        {"contract": contract.id, "open": open_stage.id, "closed": closed_stage.id, "rule": rule.id or None,
         "now": now, "span": days * 86400.0, "n": n_tickets, "template": ticket.id})
    keep = columns("account_analytic_line", {"id", "date", "date_time"})
    cr.execute(f'''
        INSERT INTO account_analytic_line ({", ".join(keep)}, date_time, date)
        SELECT {", ".join("l." + c for c in keep)}, r.at, r.at::date
          FROM account_analytic_line l, generate_series(1, %(n)s) g,
               LATERAL (SELECT %(now)s - make_interval(secs => g * %(span)s / %(n)s) AS at) r
         WHERE l.id = %(template)s''',
        {"now": now, "span": days * 86400.0, "n": n_interventions, "template": line.id})
    keep = columns("itsm_credit_move", {"id", "date", "timesheet_id", "reversed_move_id", "reversal_move_id"})
    cr.execute(f'''
        INSERT INTO itsm_credit_move ({", ".join(keep)}, date)
        SELECT {", ".join("m." + c for c in keep)}, (%(now)s - make_interval(secs => g * %(span)s / %(n)s))::date
          FROM itsm_credit_move m, generate_series(1, %(n)s) g
         WHERE m.id = %(template)s''',
        {"now": now, "span": days * 86400.0, "n": n_interventions, "template": move.id})
    cr.execute("UPDATE itsm_contract SET balance_hours = (SELECT sum(hours) FROM itsm_credit_move "
               "WHERE contract_id = %s) WHERE id = %s", [contract.id, contract.id])
    env.invalidate_all()
    return time.perf_counter() - t0

contracts = {}
for label, days, n_tickets, n_interventions in (("5 years", 1826, 20000, 100000), ("1 month", 30, 333, 1667)):
    # the last recharge a week ago keeps the contract valid for today's template intervention
    contract = prepaid_contract(client, (now - timedelta(days=days + 1)).date(), (now - timedelta(days=7)).date(),
                                hours=10**6)
    seconds = fill(contract, days, n_tickets, n_interventions)
    contracts[label] = contract
    print(f"{label}: {n_tickets} tickets, {n_interventions} interventions and moves copied in {seconds:.1f} s")
analyze("helpdesk_ticket", "account_analytic_line", "itsm_credit_move", "itsm_contract")
env.cr.commit()

browser, session = portal_browser(portal_user)  # the client's portal user, logged in

def page(contract):
    q0, t0 = queries(), time.perf_counter()
    response = browser.get(f"/my/contracts/{contract.id}/dashboard")
    body = response.get_data()
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, response.status_code
    assert body.count(b"<svg") >= 4, body[:500]
    return elapsed, queries() - q0, body

def figures(contract):
    env.invalidate_all()
    q0, t0 = queries(), time.perf_counter()
    data = contract._itsm_dashboard_data()
    return time.perf_counter() - t0, queries() - q0, data

def forget(contract):
    # the months kept for the dashboard marked stale, as after a change in each of them (in a new transaction:
    # the requests' own transactions have written these rows since this one began)
    env.cr.commit()
    env.cr.execute("INSERT INTO itsm_contract_month_change (contract_id, month) "
                   "SELECT contract_id, month FROM itsm_contract_month WHERE contract_id = %s", [contract.id])
    env.cr.commit()

print(f"{'history':>8} {'cold ms':>8} {'queries':>8} {'page ms':>8} {'queries':>8} {'page kB':>8} "
      f"{'figures ms':>11} {'queries':>8} {'tickets 12 m':>13} {'open':>5}")
results = {}
for label, contract in contracts.items():
    page(contract)
    colds = []
    for _ in range(3):
        forget(contract)
        colds.append(page(contract))
    cold, cold_count, _body = min(colds, key=lambda result: result[0])
    elapsed, count, body = min((page(contract) for _ in range(9)), key=lambda result: result[0])
    env.cr.commit()
    figures(contract)
    f_elapsed, f_count, data = min((figures(contract) for _ in range(9)), key=lambda result: result[0])
    results[label] = (elapsed, count, f_elapsed, f_count, cold, cold_count)
    shown = sum(sum(values) for values in data["tickets"].values())
    open_count = sum(sum(values) for values in data["open"].values())
    print(f"{label:>8} {cold * 1000:8.1f} {cold_count:8d} {elapsed * 1000:8.1f} {count:8d} {len(body) / 1024:8.1f} "
          f"{f_elapsed * 1000:11.1f} {f_count:8d} {shown:13d} {open_count:5d}")
(t1, q1, f1, fq1, c1, cq1), (t2, q2, f2, fq2, c2, cq2) = results["1 month"], results["5 years"]
print(f"ratio 5 years / 1 month: page time {t2 / t1:.2f}, page queries {q2 / q1:.2f}; "
      f"figures time {f2 / f1:.2f}, figures queries {fq2 / fq1:.2f}; "
      f"cold page (12 months computed) time {c2 / c1:.2f}, queries {cq2 / cq1:.2f}")
odoo.http.root.session_store.delete(session)
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "service dashboard benchmark", scratch=True)


if __name__ == "__main__":
    main()
