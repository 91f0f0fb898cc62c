from datetime import datetime
from datetime import timedelta

from odoo.exceptions import ValidationError
from odoo.tests import tagged

from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestProblem(ItsmInterventionCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Category = cls.env["helpdesk.ticket.category"]
        cls.printers = Category.create({"name": "Printers"})
        cls.mail = Category.create({"name": "Mail"})
        cls.Problem = cls.env["itsm.problem"]
        cls.now = datetime.now().replace(microsecond=0)
        cls.client_b_user = cls.env["res.partner"].create({"name": "Bob B", "parent_id": cls.client_b.id})

    def _incident(self, days_ago, category=None, partner=None, kind="incident"):
        return self.env["helpdesk.ticket"].create(
            {
                "name": "Imprimante hors ligne",
                "description": "Imprimante hors ligne",
                "partner_id": (partner or self.client_a_contact).id,
                "team_id": self.team.id,
                "project_id": self.project.id,
                "category_id": (category or self.printers).id,
                "itsm_kind": kind,
                "itsm_request_date": self.now - timedelta(days=days_ago),
            }
        )

    def _problems(self):
        return self.Problem.search([("partner_id", "=", self.client_a.id)])

    def test_third_incident_in_30_days_opens_one_problem(self):
        first = self._incident(25)
        second = self._incident(10)
        self._incident(3, category=self.mail)  # another category
        self._incident(2, kind="request")  # a request is no incident
        self._incident(2, partner=self.client_b_user)  # another client
        self.assertFalse(self.Problem._itsm_detect(self.env.company))
        third = self._incident(1)
        created = self.Problem._itsm_detect(self.env.company)
        self.assertEqual(len(created), 1)
        problem = created
        self.assertEqual(problem.ticket_ids, first | second | third)
        self.assertEqual(
            (problem.partner_id, problem.category_id, problem.state), (self.client_a, self.printers, "new")
        )
        self.assertTrue(problem.detected_automatically)
        self.assertRegex(problem.name, r"^PRB/\d{4}/\d{4}$")
        self.assertEqual(problem.contract_id, self.contract)
        self.assertEqual(len(problem.activity_ids), 1)
        self.assertEqual(problem.activity_ids.user_id, problem.user_id)
        # idempotent: a second run creates nothing and links nothing more
        self.assertFalse(self.Problem._itsm_detect(self.env.company))
        self.assertEqual(len(self._problems()), 1)
        # the fourth incident is linked at creation and shows the workaround
        problem.write({"workaround": "Redémarrer le spouleur", "state": "known_error"})
        fourth = self._incident(0)
        self.assertEqual(fourth.itsm_problem_id, problem)
        self.assertEqual(fourth.itsm_problem_workaround, "Redémarrer le spouleur")
        self.assertEqual(len(problem.ticket_ids), 4)
        self.assertFalse(self._incident(0, category=self.mail).itsm_problem_id)

    def test_third_incident_in_40_days_opens_none(self):
        self._incident(40)
        self._incident(20)
        self._incident(0)
        self.assertFalse(self.Problem._itsm_detect(self.env.company))
        # the window is the company's: 45 days make it a problem
        self.env.company.itsm_problem_window_days = 45
        self.assertEqual(len(self.Problem._itsm_detect(self.env.company)), 1)

    def test_threshold_setting(self):
        self.env.company.itsm_problem_threshold = 2
        self._incident(5)
        self._incident(4)
        self.assertEqual(len(self.Problem._itsm_detect(self.env.company)), 1)
        with self.assertRaises(ValidationError):
            self.env.company.itsm_problem_threshold = 1
        with self.assertRaises(ValidationError):
            self.env.company.itsm_problem_window_days = 0

    def test_cron_and_button(self):
        for days in (3, 2, 1):
            self._incident(days)
        self.Problem._cron_itsm_detect_problems()
        self.assertEqual(len(self._problems()), 1)
        self.Problem.action_itsm_detect()
        self.assertEqual(len(self._problems()), 1)

    def test_closing_rules(self):
        problem = self.Problem.create({"partner_id": self.client_a.id, "category_id": self.printers.id})
        with self.assertRaisesRegex(ValidationError, problem.name):
            problem.action_itsm_known_error()
        with self.assertRaisesRegex(ValidationError, "root cause"):
            problem.action_itsm_close()
        with self.assertRaisesRegex(ValidationError, "root cause"):
            problem.action_itsm_resolve()
        problem.write({"workaround": "Imprimer sur l'imprimante du 1er", "state": "known_error"})
        problem.root_cause = "Firmware de l'imprimante"
        problem.action_itsm_resolve()
        problem.action_itsm_close()
        self.assertEqual(problem.state, "closed")
        with self.assertRaises(ValidationError):
            problem.root_cause = " "
        # a closed problem takes no new incident: a fresh one stays unlinked
        self.assertFalse(self._incident(0).itsm_problem_id)
