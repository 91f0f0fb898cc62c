import base64
import csv
import io
import json
import zipfile
from datetime import date
from datetime import datetime

from freezegun import freeze_time
from markupsafe import Markup

from odoo.exceptions import AccessError
from odoo.tests import HttpCase
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestReversibility(ItsmInterventionCase, HttpCase):
    """Client A's contract handed back; client B's ticket must not leak into it.

    An HttpCase: the statements and minutes are rendered to PDF by wkhtmltopdf, which fetches the report assets
    from the server sharing the transaction.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.second = cls._ticket(datetime(2026, 11, 12, 9, 0))
        cls.ticket.message_post(body=Markup("<p>The server is down again</p>"), message_type="comment")
        cls.lines = [
            cls.env["account.analytic.line"].create(
                {
                    "name": name,
                    "ticket_id": ticket.id,
                    "project_id": cls.project.id,
                    "employee_id": cls.employee.id,
                    "date_time": start,
                    "unit_amount": hours,
                }
            )
            for name, ticket, start, hours in (
                ("Disk controller restarted", cls.ticket, datetime(2026, 11, 9, 10, 0), 65 / 60),
                ("Backup checked", cls.ticket, datetime(2026, 11, 10, 14, 0), 0.5),
                ("Printer driver", cls.second, datetime(2026, 11, 12, 9, 30), 1.0),
            )
        ]
        cls.other_ticket = cls._ticket(datetime(2026, 11, 9, 9, 0), partner=cls.client_b)
        cls.other_ticket.name = "Client B secret"
        cls.env["ir.attachment"].create(
            [
                {
                    "name": "Escalation procedure.txt",
                    "raw": b"Level 2: call the on-duty engineer",
                    "res_model": "itsm.contract",
                    "res_id": cls.contract.id,
                },
                {
                    # a client document whose name looks like a package's is still handed back
                    "name": "Plan-reversibility-2027.odt",
                    "raw": b"Handover plan",
                    "res_model": "itsm.contract",
                    "res_id": cls.contract.id,
                },
                {
                    "name": "Runbook",
                    "type": "url",
                    "url": "https://wiki.example.com/runbook",
                    "res_model": "itsm.contract",
                    "res_id": cls.contract.id,
                },
            ]
        )
        with freeze_time("2026-12-01 06:00:00"):
            cls.statement = cls.env["itsm.statement"].create(
                {"contract_id": cls.contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
            )
            cls.statement.action_issue()
        cls.committee = cls.env["itsm.committee"].create(
            {
                "contract_id": cls.contract.id,
                "committee_type": "exceptional",
                "date": datetime(2026, 11, 20, 9, 0),
                "attendee_ids": [(6, 0, [cls.client_a_contact.id])],
            }
        )
        cls.committee.action_prepare()
        cls.committee.action_hold()

    def _export(self, **context):
        action = (
            self.contract.with_user(self.account_manager)
            .with_context(force_report_rendering=True, **context)
            .action_export_reversibility()
        )
        attachment_id = int(action["url"].split("/web/content/")[1].split("?")[0])
        attachment = self.env["ir.attachment"].browse(attachment_id)
        self.assertEqual((attachment.res_model, attachment.res_id), ("itsm.contract", self.contract.id))
        return zipfile.ZipFile(io.BytesIO(base64.b64decode(attachment.datas)))

    def _csv(self, archive, name):
        return list(csv.DictReader(io.StringIO(archive.read(name).decode())))

    def test_package_content(self):
        archive = self._export()
        names = set(archive.namelist())
        statement_pdf = f"statements/{self.statement.name.replace('/', '_')}.pdf"
        minutes_pdf = f"committees/{self.committee.name.replace('/', '_')}.pdf"
        for name in (
            "README.txt",
            "contract/contract.csv",
            "contract/ledger.csv",
            "tickets/tickets.csv",
            "tickets/tickets.jsonl",
            "timesheets/timesheets.csv",
            statement_pdf,
            minutes_pdf,
        ):
            self.assertIn(name, names)
        self.assertTrue(archive.read(statement_pdf).startswith(b"%PDF"))
        self.assertTrue(archive.read(minutes_pdf).startswith(b"%PDF"))
        documents = sorted(n for n in names if n.startswith("documents/"))
        self.assertEqual(len(documents), 3)
        self.assertEqual(
            [archive.read(name) for name in documents],
            [b"Level 2: call the on-duty engineer", b"Handover plan", b"https://wiki.example.com/runbook"],
        )
        self.assertTrue(documents[2].endswith("Runbook.url.txt"))
        readme = archive.read("README.txt").decode()
        for name in names:
            self.assertIn(name, readme, "the README lists every file")
        # the contract and its ledger: the balance after the last move is the contract's balance
        (contract_row,) = self._csv(archive, "contract/contract.csv")
        self.assertEqual(contract_row["name"], self.contract.name)
        ledger = self._csv(archive, "contract/ledger.csv")
        self.assertEqual(len(ledger), 4, "the purchase and three consumptions")
        self.assertAlmostEqual(sum(float(row["hours"]) for row in ledger), 210 - 1.25 - 0.5 - 1.0)
        self.assertAlmostEqual(float(ledger[-1]["balance_after"]), self.contract.balance_hours)
        self.assertEqual(
            [row["ticket"] for row in ledger],
            ["", self.ticket.number, self.ticket.number, self.second.number],
            "each consumption names the ticket of its intervention",
        )
        self.assertAlmostEqual(float(ledger[-1]["balance_after"]), 210 - 2.75)
        # tickets, messages and interventions
        tickets = self._csv(archive, "tickets/tickets.csv")
        self.assertEqual({row["number"] for row in tickets}, {self.ticket.number, self.second.number})
        timesheets = self._csv(archive, "timesheets/timesheets.csv")
        self.assertEqual(
            sorted((row["name"], float(row["unit_amount"]), float(row["itsm_credit_hours"])) for row in timesheets),
            [
                ("Backup checked", 0.5, 0.5),
                ("Disk controller restarted", 65 / 60, 1.25),
                ("Printer driver", 1.0, 1.0),
            ],
        )
        documents = [json.loads(line) for line in archive.read("tickets/tickets.jsonl").decode().splitlines()]
        by_number = {doc["number"]: doc for doc in documents}
        first = by_number[self.ticket.number]
        self.assertEqual(len(first["timesheets"]), 2)
        self.assertIn("The server is down again", [m["body"].strip() for m in first["messages"]])
        # nothing of client B
        for name in names:
            self.assertNotIn(b"Client B secret", archive.read(name))
        messages = self.env["mail.message"].search_count(
            [("model", "=", "helpdesk.ticket"), ("res_id", "in", (self.ticket | self.second).ids)]
        )
        self.assertEqual(sum(len(doc["messages"]) for doc in documents), messages)
        self.assertIn(
            f"2 tickets, {messages} messages, 3 interventions, 4 ledger moves, "
            "1 statements, 1 committee minutes, 3 documents",
            " ".join(readme.split()),
        )
        self.assertIn("Reversibility package exported: 2 tickets", self.contract.message_ids[0].body)

    def test_second_export_does_not_contain_the_first(self):
        self._export()
        archive = self._export()
        self.assertEqual(len([n for n in archive.namelist() if n.startswith("documents/")]), 3)

    def test_batches_of_one_ticket_give_the_same_files(self):
        """Tickets and ledger read one record per batch (cache emptied each time): the same CSV and JSON."""
        whole = self._export(itsm_reversibility_no_pdf=True)
        by_one = self._export(itsm_reversibility_no_pdf=True, itsm_reversibility_batch=1)
        for name in (
            "contract/ledger.csv",
            "tickets/tickets.csv",
            "tickets/tickets.jsonl",
            "timesheets/timesheets.csv",
        ):
            self.assertEqual(by_one.read(name), whole.read(name), name)
        self.assertFalse([n for n in by_one.namelist() if n.startswith(("statements/", "committees/"))])

    def test_technician_cannot_export(self):
        with self.assertRaises(AccessError):
            self.contract.with_user(self.technician).action_export_reversibility()
