#!/usr/bin/env python3
"""Benchmark of the service desk: routing at ticket creation, and the daily follow-up digest.

Run with ``make bench``. It prints figures, it asserts nothing:

(a) SQL queries and time to create one ticket on a contract with no scope, and on a contract with a scope, for a
    domain the first-level desk resolves (n1) and for a routed domain, with the difference (the issue allows
    routing at most 2 queries more);
(b) the daily digest (``helpdesk.ticket.team._cron_itsm_daily_digest``) for 5 teams / 1 000 open tickets and
    50 teams / 10 000 open tickets: total queries, queries per team and time, and the ratio of the queries per
    team (about 1: the digest reads the tickets of all the teams at once).

Everything is rolled back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
from datetime import date, datetime, timedelta

clock = time.perf_counter
Ticket = env["helpdesk.ticket"]
Team = env["helpdesk.ticket.team"]

# ------------------------------------------------------------ (a) routing
project, desk, _employee = bench_support()
level2 = Team.create({"name": "Bench level 2", "allow_timesheet": True, "default_project_id": project.id})
plain_client = env["res.partner"].create({"name": "Bench plain client", "is_company": True})
scoped_client = env["res.partner"].create({"name": "Bench scoped client", "is_company": True})
plain = prepaid_contract(plain_client, date(2026, 1, 1), date(2026, 1, 1))
plain.n1_team_id = desk
scoped = prepaid_contract(scoped_client, date(2026, 1, 1), date(2026, 1, 1))
scoped.write({"n1_team_id": desk.id, "n2_team_id": level2.id})
scoped.action_itsm_scope_from_seed()
workstation = env.ref("itsm_service_contract.service_domain_workstation")
servers = env.ref("itsm_service_contract.service_domain_servers")
# the routing message is part of the routed case's cost: the chatter is on for this part
routing_env = env(context=dict(env.context, tracking_disable=False, mail_create_nolog=False))

def create_cost(client, domain, runs=20):
    values = {"name": "Bench routing", "description": "x", "partner_id": client.id, "itsm_domain_id": domain.id,
              "project_id": project.id}
    routing_env["helpdesk.ticket"].create(values)  # warm the caches
    env.flush_all()
    counts, elapsed = [], 0.0
    for _run in range(runs):
        env.invalidate_all()
        q0 = queries()
        t0 = clock()
        ticket = routing_env["helpdesk.ticket"].create(values)
        env.flush_all()
        elapsed += clock() - t0
        counts.append(queries() - q0)
    return min(counts), elapsed / runs * 1000, ticket

base_q, base_ms, _ticket = create_cost(plain_client, workstation)
print(f"{'ticket creation':<34} {'queries':>8} {'ms':>8} {'extra queries':>14}")
print(f"{'contract with no scope':<34} {base_q:8d} {base_ms:8.1f} {'':>14}")
for label, domain in (("with scope, n1 domain", workstation), ("with scope, routed domain", servers)):
    q, ms, ticket = create_cost(scoped_client, domain)
    print(f"{label:<34} {q:8d} {ms:8.1f} {q - base_q:+14d}")
routed = any("Routed to" in body for body in ticket.message_ids.mapped("body"))
print(f"routed ticket: team {ticket.team_id.name}, level {ticket.itsm_support_level}, routing message: {routed}")
env.cr.rollback()
env.invalidate_all()

# ------------------------------------------------------------ (b) daily digest
MORNING = datetime(2026, 11, 20, 6, 0)

def digest(n_teams, n_tickets):
    # the teams of the database are done for the day: only the bench's teams count
    env.cr.execute("UPDATE helpdesk_ticket_team SET itsm_digest_date = %s", [MORNING.date()])
    client = env["res.partner"].create({"name": "Digest bench client", "is_company": True})
    teams = Team.browse()
    for index in range(n_teams):
        user = env["res.users"].create({"name": f"Digest member {index}", "login": f"digest_bench_{index}",
                                        "email": f"member{index}@example.com"})
        teams |= Team.create({"name": f"Digest team {index}", "user_ids": [(6, 0, user.ids)]})
    states = ["breached", "at_risk", "on_track", "on_track"]
    vals = [{"name": f"Digest {i}", "description": "x", "partner_id": client.id,
             "team_id": teams[i % n_teams].id, "itsm_sla_state": states[i % 4]} for i in range(n_tickets)]
    tickets = Ticket.create(vals)
    env.flush_all()
    # a quarter waits for the client since a week, half were last changed four days ago
    waiting = tickets.filtered(lambda t: t.id % 4 == 2)
    env.cr.execute("UPDATE helpdesk_ticket SET itsm_pause_start = %s WHERE id = ANY(%s)",
                   [MORNING - timedelta(days=7), waiting.ids])
    env.cr.execute("UPDATE helpdesk_ticket SET write_date = %s WHERE id = ANY(%s) AND id %% 2 = 1",
                   [MORNING - timedelta(days=4), tickets.ids])
    analyze("helpdesk_ticket", "helpdesk_ticket_team", "mail_mail", "mail_message")
    env.invalidate_all()
    q0 = queries()
    t0 = clock()
    done = Team._cron_itsm_daily_digest(now=MORNING)
    env.flush_all()
    elapsed = clock() - t0
    total = queries() - q0
    env.cr.rollback()
    env.invalidate_all()
    return len(done), total, elapsed

print()
print(f"{'teams':>6} {'open tickets':>13} {'mails':>6} {'queries':>8} {'queries/team':>13} {'seconds':>8}")
results = {}
for n_teams, n_tickets in ((5, 1000), (50, 10000)):
    mails, total, elapsed = digest(n_teams, n_tickets)
    results[n_teams] = total
    print(f"{n_teams:6d} {n_tickets:13d} {mails:6d} {total:8d} {total / n_teams:13.1f} {elapsed:8.2f}")
ratio = results[50] / 50 / (results[5] / 5)
print(f"queries per team, 50 teams / 10 000 tickets vs 5 teams / 1 000: ratio {ratio:.2f} "
      "(a fixed part is shared by all the teams)")
print(f"queries each team adds (45 more teams, 10 times the tickets): {(results[50] - results[5]) / 45:.2f}")
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "Service desk benchmark")


if __name__ == "__main__":
    main()
