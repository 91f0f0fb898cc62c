"""Every public action of the addon checks the caller's rights on its records before reading anything.

Called over JSON-RPC, a method runs on whatever ids the caller sends: the check is the method's own. For each
``action_*`` the addon defines, a portal client and a technician of the provider get an access error on a record
they may not read (another provider company's, or a wizard somebody else opened), and nothing is returned.
"""

import inspect
from datetime import date

from odoo.exceptions import AccessError
from odoo.tests import tagged

from .common import ItsmCase

ADDON = "odoo.addons.itsm_service_contract"


@tagged("post_install", "-at_install")
class TestActionAccess(ItsmCase):
    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        other = cls.other_company
        env = cls.env(context=dict(cls.env.context, allowed_company_ids=[other.id]))  # its own defaults
        client = env["res.partner"].create({"name": "Other provider's client", "is_company": True})
        contract = env["itsm.contract"].create(
            {
                "partner_id": client.id,
                "company_id": other.id,
                "contract_type": "prepaid",
                "date_start": date(2026, 11, 2),
            }
        )
        tm_contract = env["itsm.contract"].create(
            {
                "partner_id": client.id,
                "company_id": other.id,
                "contract_type": "time_material",
                "state": "active",
                "hourly_rate": 60.0,
                "day_rate": 300.0,
                "date_start": date(2026, 11, 2),
            }
        )
        committee = env["itsm.committee"].create(
            {"contract_id": contract.id, "committee_type": "exceptional", "date": "2026-12-10 09:00:00"}
        )
        ticket = env["helpdesk.ticket"].create(
            {"name": "Other provider's ticket", "description": "Hidden", "company_id": other.id}
        )
        team = env["helpdesk.ticket.team"].create({"name": "Other provider's desk", "company_id": other.id})
        source = env["itsm.monitoring.source"].create(
            {"name": "Other provider's probe", "contract_id": contract.id, "team_id": team.id}
        )
        cls.records = {
            "helpdesk.ticket": ticket,
            "itsm.escalation.wizard": env["itsm.escalation.wizard"].create({"ticket_id": ticket.id, "reason": "x"}),
            "itsm.contract": contract,
            "itsm.committee": committee,
            "itsm.committee.action": env["itsm.committee.action"].create(
                {"committee_id": committee.id, "name": "Not yours", "owner_user_id": cls.other_company_manager.id}
            ),
            "itsm.statement": env["itsm.statement"].create(
                {"contract_id": contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
            ),
            "itsm.activity.sheet": env["itsm.activity.sheet"].create(
                {"contract_id": tm_contract.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
            ),
            "sale.order": env["sale.order"].create({"partner_id": client.id, "company_id": other.id}),
            "res.partner": env["res.partner"].create({"name": "Hidden contact", "company_id": other.id}),
            # wizards opened by somebody else (the superuser): only their creator may use them
            "itsm.credit.adjust.wizard": env["itsm.credit.adjust.wizard"].create(
                {"contract_id": contract.id, "hours": 1.0, "reason": "x"}
            ),
            "itsm.retention.wizard": env["itsm.retention.wizard"].create({}),
            "itsm.sla.report.wizard": env["itsm.sla.report.wizard"].create({"contract_id": contract.id}),
            "hr.timesheet.switch": env["hr.timesheet.switch"].create({"name": "Timer", "company_id": other.id}),
            "itsm.monitoring.source": source,
            # the rows of somebody else's *To follow today* (the superuser's): only their creator reads them
            "itsm.digest.line": env["itsm.digest.line"].create(
                {"team_id": team.id, "ticket_id": ticket.id, "section": "breached"}
            ),
            "itsm.monitoring.token.wizard": env["itsm.monitoring.token.wizard"].create({"source_id": source.id}),
            "document.page": env["document.page"].create(
                {"name": "Not yours", "itsm_is_scenario": True, "itsm_portal_published": True, "company_id": other.id}
            ),
            "itsm.problem": env["itsm.problem"].create({"partner_id": client.id, "company_id": other.id}),
            "maintenance.equipment": env["maintenance.equipment"].create(
                {"name": "Other provider's server", "company_id": other.id, "itsm_partner_id": client.id}
            ),
            "itsm.mco.report": env["itsm.mco.report"].create({"contract_id": contract.id}),
        }

    def _addon_actions(self):
        """(model, method name) of every public action the addon defines, found by introspection."""
        found = set()
        for model_name in self.env.registry:
            cls = type(self.env[model_name])
            for klass in cls.__mro__:
                if not (klass.__module__ or "").startswith(ADDON):
                    continue
                for name, member in vars(klass).items():
                    if name.startswith("action_") and inspect.isfunction(member):
                        found.add((model_name, name))
        return found

    def test_every_action_is_checked(self):
        actions = self._addon_actions()
        self.assertGreaterEqual(len(actions), 37)
        models = {model for model, _name in actions}
        self.assertFalse(models - set(self.records), "a model with actions has no unreadable record in this test")
        for user in (self.portal_user_a, self.technician):
            for model, name in sorted(actions):
                record = self.records[model]
                with self.subTest(user=user.login, action=f"{model}.{name}"):
                    with self.assertRaises(AccessError):
                        getattr(record.with_user(user), name)()

    def test_the_owner_still_acts(self):
        # the check lets through whoever may read: the service manager of the other company prints its minutes
        committee = self.records["itsm.committee"].with_user(self.other_company_manager)
        action = committee.with_company(self.other_company).action_print_minutes()
        self.assertEqual(action["type"], "ir.actions.report")
