"""Issue 23, model-level isolation: knowledge base, problems, MCO reports and escalations.

Client A (portal user A), client B with its own portal user, contract, closed ticket, problem and scenario, and a
technician of the desk. Each test reproduces one finding of the issue as the hostile party would.
"""

import re
from contextlib import contextmanager
from datetime import date
from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase

B_DIAGNOSIS = "B-SECRET: the partners' NAS at 10.9.8.7 lost its RAID"
PLANTED = '<p>Restart the spooler.</p><script>alert("kb")</script><img src="x" onerror="alert(document.cookie)">'


@tagged("post_install", "-at_install")
class TestSecurityRecords(ItsmInterventionCase, HttpCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.done_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        cls._portal_client_b("Bruno B", "bruno@client-b.example.com", name="Bruno Portal")
        cls.contract_b = cls._buy_class(cls.client_b, cls.annual, date(2026, 11, 2))
        cls.contract_b.write({"calendar_id": cls.calendar.id, "n1_team_id": cls.team.id})
        cls.contract.write({"n1_team_id": cls.team.id})
        cls.team.user_ids = [Command.link(cls.technician.id)]
        cls.ticket_b = cls._ticket(datetime(2026, 11, 9, 9, 0), partner=cls.client_b_contact)
        cls.ticket_b.write({"itsm_diagnosis": B_DIAGNOSIS, "itsm_actions": "Rebuilt the B array"})
        cls.ticket_b.stage_id = cls.done_stage
        Problem = cls.env["itsm.problem"]
        cls.problem_a = Problem.create({"partner_id": cls.client_a.id, "title": "Printer offline"})
        cls.problem_b = Problem.create(
            {"partner_id": cls.client_b.id, "title": "NAS down", "workaround": "B-ONLY-WORKAROUND"}
        )
        cls.internal_page = cls.env["document.page"].create(
            {
                "name": "INTERNAL: admin password of the A firewall",
                "itsm_is_scenario": True,
                "content": "<p>Not for clients</p>",
            }
        )

    @contextmanager
    def _refused(self, exception, regex):
        """``assertRaisesRegex`` that rolls back what the refused call wrote (unlike unittest's own)."""
        with self.assertRaisesRegex(exception, regex), self.env.cr.savepoint():
            yield

    # ------------------------------------------------------------ 1. versions of a published page
    def test_01_portal_reads_no_earlier_version_nor_source_ticket(self):
        tech = self.technician
        action = self.ticket_b.with_user(tech).action_itsm_write_scenario()
        page = self.env["document.page"].with_user(tech).browse(action["res_id"])
        self.assertIn("B-SECRET", page.content)
        self.env.invalidate_all()  # the next request
        page.write({"content": "<p>Rebuild the array from the vendor's console.</p>", "draft_summary": "Generic"})
        self.env.invalidate_all()
        page.with_user(self.account_manager).action_itsm_publish_portal()
        versions = page.sudo().history_ids
        self.assertEqual(len(versions), 2)
        self.assertEqual(page.sudo().history_head, versions.sorted("id")[-1])

        portal = self.env(user=self.portal_user_a)
        with self.assertRaises(AccessError):
            portal["document.page.history"].search_read([("page_id", "=", page.id)], ["content", "summary"])
        with self.assertRaises(AccessError):
            portal["document.page.history"].browse(page.sudo().history_ids.ids).read(["content"])
        portal_page = portal["document.page"].browse(page.id)
        for field in ("itsm_source_ticket_id", "draft_summary", "draft_name", "history_ids", "content"):
            with self.subTest(field=field), self.assertRaises(AccessError):
                portal_page.read([field])
        values = portal_page.read()[0]
        self.assertNotIn("itsm_source_ticket_id", values)
        self.assertNotIn("draft_summary", values)
        self.assertNotIn("B-SECRET", str(values))
        self.assertNotIn(self.ticket_b.number, str(values))
        # what the client does read: the published content, sanitized
        self.assertIn("vendor's console", values["itsm_portal_content"])
        # publishing to every client (or withdrawing) is an account manager's decision
        with self.assertRaises(AccessError):
            page.action_itsm_unpublish_portal()
        with self.assertRaises(AccessError):
            page.write({"itsm_portal_published": False})
        with self.assertRaises(AccessError):
            page.copy().write({"itsm_portal_published": True})
        # the desk still reads everything
        self.assertEqual(page.with_user(tech).itsm_source_ticket_id, self.ticket_b)
        self.assertIn("B-SECRET", page.with_user(tech).history_ids[-1:].content)

    # ------------------------------------------------------------ 3. script planted by a technician
    def test_03_portal_page_is_sanitized(self):
        page = (
            self.env["document.page"]
            .with_user(self.technician)
            .create({"name": "Printer offline", "itsm_is_scenario": True, "content": PLANTED})
        )
        page.with_user(self.account_manager).action_itsm_publish_portal()
        # sanitized when written (a scenario may be published to clients)
        stored = page.sudo().history_head.content
        self.assertIn("Restart the spooler", stored)
        self.assertNotIn("<script", stored)
        self.assertNotIn("onerror", stored)
        # and when shown, whatever is stored (a version written before this check, or by SQL)
        self.env.cr.execute(
            "UPDATE document_page_history SET content = %s WHERE id = %s", [PLANTED, page.sudo().history_head.id]
        )
        self.env.invalidate_all()
        self.assertIn("<script", page.sudo().content)
        self.authenticate("itsm_portal_a", "itsm_portal_a")
        response = self.url_open(f"/my/itsm/kb/{page.id}")
        self.assertEqual(response.status_code, 200)
        body = re.search(r'<div class="itsm-kb-content">(.*?)</div>', response.text, re.S).group(1)
        self.assertIn("Restart the spooler", body)
        for planted in ("<script", "onerror", "alert("):
            self.assertNotIn(planted, body)
        self.assertNotIn('alert("kb")', response.text)
        self.assertNotIn("alert(document.cookie)", response.text)

    # ------------------------------------------------------------ 4. MCO time in another's name
    def _report(self, user, **vals):
        values = {"contract_id": self.contract.id, "date": date(2026, 11, 20), "duration": 1.5}
        values.update(vals)
        return self.env["itsm.mco.report"].with_user(user).create(values)

    def test_04_mco_time_logged_as_the_technician_on_the_contract(self):
        tech = self.technician
        admin = self.env.ref("base.user_admin")
        other_project = self.env["project.project"].create({"name": "Someone else's", "allow_timesheets": True})
        # another user's name: refused to a technician
        with self._refused(AccessError, admin.name):
            self._report(tech, user_id=admin.id)
        report = self._report(tech)
        self.assertEqual(report.user_id, tech)
        self.assertEqual(report.project_id, self.project)
        with self.assertRaises(AccessError):
            report.write({"user_id": admin.id})
        # another project, a duration no intervention may have: refused, naming the report
        with self._refused(ValidationError, f"{report.sudo().name}.*Someone else's"):
            report.write({"project_id": other_project.id})
        for hours in (-2.0, 30.0):
            with self.subTest(hours=hours), self._refused(ValidationError, report.sudo().name):
                report.write({"duration": hours})
        before = self._ledger_sum(self.contract)
        report.action_done()
        line = report.sudo().timesheet_id
        self.assertEqual((line.employee_id, line.user_id, line.project_id), (self.employee, tech, self.project))
        self.assertEqual(line.unit_amount, 1.5)
        self.assertEqual(line.create_uid, tech, "created as the technician, not as superuser")
        self.assertAlmostEqual(float(before - self._ledger_sum(self.contract)), 1.5, places=2)

    def test_04_mco_planned_report_done_by_a_technician_and_chosen_by_a_manager(self):
        # a report assigned to the account manager, done by the technician: the technician's time
        report = self._report(self.account_manager, user_id=self.account_manager.id, duration=1.0)
        report.with_user(self.technician).action_done()
        self.assertEqual(report.user_id, self.technician)
        self.assertEqual(report.timesheet_id.employee_id, self.employee)
        # an account manager may choose who did the checks
        report = self._report(self.account_manager, user_id=self.technician.id, duration=0.5, date=date(2026, 11, 21))
        report.action_done()
        self.assertEqual(report.timesheet_id.employee_id, self.employee)

    # ------------------------------------------------------------ 5. forged escalations
    def test_05_escalation_history_written_by_the_escalation_path_only(self):
        team_n2 = self.env["helpdesk.ticket.team"].create({"name": "Level 2"})
        self.contract.n2_team_id = team_n2
        Escalation = self.env["itsm.ticket.escalation"].with_user(self.technician)
        forged = {
            "ticket_id": self.ticket.id,
            "from_level": "1",
            "to_level": "2",
            "reason": "FORGED",
            "user_id": self.account_manager.id,
            "automatic": True,
            "date": datetime(2020, 1, 1),
        }
        with self.assertRaises(AccessError):
            Escalation.create(forged)
        with self.assertRaises(AccessError):
            self.ticket.with_user(self.technician).write({"itsm_escalation_ids": [Command.create(forged)]})
        for user in (self.technician, self.account_manager):
            with self.subTest(user=user.login), self.assertRaises(AccessError):
                self.env["itsm.ticket.escalation"].with_user(user).create(forged)
        # the wizard still works, and writes its own author and date
        action = self.ticket.with_user(self.technician).action_itsm_escalate()
        wizard = (
            self.env["itsm.escalation.wizard"]
            .with_user(self.technician)
            .with_context(**action["context"])
            .create({"reason": "Needs a system administrator"})
        )
        with freeze_time("2026-11-23 09:30:00"):
            wizard.action_confirm()
        escalation = self.ticket.itsm_escalation_ids
        self.assertEqual(
            (escalation.user_id, escalation.automatic, escalation.date, escalation.reason),
            (self.technician, False, datetime(2026, 11, 23, 9, 30), "Needs a system administrator"),
        )
        for vals in ({"reason": "Changed"}, {"automatic": True}, {"user_id": self.account_manager.id}):
            with self.subTest(vals=vals), self.assertRaises(AccessError):
                escalation.with_user(self.technician).write(vals)
        with self.assertRaises(AccessError):
            escalation.with_user(self.technician).unlink()

    # ------------------------------------------------------------ 6. another client's problem
    def test_06_ticket_linked_to_its_own_clients_problems_only(self):
        ticket = self.ticket.with_user(self.technician)
        with self._refused(ValidationError, f"{self.ticket.display_name}.*{self.problem_b.name}"):
            ticket.write({"itsm_problem_id": self.problem_b.id})
        with self._refused(ValidationError, self.problem_b.name):
            self.problem_b.write({"ticket_ids": [Command.link(self.ticket.id)]})
        ticket.write({"itsm_problem_id": self.problem_a.id})
        self.assertEqual(self.ticket.itsm_problem_id, self.problem_a)
        # the problem cannot move to another client under its incidents
        with self._refused(ValidationError, self.problem_a.name):
            self.problem_a.partner_id = self.client_b
        # nor be put on another client's contract
        with self._refused(ValidationError, self.problem_b.name):
            self.problem_b.contract_id = self.contract
        self.assertEqual(
            self.env["helpdesk.ticket"]._fields["itsm_problem_id"].domain,
            "[('partner_id', '=', commercial_partner_id)]",
        )

    def test_06_mco_check_on_the_clients_own_machines(self):
        machine_b = self.env["maintenance.equipment"].create({"name": "B's NAS", "itsm_partner_id": self.client_b.id})
        report = self._report(self.technician)
        with self._refused(ValidationError, "B's NAS"):
            report.write({"line_ids": [Command.create({"check_name": "Disks", "equipment_id": machine_b.id})]})

    # ------------------------------------------------------------ 7. internal article titles
    def test_07_portal_gets_nothing_of_an_internal_article(self):
        self.ticket.action_itsm_kb_apply(self.internal_page.id)
        self.problem_a.page_id = self.internal_page
        portal = self.env(user=self.portal_user_a)
        ticket = portal["helpdesk.ticket"].browse(self.ticket.id)
        with self.assertRaises(AccessError):
            ticket.read(["itsm_kb_applied_id"])
        self.assertNotIn("itsm_kb_applied_id", portal["helpdesk.ticket"].fields_get())
        self.assertNotIn("INTERNAL", str(ticket.read(["name", "itsm_problem_id", "itsm_problem_workaround"])))
        problem = portal["itsm.problem"].browse(self.problem_a.id)
        with self.assertRaises(AccessError):
            problem.read(["page_id"])
        self.assertNotIn("page_id", portal["itsm.problem"].fields_get())
        self.assertNotIn("INTERNAL", str(problem.read(["name", "title", "workaround", "state"])))
        self.authenticate("itsm_portal_a", "itsm_portal_a")
        for url in (f"/my/ticket/{self.ticket.id}", "/my/itsm/problems", f"/my/itsm/kb/{self.internal_page.id}"):
            with self.subTest(url=url):
                self.assertNotIn("INTERNAL", self.url_open(url).text)
