from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.tests import new_test_user
from odoo.tests import tagged

from .common import ItsmInterventionCase

# Monday 2026-11-23 09:00, a P1 incident: 4 h resolution round the clock (default matrix), due at 13:00.
# Threshold 50 %: level 2 at 9:00 + 50 % x 4 h = 11:00, level 3 halfway through the rest, 75 % = 12:00.
REQUESTED = datetime(2026, 11, 23, 9, 0)
DEADLINE = datetime(2026, 11, 23, 13, 0)
LEVEL_2_AT = datetime(2026, 11, 23, 11, 0)
LEVEL_3_AT = datetime(2026, 11, 23, 12, 0)


@tagged("post_install", "-at_install")
class TestEscalation(ItsmInterventionCase):
    """Seed 001: the escalation path N1 -> N2 -> N3 of the contract, by hand and past the threshold."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        default = cls.env.ref("itsm_service_contract.sla_matrix_default")
        cls.contract.sla_matrix_id = default.copy({"name": "Test levels", "calendar_id": cls.calendar.id})
        cls.leader = new_test_user(
            cls.env, login="itsm_n2_lead", name="Nina Leader", groups="itsm_service_contract.group_itsm_technician"
        )
        cls.expert = new_test_user(
            cls.env, login="itsm_n3_expert", name="Xavier Expert", groups="itsm_service_contract.group_itsm_technician"
        )
        Team = cls.env["helpdesk.ticket.team"]
        cls.team.user_ids = [Command.link(cls.technician.id)]
        cls.team_n2 = Team.create({"name": "Level 2 systems", "user_id": cls.leader.id})
        cls.team_n3 = Team.create({"name": "Level 3 experts", "user_ids": [Command.set(cls.expert.ids)]})
        cls.contract.write(
            {
                "n1_team_id": cls.team.id,
                "n2_team_id": cls.team_n2.id,
                "n3_team_id": cls.team_n3.id,
                "escalation_threshold_pct": 50,
            }
        )
        cls.new_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.waiting_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_awaiting")
        cls.done_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        # the fixture's ticket of 9 November is long past its threshold: closed, so that the scans see ours only
        cls.ticket.stage_id = cls.done_stage

    def _new(self, requested=REQUESTED, count=None, **vals):
        values = {
            "name": "Server down",
            "description": "The file server does not start",
            "partner_id": self.client_a_contact.id,
            "team_id": self.team.id,
            "project_id": self.project.id,
            "stage_id": self.new_stage.id,
            "priority": "3",
            "itsm_request_date": requested,
        }
        values.update(vals)
        with freeze_time(requested):
            tickets = self.env["helpdesk.ticket"].create([values] * (count or 1))
        return tickets

    def _scan(self, when, batch_size=200):
        with freeze_time(when):
            return self.env["helpdesk.ticket"]._cron_itsm_escalation_scan(batch_size=batch_size)

    def _activities(self, ticket, user):
        return self.env["mail.activity"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id), ("user_id", "=", user.id)]
        )

    # ------------------------------------------------------------ manual
    def test_manual_escalation_n1_n2_n3(self):
        ticket = self._new()
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team, "1"))
        self.assertEqual(ticket.itsm_resolution_deadline, DEADLINE)
        # the technician of the desk escalates through the wizard
        action = ticket.with_user(self.technician).action_itsm_escalate()
        self.assertEqual(action["res_model"], "itsm.escalation.wizard")
        wizard = (
            self.env["itsm.escalation.wizard"]
            .with_user(self.technician)
            .with_context(**action["context"])
            .create({"reason": "Needs a system administrator"})
        )
        with freeze_time("2026-11-23 09:30:00"):
            wizard.action_confirm()
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n2, "2"))
        first = ticket.itsm_escalation_ids
        self.assertEqual(len(first), 1)
        self.assertEqual(
            (first.from_level, first.to_level, first.from_team_id, first.to_team_id, first.user_id, first.automatic),
            ("1", "2", self.team, self.team_n2, self.technician, False),
        )
        self.assertEqual((first.reason, first.date), ("Needs a system administrator", datetime(2026, 11, 23, 9, 30)))
        self.assertEqual(len(self._activities(ticket, self.leader)), 1, "a to-do for the level 2 team's leader")
        self.assertIn("Escalated from level 1", ticket.message_ids[:1].body)
        # the service's account manager takes it to level 3: no leader there, its first member gets the to-do
        ticket.with_user(self.account_manager)._itsm_escalate("Hardware failure, vendor expert needed")
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n3, "3"))
        self.assertEqual(len(ticket.itsm_escalation_ids), 2)
        second = ticket.itsm_escalation_ids - first
        self.assertEqual(
            (second.from_level, second.to_level, second.from_team_id, second.to_team_id, second.user_id),
            ("2", "3", self.team_n2, self.team_n3, self.account_manager),
        )
        self.assertEqual(len(self._activities(ticket, self.expert)), 1)
        # level 3 is the end of the path
        with self.assertRaisesRegex(UserError, f"{ticket.display_name}.*already at level 3"):
            ticket.action_itsm_escalate()
        with self.assertRaisesRegex(UserError, "already at level 3"):
            ticket._itsm_escalate("Once more")
        self.assertEqual(len(ticket.itsm_escalation_ids), 2)
        # the history is read-only for the technicians
        with self.assertRaises(AccessError):
            first.with_user(self.technician).write({"reason": "Changed"})
        with self.assertRaises(AccessError):
            first.with_user(self.technician).unlink()

    def test_wizard_shows_the_target_level_team_and_project(self):
        """Issue 25: the wizard says to which level, team and project the ticket goes before confirming."""
        ticket = self._new()
        self.assertEqual(ticket.project_id, self.project, "routed to the desk: its project")
        action = ticket.with_user(self.technician).action_itsm_escalate()
        Wizard = self.env["itsm.escalation.wizard"].with_user(self.technician).with_context(**action["context"])
        wizard = Wizard.new({"ticket_id": ticket.id})
        self.assertEqual(
            (wizard.support_level, wizard.team_id, wizard.target_level, wizard.target_team_id),
            ("1", self.team, "2", self.team_n2),
        )
        # level 2 has no timesheet project: the time stays logged on the ticket's project
        self.assertEqual((wizard.target_project_id, wizard.target_warning), (self.project, False))
        project_n2 = self.env["project.project"].create({"name": "Level 2 support", "allow_timesheets": True})
        self.team_n2.write({"allow_timesheet": True, "default_project_id": project_n2.id})
        wizard = Wizard.create({"reason": "Needs a system administrator"})
        self.assertEqual(wizard.target_project_id, project_n2)
        wizard.action_confirm()
        self.assertEqual(
            (ticket.team_id, ticket.itsm_support_level, ticket.project_id), (self.team_n2, "2", project_n2)
        )

    def test_refused_when_time_could_not_be_logged(self):
        """Issue 25: escalation never leaves a ticket on which no time can be logged: it is refused, and the
        wizard says why before confirming."""
        ticket = self._new()
        ticket.project_id = False
        wizard = self.env["itsm.escalation.wizard"].new({"ticket_id": ticket.id})
        self.assertEqual(wizard.target_team_id, self.team_n2)
        self.assertIn("Level 2 systems has no project with timesheets", wizard.target_warning)
        with self.assertRaisesRegex(UserError, f"{ticket.display_name}.*Level 2 systems.*no project with timesheets"):
            ticket._itsm_escalate("Needs a system administrator")
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team, "1"))
        self.assertFalse(ticket.itsm_escalation_ids)

    def test_refused_on_closed_ticket_and_without_reason(self):
        ticket = self._new()
        with self.assertRaisesRegex(UserError, "say why"):
            ticket._itsm_escalate("   ")
        ticket.stage_id = self.done_stage
        with self.assertRaisesRegex(UserError, f"{ticket.display_name} is closed"):
            ticket.action_itsm_escalate()
        with self.assertRaisesRegex(UserError, "is closed"):
            ticket._itsm_escalate("Too late")
        self.assertFalse(ticket.itsm_escalation_ids)

    def test_refused_without_a_team_for_the_next_level(self):
        self.contract.n2_team_id = False
        ticket = self._new()
        with self.assertRaisesRegex(UserError, "has no level 2 team"):
            ticket._itsm_escalate("Needs a system administrator")
        self.assertFalse(ticket.itsm_escalation_due_date, "nothing to escalate to automatically either")
        self.assertEqual(self._scan(LEVEL_3_AT), 0)
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team, "1"))

    def test_escalating_does_not_route_again(self):
        servers = self.env.ref("itsm_service_contract.service_domain_servers")
        self.contract.write(
            {
                "scope_ids": [
                    Command.create(
                        {"domain_id": servers.id, "coverage": "routed", "team_id": self.team_n2.id, "level": "2"}
                    )
                ]
            }
        )
        ticket = self._new(itsm_domain_id=servers.id)
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n2, "2"), "routed")
        ticket._itsm_escalate("Vendor expert needed")
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n3, "3"))

    # ------------------------------------------------------------ automatic
    def test_automatic_escalation_once_per_level(self):
        ticket = self._new()
        self.assertEqual(self._scan(datetime(2026, 11, 23, 10, 59)), 0, "49.6 % elapsed: below the threshold")
        self.assertEqual(ticket.itsm_support_level, "1")
        self.assertEqual(self._scan(LEVEL_2_AT), 1)
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n2, "2"))
        escalation = ticket.itsm_escalation_ids
        self.assertTrue(escalation.automatic)
        self.assertEqual((escalation.from_level, escalation.to_level, escalation.date), ("1", "2", LEVEL_2_AT))
        self.assertIn("50 %", escalation.reason)
        self.assertEqual(len(self._activities(ticket, self.leader)), 1)
        # the same moment again: nothing new
        self.assertEqual(self._scan(LEVEL_2_AT), 0)
        self.assertEqual(len(ticket.itsm_escalation_ids), 1)
        self.assertEqual(self._scan(datetime(2026, 11, 23, 11, 59)), 0)
        # past 75 %: level 3, once
        self.assertEqual(self._scan(LEVEL_3_AT), 1)
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n3, "3"))
        self.assertEqual(self._scan(datetime(2026, 11, 23, 12, 30)), 0)
        self.assertEqual(len(ticket.itsm_escalation_ids), 2)
        self.assertEqual(ticket.itsm_escalation_ids.mapped("to_level"), ["3", "2"])
        self.assertEqual(len(self._activities(ticket, self.expert)), 1)

    def test_automatic_escalation_once_even_if_the_level_is_lowered(self):
        ticket = self._new()
        self._scan(LEVEL_2_AT)
        ticket.write({"itsm_support_level": "1", "team_id": self.team.id})  # sent back to the desk by hand
        self.assertEqual(self._scan(datetime(2026, 11, 23, 11, 30)), 0, "already escalated to level 2 once")
        self.assertEqual(ticket.itsm_support_level, "1")

    def test_no_automatic_escalation_while_waiting_for_the_client(self):
        ticket = self._new()
        with freeze_time("2026-11-23 09:30:00"):
            ticket.stage_id = self.waiting_stage
        self.assertTrue(ticket.itsm_pause_start)
        self.assertEqual(self._scan(datetime(2026, 11, 23, 11, 30)), 0, "62.5 % of the wall time, but paused")
        self.assertFalse(ticket.itsm_escalation_ids)

    def test_no_automatic_escalation_out_of_scope(self):
        servers = self.env.ref("itsm_service_contract.service_domain_servers")
        self.contract.write({"scope_ids": [Command.create({"domain_id": servers.id, "coverage": "excluded"})]})
        ticket = self._new(itsm_domain_id=servers.id)
        self.assertFalse(ticket.itsm_in_scope)
        self.assertEqual(self._scan(datetime(2026, 11, 24, 12, 0)), 0)
        self.assertFalse(ticket.itsm_escalation_ids)
        # a manual escalation stays possible
        ticket._itsm_escalate("Out of scope, but the client pays by the hour")
        self.assertEqual(ticket.itsm_support_level, "2")

    def test_scan_queries_do_not_grow_with_open_tickets(self):
        def measured_batch():
            self._scan(datetime(2026, 11, 23, 11, 30), batch_size=10)  # warm the caches
            self.env.flush_all()
            self.env.cr.precommit.run()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            with freeze_time(datetime(2026, 11, 23, 11, 30)):
                done = self.env["helpdesk.ticket"]._cron_itsm_escalation_scan(batch_size=10)
                self.env.flush_all()
                self.env.cr.precommit.run()
            self.assertEqual(done, 10)
            return self.env.cr.sql_log_count - before

        self._new(count=20)
        small = measured_batch()
        self._new(count=200)
        large = measured_batch()
        self.assertEqual(small, large, "the same queries per batch with 20 and 200 open tickets")
        with freeze_time(datetime(2026, 11, 23, 11, 30)):
            due = self.env["helpdesk.ticket"].search_count(
                self.env["helpdesk.ticket"]._itsm_escalation_scan_domain(datetime(2026, 11, 23, 11, 30))
            )
        self.assertEqual(due, 200 - 20)

    # ------------------------------------------------------------ committee
    def test_committee_counts_escalations_domains_and_out_of_scope(self):
        servers = self.env.ref("itsm_service_contract.service_domain_servers")
        printers = self.env.ref("itsm_service_contract.service_domain_printers")
        self.contract.write({"scope_ids": [Command.create({"domain_id": servers.id, "coverage": "excluded"})]})
        manual = self._new(itsm_domain_id=printers.id)
        automatic = self._new()
        outside = self._new(itsm_domain_id=servers.id)
        with freeze_time("2026-11-23 09:30:00"):
            manual._itsm_escalate("Needs a system administrator")
        self._scan(LEVEL_2_AT)  # the two in scope are due; the manual one escalated already to 2, 3 is at 12:00
        self.assertEqual(automatic.itsm_escalation_ids.automatic, True)
        december = self._new(datetime(2026, 12, 1, 9, 0))
        with freeze_time("2026-12-01 10:00:00"):
            december._itsm_escalate("Outside the period")
        committee = self.env["itsm.committee"].create(
            {"contract_id": self.contract.id, "committee_type": "monthly", "date": datetime(2026, 12, 10, 9, 0)}
        )
        with freeze_time("2026-12-10 08:00:00"):
            committee.action_prepare()
        self.assertEqual((committee.kpi_escalations_manual, committee.kpi_escalations_automatic), (1, 1))
        self.assertEqual(committee.kpi_out_of_scope_tickets, 1)
        lines = committee.kpi_line_ids.filtered(lambda line: line.section == "domain")
        # opened in November: the fixture's ticket (9th, no domain), manual (printers), automatic (none), outside
        self.assertEqual(
            sorted((line.domain_id.code or "", line.count) for line in lines),
            [("", 2), ("printers", 1), ("servers", 1)],
        )
        self.assertIn(outside, self.env["helpdesk.ticket"].search([("itsm_in_scope", "=", False)]))
