from odoo import fields
from odoo.tests import TransactionCase
from odoo.tests import tagged

MODULE = "itsm_service_contract"
# Demo tickets and the scenario each one's suggestions must offer (demo/itsm_demo_knowledge.xml)
EXPECTED_SCENARIOS = {
    "ticket_demo_server": "kb_demo_file_server",
    "ticket_demo_outlook": "kb_demo_outlook_shared",
    "ticket_demo_backup": "kb_demo_backup",
    "ticket_demo_vpn": "kb_demo_vpn",
    "ticket_demo_laptops": "kb_demo_new_laptop",
    "ticket_demo_printer": "kb_demo_printer",
    "ticket_demo_slow_pc": "kb_demo_slow_pc",
    "ticket_demo_erp": "kb_demo_erp",
    "ticket_demo_printer_atelier_3": "kb_demo_printer",
}
TEAM_LEVEL = {"helpdesk_team_demo_n1": "1", "helpdesk_team_demo_n2": "2", "helpdesk_team_demo_n3": "3"}


@tagged("post_install", "-at_install")
class TestDemoStory(TransactionCase):
    """The demo tells the desk's story (issue 25): checked on the installed demo data, skipped without it."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.demo = cls.env.ref(f"{MODULE}.ticket_demo_slow_pc", raise_if_not_found=False)

    def setUp(self):
        super().setUp()
        if not self.demo:
            self.skipTest("database without the addon's demo data")

    def ref(self, xmlid):
        return self.env.ref(f"{MODULE}.{xmlid}")

    def client_tickets(self, partner_xmlid):
        return (
            self.env["helpdesk.ticket"]
            .with_context(active_test=False)
            .search([("commercial_partner_id", "=", self.ref(partner_xmlid).id), ("active", "=", True)])
        )

    def test_teams_levels_and_technicians_agree(self):
        teams = {self.ref(xmlid): level for xmlid, level in TEAM_LEVEL.items()}
        technician = self.env.ref(f"{MODULE}.group_itsm_technician")
        for team in teams:
            self.assertTrue(team.allow_timesheet, team.name)
            self.assertTrue(team.default_project_id.allow_timesheets, team.name)
            self.assertTrue(team.user_ids, team.name)
            for user in team.user_ids.filtered(lambda u: u != self.env.ref("base.user_admin")):
                self.assertIn(technician, user.groups_id, user.login)
                self.assertTrue(user.employee_ids, user.login)
        tickets = self.client_tickets("partner_demo_client_annual") | self.client_tickets("partner_demo_client_monthly")
        self.assertGreaterEqual(len(tickets), 12)
        bot = self.env.ref("base.user_root")
        for ticket in tickets:
            label = ticket.name
            self.assertIn(ticket.team_id, teams, label)
            self.assertEqual(ticket.itsm_support_level, teams[ticket.team_id], label)
            self.assertTrue(ticket.itsm_domain_id, label)
            self.assertTrue(ticket.user_id, label)
            self.assertNotEqual(ticket.user_id, bot, label)
            self.assertIn(ticket.user_id, ticket.team_id.user_ids, label)
            # the contract's scope routes the ticket's domain to that team and level (or it was escalated there)
            line = ticket.itsm_contract_id.scope_ids.filtered(lambda s, t=ticket: s.domain_id == t.itsm_domain_id)
            self.assertTrue(line, label)
            if ticket.itsm_escalation_ids:
                self.assertEqual(ticket.itsm_escalation_ids[:1].to_team_id, ticket.team_id, label)
            elif line.coverage == "routed":
                self.assertEqual((line.team_id, line.level), (ticket.team_id, ticket.itsm_support_level), label)
            else:
                self.assertEqual(ticket.team_id, ticket.itsm_contract_id.n1_team_id, label)
            if ticket.itsm_equipment_id:
                self.assertEqual(ticket.itsm_equipment_id.itsm_partner_id, ticket.commercial_partner_id, label)
            for line in ticket.timesheet_ids:
                self.assertTrue(line.project_id.allow_timesheets, label)
                self.assertNotEqual(line.employee_id, self.env.ref("hr.employee_admin"), label)
        for xmlid in ("contract_demo_annual", "contract_demo_monthly", "contract_demo_tm"):
            self.assertTrue(self.ref(xmlid).scope_ids, xmlid)

    def test_escalation_n1_to_n2(self):
        ticket = self.ref("ticket_demo_slow_pc")
        escalation = ticket.itsm_escalation_ids
        self.assertEqual(len(escalation), 1)
        self.assertEqual((escalation.from_level, escalation.to_level), ("1", "2"))
        self.assertEqual(escalation.from_team_id, self.ref("helpdesk_team_demo_n1"))
        self.assertEqual(escalation.to_team_id, self.ref("helpdesk_team_demo_n2"))
        self.assertEqual(escalation.user_id, self.ref("user_demo_tech_julien"))
        self.assertIn("SMART", escalation.reason)
        self.assertEqual(ticket.user_id, self.ref("user_demo_tech_thomas"))

    def test_suggestions_find_the_scenarios(self):
        pages = self.env["document.page"].search(
            [("itsm_is_scenario", "=", True), ("parent_id", "=", self.ref("document_page_category_scenarios").id)]
        )
        self.assertGreaterEqual(len(pages), 6)
        self.assertGreaterEqual(len(pages.filtered("itsm_portal_published")), 3)
        for ticket_xmlid, page_xmlid in EXPECTED_SCENARIOS.items():
            ticket = self.ref(ticket_xmlid)
            self.assertIn(self.ref(page_xmlid), ticket.itsm_kb_suggestion_ids, ticket.name)

    def test_problem_from_three_incidents(self):
        problem = self.env["itsm.problem"].search(
            [("partner_id", "=", self.ref("partner_demo_client_annual").id), ("detected_automatically", "=", True)]
        )
        self.assertEqual(len(problem), 1)
        self.assertEqual(
            problem.ticket_ids,
            self.ref("ticket_demo_printer_atelier_1")
            | self.ref("ticket_demo_printer_atelier_2")
            | self.ref("ticket_demo_printer_atelier_3"),
        )
        self.assertEqual(problem.state, "known_error")
        self.assertEqual(problem.page_id, self.ref("kb_demo_printer"))
        self.assertEqual(problem.contract_id, self.ref("contract_demo_annual"))

    def test_estate_mco_and_monitoring(self):
        client = self.ref("partner_demo_client_annual")
        machines = self.env["maintenance.equipment"].search([("itsm_partner_id", "=", client.id)])
        categories = machines.category_id
        for xmlid in ("equipment_category_server", "equipment_category_workstation", "equipment_category_network"):
            self.assertIn(self.ref(xmlid), categories)
        self.assertTrue(machines.itsm_ticket_ids)
        contract = self.ref("contract_demo_annual")
        self.assertEqual(contract.mco_template_id, self.ref("mco_template_standard"))
        report = self.ref("mco_report_demo")
        self.assertIn(report.state, ("done", "sent"))
        failed = report.line_ids.filtered(lambda line: line.result == "ko")
        self.assertEqual(len(failed), 1)
        self.assertEqual(report.count_unanswered, 0)
        ticket = failed.ticket_id
        self.assertEqual((ticket.itsm_kind, ticket.itsm_contract_id), ("incident", contract))
        self.assertEqual(ticket.itsm_equipment_id, self.ref("equipment_demo_srv_files"))
        self.assertEqual(ticket.itsm_mco_line_id, failed)
        alerts = self.ref("monitoring_source_demo").alert_ids
        self.assertEqual(sorted(alerts.mapped("status")), ["firing", "resolved"])
        for alert in alerts:
            self.assertTrue(alert.opened_ticket)
            self.assertIn(alert.ticket_id.itsm_equipment_id, machines)
        resolved = alerts.filtered(lambda a: a.status == "resolved")
        self.assertTrue(resolved.ticket_id.stage_id.closed)
        self.assertFalse(alerts.filtered(lambda a: a.status == "firing").ticket_id.stage_id.closed)

    def test_digest_has_data(self):
        teams = self.ref("helpdesk_team_demo_n1") | self.ref("helpdesk_team_demo_n2")
        data = teams._itsm_digest_data(fields.Datetime.now())
        rows = data.get(self.ref("helpdesk_team_demo_n2").id, [])
        listed = {ticket for ticket, _reasons in rows}
        self.assertIn(self.ref("ticket_demo_vpn"), listed)  # waiting for the client for a week
        self.assertIn(self.ref("ticket_demo_backup"), listed)  # breached

    def test_second_client_isolated_on_the_portal(self):
        claire = self.ref("user_demo_portal_claire")
        julien = self.ref("user_demo_portal_lefevre")
        moreau = self.ref("partner_demo_client_annual")
        lefevre = self.ref("partner_demo_client_monthly")
        for user, own, other in ((claire, moreau, lefevre), (julien, lefevre, moreau)):
            tickets = self.env["helpdesk.ticket"].with_user(user).search([])
            self.assertTrue(tickets, user.login)
            self.assertEqual(tickets.commercial_partner_id, own, user.login)
            machines = self.env["maintenance.equipment"].with_user(user).search([])
            self.assertTrue(machines, user.login)
            self.assertEqual(machines.itsm_partner_id, own, user.login)
            contracts = self.env["itsm.contract"].with_user(user).search([])
            self.assertTrue(contracts, user.login)
            self.assertEqual(contracts.partner_id, own, user.login)
            self.assertFalse(
                self.env["helpdesk.ticket"].with_user(user).search([("commercial_partner_id", "=", other.id)])
            )
