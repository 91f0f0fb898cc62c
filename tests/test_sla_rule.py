"""The service-level rule alone (seed 003, issue 14): when a target is met, missed or not judged yet, and what a
share of nothing is. Expected outcomes are stated by hand."""

from datetime import datetime
from datetime import timedelta

from odoo.addons.itsm_service_contract import rules
from odoo.tests.common import BaseCase
from odoo.tests.common import tagged

DEADLINE = datetime(2026, 11, 16, 13, 0)
HOUR = timedelta(hours=1)


@tagged("post_install", "-at_install")
class TestSlaRule(BaseCase):
    def test_done_by_the_deadline_is_met(self):
        self.assertEqual(rules.sla_outcome(DEADLINE, DEADLINE - HOUR, DEADLINE + 10 * HOUR), "met")
        self.assertEqual(rules.sla_outcome(DEADLINE, DEADLINE, DEADLINE + HOUR), "met")  # on the minute

    def test_done_late_is_missed(self):
        self.assertEqual(rules.sla_outcome(DEADLINE, DEADLINE + HOUR, DEADLINE + 2 * HOUR), "missed")

    def test_met_before_the_deadline_comes(self):
        # answered in time: judged at once, even before the deadline
        self.assertEqual(rules.sla_outcome(DEADLINE, DEADLINE - 2 * HOUR, DEADLINE - HOUR), "met")

    def test_undone_past_the_deadline_is_missed_open_or_not(self):
        self.assertEqual(rules.sla_outcome(DEADLINE, None, DEADLINE + timedelta(minutes=1)), "missed")

    def test_undone_before_the_deadline_is_not_judged(self):
        self.assertIsNone(rules.sla_outcome(DEADLINE, None, DEADLINE - HOUR))
        self.assertIsNone(rules.sla_outcome(DEADLINE, None, DEADLINE))

    def test_no_deadline_is_never_judged(self):
        self.assertIsNone(rules.sla_outcome(False, None, DEADLINE))
        self.assertIsNone(rules.sla_outcome(None, DEADLINE, DEADLINE))

    def test_share_of_nothing_is_not_a_number(self):
        self.assertIsNone(rules.share_pct(0, 0))
        self.assertEqual(rules.format_pct(None), "—")
        self.assertEqual(rules.share_pct(1, 2), 50.0)
        self.assertEqual(rules.share_pct(0, 1), 0.0)
        self.assertEqual(rules.share_pct(2, 3), 66.7)
        self.assertEqual(rules.format_pct(66.7), "66.7 %")
