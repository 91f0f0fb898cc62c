#!/usr/bin/env python3
"""Benchmark of the knowledge base and of the problem detection.

Run with ``make bench``. It prints figures, it asserts nothing:

* suggestions for one ticket with 1 000 then 10 000 resolution scenarios (inserted in SQL, their search vector
  filled by the trigger): wall time (median of 20) and SQL queries, and whether the plan uses the GIN index;
* detection over 10 000 then 100 000 incidents (inserted in SQL from a template ticket), 50 clusters of three
  incidents each among them: wall time and SQL queries, which must not grow with the number of tickets.

Everything is rolled back.
"""

import os
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

SHELL_CODE = r"""
import statistics
from datetime import datetime, timedelta

cr = env.cr
project, team, employee = bench_support()
category = env["helpdesk.ticket.category"].create({"name": "Bench printers"})
client = env["res.partner"].create({"name": "Bench client", "is_company": True})
person = env["res.partner"].create({"name": "Bench person", "parent_id": client.id})
ticket = env["helpdesk.ticket"].create({
    "name": "L'imprimante du 2e étage est hors ligne", "description": "<p>Plus personne ne peut imprimer</p>",
    "partner_id": person.id, "team_id": team.id, "project_id": project.id, "category_id": category.id})
WORDS = ("poste ecran clavier souris serveur reseau messagerie outlook excel word vpn wifi badge scanner "
         "telephone licence sauvegarde lenteur mot passe compte bloque disque plein mise jour pilote").split()
Page = env["document.page"]

def add_pages(n, offset):
    cr.execute(
        '''INSERT INTO document_page (name, type, active, itsm_is_scenario, itsm_symptoms, company_id,
                                      create_uid, write_uid, create_date, write_date)
           SELECT 'Scenario ' || g || ' ' || (%(w)s)[1 + g %% 25] || ' ' || (%(w)s)[1 + (g / 25) %% 25],
                  'content', true, true,
                  'Le ' || (%(w)s)[1 + (g * 7) %% 25] || ' ne fonctionne plus ' || (%(w)s)[1 + (g * 3) %% 25],
                  NULL, 1, 1, now(), now()
             FROM generate_series(%(a)s, %(b)s) g''',
        {"w": WORDS, "a": offset, "b": offset + n - 1})
    # one article about the printers, among the others
    Page.create({"name": "Imprimante réseau hors ligne", "itsm_is_scenario": True,
                 "itsm_symptoms": "L'imprimante réseau apparaît hors ligne"})

print("Suggestions for one ticket")
print(f"{'articles':>9} {'median ms':>10} {'max ms':>8} {'queries':>8} {'GIN':>5} {'first':>30}")
total = 0
for size in (1000, 9000):
    add_pages(size, total)
    total += size
    analyze("document_page")
    timings, counts = [], []
    for _ in range(20):
        ticket.invalidate_recordset(["itsm_kb_suggestion_ids"])
        q0, t0 = queries(), time.perf_counter()
        first = ticket.itsm_kb_suggestion_ids[:1].name
        timings.append(1000 * (time.perf_counter() - t0))
        counts.append(queries() - q0)
    cr.execute("EXPLAIN SELECT id FROM document_page p WHERE p.itsm_search @@ itsm_kb_query(%s)", [ticket.name])
    plan = " ".join(row[0] for row in cr.fetchall())
    print(f"{Page.search_count([('itsm_is_scenario', '=', True)]):9d} {statistics.median(timings):10.1f}"
          f" {max(timings):8.1f} {max(counts):8d} {'yes' if 'document_page_itsm_search_idx' in plan else 'NO':>5}"
          f" {first:>30}")

print()
print("Problem detection")
cr.execute("SELECT * FROM helpdesk_ticket WHERE id = %s", [ticket.id])
columns = [d[0] for d in cr.description]
copied = [c for c in columns if c not in ("id", "itsm_request_date", "category_id", "itsm_problem_id", "number",
                                          "commercial_partner_id", "partner_id", "itsm_kind")]
clients = env["res.partner"].create([{"name": f"Bench client {i}", "is_company": True} for i in range(200)])
categories = env["helpdesk.ticket.category"].create([{"name": f"Bench category {i}"} for i in range(500)])
now = datetime.now()

def add_tickets(n, clustered):
    # n incidents spread over 200 clients x 500 categories and the last 360 days, at most one per client and
    # category (100 000 pairs): no cluster, but every one goes through the window function; plus
    # ``clustered`` clusters of three incidents within a week (the problems to detect)
    cr.execute(
        f'''INSERT INTO helpdesk_ticket ({", ".join(copied)}, itsm_request_date, category_id, partner_id,
                                        commercial_partner_id, itsm_kind, number)
            SELECT {", ".join("t." + c for c in copied)},
                   %(now)s - make_interval(days => g %% 360), (%(categories)s)[1 + (g / 200) %% 500],
                   (%(clients)s)[1 + g %% 200], (%(clients)s)[1 + g %% 200], 'incident', 'B' || g
              FROM helpdesk_ticket t, generate_series(1, %(n)s) g WHERE t.id = %(template)s''',
        {"now": now, "categories": categories.ids, "clients": clients.ids, "n": n, "template": ticket.id})
    cr.execute(
        f'''INSERT INTO helpdesk_ticket ({", ".join(copied)}, itsm_request_date, category_id, partner_id,
                                        commercial_partner_id, itsm_kind, number)
            SELECT {", ".join("t." + c for c in copied)},
                   %(now)s - make_interval(days => g %% 3), %(category)s,
                   (%(clients)s)[1 + (g / 3)], (%(clients)s)[1 + (g / 3)], 'incident', 'C' || g
              FROM helpdesk_ticket t, generate_series(0, %(n)s * 3 - 1) g WHERE t.id = %(template)s''',
        {"now": now, "category": category.id, "clients": clients.ids, "n": clustered, "template": ticket.id})

Problem = env["itsm.problem"]
print(f"{'tickets':>9} {'seconds':>8} {'queries':>8} {'problems':>9} {'2nd run q':>10} {'2nd created':>12}")
for size in (10000, 100000):
    cr.execute("SAVEPOINT detect")
    add_tickets(size, 50)
    analyze("helpdesk_ticket", "itsm_problem")
    env.invalidate_all()
    q0, t0 = queries(), time.perf_counter()
    created = Problem._itsm_detect(env.company)
    env.flush_all()
    seconds, count = time.perf_counter() - t0, queries() - q0
    q0 = queries()
    again = Problem._itsm_detect(env.company)
    print(f"{env['helpdesk.ticket'].search_count([('itsm_kind', '=', 'incident')]):9d} {seconds:8.2f}"
          f" {count:8d} {len(created):9d} {queries() - q0:10d} {len(again):12d}")
    cr.execute("ROLLBACK TO SAVEPOINT detect")
    env.invalidate_all()
env.cr.rollback()
"""


def main():
    devctl.run_bench_shell(SHELL_CODE, "knowledge and problem detection benchmark")


if __name__ == "__main__":
    main()
