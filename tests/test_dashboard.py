"""The contract's service dashboard (issue 18): figures, charts, portal isolation, PDF, constant queries.

Client B's contract is given a year of tickets, interventions, an adjustment and MCO reports whose figures are
worked out by hand below (the dashboard is looked at on 2026-12-15, so its months are January to December
2026). The SLA dates of the tickets are written in the database as the SLA scan would have left them, so that
each outcome is decided by the dates of this file, not by the code under test.
"""

import re
from datetime import date
from datetime import datetime

from odoo import fields
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase

TODAY = date(2026, 12, 15)
NOW = datetime(2026, 12, 15, 12, 0)


@tagged("post_install", "-at_install")
class TestDashboard(ItsmInterventionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls._portal_client_b()
        cls.contract_b = cls._buy_class(cls.client_b, cls.annual, date(2026, 1, 5))
        cls.contract_b.write({"calendar_id": cls.calendar.id})
        cls.bought = cls.annual.itsm_credit_hours
        Stage = cls.env["helpdesk.ticket.stage"]
        cls.open_stage = Stage.create({"name": "Dashboard open", "closed": False, "sequence": 1})
        cls.done_stage = Stage.create({"name": "Dashboard done", "closed": True, "sequence": 99})
        cls.rule = cls.env["itsm.sla.rule"].search([], limit=1)
        # (reference, kind, priority, requested, open?, response deadline, first response,
        #  resolution deadline, closed at, paused since)
        rows = [
            # March: response met; resolution due 11/03, closed 12/03: missed
            ("T1", "incident", "2", datetime(2026, 3, 10, 9), False,
             datetime(2026, 3, 10, 12), datetime(2026, 3, 10, 11),
             datetime(2026, 3, 11, 12), datetime(2026, 3, 12, 9), None),
            # March: response due 10:00, answered 11:00: missed; resolution due 02/04, closed 01/04: met in April
            ("T2", "request", "1", datetime(2026, 3, 20, 9), False,
             datetime(2026, 3, 20, 10), datetime(2026, 3, 20, 11),
             datetime(2026, 4, 2, 12), datetime(2026, 4, 1, 9), None),
            # asked in December 2025 (not a ticket of the 12 months); its resolution, due 05/01, met in January
            ("T3", "incident", "2", datetime(2025, 12, 28, 9), False,
             datetime(2025, 12, 28, 12), datetime(2025, 12, 28, 10),
             datetime(2026, 1, 5, 12), datetime(2026, 1, 4, 9), None),
            # open P1: response due 14/12 10:00, none yet: missed; resolution due 16/12: not judged yet
            ("T4", "incident", "3", datetime(2026, 12, 14, 9), True,
             datetime(2026, 12, 14, 10), None, datetime(2026, 12, 16, 9), None, None),
            # open P4 request waiting for the client since 02/12, before its deadlines: not judged
            ("T5", "request", "0", datetime(2026, 12, 1, 9), True,
             datetime(2026, 12, 3, 9), None, datetime(2026, 12, 10, 9), None, datetime(2026, 12, 2, 9)),
            # open P2 incident under no SLA rule: a ticket, never a target
            ("T6", "incident", "2", datetime(2026, 6, 5, 9), True, None, None, None, None, None),
            # open P2 request, not due yet
            ("T7", "request", "2", datetime(2026, 6, 7, 9), True,
             datetime(2026, 12, 20, 9), None, datetime(2026, 12, 30, 9), None, None),
        ]  # fmt: skip
        cls.tickets = {}
        for ref, kind, priority, requested, is_open, response, answered, resolution, closed, paused in rows:
            ticket = cls.env["helpdesk.ticket"].create(
                {
                    "name": f"Dashboard {ref}",
                    "description": ref,
                    "partner_id": cls.client_b_contact.id,
                    "team_id": cls.team.id,
                    "project_id": cls.project.id,
                    "itsm_kind": kind,
                    "priority": priority,
                    "itsm_request_date": requested,
                    "itsm_agreed_date": datetime(2026, 12, 31, 9) if kind == "request" and priority == "0" else False,
                    "stage_id": (cls.open_stage if is_open else cls.done_stage).id,
                }
            )
            cls.env.flush_all()
            cls.env.cr.execute(
                """UPDATE helpdesk_ticket
                      SET itsm_sla_rule_id = %s, itsm_response_deadline = %s, itsm_first_response_date = %s,
                          itsm_resolution_deadline = %s, closed_date = %s, itsm_pause_start = %s
                    WHERE id = %s""",
                [cls.rule.id if response else None, response, answered, resolution, closed, paused, ticket.id],
            )
            cls.tickets[ref] = ticket
        # an archived, closed request of June under no SLA rule: a ticket of June, never an open one
        archived = cls.env["helpdesk.ticket"].create(
            {
                "name": "Dashboard archived",
                "description": "archived",
                "partner_id": cls.client_b_contact.id,
                "team_id": cls.team.id,
                "project_id": cls.project.id,
                "itsm_kind": "request",
                "priority": "1",
                "itsm_request_date": datetime(2026, 6, 9, 9),
                "stage_id": cls.done_stage.id,
            }
        )
        archived.active = False
        cls.env.flush_all()
        cls.env.cr.execute("UPDATE helpdesk_ticket SET itsm_sla_rule_id = NULL WHERE id = %s", [archived.id])
        cls.env.invalidate_all()
        assert all(ticket.itsm_contract_id == cls.contract_b for ticket in cls.tickets.values())
        # interventions, remote, on working days (the contract's calendar is UTC office hours): 1 h and 2 h in
        # March, 0.5 h in April; an adjustment of +2 h in May
        for ticket, start, hours in (
            (cls.tickets["T1"], datetime(2026, 3, 10, 9), 1.0),
            (cls.tickets["T2"], datetime(2026, 3, 24, 14), 2.0),
            (cls.tickets["T2"], datetime(2026, 4, 1, 9), 0.5),
        ):
            cls.env["account.analytic.line"].create(
                {
                    "name": "Intervention",
                    "ticket_id": ticket.id,
                    "project_id": cls.project.id,
                    "employee_id": cls.employee.id,
                    "date_time": start,
                    "unit_amount": hours,
                }
            )
        cls.env["itsm.credit.move"].create(
            {
                "contract_id": cls.contract_b.id,
                "move_type": "adjustment",
                "date": date(2026, 5, 12),
                "hours": 2.0,
                "name": "Goodwill",
                "reason": "Two hours offered after the March outage",
            }
        )
        # MCO: two reports done (October: 3 OK, 1 warning, 1 n/a; November: 4 OK, 1 n/a) and a draft one
        Report = cls.env["itsm.mco.report"]
        cls.reports = Report.browse()
        for day, results in (
            (date(2026, 10, 20), ["ok", "ok", "ok", "warning", "na"]),
            (date(2026, 11, 20), ["ok", "ok", "ok", "ok", "na"]),
            (date(2026, 12, 10), ["ok", False]),
        ):
            report = Report.create(
                {
                    "contract_id": cls.contract_b.id,
                    "date": day,
                    "user_id": cls.technician.id,
                    "line_ids": [
                        (0, 0, {"check_name": f"Check {index}", "sequence": index, "result": result})
                        for index, result in enumerate(results)
                    ],
                }
            )
            if all(results):
                report.action_done()
            cls.reports |= report

    def _dashboard(self, contract=None):
        return (contract or self.contract_b)._itsm_dashboard(today=TODAY, now=NOW)

    # ------------------------------------------------------------ figures
    def test_figures_worked_out_by_hand(self):
        data = self._dashboard()["data"]
        self.assertEqual(data["months"], [date(2026, month, 1) for month in range(1, 13)])
        #                 J  F  M  A  M  J  J  A  S  O  N  D
        incidents = [0, 0, 1, 0, 0, 1, 0, 0, 0, 0, 0, 1]  # T1, T6, T4
        requests = [0, 0, 1, 0, 0, 2, 0, 0, 0, 0, 0, 1]  # T2, T7 + the archived one, T5
        self.assertEqual(data["tickets"], {"incident": incidents, "request": requests})
        none = (0, 0)
        response = [none, none, (1, 2), none, none, none, none, none, none, none, none, (0, 1)]
        resolution = [(1, 1), none, (0, 1), (1, 1), none, none, none, none, none, none, none, none]
        self.assertEqual(data["sla"], {"response": response, "resolution": resolution})
        consumed = [0.0, 0.0, 3.0, 0.5] + [0.0] * 8
        self.assertEqual(data["consumed"], consumed)
        bought = self.bought
        balance = [bought, bought, bought - 3.0, bought - 3.5] + [bought - 1.5] * 8
        self.assertEqual(data["balance"], [round(value, 2) for value in balance])
        # open tickets by priority, P1 first: T4 (P1 incident), T6 (P2 incident), T7 (P2 request), T5 (P4)
        self.assertEqual(data["open"], {"incident": [1, 1, 0, 0], "request": [0, 1, 0, 1]})
        self.assertEqual(
            [(report["date"], report["ok"], report["warning"], report["ko"], report["na"]) for report in data["mco"]],
            [(date(2026, 10, 20), 3, 1, 0, 1), (date(2026, 11, 20), 4, 0, 0, 1)],
        )
        dashboard = self._dashboard()
        self.assertEqual(dashboard["tickets_total"], 7)
        self.assertEqual(dashboard["open_total"], 4)
        self.assertEqual(dashboard["response_share"], "33.3 %")  # 1 of 3 responses judged
        self.assertEqual(dashboard["resolution_share"], "66.7 %")  # 2 of 3 resolutions judged
        charts = [key for key, _title, _svg in dashboard["charts"]]
        self.assertEqual(charts, ["tickets", "sla", "credit", "open", "mco"])

    def test_charts_draw_the_figures(self):
        charts = {key: svg for key, _title, svg in self._dashboard()["charts"]}
        # one bar per month with tickets (March 2, June 3, December 2), totals written above them
        totals = re.findall(r'text-anchor="middle" fill="#333">(\d+)</text>', charts["tickets"])
        self.assertEqual(totals, ["2", "3", "2"])
        # response points: March 1/2 and December 0/1; resolution: January, March, April
        self.assertEqual(re.findall(r"<title>(\d+/\d+)</title>", charts["sla"]), ["1/2", "0/1", "1/1", "0/1", "1/1"])
        self.assertIn(">3</text>", charts["credit"])
        self.assertIn(">0.5</text>", charts["credit"])
        self.assertEqual(charts["credit"].count("<circle"), 12, "one balance point a month")
        for svg in charts.values():
            self.assertTrue(svg.startswith("<svg") and svg.endswith("</svg>"))
            self.assertIn('width="100%"', svg, "scales to a phone's width")

    def test_time_and_material_contract_shows_billed_hours(self):
        contract = self.env["itsm.contract"].create(
            {
                "partner_id": self.client_b.id,
                "contract_type": "time_material",
                "state": "active",
                "hourly_rate": 80.0,
                "day_rate": 560.0,
                "date_start": date(2026, 1, 1),
                "calendar_id": self.calendar.id,
            }
        )
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "T&M",
                "description": "T&M",
                "partner_id": self.client_b_contact.id,
                "team_id": self.team.id,
                "project_id": self.project.id,
                "itsm_contract_id": contract.id,
                "itsm_request_date": datetime(2026, 9, 1, 9),
            }
        )
        self.env["account.analytic.line"].create(
            {
                "name": "Troubleshooting",
                "ticket_id": ticket.id,
                "itsm_contract_id": contract.id,
                "project_id": self.project.id,
                "employee_id": self.employee.id,
                "date_time": datetime(2026, 9, 2, 9),
                "unit_amount": 1.25,
            }
        )
        dashboard = self._dashboard(contract)
        self.assertEqual(dashboard["data"]["billed"], [0.0] * 8 + [1.25] + [0.0] * 3)
        self.assertNotIn("balance", dashboard["data"])
        self.assertEqual([key for key, _title, _svg in dashboard["charts"]], ["tickets", "sla", "credit", "open"])

    def test_queries_do_not_grow_with_the_history(self):
        Month = self.env["itsm.contract.month"]

        def counted():
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._dashboard()
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        cold, warm = counted(), counted()
        self.assertEqual(Month.search_count([("contract_id", "=", self.contract_b.id), ("valid", "=", True)]), 11)
        # cold, the months are kept in a savepoint: SAVEPOINT, DELETE of the changes seen, the upsert, RELEASE
        self.assertEqual(warm, cold - 4, "the months that are over are read, not computed, nor written again")
        # ten times more tickets and interventions over the year
        for index in range(60):
            ticket = self.env["helpdesk.ticket"].create(
                {
                    "name": f"More {index}",
                    "description": "more",
                    "partner_id": self.client_b_contact.id,
                    "team_id": self.team.id,
                    "project_id": self.project.id,
                    "priority": str(index % 4),
                    "itsm_request_date": datetime(2026, 1 + index % 11, 2 + index % 20, 9),
                    "stage_id": (self.open_stage if index % 3 else self.done_stage).id,
                }
            )
            self._log(datetime(2026, 1 + index % 11, 6 + index % 20, 9), 0.25, ticket=ticket)
        self.env.flush_all()
        months = Month.search([("contract_id", "=", self.contract_b.id)]).mapped("month")
        self.assertFalse(
            Month._itsm_read(self.contract_b, months)[0],
            "every month that received a ticket or an intervention is stale",
        )
        self.assertEqual((counted(), counted()), (cold, warm))

    def test_kept_months_equal_the_rows_and_follow_their_changes(self):
        live = self._dashboard()["data"]
        kept = self._dashboard()["data"]
        self.assertEqual(kept, live, "the kept months give the figures computed from the rows")
        # T1 closed in time after all (the closing date corrected): March's resolution is met
        self.env.cr.execute(
            "UPDATE helpdesk_ticket SET closed_date = %s WHERE id = %s",
            [datetime(2026, 3, 11, 10), self.tickets["T1"].id],
        )
        self.env.invalidate_all()
        data = self._dashboard()["data"]
        self.assertEqual(data["sla"]["resolution"][2], (1, 1))
        # an intervention of April logged today: April's consumption and every balance from April on
        self._log(datetime(2026, 4, 7, 9), 1.0, ticket=self.tickets["T2"])
        data = self._dashboard()["data"]
        self.assertEqual(data["consumed"][3], 1.5)
        self.assertEqual(data["balance"][3], round(self.bought - 4.5, 2))
        self.assertEqual(data["balance"][10], round(self.bought - 2.5, 2))
        # a request reclassified as an incident, a ticket archived
        self.tickets["T7"].itsm_kind = "incident"
        self.tickets["T6"].active = False
        data = self._dashboard()["data"]
        self.assertEqual((data["tickets"]["incident"][5], data["tickets"]["request"][5]), (2, 1))
        # the stage of T1, T2 and T3 is no longer a closing one: unresolved past their deadlines, all missed
        self.done_stage.closed = False
        data = self._dashboard()["data"]
        resolution = data["sla"]["resolution"]
        self.assertEqual((resolution[0], resolution[2], resolution[3]), ((0, 1), (0, 1), (0, 1)))
        self.assertEqual(data, self._dashboard()["data"])

    def test_bulk_statement_marks_each_month_once(self):
        """One statement over many rows marks each month it touches once (issue 24: the month's row was updated
        once per source row, a statement of 20 000 rows of a closed month took 33 to 82 times longer)."""
        self._dashboard()  # the months that are over are kept
        cr = self.env.cr

        def months():
            """{month: (kept, changes recorded)} of contract B's kept months."""
            cr.execute(
                "SELECT m.month, m.valid AND NOT EXISTS (SELECT 1 FROM itsm_contract_month_change c "
                "WHERE c.contract_id = m.contract_id AND c.month = m.month), "
                "(SELECT COUNT(*) FROM itsm_contract_month_change c WHERE c.contract_id = m.contract_id "
                "AND c.month = m.month) FROM itsm_contract_month m WHERE m.contract_id = %s",
                [self.contract_b.id],
            )
            return {month: (kept, changes) for month, kept, changes in cr.fetchall()}

        march, april, may, june = (date(2026, month, 1) for month in (3, 4, 5, 6))
        before = months()
        self.assertTrue(all(before[month][0] for month in (march, april, may, june)))
        # 600 adjustments, half in March, half in April, in one statement
        cr.execute(
            """
            INSERT INTO itsm_credit_move (contract_id, company_id, partner_id, date, move_type, hours, name, reason,
                                          create_uid, write_uid, create_date, write_date)
            SELECT %s, %s, %s, DATE '2026-03-05' + (n %% 2) * 30, 'adjustment', 0.25, 'Bulk ' || n, 'Bulk',
                   1, 1, now(), now()
              FROM generate_series(1, 600) AS n
            """,
            [self.contract_b.id, self.contract_b.company_id.id, self.contract_b.partner_id.id],
        )
        after = months()
        for month in (march, april):
            self.assertEqual(after[month], (False, before[month][1] + 1), "one change per statement, not per row")
        self.assertEqual(after[may], before[may], "a month the statement did not touch stays kept")
        self.env.invalidate_all()
        self.contract_b._itsm_recompute_credit_figures()
        data = self._dashboard()["data"]
        self.assertEqual(data["balance"][3], round(self.bought - 3.5 + 150, 2), "the 600 x 0.25 h counted")
        kept = months()
        # a column the figures do not read: nothing marked
        cr.execute("UPDATE itsm_credit_move SET name = name || '.' WHERE name LIKE 'Bulk %%'")
        self.assertEqual(months(), kept)
        # the April moves moved to June: April (their old month) and June (their new one), once each
        cr.execute(
            "UPDATE itsm_credit_move SET date = DATE '2026-06-04' WHERE name LIKE 'Bulk %%' AND date = %s",
            [date(2026, 4, 4)],
        )
        self.assertEqual(cr.rowcount, 300)
        moved = months()
        self.assertEqual(moved[april], (False, kept[april][1] + 1))
        self.assertEqual(moved[june], (False, kept[june][1] + 1))
        self.assertEqual((moved[march], moved[may]), (kept[march], kept[may]))
        # deleted: the months of the rows deleted
        self._dashboard()
        kept = months()
        cr.execute("DELETE FROM itsm_credit_move WHERE name LIKE 'Bulk %%'")
        deleted = months()
        for month in (march, june):
            self.assertEqual(deleted[month], (False, kept[month][1] + 1))
        self.assertEqual((deleted[april], deleted[may]), (kept[april], kept[may]))
        self.env.invalidate_all()
        self.contract_b._itsm_recompute_credit_figures()
        self.assertEqual(self._dashboard()["data"], self._dashboard()["data"])
        self.assertEqual(self._dashboard()["data"]["balance"][3], round(self.bought - 3.5, 2))

    def test_change_while_computing_leaves_the_month_stale(self):
        """A dashboard keeps a month's figures and deletes the changes it saw, never one recorded since: the
        figures computed before a change do not hide it."""
        Month = self.env["itsm.contract.month"]
        march = date(2026, 3, 1)
        self._dashboard()
        self.assertIn(march, Month._itsm_read(self.contract_b, [march])[0], "kept by the first dashboard")
        self._log(datetime(2026, 3, 24, 15), 0.5, ticket=self.tickets["T2"])  # a first change: March is stale
        self.env.flush_all()
        kept, changes = Month._itsm_read(self.contract_b, [march])
        self.assertNotIn(march, kept)
        self.assertTrue(changes[march])
        figures = self.contract_b._itsm_dashboard_live(march, [march], fields.Datetime.now())["months"]
        self.tickets["T1"].itsm_kind = "request"  # committed by another request while this one computed
        self.env.flush_all()
        Month._itsm_keep(self.contract_b, figures, changes)  # the figures computed before the second change
        kept, changes_after = Month._itsm_read(self.contract_b, [march])
        self.assertNotIn(march, kept, "stale figures are not taken as kept")
        self.assertTrue(changes_after[march], "the later change stays")
        self.assertFalse(set(changes_after[march]) & set(changes[march]), "the changes seen are deleted")
        self.assertEqual(self._dashboard()["data"]["tickets"]["request"][2], 2)
        self.assertIn(march, Month._itsm_read(self.contract_b, [march])[0])

    # ------------------------------------------------------------ pages
    def test_portal_page_and_isolation(self):
        self.authenticate("itsm_portal_b", "itsm_portal_b")
        page = self.url_open(f"/my/contracts/{self.contract_b.id}/dashboard")
        self.assertEqual(page.status_code, 200)
        html = page.text
        self.assertEqual(html.count("<svg"), 5)
        self.assertIn(self.contract_b.name, html)
        # the total of tickets over the 12 months: worked out above (7, the archived one included)
        self.assertRegex(html, r'itsm_dashboard_tickets">\s*7\s*<')
        contract_page = self.url_open(f"/my/contracts/{self.contract_b.id}")
        self.assertIn(f"/my/contracts/{self.contract_b.id}/dashboard", contract_page.text)
        # Odoo answers the HTML it would print when tests run (no wkhtmltopdf behind a test request)
        pdf = self.url_open(f"/my/contracts/{self.contract_b.id}/dashboard?report_type=pdf")
        self.assertEqual(pdf.status_code, 200)
        self.assertIn(pdf.headers["Content-Type"], ("application/pdf", "text/html; charset=utf-8"))
        self.assertIn(self.contract_b.name.encode(), pdf.content)
        # client A's contract: back to /my, no figure of it
        for url in (
            f"/my/contracts/{self.contract.id}/dashboard",
            f"/my/contracts/{self.contract.id}/dashboard?report_type=pdf",
            "/my/contracts/999999999/dashboard",
        ):
            response = self.url_open(url, allow_redirects=False)
            self.assertEqual(response.status_code, 303, url)
            self.assertTrue(response.headers["Location"].endswith("/my"), url)
        self.authenticate(None, None)
        response = self.url_open(f"/my/contracts/{self.contract_b.id}/dashboard", allow_redirects=False)
        self.assertEqual(response.status_code, 303, "anonymous: no dashboard")
        self.assertTrue(response.headers["Location"].endswith("/my"))

    def test_backend_button_and_pdf_in_french(self):
        action = self.contract_b.with_user(self.account_manager).action_itsm_dashboard()
        self.assertEqual(action["type"], "ir.actions.report")
        self.assertEqual(action["report_name"], "itsm_service_contract.report_itsm_dashboard")
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "itsm_service_contract")])._update_translations(["fr_FR"])
        self.client_b.lang = "fr_FR"
        Report = self.env["ir.actions.report"].with_user(self.account_manager)
        html = Report._render_qweb_html("itsm_service_contract.action_report_itsm_dashboard", self.contract_b.ids)[0]
        self.assertIn(b"<svg", html)
        pdf, kind = Report.with_context(force_report_rendering=True)._render_qweb_pdf(
            "itsm_service_contract.action_report_itsm_dashboard", self.contract_b.ids, data={"report_type": "pdf"}
        )
        self.assertEqual(kind, "pdf")
        text = self._pdf_text(pdf)
        self.assertIn("Tableau de bord", text)
        self.assertIn(self.contract_b.name, text)

    def _pdf_text(self, pdf):
        import subprocess  # noqa: PLC0415
        import tempfile  # noqa: PLC0415

        with tempfile.NamedTemporaryFile(suffix=".pdf") as handle:
            handle.write(pdf)
            handle.flush()
            return subprocess.run(
                ["pdftotext", "-layout", handle.name, "-"], capture_output=True, check=True, text=True
            ).stdout
