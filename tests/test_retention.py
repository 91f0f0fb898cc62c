import base64
from datetime import date
from datetime import datetime

from freezegun import freeze_time

from odoo.exceptions import AccessError
from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ItsmInterventionCase

TODAY = "2026-11-23 12:00:00"  # retention 5 years: anything before 2021-11-23 is due


@tagged("post_install", "-at_install")
class TestRetention(ItsmInterventionCase):
    """Client B's support of 2020 against client A's support of 2026 (see ItsmInterventionCase)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.done_stage = cls.env.ref("helpdesk_mgmt.helpdesk_ticket_stage_done")
        cls.bob = cls.env["res.partner"].create(
            {
                "name": "Bob Personne",
                "parent_id": cls.client_b.id,
                "email": "bob@client-b.example.com",
                "phone": "+33 6 12 34 56 78",
            }
        )
        order = cls.env["sale.order"].create(
            {"partner_id": cls.client_b.id, "order_line": [(0, 0, {"product_id": cls.annual.id})]}
        )
        with freeze_time("2020-03-02 08:00:00"):
            order.action_confirm()
            cls.old_contract = order.itsm_contract_id
            cls.old_ticket = cls.env["helpdesk.ticket"].create(
                {
                    "name": "Bob's laptop at home does not boot",
                    "description": "<p>Bob Personne, 12 rue des Lilas, cannot start his laptop.</p>",
                    "partner_id": cls.bob.id,
                    "partner_name": "Bob Personne",
                    "partner_email": "bob@client-b.example.com",
                    "itsm_requester_phone": "+33 6 12 34 56 78",
                    "itsm_site": "Bob's home office",
                    "itsm_diagnosis": "Bob's disk is full of personal photos",
                    "team_id": cls.team.id,
                    "project_id": cls.project.id,
                    "itsm_request_date": datetime(2020, 3, 2, 8, 0),
                }
            )
            cls.old_ticket.message_post(
                body="Call me on my mobile +33 6 12 34 56 78", author_id=cls.bob.id, message_type="comment"
            )
            cls.env["ir.attachment"].create(
                {
                    "name": "bob-screenshot.png",
                    "datas": base64.b64encode(b"not really a PNG"),
                    "res_model": "helpdesk.ticket",
                    "res_id": cls.old_ticket.id,
                }
            )
        cls.old_line = cls.env["account.analytic.line"].create(
            {
                "name": "Called Bob Personne at home, +33 6 12 34 56 78",
                "ticket_id": cls.old_ticket.id,
                "project_id": cls.project.id,
                "employee_id": cls.employee.id,
                "date_time": datetime(2020, 3, 2, 9, 0),
                "unit_amount": 1.1,  # 1 h 06 -> 1 h 15
            }
        )
        with freeze_time("2020-03-03 10:00:00"):
            cls.old_ticket.stage_id = cls.done_stage
        cls.old_committee = cls.env["itsm.committee"].create(
            {
                "contract_id": cls.old_contract.id,
                "committee_type": "exceptional",
                "date": datetime(2020, 4, 1, 9, 0),
                "attendee_ids": [(6, 0, [cls.bob.id])],
            }
        )
        # recent support of client A: never touched
        cls.recent_line = cls._log_class(datetime(2026, 11, 9, 10, 0), 2.0, "Reset Alice's password")
        cls.recent_ticket = cls.ticket
        cls.recent_ticket.partner_email = "alice@client-a.example.com"

    @classmethod
    def _log_class(cls, start, hours, name):
        return cls.env["account.analytic.line"].create(
            {
                "name": name,
                "ticket_id": cls.ticket.id,
                "project_id": cls.project.id,
                "employee_id": cls.employee.id,
                "date_time": start,
                "unit_amount": hours,
            }
        )

    def _run(self, **kw):
        with freeze_time(TODAY):
            return self.env["itsm.retention"]._itsm_anonymise(self.env.company, **kw)

    def test_old_personal_data_anonymised_figures_kept(self):
        balance = self.old_contract.balance_hours
        self.assertEqual(self.old_line.itsm_credit_hours, 1.25)
        self.assertEqual(self._ledger_sum(self.old_contract), 210.0 - 1.25)
        counts = self._run()
        self.assertEqual(
            (counts["tickets"], counts["timesheets"], counts["committees"], counts["attachments"]), (1, 1, 1, 1)
        )
        self.assertGreaterEqual(counts["messages"], 1)
        ticket = self.old_ticket
        self.assertFalse(ticket.partner_name)
        self.assertFalse(ticket.partner_email)
        self.assertFalse(ticket.itsm_requester_phone)
        self.assertFalse(ticket.itsm_site)
        self.assertFalse(ticket.itsm_diagnosis)
        self.assertNotIn("Bob", ticket.name)
        self.assertNotIn("Lilas", str(ticket.description))
        self.assertEqual(ticket.partner_id, self.client_b, "the person goes, the client company stays")
        self.assertEqual(ticket.itsm_anonymised_date, date(2026, 11, 23))
        for message in ticket.message_ids:
            self.assertNotIn("+33 6", str(message.body))
            self.assertNotEqual(message.author_id, self.bob)
            self.assertFalse(message.email_from)
        self.assertFalse(
            self.env["ir.attachment"].search([("res_model", "=", "helpdesk.ticket"), ("res_id", "=", ticket.id)])
        )
        # the intervention keeps its figures, loses its description
        line = self.old_line
        self.assertEqual(line.name, "Intervention (anonymised)")
        self.assertEqual((line.unit_amount, line.itsm_counted_hours, line.itsm_credit_hours), (1.1, 1.25, 1.25))
        self.assertEqual(line.date, date(2020, 3, 2))
        move = line.itsm_credit_move_ids
        self.assertEqual(move.hours, -1.25)
        self.assertNotIn("Bob", move.name)
        self.assertEqual(self.old_contract.balance_hours, balance)
        self.assertEqual(self._ledger_sum(self.old_contract), 210.0 - 1.25)
        self.assertFalse(self.old_committee.attendee_ids)
        self.assertEqual(self.old_committee.anonymised_date, date(2026, 11, 23))
        # client A's recent support is untouched
        self.assertEqual(self.recent_line.name, "Reset Alice's password")
        self.assertEqual(self.recent_ticket.partner_email, "alice@client-a.example.com")
        self.assertFalse(self.recent_ticket.itsm_anonymised_date)

    def test_second_run_does_nothing(self):
        self._run()
        self.assertEqual(set(self._run().values()), {0})

    def test_dry_run_counts_and_changes_nothing(self):
        counts = self._run(dry_run=True)
        self.assertEqual((counts["tickets"], counts["timesheets"], counts["committees"]), (1, 1, 1))
        self.assertEqual(self.old_ticket.partner_email, "bob@client-b.example.com")
        self.assertIn("Bob", self.old_line.name)
        self.assertEqual(self.old_committee.attendee_ids, self.bob)

    def test_retention_years_move_the_cutoff(self):
        self.env.company.itsm_retention_years = 7  # before 2019-11-23: nothing
        self.assertEqual(set(self._run(dry_run=True).values()), {0})
        with self.assertRaisesRegex(ValidationError, "at least one year"):
            self.env.company.itsm_retention_years = 0

    def test_wizard_previews_then_anonymises(self):
        with freeze_time(TODAY):
            with self.assertRaises(AccessError, msg="a technician cannot anonymise"):
                self.env["itsm.retention.wizard"].with_user(self.technician).create({})
            manager = self.env["res.users"].create(
                {
                    "name": "Serge Service",
                    "login": "itsm_service_manager",
                    "groups_id": [(6, 0, [self.env.ref("itsm_service_contract.group_itsm_service_manager").id])],
                }
            )
            wizard = self.env["itsm.retention.wizard"].with_user(manager).create({})
            self.assertEqual(wizard.cutoff_date, date(2021, 11, 23))
            self.assertEqual((wizard.ticket_count, wizard.timesheet_count, wizard.committee_count), (1, 1, 1))
            self.assertEqual(self.old_ticket.partner_email, "bob@client-b.example.com", "a preview changes nothing")
            wizard.action_anonymise()
        self.assertEqual(wizard.state, "done")
        self.assertIn("1 closed ticket(s)", wizard.done_summary)
        self.assertFalse(self.old_ticket.partner_email)

    def test_scheduled_action(self):
        cron = self.env.ref("itsm_service_contract.ir_cron_itsm_retention")
        self.assertTrue(cron.active)
        with freeze_time(TODAY):
            cron.method_direct_trigger()
        self.assertFalse(self.old_ticket.partner_email)
