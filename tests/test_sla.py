from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestSla(ItsmInterventionCase):
    """Seed 003 priorities on the test calendar (UTC, Mon-Fri 08-12 and 13-18, 2026-11-11 off).

    Friday 2026-11-20, Monday 2026-11-23, Tuesday 2026-11-24.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        default = cls.env.ref("itsm_service_contract.sla_matrix_default")
        cls.matrix = default.copy({"name": "Test levels", "calendar_id": cls.calendar.id})
        cls.contract.sla_matrix_id = cls.matrix
        cls.new_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_new")
        cls.progress_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_in_progress")
        cls.waiting_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_awaiting")
        cls.done_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")

    def _new(self, requested, **vals):
        values = {
            "name": "Ticket",
            "description": "Something",
            "partner_id": self.client_a_contact.id,
            "team_id": self.team.id,
            "stage_id": self.new_stage.id,
            "itsm_request_date": requested,
        }
        values.update(vals)
        with freeze_time(requested):
            return self.env["helpdesk.ticket"].create(values)

    def test_catalogue_sets_kind_and_priority(self):
        server = self.env.ref("itsm_service_contract.ticket_catalog_incident_p1_4")
        self.assertEqual(server.name, "Server does not start or is no longer reachable")
        ticket = self._new(datetime(2026, 11, 23, 9, 0), itsm_catalog_id=server.id)
        self.assertEqual((ticket.itsm_kind, ticket.priority), ("incident", "3"))
        password = self.env.ref("itsm_service_contract.ticket_catalog_request_p2_1")
        ticket.itsm_catalog_id = password
        self.assertEqual((ticket.itsm_kind, ticket.priority), ("request", "2"), "seed 003: a P2 request")
        ticket.priority = "1"
        self.assertEqual(ticket.priority, "1", "still editable by the technician")
        self.assertEqual(self.env["itsm.ticket.catalog"].search_count([]), 33)

    def test_p1_request_and_p4_request_without_date_refused(self):
        with self.assertRaisesRegex(ValidationError, "no critical request"):
            self._new(datetime(2026, 11, 23, 9, 0), itsm_kind="request", priority="3")
        with self.assertRaisesRegex(ValidationError, "needs a date agreed with the client"):
            self._new(datetime(2026, 11, 23, 9, 0), itsm_kind="request", priority="0")
        agreed = datetime(2026, 12, 4, 17, 0)
        ticket = self._new(datetime(2026, 11, 23, 9, 0), itsm_kind="request", priority="0", itsm_agreed_date=agreed)
        self.assertEqual(ticket.itsm_resolution_deadline, agreed)
        with self.assertRaisesRegex(ValidationError, "cannot precede the request"):
            ticket.itsm_agreed_date = datetime(2026, 11, 1, 9, 0)

    def test_friday_late_afternoon_lands_on_monday(self):
        # P3 incident, 4 business hours: Friday 16:00-18:00 (2 h), Monday 08:00-10:00 (2 h)
        ticket = self._new(datetime(2026, 11, 20, 16, 0), priority="1")
        self.assertEqual(ticket.itsm_sla_rule_id.response_hours, 4)
        self.assertEqual(ticket.itsm_response_deadline, datetime(2026, 11, 23, 10, 0))

    def test_public_holiday_pushes_further(self):
        self.env["resource.calendar.leaves"].create(
            {
                "name": "Bridge day",
                "calendar_id": self.calendar.id,
                "resource_id": False,
                "date_from": datetime(2026, 11, 23, 0, 0),
                "date_to": datetime(2026, 11, 23, 23, 59, 59),
            }
        )
        ticket = self._new(datetime(2026, 11, 20, 16, 0), priority="1")
        self.assertEqual(ticket.itsm_response_deadline, datetime(2026, 11, 24, 10, 0))

    def test_round_the_clock_rule(self):
        # P1 incident: 1 h response, 4 h resolution, round the clock
        ticket = self._new(datetime(2026, 11, 21, 22, 0), priority="3")
        self.assertFalse(ticket.itsm_sla_rule_id.use_calendar)
        self.assertEqual(ticket.itsm_response_deadline, datetime(2026, 11, 21, 23, 0))
        self.assertEqual(ticket.itsm_resolution_deadline, datetime(2026, 11, 22, 2, 0))

    def test_pause_in_waiting_stage_adds_time_back(self):
        # P3 incident from Monday 08:00: resolution 16 business hours -> Tuesday 16:00
        ticket = self._new(datetime(2026, 11, 23, 8, 0), priority="1")
        self.assertEqual(ticket.itsm_resolution_deadline, datetime(2026, 11, 24, 16, 0))
        with freeze_time(datetime(2026, 11, 23, 9, 0)):
            ticket.stage_id = self.waiting_stage
        self.assertEqual(ticket.itsm_pause_start, datetime(2026, 11, 23, 9, 0))
        with freeze_time(datetime(2026, 11, 23, 11, 0)):
            ticket.stage_id = self.progress_stage
        self.assertFalse(ticket.itsm_pause_start)
        self.assertEqual(ticket.itsm_paused_business_hours, 2.0)
        # two paused business hours are added back: Tuesday 18:00
        self.assertEqual(ticket.itsm_resolution_deadline, datetime(2026, 11, 24, 18, 0))

    def test_first_response_stops_response_clock(self):
        ticket = self._new(datetime(2026, 11, 23, 8, 0), priority="1")
        self.assertEqual(ticket.itsm_response_deadline, datetime(2026, 11, 23, 12, 0))
        with freeze_time(datetime(2026, 11, 23, 10, 0)):
            ticket.message_post(body="We are on it.", message_type="comment", subtype_xmlid="mail.mt_comment")
        self.assertEqual(ticket.itsm_first_response_date, datetime(2026, 11, 23, 10, 0))
        with freeze_time(datetime(2026, 11, 23, 13, 0)):
            self.env["helpdesk.ticket"]._cron_itsm_sla_scan()
        self.assertFalse(ticket.itsm_response_breached)
        self.assertEqual(ticket.itsm_sla_state, "on_track")

    def test_cron_flags_at_risk_then_breached_once(self):
        self.team.user_id = self.account_manager
        ticket = self._new(datetime(2026, 11, 23, 8, 0), priority="1")
        # response 4 business hours: at risk at 75 % = 11:00, breached after 12:00
        self.assertEqual(ticket.itsm_response_risk_date, datetime(2026, 11, 23, 11, 0))
        Ticket = self.env["helpdesk.ticket"]

        def activities():
            return ticket.activity_ids.filtered(lambda a: a.summary == "SLA at risk")

        def breaches():
            return ticket.message_ids.filtered(lambda m: "SLA breached" in (m.body or ""))

        with freeze_time(datetime(2026, 11, 23, 10, 0)):
            Ticket._cron_itsm_sla_scan()
        self.assertEqual(ticket.itsm_sla_state, "on_track")
        for _run in range(2):
            with freeze_time(datetime(2026, 11, 23, 11, 30)):
                Ticket._cron_itsm_sla_scan()
        self.assertEqual(ticket.itsm_sla_state, "at_risk")
        self.assertEqual(len(activities()), 1)
        self.assertEqual(activities().user_id, self.account_manager, "the team leader")
        for _run in range(2):
            with freeze_time(datetime(2026, 11, 23, 12, 30)):
                Ticket._cron_itsm_sla_scan()
        self.assertEqual(ticket.itsm_sla_state, "breached")
        self.assertTrue(ticket.itsm_response_breached)
        self.assertFalse(ticket.itsm_resolution_breached)
        self.assertEqual(len(breaches()), 1)
        self.assertEqual(len(activities()), 1)

    def test_cron_works_in_bounded_batches(self):
        """Due tickets, batches of two: runs never exceed the batch and stop once all are flagged.

        Other open tickets of the database (demo data) may be due too, so the
        test runs the scan like Odoo's scheduler does: until a run finds nothing.
        """
        tickets = self.env["helpdesk.ticket"]
        for _i in range(3):
            tickets |= self._new(datetime(2026, 11, 23, 8, 0), priority="1")
        Ticket = self.env["helpdesk.ticket"]
        counts = []
        with freeze_time(datetime(2026, 11, 23, 12, 30)):
            while not counts or counts[-1]:
                counts.append(Ticket._cron_itsm_sla_scan(batch_size=2))
                self.assertLess(len(counts), 500, "the scan does not converge")
        self.assertLessEqual(max(counts), 2)
        self.assertGreaterEqual(sum(counts), 3)
        self.assertEqual(set(tickets.mapped("itsm_sla_state")), {"breached"})
        for ticket in tickets:
            self.assertEqual(len(ticket.message_ids.filtered(lambda m: "SLA breached" in (m.body or ""))), 1)

    def test_closed_in_time_is_met(self):
        ticket = self._new(datetime(2026, 11, 23, 8, 0), priority="1")
        with freeze_time(datetime(2026, 11, 23, 9, 0)):
            ticket.stage_id = self.done_stage
        self.assertEqual(ticket.itsm_sla_state, "met")
        # both targets judged and met: the analysis sums these counts
        self.assertEqual(
            (
                ticket.itsm_response_judged,
                ticket.itsm_response_in_time,
                ticket.itsm_resolution_judged,
                ticket.itsm_resolution_in_time,
            ),
            (1, 1, 1, 1),
        )

    def test_bad_rules_refused(self):
        with self.assertRaisesRegex(ValidationError, "hours cannot be negative"):
            self.matrix.rule_ids[:1].response_hours = -1
        with self.assertRaisesRegex(ValidationError, "one rule per kind and priority"):
            self.matrix.write(
                {
                    "rule_ids": [
                        Command.create(
                            {"ticket_kind": "incident", "priority": "1", "response_hours": 2, "resolution_hours": 8}
                        )
                    ]
                }
            )
