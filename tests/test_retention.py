import base64
import os
import zipfile
from datetime import date
from datetime import datetime

from freezegun import freeze_time
from markupsafe import Markup

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
        # Bob follows his ticket and was written to; an internal note names him
        cls.old_ticket.message_subscribe(partner_ids=cls.bob.ids)
        with freeze_time("2020-03-02 11:00:00"):
            cls.old_ticket.message_post(
                body=Markup("<p>Dear Bob, your laptop is fixed.</p>"),
                partner_ids=cls.bob.ids,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
            )
        cls.old_ticket.notes = "<p>Bob's wife called about the photos</p>"
        # the March 2020 statement froze Bob's intervention
        with freeze_time("2020-04-01 06:00:00"):
            cls.old_statement = cls.env["itsm.statement"].create(
                {
                    "contract_id": cls.old_contract.id,
                    "period_start": date(2020, 3, 1),
                    "period_end": date(2020, 3, 31),
                }
            )
            cls.old_statement.action_issue()
        # Bob owns an action of the committee and was invited to its meeting
        cls.old_committee.write(
            {
                "user_id": cls.account_manager.id,
                "action_ids": [(0, 0, {"name": "Buy Bob a new laptop", "owner_partner_id": cls.bob.id})],
            }
        )
        cls.old_committee.action_schedule_meeting()
        cls.old_committee.message_post(
            body=Markup("<p>Minutes sent</p>"), partner_ids=cls.bob.ids, message_type="comment"
        )
        # closed without a closing date (imported): counts from its last stage change
        with freeze_time("2020-05-04 08:00:00"):
            cls.undated_ticket = cls.env["helpdesk.ticket"].create(
                {
                    "name": "Carla's printer",
                    "description": "<p>Carla Personne</p>",
                    "partner_id": cls.client_b.id,
                    "partner_email": "carla@client-b.example.com",
                    "team_id": cls.team.id,
                    "stage_id": cls.done_stage.id,
                }
            )
        cls.undated_ticket.closed_date = False
        # still open after six years: its requester stays
        with freeze_time("2020-05-04 08:00:00"):
            cls.open_ticket = cls.env["helpdesk.ticket"].create(
                {
                    "name": "Dan's long-running migration",
                    "description": "<p>Dan Personne</p>",
                    "partner_id": cls.client_b.id,
                    "partner_email": "dan@client-b.example.com",
                    "team_id": cls.team.id,
                }
            )
        # a reversibility package built before the run: it holds Bob's data
        cls.old_package = cls.env["ir.attachment"].create(
            {
                "name": f"{cls.old_contract.name.replace('/', '-')}-reversibility-20261101.zip",
                "raw": b"Bob Personne",
                "res_model": "itsm.contract",
                "res_id": cls.old_contract.id,
            }
        )
        # a client document whose name merely mentions reversibility: not a package, kept
        cls.client_plan = cls.env["ir.attachment"].create(
            {
                "name": "Plan-reversibility-2027.odt",
                "raw": b"Handover plan",
                "res_model": "itsm.contract",
                "res_id": cls.old_contract.id,
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
        self.assertEqual(self.old_committee.calendar_event_id.partner_ids, self.bob | self.account_manager.partner_id)
        counts = self._run()
        self.assertEqual(
            (
                counts["tickets"],
                counts["timesheets"],
                counts["committees"],
                counts["attachments"],
                counts["packages"],
            ),
            (2, 1, 1, 1, 1),
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
        self.assertFalse(ticket.notes)
        self.assertNotIn(self.bob, ticket.message_partner_ids, "Bob no longer follows the ticket")
        for message in ticket.message_ids:
            self.assertNotIn("+33 6", str(message.body))
            self.assertNotIn("Bob", str(message.body))
            self.assertNotIn("Bob", message.record_name or "")
            self.assertNotEqual(message.author_id, self.bob)
            self.assertNotIn(self.bob, message.partner_ids)
            self.assertFalse(message.email_from)
        self.assertFalse(self.env["mail.notification"].search([("res_partner_id", "=", self.bob.id)]))
        self.assertFalse(self.old_package.exists(), "the stale reversibility package is deleted")
        self.assertTrue(self.client_plan.exists(), "a client document is not taken for a package")
        # the undated closed ticket went too, the open one stays
        self.assertFalse(self.undated_ticket.partner_email)
        self.assertNotIn("Carla", str(self.undated_ticket.description))
        self.assertEqual(self.open_ticket.partner_email, "dan@client-b.example.com")
        self.assertIn("Dan", self.open_ticket.name)
        self.assertFalse(self.open_ticket.itsm_anonymised_date)
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
        # the issued statement keeps its figures and its technician, loses the description and the subject
        statement_line = self.old_statement.line_ids
        self.assertEqual(len(statement_line), 1)
        self.assertEqual(statement_line.description, "Intervention (anonymised)")
        self.assertNotIn("Bob", statement_line.ticket_name)
        self.assertEqual(
            (statement_line.raw_hours, statement_line.counted_hours, statement_line.credit_hours), (1.1, 1.25, 1.25)
        )
        self.assertEqual(statement_line.technician, "Théo Technician")
        self.assertEqual(statement_line.date, date(2020, 3, 2))
        self.assertEqual(self.old_statement.state, "issued")
        committee = self.old_committee
        self.assertFalse(committee.attendee_ids)
        self.assertEqual(committee.anonymised_date, date(2026, 11, 23))
        self.assertEqual(committee.action_ids.owner_partner_id, self.client_b, "the client owns the action")
        self.assertEqual(committee.action_ids.name, "Buy Bob a new laptop", "decisions are kept")
        self.assertNotIn(self.bob, committee.calendar_event_id.partner_ids)
        self.assertEqual(committee.calendar_event_id.partner_ids, self.account_manager.partner_id, "staff stay invited")
        self.assertNotIn(self.bob, committee.message_partner_ids)
        self.assertNotIn(self.bob, committee.message_ids.partner_ids)
        self.assertIn("1 attendee(s) removed", committee.message_ids[0].body)
        # client A's recent support is untouched
        self.assertEqual(self.recent_line.name, "Reset Alice's password")
        self.assertEqual(self.recent_ticket.partner_email, "alice@client-a.example.com")
        self.assertFalse(self.recent_ticket.itsm_anonymised_date)

    def test_second_run_does_nothing(self):
        self._run()
        self.assertEqual(set(self._run().values()), {0})

    def test_dry_run_counts_and_changes_nothing(self):
        counts = self._run(dry_run=True)
        self.assertEqual((counts["tickets"], counts["timesheets"], counts["committees"]), (2, 1, 1))
        self.assertEqual(counts["packages"], 1)
        self.assertEqual(self.old_ticket.partner_email, "bob@client-b.example.com")
        self.assertIn("Bob", self.old_statement.line_ids.description)
        self.assertTrue(self.old_package.exists())
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
            self.assertEqual(
                (wizard.ticket_count, wizard.timesheet_count, wizard.committee_count, wizard.package_count),
                (2, 1, 1, 1),
            )
            self.assertEqual(self.old_ticket.partner_email, "bob@client-b.example.com", "a preview changes nothing")
            wizard.action_anonymise()
        self.assertEqual(wizard.state, "done")
        self.assertIn("2 closed ticket(s)", wizard.done_summary)
        self.assertFalse(self.old_ticket.partner_email)

    def test_scheduled_action(self):
        cron = self.env.ref("itsm_service_contract.ir_cron_itsm_retention")
        self.assertTrue(cron.active)
        with freeze_time(TODAY):
            cron.method_direct_trigger()
        self.assertFalse(self.old_ticket.partner_email)

    def test_reversibility_package_after_retention(self):
        """A package built after the retention run holds the figures, none of the personal data."""
        personal = ("Bob", "bob@", "+33 6", "Lilas", "photos", "Carla")
        Export = self.env["itsm.reversibility.export"].with_context(itsm_reversibility_no_pdf=True)

        def package_text():
            path, _counts = Export._itsm_build(self.old_contract)
            try:
                with zipfile.ZipFile(path) as archive:
                    return "\n".join(archive.read(name).decode("utf-8", "replace") for name in archive.namelist())
            finally:
                os.unlink(path)

        before = package_text()
        self.assertIn("Bob", before, "the check has teeth: the data is there before the run")
        self._run()
        after = package_text()
        for needle in personal:
            self.assertNotIn(needle, after)
        # the hours are still handed back
        self.assertIn("-1.25", after)
        self.assertIn("Intervention (anonymised)", after)

    def test_each_company_its_own_period(self):
        """A provider company keeping one year next to one keeping five: each cut-off applies to its own data."""
        short = self.env["res.company"].create({"name": "Provider Two", "itsm_retention_years": 1})

        def closed_ticket(company, email):
            with freeze_time("2024-06-03 08:00:00"):
                return self.env["helpdesk.ticket"].create(
                    {
                        "name": f"Request of {email}",
                        "description": f"<p>{email}</p>",
                        "partner_id": self.client_b.id,
                        "partner_email": email,
                        "company_id": company.id,
                        "stage_id": self.done_stage.id,
                    }
                )

        kept = closed_ticket(self.env.company, "kept@client-b.example.com")  # 2024: within five years
        gone = closed_ticket(short, "gone@client-b.example.com")  # 2024: past one year
        with freeze_time(TODAY):
            self.assertEqual(self.env["itsm.retention"]._itsm_cutoff(short), date(2025, 11, 23))
            self.assertEqual(self.env["itsm.retention"]._itsm_anonymise(short, dry_run=True)["tickets"], 1)
            self.env["itsm.retention"]._cron_itsm_retention()
        self.assertFalse(gone.partner_email)
        self.assertEqual(gone.itsm_anonymised_date, date(2026, 11, 23))
        self.assertEqual(kept.partner_email, "kept@client-b.example.com")
        self.assertFalse(kept.itsm_anonymised_date)
        self.assertFalse(self.old_ticket.partner_email, "the five-year company's old data went too")
