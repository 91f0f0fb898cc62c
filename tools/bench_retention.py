#!/usr/bin/env python3
"""Benchmark of the GDPR retention run: how long anonymising a few thousand closed tickets takes.

Run with ``make bench``. It prints figures, it asserts nothing: 2 000 and then 5 000 more closed tickets of 2020
(each with a client's message addressed to a client contact who follows the ticket, a staff reply and one
intervention of 2020) are previewed (dry run), anonymised, then previewed again (a second run finds nothing).
Wall time and SQL queries of each step. Everything is rolled back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
from datetime import datetime, timedelta
from markupsafe import Markup

company = env.company
project, team, employee = bench_support()
client = env["res.partner"].create({"name": "Bench client", "is_company": True})
person = env["res.partner"].create({"name": "Bench Person", "parent_id": client.id, "email": "p@bench.example.com"})
contract = prepaid_contract(client, "2019-01-01", "2020-01-02")
done = env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
start = datetime(2020, 3, 2, 9, 0)
staff = env.user.partner_id

def add_tickets(n, offset):
    for chunk in range(0, n, 1000):
        size = min(1000, n - chunk)
        tickets = env["helpdesk.ticket"].create([
            {"name": f"Bench Person's ticket {offset + chunk + i}", "description": "<p>Bench Person, 06 12</p>",
             "partner_id": person.id, "partner_name": "Bench Person", "partner_email": "p@bench.example.com",
             "team_id": team.id, "project_id": project.id, "stage_id": done.id}
            for i in range(size)])
        env["mail.followers"].create([
            {"res_model": "helpdesk.ticket", "res_id": t.id, "partner_id": person.id} for t in tickets])
        env["mail.message"].create([
            {"model": "helpdesk.ticket", "res_id": t.id, "body": Markup("<p>Call me on 06 12</p>"),
             "author_id": person.id, "email_from": "p@bench.example.com", "message_type": "email"}
            for t in tickets] + [
            {"model": "helpdesk.ticket", "res_id": t.id, "body": Markup("<p>Dear Bench Person, fixed.</p>"),
             "author_id": staff.id, "partner_ids": [(4, person.id)], "message_type": "comment"}
            for t in tickets])
        env["account.analytic.line"].create([
            {"name": "Called Bench Person", "ticket_id": t.id, "project_id": project.id,
             "employee_id": employee.id, "date_time": start + timedelta(days=i % 200, minutes=7 * (i % 50)),
             "unit_amount": 0.3}
            for i, t in enumerate(tickets)])
        env.flush_all()
        env.cr.execute("UPDATE helpdesk_ticket SET closed_date = %s WHERE id = ANY(%s)",
                       [datetime(2020, 12, 1), tickets.ids])
        env.invalidate_all()

Retention = env["itsm.retention"]
print(f"{'tickets':>8} {'preview (s)':>12} {'queries':>8} {'run (s)':>8} {'queries':>8} {'ms/ticket':>10}"
      f" {'2nd run (s)':>12} {'counts':>40}")
total = 0
for size in (2000, 5000):
    add_tickets(size, total)
    total += size
    analyze("helpdesk_ticket", "mail_message", "mail_followers", "mail_message_res_partner_rel",
            "account_analytic_line", "itsm_credit_move")
    env.invalidate_all()
    q0, t0 = queries(), time.perf_counter()
    preview = Retention._itsm_anonymise(company, dry_run=True)
    preview_s, preview_q = time.perf_counter() - t0, queries() - q0
    env.invalidate_all()
    q0, t0 = queries(), time.perf_counter()
    counts = Retention._itsm_anonymise(company)
    env.flush_all()
    run_s, run_q = time.perf_counter() - t0, queries() - q0
    env.invalidate_all()
    t0 = time.perf_counter()
    again = Retention._itsm_anonymise(company)
    again_s = time.perf_counter() - t0
    assert counts == preview and not any(again.values()), (preview, counts, again)
    shown = f"{counts['tickets']}t {counts['messages']}m {counts['timesheets']}ts"
    print(f"{counts['tickets']:8d} {preview_s:12.2f} {preview_q:8d} {run_s:8.2f} {run_q:8d}"
          f" {1000 * run_s / counts['tickets']:10.1f} {again_s:12.2f} {shown:>40}")
print(f"(fixture: closed tickets of 2020 with two messages, a follower and an intervention each;"
      f" the second round anonymises {size} new tickets next to {total - size} done ones)")
env.cr.rollback()
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "retention benchmark")


if __name__ == "__main__":
    main()
