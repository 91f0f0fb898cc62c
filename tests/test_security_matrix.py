"""Who reads and writes what: the access matrix of the addon, written once and tested.

``MATRIX`` below is the documented matrix (``docs/security.rst`` prints the same table, and
``test_docs_print_the_matrix`` checks it does). For every model the addon adds or extends, and for each role, it
says what the role may read, write, create and delete:

* ``all``: every record of the provider's companies (both clients of the fixture);
* ``own``: the portal client's own company's records only, in the states a client is shown (sent minutes, issued
  statements, active contracts...); for a technician's timesheet lines, the technician's own lines;
* ``open``: every record that is not final yet (a sent MCO report is final: the client has read it);
* ``-``: refused (access error or a refusal naming the record).

The portal client's and the technician's cells are tested with the real operations (``search_read``, ``read``,
``write``, ``create``, ``unlink`` and every public ``action_*`` the addon defines, whose own check is read or
write); the account and service managers' cells are checked against the access rights. A cell that does not hold
yet is listed in ``KNOWN_HOLES`` with the finding it belongs to, and tested by a test marked ``expected_failure``:
it passes while the hole is there and fails, asking for the mark to be removed, once it is fixed.
"""

import functools
import inspect
import itertools
import os
from datetime import date
from datetime import datetime

from odoo import Command
from odoo.exceptions import AccessError
from odoo.exceptions import UserError
from odoo.modules.module import get_module_path
from odoo.tests import new_test_user
from odoo.tests import tagged

from .common import ItsmInterventionCase

ADDON = "odoo.addons.itsm_service_contract"
COUNTER = itertools.count()
ROLES = ("portal", "technician", "account_manager", "service_manager")
OPERATIONS = ("read", "write", "create", "unlink")

_NONE = ("-", "-", "-", "-")
_READ = ("all", "-", "-", "-")
_CONFIG = {"portal": _NONE, "technician": _READ, "account_manager": _READ, "service_manager": ("all",) * 4}

# model: {role: (read, write, create, unlink)}
MATRIX = {
    # commercial side: contracts and their ledger
    "itsm.contract": {
        "portal": ("own", "-", "-", "-"),
        "technician": _READ,
        "account_manager": ("all", "all", "all", "-"),
        "service_manager": ("all", "all", "all", "all"),
    },
    "itsm.credit.move": {
        "portal": ("own", "-", "-", "-"),
        "technician": _READ,
        "account_manager": ("all", "-", "all", "-"),
        "service_manager": ("all", "-", "all", "-"),
    },
    "itsm.contract.scope": {
        "portal": ("own", "-", "-", "-"),
        "technician": _READ,
        "account_manager": ("all",) * 4,
        "service_manager": ("all",) * 4,
    },
    "itsm.contract.month": {"portal": _NONE, "technician": _NONE, "account_manager": _NONE, "service_manager": _NONE},
    "itsm.statement": {
        "portal": ("own", "-", "-", "-"),
        "technician": _READ,
        "account_manager": ("all", "all", "all", "-"),
        "service_manager": ("all",) * 4,
    },
    "itsm.statement.line": {
        "portal": ("own", "-", "-", "-"),
        "technician": _READ,
        "account_manager": ("all",) * 4,
        "service_manager": ("all",) * 4,
    },
    "itsm.activity.sheet": {
        "portal": _NONE,
        "technician": _READ,
        "account_manager": ("all",) * 4,
        "service_manager": ("all",) * 4,
    },
    "itsm.committee": {
        "portal": ("own", "-", "-", "-"),
        "technician": _READ,
        "account_manager": ("all", "all", "all", "-"),
        "service_manager": ("all",) * 4,
    },
    "itsm.committee.action": {
        "portal": ("own", "-", "-", "-"),
        "technician": _READ,
        "account_manager": ("all",) * 4,
        "service_manager": ("all",) * 4,
    },
    "itsm.committee.kpi": {
        "portal": ("own", "-", "-", "-"),
        "technician": _READ,
        "account_manager": ("all",) * 4,
        "service_manager": ("all",) * 4,
    },
    # configuration
    "itsm.sla.matrix": {**_CONFIG, "portal": _READ},
    "itsm.sla.rule": {**_CONFIG, "portal": _READ},
    "itsm.ticket.catalog": {**_CONFIG, "portal": _READ},
    "itsm.service.domain": {**_CONFIG, "portal": _READ},
    "itsm.mco.template": _CONFIG,
    "itsm.mco.template.check": _CONFIG,
    # service desk
    "helpdesk.ticket": {
        "portal": ("own", "-", "-", "-"),
        "technician": ("all", "all", "all", "-"),
        "account_manager": ("all", "all", "all", "-"),
        "service_manager": ("all", "all", "all", "-"),
    },
    "itsm.ticket.escalation": {
        # written by the escalation path only (wizard, scan), as superuser with its author and date fixed
        "portal": _NONE,
        "technician": _READ,
        "account_manager": _READ,
        "service_manager": _READ,
    },
    "itsm.problem": {
        "portal": ("own", "-", "-", "-"),
        "technician": ("all", "all", "all", "-"),
        "account_manager": ("all", "all", "all", "-"),
        "service_manager": ("all",) * 4,
    },
    "document.page": {
        "portal": ("own", "-", "-", "-"),
        "technician": ("all", "all", "all", "-"),
        "account_manager": ("all", "all", "all", "-"),
        "service_manager": ("all", "all", "all", "-"),
    },
    "document.page.history": {
        # the versions before publication may hold the client's ticket the scenario was written from
        "portal": _NONE,
        "technician": ("all", "-", "all", "-"),
        "account_manager": ("all", "-", "all", "-"),
        "service_manager": ("all", "-", "all", "-"),
    },
    # estate, MCO
    "maintenance.equipment": {
        "portal": ("own", "-", "-", "-"),
        "technician": ("all", "all", "all", "-"),
        "account_manager": ("all",) * 4,
        "service_manager": ("all",) * 4,
    },
    "itsm.mco.report": {
        "portal": ("own", "-", "-", "-"),
        "technician": ("all", "open", "all", "-"),
        "account_manager": ("all", "open", "all", "-"),
        "service_manager": ("all", "open", "all", "open"),
    },
    "itsm.mco.report.line": {
        "portal": ("own", "-", "-", "-"),
        "technician": ("all", "open", "open", "open"),
        "account_manager": ("all", "open", "open", "open"),
        "service_manager": ("all", "open", "open", "open"),
    },
    # monitoring
    "itsm.monitoring.source": {
        "portal": _NONE,
        "technician": _READ,
        "account_manager": _READ,
        "service_manager": ("all",) * 4,
    },
    "itsm.monitoring.severity": {
        "portal": _NONE,
        "technician": _READ,
        "account_manager": _READ,
        "service_manager": ("all",) * 4,
    },
    "itsm.monitoring.alert": {
        "portal": _NONE,
        "technician": _READ,
        "account_manager": _READ,
        "service_manager": ("all", "-", "-", "all"),
    },
    "itsm.monitoring.rate": {"portal": _NONE, "technician": _NONE, "account_manager": _NONE, "service_manager": _READ},
    # Odoo's models the addon extends: their own rights, checked here with the addon's fields on them
    "account.analytic.line": {
        "portal": _NONE,
        "technician": ("own", "own", "own", "own"),
        "account_manager": ("all",) * 4,
        "service_manager": ("all",) * 4,
    },
}

# Models the addon extends without changing who may use them (Odoo's own rights apply, nothing of a client in them)
UNCHANGED = {
    "res.partner": "the client's name and contacts: Odoo's rights; the addon adds a smart button",
    "res.company": "settings of the provider",
    "res.config.settings": "settings screen (administrators)",
    "product.template": "credit packages on sale (product fields)",
    "sale.order": "Sales' rights: a portal client reads its own orders, the staff per their Sales group",
    "sale.order.line": "lines of the orders",
    "maintenance.equipment.category": "machine categories: a portal client reads them (its machines' category)",
    "helpdesk.ticket.team": "the desk's teams (helpdesk_mgmt's rights)",
    "helpdesk.ticket.stage": "the desk's stages (helpdesk_mgmt's rights)",
    "resource.calendar": "working calendars (cache of the schedule)",
    "resource.calendar.attendance": "working calendars (cache of the schedule)",
    "resource.calendar.leaves": "working calendars (cache of the schedule)",
    "ir.actions.report": "report rendering (size budget of the addon's reports)",
    "hr.timesheet.switch": "the timer wizard of helpdesk_mgmt_timesheet: its creator only",
    "itsm.credit.adjust.wizard": "wizard: account managers, its creator only",
    "itsm.escalation.wizard": "wizard: technicians, its creator only",
    "itsm.monitoring.token.wizard": "wizard: service managers, its creator only",
    "itsm.retention.wizard": "wizard: service managers, its creator only",
    "itsm.sla.report.wizard": "wizard: account managers, its creator only",
    "itsm.digest.line": "*To follow today*: rows of the user's own digest (transient), its creator only",
    "itsm.digest.preview": "preview of the daily digest (transient), its creator only",
}

# Cells that do not hold yet: (model, role, operation) -> the finding it belongs to (issue 23)
KNOWN_HOLES = {
    # cell: finding, while a cell does not hold yet (none since the fixes of issue 23: findings 1 and 5, the staff
    # rewriting past versions of a page, a technician rewriting a sent MCO report and its checks)
}

LABELS = {"all": "all", "own": "own", "open": "open", "-": "-"}
ROLE_TITLES = {
    "portal": "Portal client",
    "technician": "Technician",
    "account_manager": "Account manager",
    "service_manager": "Service manager",
}


def matrix_rst():
    """The matrix as the reStructuredText table of ``docs/security.rst`` (read / write / create / delete)."""
    header = ["Model", *(ROLE_TITLES[role] for role in ROLES)]
    rows = [
        [f"``{model}``", *("/".join(LABELS[cell] for cell in cells[role]) for role in ROLES)]
        for model, cells in MATRIX.items()
    ]
    widths = [max(len(row[i]) for row in [header, *rows]) for i in range(len(header))]
    rule = " ".join("=" * width for width in widths)

    def line(row):
        return " ".join(cell.ljust(width) for cell, width in zip(row, widths, strict=True)).rstrip()

    return "\n".join([rule, line(header), rule, *(line(row) for row in rows), rule])


def addon_actions(env):
    """{(model, action): operation it checks} for every public ``action_*`` the addon defines."""
    found = {}
    for model_name in env.registry:
        for klass in type(env[model_name]).__mro__:
            if not (klass.__module__ or "").startswith(ADDON):
                continue
            for name, member in vars(klass).items():
                if name.startswith("action_") and inspect.isfunction(member):
                    found[(model_name, name)] = getattr(member, "itsm_checked", None)
    return found


def expected_failure(cell):
    """Odoo's runner ignores ``unittest.expectedFailure``: the same for a cell of ``KNOWN_HOLES``, reported as a
    skip naming the finding while the hole is there, and as a failure once it is fixed."""
    finding = KNOWN_HOLES[cell]

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self):
            try:
                method(self)
            except AssertionError as error:
                self.skipTest(f"known hole, {finding}: {error}")
            self.fail(f"{finding} holds now: remove its expected_failure mark and its KNOWN_HOLES entry")

        wrapper.known_hole = cell
        return wrapper

    return decorate


class SecurityMatrixCase(ItsmInterventionCase):
    """Two clients of one provider, each with its portal user, and one record (or more) of every model."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        env = cls.env
        cls.client_b_contact = env["res.partner"].create(
            {"name": "Bob B", "parent_id": cls.client_b.id, "email": "bob@client-b.example.com"}
        )
        cls.portal_user_b = cls._user("itsm_portal_b", "Bob Portal", "base.group_portal", cls.client_b_contact)
        cls.service_manager = cls._user(
            "itsm_sm", "Serge Manager", "itsm_service_contract.group_itsm_service_manager", None
        )
        cls.other_tech = cls._user("itsm_tech2", "Tom Other", "itsm_service_contract.group_itsm_technician", None)
        cls.other_employee = env["hr.employee"].create({"name": "Tom Other", "user_id": cls.other_tech.id})
        # contracts: A's active one (ItsmInterventionCase), a draft one of A, B's active one
        cls.contract_a = cls.contract
        cls.contract_b = cls._buy_class(cls.client_b, cls.annual, date(2026, 11, 2))
        cls.contract_a_draft = env["itsm.contract"].create({"partner_id": cls.client_a.id})
        cls.contract_b.write({"calendar_id": cls.calendar.id})
        domain = env["itsm.service.domain"].create({"name": "Matrix servers", "code": "matrix_servers"})
        cls.scope_a = env["itsm.contract.scope"].create(
            {"contract_id": cls.contract_a.id, "domain_id": domain.id, "coverage": "n1"}
        )
        cls.scope_b = env["itsm.contract.scope"].create(
            {"contract_id": cls.contract_b.id, "domain_id": domain.id, "coverage": "n1"}
        )
        cls.scope_draft = env["itsm.contract.scope"].create(
            {"contract_id": cls.contract_a_draft.id, "domain_id": domain.id, "coverage": "n1"}
        )
        cls.tm_contract_a = env["itsm.contract"].create(
            {
                "partner_id": cls.client_a.id,
                "contract_type": "time_material",
                "state": "active",
                "hourly_rate": 60.0,
                "day_rate": 300.0,
            }
        )
        # tickets and the time logged on them: the technician works in the desk's team (helpdesk_mgmt's rule)
        cls.team.user_ids = [Command.link(cls.technician.id), Command.link(cls.other_tech.id)]
        cls.ticket_a = cls.ticket
        cls.ticket_b = cls._ticket(datetime(2026, 11, 9, 10, 0), partner=cls.client_b_contact)
        cls.ticket_b.itsm_contract_id = cls.contract_b
        Line = env["account.analytic.line"]
        common = {"name": "Intervention", "project_id": cls.project.id, "unit_amount": 1.0}
        cls.line_a = Line.create(
            {**common, "ticket_id": cls.ticket_a.id, "employee_id": cls.employee.id, "date_time": "2026-11-16 09:00"}
        )
        cls.line_b = Line.create(
            {
                **common,
                "ticket_id": cls.ticket_b.id,
                "employee_id": cls.other_employee.id,
                "date_time": "2026-11-16 10:00",
            }
        )
        # machines, problems
        Equipment = env["maintenance.equipment"]
        cls.equipment_a = Equipment.create({"name": "A's server", "itsm_partner_id": cls.client_a.id})
        cls.equipment_b = Equipment.create({"name": "B's server", "itsm_partner_id": cls.client_b.id})
        cls.problem_a = env["itsm.problem"].create({"partner_id": cls.client_a.id, "title": "A's printers"})
        cls.problem_b = env["itsm.problem"].create({"partner_id": cls.client_b.id, "title": "B's printers"})
        # scenarios: published, unpublished, an internal article
        Page = env["document.page"]
        scenario = {"itsm_is_scenario": True, "content": "<p>Restart the spooler</p>"}
        cls.page_published = Page.create({**scenario, "name": "Published", "itsm_portal_published": True})
        cls.page_unpublished = Page.create({**scenario, "name": "Unpublished"})
        cls.page_internal = Page.create({"name": "Internal", "content": "<p>Our own notes</p>"})
        History = env["document.page.history"]
        cls.history_published = History.search([("page_id", "=", cls.page_published.id)])
        cls.history_unpublished = History.search([("page_id", "in", (cls.page_unpublished | cls.page_internal).ids)])
        # MCO reports: A's sent and draft ones, B's sent one
        Report = env["itsm.mco.report"]

        def report(contract, state):
            record = Report.create(
                {"contract_id": contract.id, "line_ids": [Command.create({"check_name": "Backups", "result": "ok"})]}
            )
            record.state = state
            return record

        cls.mco_a_sent = report(cls.contract_a, "sent")
        cls.mco_a_draft = report(cls.contract_a, "draft")
        cls.mco_b_sent = report(cls.contract_b, "sent")
        # escalations (written by the escalation path: created here as the superuser)
        Escalation = env["itsm.ticket.escalation"]
        escalation = {"from_level": "1", "to_level": "2", "reason": "Needs a system administrator"}
        cls.escalation_a = Escalation.create({**escalation, "ticket_id": cls.ticket_a.id})
        cls.escalation_b = Escalation.create({**escalation, "ticket_id": cls.ticket_b.id})
        # monitoring
        cls.source_a = env["itsm.monitoring.source"].create(
            {"name": "A's probe", "contract_id": cls.contract_a.id, "team_id": cls.team.id}
        )
        cls.source_b = env["itsm.monitoring.source"].create(
            {"name": "B's probe", "contract_id": cls.contract_b.id, "team_id": cls.team.id}
        )
        cls.severity_a = cls.source_a.severity_ids[:1]
        Alert = env["itsm.monitoring.alert"]
        alert = {"status": "firing", "fingerprint": "cpu", "summary": "CPU high"}
        cls.alert_a = Alert.create({**alert, "source_id": cls.source_a.id, "company_id": cls.company.id})
        cls.alert_b = Alert.create({**alert, "source_id": cls.source_b.id, "company_id": cls.company.id})
        cls.rate_a = env["itsm.monitoring.rate"].create(
            {"source_id": cls.source_a.id, "minute": "2026-11-16 09:00:00", "count": 3}
        )
        cls.month_a = env["itsm.contract.month"].create({"contract_id": cls.contract_a.id, "month": "2026-10-01"})
        # statements: A's issued and draft ones, B's issued one
        Statement = env["itsm.statement"]

        def statement(contract, month, state):
            record = Statement.create(
                {
                    "contract_id": contract.id,
                    "period_start": date(2026, month, 1),
                    "period_end": date(2026, month, 28),
                    "line_ids": [Command.create({"date": date(2026, month, 3), "ticket_name": "Printer"})],
                }
            )
            record.state = state
            return record

        cls.statement_a = statement(cls.contract_a, 11, "issued")
        cls.statement_a_draft = statement(cls.contract_a, 12, "draft")
        cls.statement_b = statement(cls.contract_b, 11, "issued")
        cls.sheet_a = env["itsm.activity.sheet"].create(
            {"contract_id": cls.tm_contract_a.id, "period_start": date(2026, 11, 1), "period_end": date(2026, 11, 30)}
        )
        # committees: A's sent and planned minutes, B's sent ones, with an action and a figure each
        Committee = env["itsm.committee"]

        def committee(contract, day, state):
            record = Committee.create(
                {
                    "contract_id": contract.id,
                    "committee_type": "exceptional",
                    "date": f"2026-12-{day:02d} 09:00:00",
                    "action_ids": [
                        Command.create({"name": "Replace the UPS", "owner_user_id": cls.account_manager.id})
                    ],
                    "kpi_line_ids": [Command.create({"section": "tickets", "name": "Incidents"})],
                }
            )
            record.state = state
            return record

        cls.committee_a = committee(cls.contract_a, 10, "sent")
        cls.committee_a_planned = committee(cls.contract_a, 11, "planned")
        cls.committee_b = committee(cls.contract_b, 10, "sent")
        # configuration
        cls.sla_matrix = env["itsm.sla.matrix"].create({"name": "Matrix SLA"})
        cls.sla_rule = env["itsm.sla.rule"].create(
            {"matrix_id": cls.sla_matrix.id, "ticket_kind": "incident", "priority": "2"}
        )
        cls.catalog = env["itsm.ticket.catalog"].create({"name": "Printer", "ticket_kind": "incident", "priority": "1"})
        cls.template = env["itsm.mco.template"].create(
            {"name": "Matrix template", "check_ids": [Command.create({"name": "Backups"})]}
        )
        cls.fixture = cls._fixture()
        cls.actions = addon_actions(cls.env)

    @classmethod
    def _user(cls, login, name, groups, partner):
        values = {"partner_id": partner.id} if partner else {}
        return new_test_user(cls.env, login=login, name=name, groups=groups, **values)

    @classmethod
    def _fixture(cls):
        """model -> {"mine": A's records A's portal user sees (and the technician's own), "theirs": B's (or another
        technician's), "hidden": A's records not shown to a client (drafts, unpublished), "final": records no one
        rewrites (a report the client was sent)}."""
        return {
            "itsm.contract": {"mine": cls.contract_a, "theirs": cls.contract_b, "hidden": cls.contract_a_draft},
            "itsm.credit.move": {"mine": cls.contract_a.credit_move_ids, "theirs": cls.contract_b.credit_move_ids},
            "itsm.contract.scope": {"mine": cls.scope_a, "theirs": cls.scope_b, "hidden": cls.scope_draft},
            "itsm.contract.month": {"mine": cls.month_a},
            "itsm.statement": {"mine": cls.statement_a, "theirs": cls.statement_b, "hidden": cls.statement_a_draft},
            "itsm.statement.line": {
                "mine": cls.statement_a.line_ids,
                "theirs": cls.statement_b.line_ids,
                "hidden": cls.statement_a_draft.line_ids,
            },
            "itsm.activity.sheet": {"mine": cls.sheet_a},
            "itsm.committee": {"mine": cls.committee_a, "theirs": cls.committee_b, "hidden": cls.committee_a_planned},
            "itsm.committee.action": {
                "mine": cls.committee_a.action_ids,
                "theirs": cls.committee_b.action_ids,
                "hidden": cls.committee_a_planned.action_ids,
            },
            "itsm.committee.kpi": {
                "mine": cls.committee_a.kpi_line_ids,
                "theirs": cls.committee_b.kpi_line_ids,
                "hidden": cls.committee_a_planned.kpi_line_ids,
            },
            "itsm.sla.matrix": {"mine": cls.sla_matrix},
            "itsm.sla.rule": {"mine": cls.sla_rule},
            "itsm.ticket.catalog": {"mine": cls.catalog},
            "itsm.service.domain": {"mine": cls.scope_a.domain_id},
            "itsm.mco.template": {"mine": cls.template},
            "itsm.mco.template.check": {"mine": cls.template.check_ids},
            "helpdesk.ticket": {"mine": cls.ticket_a, "theirs": cls.ticket_b},
            "itsm.ticket.escalation": {"mine": cls.escalation_a, "theirs": cls.escalation_b},
            "itsm.problem": {"mine": cls.problem_a, "theirs": cls.problem_b},
            "document.page": {"mine": cls.page_published, "hidden": cls.page_unpublished | cls.page_internal},
            "document.page.history": {"mine": cls.history_published, "hidden": cls.history_unpublished},
            "maintenance.equipment": {"mine": cls.equipment_a, "theirs": cls.equipment_b},
            "itsm.mco.report": {
                "mine": cls.mco_a_sent,
                "theirs": cls.mco_b_sent,
                "hidden": cls.mco_a_draft,
                "final": cls.mco_a_sent | cls.mco_b_sent,
            },
            "itsm.mco.report.line": {
                "mine": cls.mco_a_sent.line_ids,
                "theirs": cls.mco_b_sent.line_ids,
                "hidden": cls.mco_a_draft.line_ids,
                "final": (cls.mco_a_sent | cls.mco_b_sent).line_ids,
            },
            "itsm.monitoring.source": {"mine": cls.source_a, "theirs": cls.source_b},
            "itsm.monitoring.severity": {"mine": cls.severity_a},
            "itsm.monitoring.alert": {"mine": cls.alert_a, "theirs": cls.alert_b},
            "itsm.monitoring.rate": {"mine": cls.rate_a},
            "account.analytic.line": {"mine": cls.line_a, "theirs": cls.line_b},
        }

    # ------------------------------------------------------------ values of a write / create per model
    def _write_values(self, model):
        return {
            "itsm.contract": {"low_balance_threshold": 7.0},
            "itsm.credit.move": {"name": "Rewritten"},
            "itsm.contract.scope": {"coverage": "excluded"},
            "itsm.contract.month": {"consumed_hours": 99.0},
            "itsm.statement": {"opening_balance": 99.0},
            "itsm.statement.line": {"ticket_name": "Rewritten"},
            "itsm.activity.sheet": {"period_end": date(2026, 11, 29)},
            "itsm.committee": {"date": "2026-12-12 09:00:00"},
            "itsm.committee.action": {"name": "Rewritten"},
            "itsm.committee.kpi": {"name": "Rewritten"},
            "itsm.sla.matrix": {"name": "Rewritten"},
            "itsm.sla.rule": {"priority": "3"},
            "itsm.ticket.catalog": {"name": "Rewritten"},
            "itsm.service.domain": {"name": "Rewritten"},
            "itsm.mco.template": {"name": "Rewritten"},
            "itsm.mco.template.check": {"name": "Rewritten"},
            "helpdesk.ticket": {"name": "Rewritten"},
            "itsm.ticket.escalation": {"reason": "Rewritten"},
            "itsm.problem": {"title": "Rewritten"},
            "document.page": {"name": "Rewritten"},
            "document.page.history": {"content": "<p>Rewritten</p>"},
            "maintenance.equipment": {"name": "Rewritten"},
            "itsm.mco.report": {"summary": "Rewritten"},
            "itsm.mco.report.line": {"comment": "Rewritten"},
            "itsm.monitoring.source": {"name": "Rewritten"},
            "itsm.monitoring.severity": {"label": "Rewritten"},
            "itsm.monitoring.alert": {"summary": "Rewritten"},
            "itsm.monitoring.rate": {"count": 99},
            "account.analytic.line": {"name": "Rewritten"},
        }[model]

    def _create_values(self, model, target):
        """Values of a new record for ``target`` (a record of the fixture: the new one goes with it)."""
        return {
            "itsm.contract": lambda: {"partner_id": target.partner_id.id},
            "itsm.credit.move": lambda: {
                "contract_id": target.contract_id.id,
                "move_type": "adjustment",
                "hours": 5.0,
                "name": "Gift",
                "reason": "Forged",
            },
            "itsm.contract.scope": lambda: {
                "contract_id": target.contract_id.id,
                "domain_id": self.env["itsm.service.domain"].create({"name": "New", "code": f"new_{next(COUNTER)}"}).id,
                "coverage": "n1",
            },
            "itsm.contract.month": lambda: {"contract_id": target.contract_id.id, "month": "2026-09-01"},
            "itsm.statement": lambda: {
                "contract_id": target.contract_id.id,
                "period_start": date(2026, 9, 1),
                "period_end": date(2026, 9, 30),
            },
            "itsm.statement.line": lambda: {"statement_id": target.statement_id.id, "date": date(2026, 11, 5)},
            "itsm.activity.sheet": lambda: {
                "contract_id": target.contract_id.id,
                "period_start": date(2026, 10, 1),
                "period_end": date(2026, 10, 31),
            },
            "itsm.committee": lambda: {
                "contract_id": target.contract_id.id,
                "committee_type": "exceptional",
                "date": "2026-12-20 09:00:00",
            },
            "itsm.committee.action": lambda: {
                "committee_id": target.committee_id.id,
                "name": "Forged",
                "owner_user_id": self.account_manager.id,
            },
            "itsm.committee.kpi": lambda: {"committee_id": target.committee_id.id, "section": "tickets", "name": "X"},
            "itsm.sla.matrix": lambda: {"name": "New"},
            "itsm.sla.rule": lambda: {"matrix_id": target.matrix_id.id, "ticket_kind": "request", "priority": "0"},
            "itsm.ticket.catalog": lambda: {"name": "New", "ticket_kind": "request", "priority": "0"},
            "itsm.service.domain": lambda: {"name": "New", "code": f"new_{next(COUNTER)}"},
            "itsm.mco.template": lambda: {"name": "New"},
            "itsm.mco.template.check": lambda: {"template_id": target.template_id.id, "name": "New"},
            "helpdesk.ticket": lambda: {"name": "New", "description": "New", "partner_id": target.partner_id.id},
            "itsm.ticket.escalation": lambda: {
                "ticket_id": target.ticket_id.id,
                "from_level": "2",
                "to_level": "3",
                "reason": "Forged",
                "automatic": True,
                "user_id": self.account_manager.id,
            },
            "itsm.problem": lambda: {"partner_id": target.partner_id.id},
            "document.page": lambda: {"name": "New", "itsm_is_scenario": True, "content": "<p>New</p>"},
            "document.page.history": lambda: {"page_id": target.page_id.id, "content": "<p>Forged</p>"},
            "maintenance.equipment": lambda: {"name": "New", "itsm_partner_id": target.itsm_partner_id.id},
            "itsm.mco.report": lambda: {"contract_id": target.contract_id.id},
            "itsm.mco.report.line": lambda: {"report_id": target.report_id.id, "check_name": "Forged"},
            "itsm.monitoring.source": lambda: {
                "name": "New",
                "contract_id": target.contract_id.id,
                "team_id": target.team_id.id,
            },
            "itsm.monitoring.severity": lambda: {"source_id": target.source_id.id, "label": "matrix"},
            "itsm.monitoring.alert": lambda: {
                "source_id": target.source_id.id,
                "fingerprint": "forged",
                "status": "firing",
                "company_id": target.company_id.id,
            },
            "itsm.monitoring.rate": lambda: {"source_id": target.source_id.id, "minute": "2026-11-16 10:00:00"},
            "account.analytic.line": lambda: {
                "name": "Forged",
                "ticket_id": target.ticket_id.id,
                "project_id": target.project_id.id,
                "employee_id": target.employee_id.id,
                "date_time": "2026-11-17 09:00",
                "unit_amount": 1.0,
            },
        }[model]()

    # ------------------------------------------------------------ the checks of one cell
    def _user_of(self, role):
        return {
            "portal": self.portal_user_a,
            "technician": self.technician,
            "account_manager": self.account_manager,
            "service_manager": self.service_manager,
        }[role]

    def _records(self, model, *keys):
        records = self.env[model]
        for key in keys:
            records |= self.fixture[model].get(key, self.env[model])
        return records

    def _refused(self, operation, model, records, call, exception=UserError):
        """``call()`` must raise a refusal (an access error, or a refusal naming the record) and change nothing."""
        self.env.invalidate_all()
        with self.assertRaises(exception, msg=f"{operation} on {model} {records.ids} was allowed"):
            call()

    @staticmethod
    def _allowed(cell, key, record, final):
        """Whether a cell allows an operation on one record of the fixture (``key``: mine, theirs...)."""
        if cell == "open":
            return record not in final
        return cell == "all" or (cell == "own" and key == "mine")

    def check_cell(self, model, role, operation):
        cell = MATRIX[model][role][OPERATIONS.index(operation)]
        user = self._user_of(role)
        Model = self.env[model].with_user(user)
        mine = self._records(model, "mine")
        theirs = self._records(model, "theirs")
        hidden = self._records(model, "hidden")
        final = self._records(model, "final")
        everything = mine | theirs | hidden
        self.assertTrue(mine, f"the fixture has no record of {model}")
        if role not in ("portal", "technician"):
            # managers: the access rights and the record rules, without running the operation
            for record in everything - final if cell == "open" else everything:
                self.assertEqual(
                    record.with_user(user).has_access(operation), cell != "-", f"{role} {operation} {record}"
                )
            return
        if operation == "read":
            if cell == "-":
                # refused, or (a right given by another module, restricted by its rules) none of the fixture's
                if Model.has_access("read"):
                    self.assertFalse(Model.search_read([("id", "in", everything.ids)], ["display_name"]))
                else:
                    self._refused("search_read", model, Model, lambda: Model.search_read([], ["display_name"]))
                self._refused("read", model, mine, lambda: mine.with_user(user).read(["display_name"]))
                self._check_actions(model, "read", mine[:1].with_user(user))
                return
            found = Model.search([("id", "in", everything.ids)])
            # every stored field the user may read, on its own records (lists of other models: their rights)
            names = [
                name
                for name, field in Model._fields.items()
                if field.store and field.type not in ("one2many", "many2many") and field.is_accessible(Model.env)
            ]
            rows = Model.search_read([("id", "in", everything.ids)], names)
            self.assertEqual({row["id"] for row in rows}, set(found.ids))
            visible = everything if cell == "all" else mine
            self.assertEqual(found, visible.with_user(user), f"{role} reads {model}: {cell}")
            mine.with_user(user).read(names)
            for record in everything - visible:
                self._refused("read", model, record, lambda r=record: r.with_user(user).read(["display_name"]))
                self._check_actions(model, "read", record.with_user(user))
            return
        if operation == "create":
            for key, record in (
                ("mine", mine[:1]),
                ("theirs", theirs[:1]),
                ("hidden", hidden[:1]),
                ("final", final[:1]),
            ):
                if not record:
                    continue
                if self._allowed(cell, key, record, final):
                    self.assertTrue(Model.has_access("create"), f"{role} creates {model}")
                else:
                    values = self._create_values(model, record)
                    self._refused("create", model, record, lambda v=values: Model.create(v))
            return
        for key, records in (("mine", mine), ("theirs", theirs), ("hidden", hidden), ("final", final)):
            for record in records[:1]:
                if self._allowed(cell, key, record, final):
                    self.assertTrue(record.with_user(user).has_access(operation), f"{role} {operation} {record}")
                elif operation == "write":
                    values = self._write_values(model)
                    self._refused("write", model, record, lambda r=record, v=values: r.with_user(user).write(v))
                    self._check_actions(model, operation, record.with_user(user))
                else:
                    self._refused("unlink", model, record, lambda r=record: r.with_user(user).unlink())

    def _check_actions(self, model, operation, record):
        """The public actions that check ``operation`` are refused on a record the matrix refuses it on."""
        for (action_model, name), checked in sorted(self.actions.items()):
            if action_model == model and checked == operation:
                final = record.sudo() in self._records(model, "final")
                exception = UserError if final else AccessError  # a final record may refuse by its own check
                self._refused(f"{name}()", model, record, getattr(record, name), exception)

    def check_models(self, models, roles=ROLES):
        for model in models:
            for role in roles:
                for operation in OPERATIONS:
                    if (model, role, operation) in KNOWN_HOLES:
                        continue
                    with self.subTest(model=model, role=role, operation=operation):
                        self.check_cell(model, role, operation)


@tagged("post_install", "-at_install")
class TestSecurityMatrix(SecurityMatrixCase):
    def test_matrix_covers_every_model(self):
        """Every model the addon adds or extends is in the matrix, or named as left to Odoo's rights."""
        found = set()
        for model_name in self.env.registry:
            Model = self.env[model_name]
            if Model._abstract:
                continue
            for klass in type(Model).__mro__:
                if (klass.__module__ or "").startswith(ADDON) and ("_name" in vars(klass) or "_inherit" in vars(klass)):
                    found.add(model_name)
        # and every model the addon gives access rights on
        accesses = self.env["ir.model.data"].search(
            [("module", "=", "itsm_service_contract"), ("model", "=", "ir.model.access")]
        )
        found |= set(self.env["ir.model.access"].browse(accesses.mapped("res_id")).mapped("model_id.model"))
        documented = set(MATRIX) | set(UNCHANGED)
        self.assertEqual(found - documented, set(), "models of the addon missing from the matrix")
        self.assertEqual(documented - found, set(), "the matrix names models the addon does not touch")

    def test_docs_print_the_matrix(self):
        path = os.path.join(get_module_path("itsm_service_contract"), "docs", "security.rst")
        if not os.path.exists(path):
            self.skipTest("docs/ is not in the wheel: checked from a checkout")
        with open(path, encoding="utf-8") as docs:
            text = docs.read()
        self.assertIn(matrix_rst(), text, "docs/security.rst's table differs from MATRIX: paste matrix_rst()")

    def test_contracts_and_ledger(self):
        self.check_models(["itsm.contract", "itsm.credit.move", "itsm.contract.scope", "itsm.contract.month"])

    def test_statements_and_activity_sheets(self):
        self.check_models(["itsm.statement", "itsm.statement.line", "itsm.activity.sheet"])

    def test_committees(self):
        self.check_models(["itsm.committee", "itsm.committee.action", "itsm.committee.kpi"])

    def test_configuration(self):
        self.check_models(
            [
                "itsm.sla.matrix",
                "itsm.sla.rule",
                "itsm.ticket.catalog",
                "itsm.service.domain",
                "itsm.mco.template",
                "itsm.mco.template.check",
            ]
        )

    def test_desk(self):
        self.check_models(["helpdesk.ticket", "itsm.ticket.escalation", "itsm.problem", "account.analytic.line"])

    def test_knowledge_base(self):
        self.check_models(["document.page", "document.page.history"])

    def test_estate_and_mco(self):
        self.check_models(["maintenance.equipment", "itsm.mco.report", "itsm.mco.report.line"])

    def test_monitoring(self):
        self.check_models(
            ["itsm.monitoring.source", "itsm.monitoring.severity", "itsm.monitoring.alert", "itsm.monitoring.rate"]
        )

    def test_every_action_is_checked_and_in_the_matrix(self):
        """Every public action checks read or write first; the model tests run them where the matrix refuses."""
        actions = addon_actions(self.env)
        self.assertGreaterEqual(len(actions), 37)
        unchecked = sorted(key for key, operation in actions.items() if operation is None)
        self.assertEqual(unchecked, [], "public actions without their access check")
        self.assertEqual({model for model, _name in actions} - set(MATRIX) - set(UNCHANGED), set())

    # ------------------------------------------------------------ known holes: one test per cell of KNOWN_HOLES
    def test_technician_creates_no_escalation(self):
        self.check_cell("itsm.ticket.escalation", "technician", "create")

    def test_account_manager_creates_no_escalation(self):
        self.check_cell("itsm.ticket.escalation", "account_manager", "create")

    def test_portal_reads_no_old_version(self):
        self.check_cell("document.page.history", "portal", "read")
        # a published scenario's earlier versions (written from a client's ticket) are not a client's to read
        self.page_published.content = "<p>Generic text</p>"
        versions = self.env["document.page.history"].search([("page_id", "=", self.page_published.id)])
        self.assertGreater(len(versions), 1)
        with self.assertRaises(AccessError):
            self.env["document.page.history"].with_user(self.portal_user_a).search([])

    def test_technician_rewrites_no_version(self):
        self.check_cell("document.page.history", "technician", "write")

    def test_account_manager_rewrites_no_version(self):
        self.check_cell("document.page.history", "account_manager", "write")

    def test_service_manager_rewrites_no_version(self):
        self.check_cell("document.page.history", "service_manager", "write")

    def test_technician_rewrites_no_sent_report(self):
        self.check_cell("itsm.mco.report", "technician", "write")

    def test_technician_rewrites_no_sent_check(self):
        self.check_cell("itsm.mco.report.line", "technician", "write")

    def test_technician_adds_no_check_to_a_sent_report(self):
        self.check_cell("itsm.mco.report.line", "technician", "create")

    def test_technician_deletes_no_sent_check(self):
        self.check_cell("itsm.mco.report.line", "technician", "unlink")

    def test_every_known_hole_has_its_test(self):
        marked = {getattr(member, "known_hole", None) for member in vars(type(self)).values()} - {None}
        self.assertEqual(marked, set(KNOWN_HOLES))
