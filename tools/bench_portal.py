#!/usr/bin/env python3
"""Benchmark of the portal contract page at 100, 10 000 and 100 000 interventions.

Run with ``make bench``. It prints figures, it asserts nothing: wall time and
SQL queries of a real HTTP request of the client's portal user for
``/my/contracts/<id>`` (Odoo's WSGI application called in-process through
werkzeug's test client, with a logged-in session: routing, access check,
controller, QWeb rendering of the whole page), best of 3 after one warm-up
request, for three prepaid contracts of the same client whose histories have
100, 10 000 and 100 000 interventions on the same 50 tickets over the same 12
months -- only the length of the history differs -- and the ratio of the
100 000 page to the 100 one. The lines are created by batch ``create`` of
5 000 with tracking disabled (the time is printed), and committed: the request
reads them with its own cursor, as a server does. It runs on a scratch copy of
the benchmark database, dropped at the end.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
import os
import re
from datetime import datetime, timedelta
import odoo

SIZES = (100, 10000, 100000)
BATCH = 5000
project, team, employee = bench_support()
client = env["res.partner"].create({"name": "Portal bench client", "is_company": True})
contact = env["res.partner"].create({"name": "Portal bench contact", "parent_id": client.id,
                                     "email": "bench@portal.example.com"})
portal_user = env["res.users"].create({"name": "Portal bench", "login": "itsm_portal_bench",
                                       "partner_id": contact.id,
                                       "groups_id": [(6, 0, [env.ref("base.group_portal").id])]})
tickets = env["helpdesk.ticket"].create([
    {"name": f"Bench {i}", "description": "Bench", "partner_id": contact.id, "team_id": team.id,
     "project_id": project.id} for i in range(50)])
start = datetime(2026, 1, 1, 8, 0)
SPAN = 364 * 24 * 60  # the year 2026, in minutes, whatever the number of interventions

contracts = {}
for n in SIZES:
    contract = prepaid_contract(client, "2026-01-01", "2026-01-01", hours=10**7)
    t0, q0 = time.perf_counter(), queries()
    for first in range(0, n, BATCH):
        env["account.analytic.line"].create([
            {"name": f"Call {i}", "ticket_id": tickets[i % 50].id, "itsm_contract_id": contract.id,
             "project_id": project.id, "employee_id": employee.id,
             "date_time": start + timedelta(minutes=i * SPAN // n), "unit_amount": 0.5}
            for i in range(first, min(n, first + BATCH))])
        env.flush_all()
        env.cr.commit()
        env.invalidate_all()
    print(f"{n:>7} interventions created in {time.perf_counter() - t0:6.1f} s "
          f"({(time.perf_counter() - t0) / n * 1000:.2f} ms and {(queries() - q0) / n:.2f} queries each)")
    contracts[n] = contract
analyze("account_analytic_line", "itsm_credit_move", "itsm_contract", "helpdesk_ticket")
env.cr.commit()

browser, session = portal_browser(portal_user)  # the client's portal user, logged in

def get(url):
    q0, t0 = queries(), time.perf_counter()
    response = browser.get(url)
    body = response.get_data()
    elapsed = time.perf_counter() - t0
    assert response.status_code == 200, (url, response.status_code)
    return elapsed, queries() - q0, body

print(f"{'interventions':>13} {'page ms':>9} {'queries':>8} {'page kB':>8} {'months':>7} {'tickets':>8}")
results = {}
for n in SIZES:
    url = f"/my/contracts/{contracts[n].id}"
    get(url)  # warm-up: the first request on a page fills the caches every later request has warm
    best = min((get(url) for _round in range(3)), key=lambda result: result[0])
    elapsed, count, body = best
    assert contracts[n].name.encode() in body
    months = body.count(b'<option value="2026-')
    ticket_options = body.split(b'name="ticket"')[1].split(b"</select>")[0].count(b"<option") - 1
    results[n] = (elapsed, count)
    print(f"{n:13d} {elapsed * 1000:9.1f} {count:8d} {len(body) / 1024:8.1f} {months:7d} {ticket_options:8d}")
(t1, q1), (t2, q2) = results[SIZES[0]], results[SIZES[-1]]
print(f"ratio 100 000 / 100: time {t2 / t1:.2f}, queries {q2 / q1:.2f}")

if os.environ.get("ITSM_BENCH_EXPLAIN"):
    # the SQL the request runs on the history tables, then each one explained on the committed data
    captured = []
    execute = odoo.sql_db.Cursor.execute

    def capture(self, query, params=None, log_exceptions=True):
        code, args = (query.code, query.params) if isinstance(query, odoo.tools.SQL) else (query, params)
        if code.lstrip().upper().startswith(("SELECT", "WITH")) and re.search(
            r"\b(account_analytic_line|itsm_credit_move)\b", code
        ):
            captured.append(self._obj.mogrify(code, args or None).decode())
        return execute(self, query, params, log_exceptions)

    contract = contracts[SIZES[-1]]
    urls = (f"/my/contracts/{contract.id}",
            f"/my/contracts/{contract.id}?month=2026-06&ticket={tickets[7].id}",
            f"/my/contracts/{contract.id}?page=40&ledger_page=30")
    for url in urls:
        captured.clear()
        odoo.sql_db.Cursor.execute = capture
        try:
            get(url)
        finally:
            odoo.sql_db.Cursor.execute = execute
        print(f"--- {url}")
        for sql in captured:
            env.cr.execute("EXPLAIN (ANALYZE, BUFFERS) " + sql)
            plan = [row for [row] in env.cr.fetchall()]
            print(" ".join(sql.split())[:400])
            print("\n".join("    " + row for row in plan))
odoo.http.root.session_store.delete(session)
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "portal contract page benchmark", scratch=True)


if __name__ == "__main__":
    main()
