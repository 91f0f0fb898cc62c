"""MCO reports (seed 004): the planner, the thresholds, the rules of 'done', the tickets and time they leave."""

import base64
import re
import shutil
import subprocess
from datetime import date
from datetime import datetime

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tests import HttpCase
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ItsmInterventionCase


class McoCase(ItsmInterventionCase):
    """Client A's contract with the standard template, monthly, and four machines."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        # the demo's MCO (demo data installed) stays out of the planner and the counts checked here
        cls.env["itsm.contract"].search([("mco_template_id", "!=", False)]).mco_template_id = False
        cls.env["itsm.mco.report"].search([]).unlink()
        cls.template = cls.env.ref("itsm_service_contract.mco_template_standard")
        cls.servers = cls.env.ref("itsm_service_contract.service_domain_servers")
        cls.network = cls.env.ref("itsm_service_contract.service_domain_network")
        cls.ups_category = cls.env.ref("itsm_service_contract.equipment_category_ups")
        cls.contract.write({"n1_team_id": cls.team.id, "mco_template_id": cls.template.id, "mco_interval": "monthly"})
        Equipment = cls.env["maintenance.equipment"]
        machine = {"itsm_partner_id": cls.client_a.id, "itsm_contract_id": cls.contract.id}
        servers, network = cls.servers.id, cls.network.id
        cls.srv1 = Equipment.create({**machine, "name": "Files", "itsm_hostname": "srv1", "itsm_domain_id": servers})
        cls.srv2 = Equipment.create({**machine, "name": "Mail", "itsm_hostname": "srv2", "itsm_domain_id": servers})
        cls.fw = Equipment.create({**machine, "name": "Firewall", "itsm_hostname": "fw", "itsm_domain_id": network})
        cls.ups = Equipment.create(
            {**machine, "name": "UPS", "itsm_hostname": "ups", "category_id": cls.ups_category.id}
        )
        cls.Report = cls.env["itsm.mco.report"]

    def _check(self, xmlid):
        return self.env.ref(f"itsm_service_contract.{xmlid}")

    def _contract(self, name, interval):
        client = self.env["res.partner"].create({"name": name, "is_company": True})
        return self.env["itsm.contract"].create(
            {
                "partner_id": client.id,
                "contract_type": "time_material",
                "state": "active",
                "hourly_rate": 60.0,
                "day_rate": 300.0,
                "date_start": date(2026, 1, 5),
                "mco_template_id": self.template.id,
                "mco_interval": interval,
            }
        )

    def _plan(self, today):
        return self.Report._cron_itsm_plan_mco(today=today)

    def _answered_report(self, report=None):
        report = report or self._plan(date(2026, 11, 20))
        report.write({"duration": 1.5, "user_id": self.technician.id})
        for line in report.line_ids:
            line.result = "ok"
        disk = report.line_ids.filtered(lambda line: line.check_id == self._check("mco_check_disk"))
        disk[0].measure = "4"  # ko
        disk[1].measure = "15"  # warning
        restore = report.line_ids.filtered(lambda line: line.check_id == self._check("mco_check_restore"))
        restore.result = "ko"
        report.line_ids.filtered(lambda line: line.check_id == self._check("mco_check_failover")).result = "na"
        return report


@tagged("post_install", "-at_install")
class TestMco(McoCase):
    # ------------------------------------------------------------ thresholds
    def test_thresholds_both_directions(self):
        report = self._plan(date(2026, 11, 20))
        disk = report.line_ids.filtered(lambda line: line.check_id == self._check("mco_check_disk"))[0]
        updates = report.line_ids.filtered(lambda line: line.check_id == self._check("mco_check_updates"))[0]
        # free space: lower is worse, warning 20 %, critical 10 %
        for measure, result in (("35", "ok"), ("20.5", "ok"), ("20", "warning"), ("15 %", "warning"), ("10", "ko"),
                                ("3,5", "ko")):  # fmt: skip
            disk.measure = measure
            self.assertEqual(disk.result, result, f"free space {measure}")
        # pending updates: higher is worse, warning 1, critical 10
        for measure, result in (("0", "ok"), ("1", "warning"), ("9", "warning"), ("10", "ko"), ("40", "ko")):
            updates.measure = measure
            self.assertEqual(updates.result, result, f"updates {measure}")
        # overridable by hand, and a text measure leaves the result alone
        updates.result = "na"
        self.assertEqual(updates.result, "na")
        updates.measure = "see the console"
        self.assertEqual(updates.result, "na")

    def test_warning_beyond_critical_refused(self):
        check = self._check("mco_check_disk")
        with self.assertRaisesRegex(ValidationError, "warning threshold 5.0 is beyond critical threshold 10.0"):
            check.warning_threshold = 5
        with self.assertRaisesRegex(ValidationError, "higher is worse"):
            self._check("mco_check_updates").write({"warning_threshold": 12})
        # the same values are fine the other way round
        self._check("mco_check_updates").write(
            {"warning_threshold": 12, "critical_threshold": 3, "higher_is_worse": False}
        )

    # ------------------------------------------------------------ planner
    def test_planner_one_report_per_contract_and_period(self):
        quarterly = self._contract("Quarterly client", "quarterly")
        first = self._plan(date(2026, 11, 20))
        self.assertEqual(set(first.contract_id.ids), {self.contract.id, quarterly.id})
        self.assertEqual(sorted(first.mapped("period_key")), ["2026-11", "2026-Q4"])
        self.assertTrue(all(re.fullmatch(r"MCO/2026/\d{4}", name) for name in first.mapped("name")))
        self.assertEqual(len(set(first.mapped("name"))), 2)
        # run twice in the period: nothing more
        self.assertFalse(self._plan(date(2026, 11, 28)))
        # next month: the monthly contract only
        december = self._plan(date(2026, 12, 1))
        self.assertEqual(december.contract_id, self.contract)
        self.assertEqual(self.Report.search_count([("contract_id", "=", quarterly.id)]), 1)
        # the database refuses a second report of a period
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.Report.create({"contract_id": self.contract.id, "period_key": "2026-12"})
            self.env.flush_all()

    def test_planner_lines_from_checks_and_machines(self):
        report = self._plan(date(2026, 11, 20))
        # per check: servers checks on each of the 2 servers, firewall on the firewall, UPS on the UPS,
        # the others once
        expected = {
            "mco_check_backup": 2, "mco_check_restore": 1, "mco_check_disk": 2, "mco_check_certificates": 1,
            "mco_check_licences": 1, "mco_check_antivirus": 1, "mco_check_updates": 2, "mco_check_ups": 1,
            "mco_check_firewall": 1, "mco_check_failover": 1,
        }  # fmt: skip
        for xmlid, count in expected.items():
            lines = report.line_ids.filtered(lambda line, x=xmlid: line.check_id == self._check(x))
            self.assertEqual(len(lines), count, xmlid)
        self.assertEqual(len(report.line_ids), 13)
        disk = report.line_ids.filtered(lambda line: line.check_id == self._check("mco_check_disk"))
        self.assertEqual(disk.equipment_id, self.srv1 | self.srv2)
        self.assertEqual(
            report.line_ids.filtered(lambda line: line.check_id == self._check("mco_check_ups")).equipment_id, self.ups
        )
        self.assertEqual(report.count_unanswered, 13)
        # a client without any machine: one line per check
        bare = self._contract("Bare client", "monthly")
        bare_report = self._plan(date(2026, 11, 20)).filtered(lambda r: r.contract_id == bare)
        self.assertEqual(len(bare_report.line_ids), len(self.template.check_ids))
        self.assertFalse(bare_report.line_ids.equipment_id)

    def test_planner_queries_do_not_grow_with_contracts(self):
        def queries(day):
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            created = self._plan(day)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before, created

        self._contract("One more", "monthly")
        self._contract("Two more", "monthly")
        small, created_small = queries(date(2026, 6, 10))
        self.assertEqual(len(created_small), 2)
        for number in range(8):  # self.contract starts in November: not planned in June or July
            self._contract(f"Client {number}", "monthly")
        large, created_large = queries(date(2026, 7, 10))
        self.assertEqual(len(created_large), 10)
        self.assertLessEqual(large, small, f"{small} queries for 2 contracts, {large} for 10")

    # ------------------------------------------------------------ done
    def test_done_rules(self):
        report = self._plan(date(2026, 11, 20))
        with self.assertRaisesRegex(UserError, "Checks without a result: Backups completed \\(Files\\)"):
            report.action_done()
        report = self._answered_report(report)
        with self.assertRaisesRegex(
            UserError, "Failed checks without a recommendation: Test restore done, Free disk space \\(Files\\)"
        ):
            report.action_done()
        self.assertEqual(report.state, "draft")
        self.assertFalse(self.env["helpdesk.ticket"].search([("itsm_mco_line_id", "in", report.line_ids.ids)]))

    def test_done_opens_one_ticket_per_failure_and_logs_time(self):
        report = self._answered_report()
        failed = report.line_ids.filtered(lambda line: line.result == "ko")
        self.assertEqual(len(failed), 2)
        failed.recommendation = "Extend the volume; schedule a restore test"
        self.assertEqual((report.count_ok, report.count_warning, report.count_ko, report.count_na), (9, 1, 2, 1))
        report.action_done()
        self.assertEqual(report.state, "done")
        tickets = self.env["helpdesk.ticket"].search([("itsm_mco_line_id", "in", report.line_ids.ids)])
        self.assertEqual(len(tickets), 2)
        self.assertEqual(tickets, failed.ticket_id)
        for line in failed:
            self.assertEqual(line.ticket_id.itsm_mco_line_id, line)
            self.assertEqual(line.ticket_id.priority, "1")
            self.assertEqual(line.ticket_id.itsm_kind, "incident")
            self.assertEqual(line.ticket_id.itsm_contract_id, self.contract)
        self.assertEqual(failed.filtered("equipment_id").ticket_id.itsm_equipment_id, self.srv1)
        self.assertEqual(report.ticket_ids, tickets)
        # the time spent: project work on the contract
        intervention = report.timesheet_id
        self.assertEqual(intervention.unit_amount, 1.5)
        self.assertTrue(intervention.itsm_is_project)
        self.assertEqual(intervention.itsm_contract_id, self.contract)
        self.assertEqual(intervention.project_id, self.project)
        self.assertEqual(intervention.employee_id, self.employee)
        # done twice: nothing more
        report.action_done()
        self.assertEqual(self.env["helpdesk.ticket"].search_count([("itsm_mco_line_id", "in", report.line_ids.ids)]), 2)
        self.assertEqual(
            self.env["account.analytic.line"].search_count([("name", "=", f"MCO report {report.name}")]), 1
        )

    def test_committee_adds_the_last_mco_summary(self):
        """The committee's figures: the last report done by the end of its period, not a later one, not a draft."""
        report = self._answered_report()  # 20 November: 9 OK, 1 warning, 2 failed, 1 n/a
        report.line_ids.filtered(lambda line: line.result == "ko").recommendation = "Replace the disk"
        report.action_done()
        later = self._plan(date(2026, 12, 5))  # December's, done: after the November committee's period
        later.write({"duration": 0.0})
        later.line_ids.write({"result": "ok"})
        later.action_done()
        self._plan(date(2027, 1, 5))  # a draft: never counted
        committee = self.env["itsm.committee"].create(
            {
                "contract_id": self.contract.id,
                "committee_type": "monthly",
                "date": datetime(2026, 12, 10, 9, 0),
                "attendee_ids": [(6, 0, [self.client_a_contact.id])],
            }
        )
        self.assertEqual(committee.period_end, date(2026, 11, 30))
        committee.action_prepare()
        self.assertEqual(committee.kpi_mco_report_id, report)
        self.assertEqual((committee.kpi_mco_ok, committee.kpi_mco_warning, committee.kpi_mco_ko), (9, 1, 2))
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("itsm_service_contract.action_report_itsm_committee", committee.ids)[0]
            .decode()
        )
        section = html.split("itsm_committee_mco")[1].split("</table>")[0]
        self.assertIn(report.name, section)
        self.assertEqual(re.findall(r'class="num"><span>(\d+)</span>', section), ["9", "1", "2"])


@tagged("post_install", "-at_install")
class TestMcoPdf(McoCase, HttpCase):
    """Rendered by wkhtmltopdf (an HttpCase: it fetches the assets from the server sharing the transaction)."""

    def test_send_and_pdf_in_french(self):
        self.env["res.lang"]._activate_lang("fr_FR")
        self.env["ir.module.module"].search([("name", "=", "itsm_service_contract")])._update_translations(["fr_FR"])
        self.client_a.lang = "fr_FR"
        previous = self.Report.create(
            {
                "contract_id": self.contract.id,
                "date": date(2026, 11, 3),
                "line_ids": [
                    Command.create(vals) for vals in self.Report._itsm_line_values(self.contract, self.template)
                ],
            }
        )
        previous.line_ids.result = "ok"
        previous.action_done()
        report = self._answered_report()
        report.line_ids.filtered(lambda line: line.result == "ko").recommendation = "Fix it"
        with self.assertRaisesRegex(UserError, "is a draft"):
            report.action_send()
        report.action_done()
        html = (
            self.env["ir.actions.report"]
            ._render_qweb_html("itsm_service_contract.action_report_itsm_mco", report.ids)[0]
            .decode()
        )
        self.assertIn("20/11/2026", html)  # French date
        summary = re.search(r'itsm_mco_summary">(.*?)</table>', html, re.S).group(1)
        figures = [int(n) for n in re.findall(r'itsm-figure[^"]*">(\d+)<', summary)]
        self.assertEqual(figures, [9, 1, 2, 1])
        # compared with the previous report, all 13 checks OK then
        self.assertEqual([int(n) for n in re.findall(r"(\d+)</div></td>", summary)], [13, 0, 0, 0])
        self.assertIn(previous.name, html)
        pdf, kind = (
            self.env["ir.actions.report"]
            .with_context(force_report_rendering=True)
            ._render_qweb_pdf("itsm_service_contract.action_report_itsm_mco", report.ids)
        )
        self.assertEqual(kind, "pdf")
        self.assertTrue(pdf.startswith(b"%PDF"))
        if shutil.which("pdftotext"):
            text = subprocess.run(["pdftotext", "-", "-"], input=pdf, capture_output=True, check=True).stdout.decode()
            self.assertIn(report.name, text)
            self.assertIn("20/11/2026", text)
        report.with_context(force_report_rendering=True).action_send()
        self.assertEqual(report.state, "sent")
        mail = report.message_ids.filtered(lambda m: m.attachment_ids)[:1]
        self.assertTrue(base64.b64decode(mail.attachment_ids.datas).startswith(b"%PDF"))
        self.assertIn(self.client_a_contact, mail.partner_ids)
        # on the portal's contract page and in the committee's figures
        self.assertIn(report.get_portal_url(), [doc["url"] for doc in self.contract._itsm_portal_documents()])
