import logging
from datetime import date
from datetime import datetime

from psycopg2 import IntegrityError

from odoo import Command
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.service.model import _as_validation_error
from odoo.tests import tagged
from odoo.tools import mute_logger

from .common import ItsmInterventionCase

_logger = logging.getLogger(__name__)


@tagged("post_install", "-at_install")
class TestScopeRouting(ItsmInterventionCase):
    """Seed 001: the contract's scope routes the ticket (N1 desk, routed domains, domains left out)."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Team = cls.env["helpdesk.ticket.team"]
        cls.team_n2 = Team.create({"name": "Level 2 systems", "allow_timesheet": True})
        cls.team_n3 = Team.create({"name": "Level 3 experts", "allow_timesheet": True})
        cls.team_office = Team.create({"name": "Office applications", "allow_timesheet": True})
        ref = cls.env.ref
        cls.workstation = ref("itsm_service_contract.service_domain_workstation")
        cls.office_std = ref("itsm_service_contract.service_domain_office_std")
        cls.servers = ref("itsm_service_contract.service_domain_servers")
        cls.business_apps = ref("itsm_service_contract.service_domain_business_apps")
        cls.contract.write({"n1_team_id": cls.team.id, "n2_team_id": cls.team_n2.id, "n3_team_id": cls.team_n3.id})
        cls.contract.action_itsm_scope_from_seed()
        # this contract leaves business applications out (the seed routes them)
        cls.contract.scope_ids.filtered(lambda s: s.domain_id == cls.business_apps).write(
            {"coverage": "excluded", "team_id": False}
        )
        cls.client_c = cls.env["res.partner"].create({"name": "Client C Mairie", "is_company": True})
        cls.client_c_contact = cls.env["res.partner"].create({"name": "Carl C", "parent_id": cls.client_c.id})
        # seed 001, contract 2: office applications are routed, not resolved by the desk
        cls.contract_2 = cls.env["itsm.contract"].create(
            {
                "partner_id": cls.client_b.id,
                "contract_type": "time_material",
                "state": "active",
                "date_start": date(2026, 1, 1),
                "hourly_rate": 60.0,
                "calendar_id": cls.calendar.id,
                "n1_team_id": cls.team.id,
                "n2_team_id": cls.team_n2.id,
            }
        )
        cls.contract_2.action_itsm_scope_from_seed()
        cls.contract_2.scope_ids.filtered(lambda s: s.domain_id == cls.office_std).write(
            {"coverage": "routed", "team_id": cls.team_office.id, "level": "2"}
        )
        # a contract with no scope at all (query budget)
        cls.contract_plain = cls.env["itsm.contract"].create(
            {
                "partner_id": cls.client_c.id,
                "contract_type": "time_material",
                "state": "active",
                "date_start": date(2026, 1, 1),
                "hourly_rate": 60.0,
                "n1_team_id": cls.team.id,
            }
        )

    def _new(self, domain, partner=None, **vals):
        values = {
            "name": "Ticket",
            "description": "Routing",
            "partner_id": (partner or self.client_a_contact).id,
            "project_id": self.project.id,
            "itsm_request_date": datetime(2026, 11, 16, 9, 0),
        }
        if domain:
            values["itsm_domain_id"] = domain.id
        values.update(vals)
        return self.env["helpdesk.ticket"].create(values)

    def _scope(self, contract, domain):
        return contract.scope_ids.filtered(lambda s: s.domain_id == domain)

    # ------------------------------------------------------------ seed
    def test_seed_scope_of_contract_1(self):
        coverage = {s.domain_id.code: (s.coverage, s.team_id, s.level) for s in self.contract.scope_ids}
        routed = (self.team_n2, "2")
        self.assertEqual(coverage["workstation"][0], "n1")
        self.assertEqual(coverage["office_std"][0], "n1")
        self.assertEqual(coverage["internet"][0], "n1")
        self.assertEqual(coverage["printers"][0], "n1")
        for code in ("servers", "network", "office_other"):
            self.assertEqual(coverage[code], ("routed", *routed))
        self.assertEqual(coverage["business_apps"][0], "excluded")
        count = len(self.contract.scope_ids)
        self.contract.action_itsm_scope_from_seed()  # a second call adds nothing
        self.assertEqual(len(self.contract.scope_ids), count)
        self.contract_plain.n2_team_id = False
        with self.assertRaisesRegex(UserError, "level 2 team"), self.env.cr.savepoint():
            self.contract_plain.action_itsm_scope_from_seed()
        self.assertFalse(self.contract_plain.scope_ids)

    # ------------------------------------------------------------ routing at creation
    def test_n1_domain_goes_to_the_desk(self):
        ticket = self._new(self.workstation, team_id=self.team_n3.id)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.itsm_support_level, "1")
        self.assertTrue(ticket.itsm_in_scope)
        self.assertTrue(ticket.itsm_sla_rule_id)
        self.assertTrue(ticket.itsm_resolution_deadline)

    def test_no_domain_goes_to_the_single_point_of_entry(self):
        ticket = self._new(None, team_id=self.team_n3.id)
        self.assertEqual(ticket.team_id, self.team)
        self.assertEqual(ticket.itsm_support_level, "1")
        self.assertTrue(ticket.itsm_in_scope)

    def test_routed_domain(self):
        ticket = self._new(self.servers)
        self.assertEqual(ticket.team_id, self.team_n2)
        self.assertEqual(ticket.itsm_support_level, "2")
        self.assertTrue(ticket.itsm_in_scope)
        self.assertTrue(ticket.itsm_sla_rule_id)
        bodies = ticket.message_ids.mapped("body")
        self.assertTrue(
            any("Routed to Level 2 systems (domain Servers is handled by Level 2 systems)" in b for b in bodies),
            bodies,
        )

    def test_excluded_domain_time_material(self):
        ticket = self._new(self.business_apps)
        self.assertFalse(ticket.itsm_in_scope)
        self.assertEqual(ticket.team_id, self.team)
        self.assertFalse(ticket.itsm_sla_rule_id)
        self.assertFalse(ticket.itsm_response_deadline)
        self.assertFalse(ticket.itsm_resolution_deadline)

    def test_excluded_domain_refused(self):
        self.contract.out_of_scope_policy = "refuse"
        Ticket = self.env["helpdesk.ticket"]
        before = Ticket.search_count([])
        with (
            self.assertRaisesRegex(ValidationError, "Business applications.*outside contract " + self.contract.name),
            self.env.cr.savepoint(),
        ):
            self._new(self.business_apps)
        self.assertEqual(Ticket.search_count([]), before)
        # in-scope domains are still accepted and routed the same way under this policy
        self.assertEqual(self._new(self.servers).team_id, self.team_n2)
        self.assertEqual(self._new(self.workstation).team_id, self.team)

    # ------------------------------------------------------------ routing on domain change
    def test_domain_change_at_level_1(self):
        ticket = self._new(self.workstation)
        self.assertEqual(ticket.team_id, self.team)
        ticket.itsm_domain_id = self.business_apps
        self.assertFalse(ticket.itsm_in_scope)
        self.assertFalse(ticket.itsm_resolution_deadline)
        ticket.itsm_domain_id = self.servers
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n2, "2"))
        self.assertTrue(ticket.itsm_in_scope)
        self.assertTrue(ticket.itsm_resolution_deadline)
        # no longer at level 1: a domain change does not move it
        ticket.itsm_domain_id = self.workstation
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n2, "2"))

    def test_domain_change_refused(self):
        ticket = self._new(self.workstation)
        self.contract.out_of_scope_policy = "refuse"
        with self.assertRaisesRegex(ValidationError, "Business applications"), self.env.cr.savepoint():
            ticket.itsm_domain_id = self.business_apps
        self.assertEqual(ticket.itsm_domain_id, self.workstation)

    def test_seed_contracts_route_excel_differently(self):
        excel_1 = self._new(self.office_std, name="Excel crashes")
        excel_2 = self._new(self.office_std, partner=self.client_b, name="Excel crashes")
        self.assertEqual(excel_1.itsm_contract_id, self.contract)
        self.assertEqual(excel_2.itsm_contract_id, self.contract_2)
        self.assertEqual((excel_1.team_id, excel_1.itsm_support_level), (self.team, "1"))
        self.assertEqual((excel_2.team_id, excel_2.itsm_support_level), (self.team_office, "2"))

    # ------------------------------------------------------------ bad input
    def test_routed_line_without_team(self):
        with (
            self.assertRaisesRegex(ValidationError, f"Contract {self.contract_plain.name}: the domain Servers"),
            self.env.cr.savepoint(),
        ):
            self.contract_plain.write(
                {"scope_ids": [Command.create({"domain_id": self.servers.id, "coverage": "routed"})]}
            )
        self.assertFalse(self.contract_plain.scope_ids)

    def test_routed_line_at_level_1(self):
        with self.assertRaisesRegex(ValidationError, "cannot be routed at level 1"), self.env.cr.savepoint():
            self.contract_plain.write(
                {
                    "scope_ids": [
                        Command.create(
                            {
                                "domain_id": self.servers.id,
                                "coverage": "routed",
                                "team_id": self.team_n2.id,
                                "level": "1",
                            }
                        )
                    ]
                }
            )
        self.assertFalse(self.contract_plain.scope_ids)

    def test_routed_line_defaults_to_level_2(self):
        line = self.env["itsm.contract.scope"].create(
            {
                "contract_id": self.contract_plain.id,
                "domain_id": self.servers.id,
                "coverage": "routed",
                "team_id": self.team_n2.id,
            }
        )
        self.assertEqual(line.level, "2")

    def test_duplicate_domain_line(self):
        count = len(self.contract.scope_ids)
        with mute_logger("odoo.sql_db"), self.assertRaises(IntegrityError) as caught, self.env.cr.savepoint():
            self.env["itsm.contract.scope"].create({"contract_id": self.contract.id, "domain_id": self.servers.id})
            self.env.flush_all()
        self.assertIn("one scope line per support domain", str(_as_validation_error(self.env, caught.exception)))
        self.contract.invalidate_recordset()
        self.assertEqual(len(self.contract.scope_ids), count)

    def test_escalation_threshold_bounds(self):
        for pct in (0, 101):
            with self.assertRaisesRegex(ValidationError, "between 1 and 100"), self.env.cr.savepoint():
                self.contract_plain.escalation_threshold_pct = pct
        self.contract_plain.escalation_threshold_pct = 100

    # ------------------------------------------------------------ credit
    def test_out_of_scope_intervention_draws_nothing(self):
        ticket = self._new(self.business_apps)
        balance = self.contract.balance_hours
        ledger = self._ledger_sum(self.contract)
        line = self._log(datetime(2026, 11, 16, 9, 0), 1.0, ticket=ticket, name="Business app")
        # counted with the same rules: 1 h in working hours, no surcharge
        self.assertAlmostEqual(line.itsm_counted_hours, 1.0)
        self.assertAlmostEqual(line.itsm_credit_hours, 1.0)
        self.assertFalse(line.itsm_credit_move_ids)
        self.assertAlmostEqual(self._ledger_sum(self.contract), ledger)
        self.assertAlmostEqual(self.contract.balance_hours, balance)
        self.assertEqual(ticket.itsm_credit_hours, 0.0)
        # an in-scope intervention of the same month draws on the credit
        in_scope = self._log(datetime(2026, 11, 17, 9, 0), 0.5, ticket=self._new(self.workstation), name="PC")
        self.assertAlmostEqual(self._ledger_sum(self.contract), ledger - 0.5)
        sheet = self.env["itsm.activity.sheet"].create(
            {"contract_id": self.contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        sheet.action_collect()
        self.assertEqual(sheet.timesheet_ids, line)
        self.assertNotIn(in_scope, sheet.timesheet_ids)
        self.assertAlmostEqual(sheet.hour_quantity, 1.0)

    def test_domain_leaving_the_scope_gives_the_credit_back(self):
        ticket = self._new(self.workstation)
        ledger = self._ledger_sum(self.contract)
        line = self._log(datetime(2026, 11, 16, 9, 0), 1.0, ticket=ticket, name="PC")
        self.assertAlmostEqual(self._ledger_sum(self.contract), ledger - 1.0)
        ticket.itsm_domain_id = self.business_apps
        self.assertAlmostEqual(self._ledger_sum(self.contract), ledger)
        self.assertTrue(line.itsm_credit_move_ids)  # the draw and its reversal stay in the ledger

    # ------------------------------------------------------------ ITIL rules (seed 003)
    def test_p1_and_undated_p4_requests_refused_everywhere(self):
        bare = self.env["itsm.sla.matrix"].create({"name": "Incidents only", "rule_ids": []})
        self.contract_plain.sla_matrix_id = bare
        loner = self.env["res.partner"].create({"name": "No contract", "is_company": True})
        Ticket = self.env["helpdesk.ticket"]
        before = Ticket.search_count([])
        for partner in (self.client_c_contact, loner):
            with (
                self.assertRaisesRegex(ValidationError, "there is no critical request \\(P1\\)"),
                self.env.cr.savepoint(),
            ):
                self._new(None, partner=partner, itsm_kind="request", priority="3", name="P1 request")
            with self.assertRaisesRegex(ValidationError, "P4\\) request needs a date agreed"), self.env.cr.savepoint():
                self._new(None, partner=partner, itsm_kind="request", priority="0", name="P4 request")
        self.assertEqual(Ticket.search_count([]), before)
        dated = self._new(
            None, partner=loner, itsm_kind="request", priority="0", itsm_agreed_date=datetime(2026, 11, 30, 9, 0)
        )
        self.assertEqual(dated.priority, "0")

    # ------------------------------------------------------------ catalogue
    def test_catalog_sets_the_domain(self):
        entry = self.env.ref("itsm_service_contract.ticket_catalog_incident_p1_4")
        self.assertEqual(entry.domain_id, self.servers)
        ticket = self._new(None, itsm_catalog_id=entry.id)
        self.assertEqual((ticket.itsm_kind, ticket.priority, ticket.itsm_domain_id), ("incident", "3", self.servers))
        self.assertEqual(ticket.team_id, self.team_n2)
        reset = self.env.ref("itsm_service_contract.ticket_catalog_request_p2_1")
        self.assertEqual(reset.domain_id, self.workstation)

    # ------------------------------------------------------------ performance
    def test_routing_query_budget(self):
        """Routing costs at most 2 queries more than the same ticket on a contract with no scope."""

        def cost(partner, domain):
            self._new(domain, partner=partner)  # warm the caches
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            self._new(domain, partner=partner)
            self.env.flush_all()
            return self.env.cr.sql_log_count - before

        plain = cost(self.client_c_contact, self.office_std)
        scoped = cost(self.client_a_contact, self.office_std)
        _logger.info("ticket creation: %s queries without scope, %s with scope", plain, scoped)
        self.assertLessEqual(scoped - plain, 2, (plain, scoped))

        # a routed domain: the team and level are set before the insert, only the routing message is extra
        routed = cost(self.client_a_contact, self.servers)
        ticket = self.env["helpdesk.ticket"].search(
            [("itsm_domain_id", "=", self.servers.id)], order="id desc", limit=1
        )
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n2, "2"))
        _logger.info("ticket creation: %s queries without scope, %s routed", plain, routed)
        self.assertLessEqual(routed - plain, 2, (plain, routed))

    def test_routed_ticket_is_loggable_on_its_team_project(self):
        """Issue 25: a ticket routed to a level-2 team with timesheets gets that team's project (Timesheets tab)."""
        project_n2 = self.env["project.project"].create({"name": "Level 2 support", "allow_timesheets": True})
        self.team_n2.default_project_id = project_n2
        # created without any project, as from the portal or an e-mail: routing gives it the team's project
        ticket = self._new(self.servers, project_id=False)
        self.assertEqual((ticket.team_id, ticket.itsm_support_level), (self.team_n2, "2"))
        self.assertEqual(ticket.project_id, project_n2)
        # routed later, by a change of domain at level 1
        ticket = self._new(self.workstation, project_id=False)
        self.assertEqual((ticket.team_id, ticket.project_id), (self.team, self.project))
        ticket.itsm_domain_id = self.servers
        self.assertEqual((ticket.team_id, ticket.project_id), (self.team_n2, project_n2))
        # a team without timesheets leaves the ticket's project as it is
        self.team_n2.allow_timesheet = False
        ticket = self._new(self.servers)
        self.assertEqual((ticket.team_id, ticket.project_id), (self.team_n2, self.project))
