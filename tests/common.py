from datetime import date
from datetime import datetime

from freezegun import freeze_time

from odoo import Command
from odoo.tests import TransactionCase
from odoo.tests import new_test_user


class ItsmCase(TransactionCase):
    """Clients, users and packages shared by the addon's tests."""

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.env = cls.env(context=dict(cls.env.context, tracking_disable=False, mail_notrack=False))
        cls.company = cls.env.company
        cls.other_company = cls.env["res.company"].create({"name": "Other Provider SAS"})
        cls.client_a = cls.env["res.partner"].create(
            {"name": "Client A Industries", "is_company": True, "email": "it@client-a.example.com"}
        )
        cls.client_a_contact = cls.env["res.partner"].create(
            {"name": "Alice A", "parent_id": cls.client_a.id, "email": "alice@client-a.example.com"}
        )
        cls.client_b = cls.env["res.partner"].create(
            {"name": "Client B Avocats", "is_company": True, "email": "it@client-b.example.com"}
        )
        cls.annual = cls.env.ref("itsm_service_contract.product_credit_annual")
        cls.monthly = cls.env.ref("itsm_service_contract.product_credit_monthly")
        cls.account_manager = new_test_user(
            cls.env,
            login="itsm_am",
            name="Aurore Manager",
            groups="itsm_service_contract.group_itsm_account_manager,sales_team.group_sale_salesman",
        )
        cls.technician = new_test_user(
            cls.env, login="itsm_tech", name="Théo Technician", groups="itsm_service_contract.group_itsm_technician"
        )
        cls.other_company_manager = new_test_user(
            cls.env,
            login="itsm_other",
            name="Olga Other",
            groups="itsm_service_contract.group_itsm_service_manager",
            company_id=cls.other_company.id,
            company_ids=[cls.other_company.id],
        )
        cls.portal_user_a = new_test_user(
            cls.env,
            login="itsm_portal_a",
            name="Alice Portal",
            groups="base.group_portal",
            partner_id=cls.client_a_contact.id,
        )

    # ------------------------------------------------------------ helpers
    @classmethod
    def _portal_client_b(cls, contact="Bob B", email="bob@client-b.example.com", **user):
        """Client B's contact and its portal user (login ``itsm_portal_b``): the second client of the isolation
        tests. ``user``: more values of the user (its name)."""
        values = {"name": contact, "parent_id": cls.client_b.id}
        if email:
            values["email"] = email
        cls.client_b_contact = cls.env["res.partner"].create(values)
        cls.portal_user_b = new_test_user(
            cls.env, login="itsm_portal_b", groups="base.group_portal", partner_id=cls.client_b_contact.id, **user
        )
        return cls.portal_user_b

    @classmethod
    def _calendar(cls, name, tz, attendances):
        """A working calendar from ``(weekday, hour_from, hour_to)`` attendances."""
        return cls.env["resource.calendar"].create(
            {
                "name": name,
                "tz": tz,
                "attendance_ids": [Command.clear()]
                + [
                    Command.create(
                        {
                            "name": f"{day} {start}",
                            "dayofweek": str(day),
                            "hour_from": start,
                            "hour_to": end,
                            "day_period": "morning" if start < 12 else "afternoon",
                        }
                    )
                    for day, start, end in attendances
                ],
            }
        )

    def _order(self, partner, product, qty=1.0, contract=None):
        return self.env["sale.order"].create(
            {
                "partner_id": partner.id,
                "itsm_contract_id": contract.id if contract else False,
                "order_line": [Command.create({"product_id": product.id, "product_uom_qty": qty})],
            }
        )

    def _buy(self, partner, product, qty=1.0, contract=None, on=None):
        """Confirm an order selling ``qty`` packages, on the given day."""
        order = self._order(partner, product, qty, contract)
        with freeze_time(on or date(2026, 1, 15)):
            order.action_confirm()
        return order

    def _ledger_sum(self, contract):
        """The balance computed independently: a plain sum read from the database."""
        self.env.flush_all()
        self.env.cr.execute(
            "SELECT COALESCE(SUM(hours), 0) FROM itsm_credit_move WHERE contract_id = %s", [contract.id]
        )
        return self.env.cr.fetchone()[0]


class ItsmInterventionCase(ItsmCase):
    """A contract with a working calendar, a helpdesk team and a technician.

    Calendar (UTC, so that the figures read directly): Monday to Friday,
    08:00-12:00 and 13:00-18:00; 2026-11-11 is a public holiday.
    Monday 2026-11-16 .. Sunday 2026-11-22.
    """

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.calendar = cls._calendar(
            "Office hours (UTC)", "UTC", [(day, start, end) for day in range(5) for start, end in ((8, 12), (13, 18))]
        )
        cls.env["resource.calendar.leaves"].create(
            {
                "name": "Armistice",
                "calendar_id": cls.calendar.id,
                "resource_id": False,
                "date_from": datetime(2026, 11, 11, 0, 0),
                "date_to": datetime(2026, 11, 11, 23, 59, 59),
            }
        )
        cls.contract = cls._buy_class(cls.client_a, cls.annual, date(2026, 11, 2))
        cls.contract.write({"calendar_id": cls.calendar.id})
        cls.project = cls.env["project.project"].create({"name": "Support", "allow_timesheets": True})
        cls.team = cls.env["helpdesk.ticket.team"].create(
            {"name": "Level 1", "allow_timesheet": True, "default_project_id": cls.project.id}
        )
        cls.employee = cls.env["hr.employee"].create({"name": "Théo Technician", "user_id": cls.technician.id})
        cls.ticket = cls._ticket(datetime(2026, 11, 9, 9, 0))

    @classmethod
    def _buy_class(cls, partner, product, on):
        order = cls.env["sale.order"].create(
            {"partner_id": partner.id, "order_line": [Command.create({"product_id": product.id})]}
        )
        with freeze_time(on):
            order.action_confirm()
        return order.itsm_contract_id

    @classmethod
    def _ticket(cls, requested, partner=None):
        return cls.env["helpdesk.ticket"].create(
            {
                "name": "Server down",
                "description": "The file server does not start",
                "partner_id": (partner or cls.client_a_contact).id,
                "team_id": cls.team.id,
                "project_id": cls.project.id,
                "itsm_request_date": requested,
            }
        )

    def _log(self, start, hours, ticket=None, **vals):
        ticket = ticket or self.ticket
        values = {
            "name": "Intervention",
            "ticket_id": ticket.id,
            "project_id": self.project.id,
            "employee_id": self.employee.id,
            "date_time": start,
            "unit_amount": hours,
        }
        values.update(vals)
        return self.env["account.analytic.line"].create(values)
