import logging
from datetime import date
from datetime import datetime
from datetime import timedelta

from odoo.tests import new_test_user
from odoo.tests import tagged

from .common import ItsmInterventionCase

_logger = logging.getLogger(__name__)

# Friday 2026-11-20, 06:00 UTC: the morning the digest is built (the test calendar is UTC, Monday to Friday).
MORNING = datetime(2026, 11, 20, 6, 0)


@tagged("post_install", "-at_install")
class TestDailyDigest(ItsmInterventionCase):
    """Issue 15: every morning, each team gets the list of its open tickets that need a look."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        Team = cls.env["helpdesk.ticket.team"]
        # business days follow the calendar of the contract's SLA matrix: the case's UTC office calendar
        matrix = cls.env["itsm.sla.matrix"].create({"name": "Digest hours", "calendar_id": cls.calendar.id})
        cls.contract.sla_matrix_id = matrix
        cls.alice = new_test_user(cls.env, "digest_alice", groups="base.group_user", email="alice@example.com")
        cls.bob = new_test_user(cls.env, "digest_bob", groups="base.group_user", email="bob@example.com")
        cls.carol = new_test_user(cls.env, "digest_carol", groups="base.group_user", email="carol@example.com")
        cls.desk = Team.create({"name": "Desk A", "user_ids": [(6, 0, cls.alice.ids)], "user_id": cls.bob.id})
        cls.quiet = Team.create({"name": "Quiet team", "user_ids": [(6, 0, cls.carol.ids)]})
        fresh = datetime(2026, 11, 19, 17, 0)  # Thursday evening: no full business day since
        specs = {
            "Breached ticket": ({"itsm_sla_state": "breached"}, fresh),
            "At-risk ticket": ({"itsm_sla_state": "at_risk"}, fresh),
            # waiting since Friday 13: Monday to Thursday, 4 full business days
            "Long wait": ({"itsm_pause_start": datetime(2026, 11, 13, 10, 0)}, fresh),
            # waiting since Thursday: no full business day yet
            "Short wait": ({"itsm_pause_start": datetime(2026, 11, 19, 10, 0)}, fresh),
            # last change on Tuesday: Wednesday and Thursday without an update
            "Stale ticket": ({}, datetime(2026, 11, 17, 10, 0)),
            # last change on Wednesday: only Thursday
            "Quiet for a day": ({}, datetime(2026, 11, 18, 10, 0)),
            "Fresh on track": ({}, fresh),
            # breached and stale: listed once, under its first reason
            "Breached and stale": ({"itsm_sla_state": "breached"}, datetime(2026, 11, 16, 10, 0)),
        }
        cls.tickets = {}
        for name, (values, written) in specs.items():
            ticket = cls.env["helpdesk.ticket"].create(
                {
                    "name": name,
                    "description": name,
                    "partner_id": cls.client_a_contact.id,
                    "team_id": cls.desk.id,
                    "itsm_request_date": datetime(2026, 11, 9, 9, 0),
                }
            )
            if values:
                ticket.write(values)
            cls.tickets[name] = (ticket, written)
        cls._set_write_dates()

    @classmethod
    def _set_write_dates(cls):
        cls.env.flush_all()
        for ticket, written in cls.tickets.values():
            cls.env.cr.execute("UPDATE helpdesk_ticket SET write_date = %s WHERE id = %s", [written, ticket.id])
        cls.env.invalidate_all()

    def _mails(self, team):
        return self.env["mail.mail"].search([("model", "=", "helpdesk.ticket.team"), ("res_id", "=", team.id)])

    # ------------------------------------------------------------ content
    def test_digest_lists_the_right_tickets(self):
        data = self.desk._itsm_digest_data(MORNING)
        listed = {ticket.name: reasons for ticket, reasons in data[self.desk.id]}
        self.assertEqual(
            listed,
            {
                "Breached ticket": ["breached"],
                "At-risk ticket": ["at_risk"],
                "Long wait": ["waiting"],
                "Stale ticket": ["stale"],
                "Breached and stale": ["breached", "stale"],
            },
        )
        self.assertNotIn(self.quiet.id, data)

        self.env["helpdesk.ticket.team"]._cron_itsm_daily_digest(now=MORNING)
        mail = self._mails(self.desk)
        self.assertEqual(len(mail), 1)
        self.assertEqual(mail.recipient_ids, (self.alice | self.bob).partner_id)
        self.assertEqual(mail.subject, "Desk A: tickets to follow up today")
        body = mail.body_html
        for name in ("Breached ticket", "At-risk ticket", "Long wait", "Stale ticket", "Breached and stale"):
            self.assertEqual(body.count(name), 1, name)
        for name in ("Short wait", "Quiet for a day", "Fresh on track"):
            self.assertNotIn(name, body)
        for heading in (
            "SLA breached",
            "SLA at risk",
            "Waiting for the client for more than 3 business days",
            "Not updated for 2 business days",
        ):
            self.assertIn(heading, body)
        self.assertNotIn("Escalated to the team since yesterday", body)
        # sections in order, each ticket under its first reason, with its other reasons
        self.assertLess(body.index("SLA breached"), body.index("Breached and stale"))
        self.assertLess(body.index("Breached and stale"), body.index("SLA at risk"))
        self.assertIn("also:", body)
        ticket = self.tickets["Long wait"][0]
        self.assertIn(f'href="{ticket.get_base_url()}/odoo/helpdesk.ticket/{ticket.id}"', body)
        # nothing to report: no mail
        self.assertFalse(self._mails(self.quiet))
        self.assertFalse(self.quiet.itsm_digest_date)
        self.assertEqual(self.desk.itsm_digest_date, date(2026, 11, 20))

    def test_digest_names_the_client_company(self):
        """Issue 25: the digest names the client company (commercial partner), not the contact who wrote."""
        self.env["helpdesk.ticket.team"]._cron_itsm_daily_digest(now=MORNING)
        body = self._mails(self.desk).body_html
        self.assertEqual(body.count("(Client A Industries)"), 5, body)
        self.assertNotIn("Alice A", body)

    def test_follow_today_is_the_digest(self):
        """Issue 25: *To follow today* lists what the digest lists, by the same code, with a preview of the mail."""
        tech = new_test_user(
            self.env, "digest_tech", groups="itsm_service_contract.group_itsm_technician", email="tech@example.com"
        )
        self.desk.user_ids = [(4, tech.id)]
        Line = self.env["itsm.digest.line"].with_user(tech)
        lines = Line._itsm_refresh(MORNING)
        expected = {t.name: reasons for t, reasons in self.desk._itsm_digest_data(MORNING)[self.desk.id]}
        self.assertEqual({line.ticket_id.name: line.reason_keys.split(",") for line in lines}, expected)
        self.assertEqual(lines.team_id, self.desk, "the technician's team only")
        self.assertEqual(lines.client_id, self.client_a)
        both = lines.filtered(lambda line: line.ticket_id.name == "Breached and stale")
        self.assertEqual((both.section, both.reasons), ("breached", "SLA breached, Not updated"))
        # opening the menu computes them again, the previous rows go
        action = Line.action_itsm_follow_today()
        self.assertEqual(action["res_model"], "itsm.digest.line")
        self.assertFalse(lines.exists())
        # the preview is the morning e-mail of the technician's team
        preview = self.env["itsm.digest.preview"].browse(Line.action_itsm_preview_digest()["res_id"])
        self.assertIn("Desk A: tickets to follow up today", preview.body_html)
        self.assertIn("(Client A Industries)", preview.body_html)
        self.assertNotIn("Alice A", preview.body_html)

    def test_business_days(self):
        Team = self.env["helpdesk.ticket.team"]
        working = Team._itsm_working_days(self.calendar, date(2026, 11, 13))
        # waiting since Friday 6: Monday 9, Tuesday 10, Thursday 12 (Wednesday 11 is a public holiday)
        self.assertEqual(Team._itsm_business_days(datetime(2026, 11, 6, 10, 0), working, date(2026, 11, 13)), 3)
        # a weekend counts for nothing
        self.assertEqual(Team._itsm_business_days(datetime(2026, 11, 13, 17, 0), working, date(2026, 11, 16)), 0)

    # ------------------------------------------------------------ one mail per team and day
    def test_one_mail_per_team_and_day(self):
        Team = self.env["helpdesk.ticket.team"]
        self.assertIn(self.desk, Team._cron_itsm_daily_digest(now=MORNING))
        self.assertFalse(Team._cron_itsm_daily_digest(now=MORNING + timedelta(hours=3)))
        self.assertEqual(len(self._mails(self.desk)), 1)
        # the claim is a single UPDATE: a team done today is not claimed again
        self.assertFalse(self.desk._itsm_claim_digest(date(2026, 11, 20)))
        # next morning: a new digest
        self.assertIn(self.desk, Team._cron_itsm_daily_digest(now=MORNING + timedelta(days=1)))
        self.assertEqual(len(self._mails(self.desk)), 2)
        self.assertFalse(self._mails(self.quiet))

    def test_nothing_to_report(self):
        for ticket, _written in self.tickets.values():
            ticket.write({"itsm_sla_state": "on_track", "itsm_pause_start": False})
        for name in self.tickets:
            self.tickets[name] = (self.tickets[name][0], datetime(2026, 11, 19, 17, 0))
        self._set_write_dates()
        done = self.env["helpdesk.ticket.team"]._cron_itsm_daily_digest(now=MORNING)
        self.assertFalse(done & (self.desk | self.quiet))  # other teams of the database may have something
        self.assertFalse(self._mails(self.desk) | self._mails(self.quiet))
        self.assertFalse(self.desk.itsm_digest_date)

    def test_escalated_to_the_team(self):
        ticket = self.tickets["Fresh on track"][0]
        self.env["itsm.ticket.escalation"].create(
            {
                "ticket_id": ticket.id,
                "from_level": "1",
                "to_level": "2",
                "from_team_id": ticket.team_id.id,
                "to_team_id": self.quiet.id,
                "date": MORNING - timedelta(hours=12),
                "automatic": True,
                "reason": "Digest test",
            }
        )
        data = self.env["helpdesk.ticket.team"].search([])._itsm_digest_data(MORNING)
        self.assertEqual([(t.name, reasons) for t, reasons in data[self.quiet.id]], [("Fresh on track", ["escalated"])])
        self.env["helpdesk.ticket.team"]._cron_itsm_daily_digest(now=MORNING)
        self.assertIn("Escalated to the team since yesterday", self._mails(self.quiet).body_html)

    # ------------------------------------------------------------ queries
    def test_queries_per_team_constant(self):
        Team = self.env["helpdesk.ticket.team"]
        Team._cron_itsm_daily_digest(now=MORNING)  # warm-up: the setup's teams are done for the day

        def measure(per_team):
            teams = Team.browse()
            vals = []
            for index in range(2):
                user = new_test_user(
                    self.env, f"digest_q{per_team}_{index}", groups="base.group_user", email=f"q{index}@example.com"
                )
                team = Team.create({"name": f"Team {per_team}/{index}", "user_ids": [(6, 0, user.ids)]})
                teams |= team
                vals += [
                    {
                        "name": f"Q{per_team} {index} {i}",
                        "description": "x",
                        "partner_id": self.client_a_contact.id,
                        "team_id": team.id,
                    }
                    for i in range(per_team)
                ]
            self.env["helpdesk.ticket"].create(vals).write({"itsm_sla_state": "breached"})
            self.env.flush_all()
            self.env.invalidate_all()
            before = self.env.cr.sql_log_count
            done = Team._cron_itsm_daily_digest(now=MORNING)
            self.env.flush_all()
            self.assertEqual(done, teams)
            return self.env.cr.sql_log_count - before

        small = measure(5)
        large = measure(50)
        _logger.info("daily digest, 2 teams: %s queries with 5 tickets each, %s with 50", small, large)
        self.assertEqual(small, large)
