"""The client's estate (seed 004): machines of maintenance.equipment tied to a client, a contract, a domain."""

import csv
from pathlib import Path

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import ValidationError
from odoo.tests import tagged
from odoo.tools import mute_logger

from ..models.itsm_reversibility_export import TICKET_COLUMNS
from .common import ItsmCase

EXAMPLE = Path(__file__).parent.parent / "data" / "itsm_estate_import_example.csv"


@tagged("post_install", "-at_install")
class TestEstate(ItsmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.Equipment = cls.env["maintenance.equipment"]
        cls.servers = cls.env.ref("itsm_service_contract.service_domain_servers")
        cls.printers = cls.env.ref("itsm_service_contract.service_domain_printers")
        cls.web01 = cls.Equipment.create(
            {"name": "Web server", "itsm_partner_id": cls.client_a.id, "itsm_hostname": "web01.client-a.lan"}
        )

    def test_hostname_unique_per_client_whatever_the_case(self):
        with self.assertRaisesRegex(ValidationError, "web01.client-a.lan is already used by Web server"):
            self.Equipment.create(
                {"name": "Other", "itsm_partner_id": self.client_a.id, "itsm_hostname": "WEB01.client-a.LAN"}
            )
        with self.assertRaisesRegex(ValidationError, "already used"):
            self.Equipment.create(
                [
                    {"name": "One", "itsm_partner_id": self.client_a.id, "itsm_hostname": "db01"},
                    {"name": "Two", "itsm_partner_id": self.client_a.id, "itsm_hostname": "DB01"},
                ]
            )
        spare = self.Equipment.create({"name": "Spare", "itsm_partner_id": self.client_a.id})
        with self.assertRaisesRegex(ValidationError, "already used by Web server"):
            spare.itsm_hostname = "Web01.client-a.lan"
        self.web01.itsm_hostname = "WEB01.client-a.lan"  # renaming a machine itself is fine
        # another client may use the same name
        other = self.Equipment.create(
            {"name": "B's web", "itsm_partner_id": self.client_b.id, "itsm_hostname": "web01.client-a.lan"}
        )
        self.assertEqual(other.itsm_partner_id, self.client_b)
        # the database index is the guarantee, even when the Python check is bypassed
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError), self.env.cr.savepoint():
            self.env.cr.execute(
                "INSERT INTO maintenance_equipment (name, itsm_partner_id, itsm_hostname, active, effective_date)"
                """ VALUES ('{"en_US": "raw"}', %s, 'Web01.Client-A.lan', true, now())""",
                [self.client_a.id],
            )

    def test_ticket_refuses_another_clients_machine(self):
        machine_b = self.Equipment.create(
            {"name": "B's printer", "itsm_partner_id": self.client_b.id, "itsm_hostname": "prn01"}
        )
        ticket = self.env["helpdesk.ticket"].create(
            {
                "name": "Slow site",
                "description": "x",
                "partner_id": self.client_a_contact.id,
                "itsm_equipment_id": self.web01.id,
            }
        )
        self.assertEqual(self.web01.itsm_ticket_count, 1)
        self.assertEqual(self.web01.itsm_ticket_ids, ticket)
        with self.assertRaisesRegex(ValidationError, "belongs to Client B Avocats, not to the ticket's client"):
            ticket.itsm_equipment_id = machine_b
        with self.assertRaisesRegex(ValidationError, "belongs to Client B Avocats"):
            self.env["helpdesk.ticket"].create(
                {
                    "name": "Printer",
                    "description": "x",
                    "partner_id": self.client_a_contact.id,
                    "itsm_equipment_id": machine_b.id,
                }
            )

    def test_find_by_host(self):
        find = self.Equipment._itsm_find_by_host
        self.assertEqual(find(self.client_a, "web01.client-a.lan"), self.web01)
        self.assertEqual(find(self.client_a_contact, "WEB01.Client-A.LAN:9100"), self.web01)
        self.assertEqual(find(self.client_a, "web01:9100"), self.web01)  # short name of the label
        self.assertEqual(find(self.client_a, "http://web01.other.domain:8080/metrics"), self.web01)
        self.assertFalse(find(self.client_b, "web01"))  # another client's
        self.assertFalse(find(self.client_a, "web02"))
        self.assertFalse(find(self.client_a, ""))
        ip = self.Equipment.create({"name": "NAS", "itsm_partner_id": self.client_a.id, "itsm_hostname": "10.0.0.5"})
        self.assertEqual(find(self.client_a, "10.0.0.5:9100"), ip)
        self.assertFalse(find(self.client_a, "10.0.0"))
        # a short name shared by two machines names none of them, the full name still does
        twin = self.Equipment.create(
            {"name": "Twin", "itsm_partner_id": self.client_a.id, "itsm_hostname": "web01.dmz.lan"}
        )
        self.assertFalse(find(self.client_a, "web01"))
        self.assertEqual(find(self.client_a, "web01.dmz.lan"), twin)

    def test_in_scope_from_the_contract_scope(self):
        contract = self.env["itsm.contract"].create(
            {
                "partner_id": self.client_a.id,
                "contract_type": "prepaid",
                "scope_ids": [
                    Command.create({"domain_id": self.servers.id, "coverage": "n1"}),
                    Command.create({"domain_id": self.printers.id, "coverage": "excluded"}),
                ],
            }
        )
        server = self.Equipment.create(
            {"name": "S", "itsm_partner_id": self.client_a.id, "itsm_contract_id": contract.id,
             "itsm_domain_id": self.servers.id}
        )  # fmt: skip
        printer = self.Equipment.create(
            {"name": "P", "itsm_partner_id": self.client_a.id, "itsm_contract_id": contract.id,
             "itsm_domain_id": self.printers.id}
        )  # fmt: skip
        self.assertTrue(server.itsm_in_scope)
        self.assertFalse(printer.itsm_in_scope)
        contract.scope_ids.filtered(lambda s: s.domain_id == self.printers).coverage = "n1"
        self.assertTrue(printer.itsm_in_scope)
        with self.assertRaisesRegex(ValidationError, "belongs to Client A Industries, not to the machine's client"):
            server.itsm_partner_id = self.client_b

    def test_import_example_csv(self):
        client = self.env["res.partner"].create({"name": "Example Client SA", "is_company": True})
        with EXAMPLE.open(newline="", encoding="utf-8") as handle:
            rows = list(csv.reader(handle))
        header, data = rows[0], rows[1:]
        result = self.Equipment.load(header, data)
        self.assertFalse([m for m in result["messages"] if m["type"] == "error"], result["messages"])
        imported = self.Equipment.browse(result["ids"])
        self.assertEqual(len(imported), len(data))
        self.assertEqual(set(imported.itsm_partner_id.ids), {client.id})
        firewall = imported.filtered(lambda e: e.itsm_hostname == "fw01")
        self.assertEqual(firewall.itsm_domain_id, self.env.ref("itsm_service_contract.service_domain_network"))
        self.assertEqual(firewall.category_id, self.env.ref("itsm_service_contract.equipment_category_network"))
        self.assertEqual(firewall.serial_no, "FGT60F0000001")
        # importing it again is refused: the hostnames are taken
        again = self.Equipment.load(header, data)
        self.assertFalse(again["ids"])
        self.assertTrue(any("already used" in m["message"] for m in again["messages"]))

    def test_intervention_and_package_name_the_machine(self):
        self.assertIn("itsm_equipment_id", TICKET_COLUMNS)
        self.assertEqual(
            self.env["account.analytic.line"]._fields["itsm_equipment_id"].related, "ticket_id.itsm_equipment_id"
        )
