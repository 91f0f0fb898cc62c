from datetime import datetime

from odoo.tests import tagged
from odoo.tools import SQL

from .. import uninstall_hook
from ..models.itsm_contract_month import CHANGES
from ..models.itsm_contract_month import month_functions
from ..models.itsm_contract_month import month_triggers
from .common import ItsmInterventionCase


@tagged("post_install", "-at_install")
class TestUninstallHook(ItsmInterventionCase):
    """Issue 24: what the addon created outside the ORM goes with it. The hook runs in the test's transaction
    (PostgreSQL's DDL is transactional: the rollback at the end of the test puts everything back)."""

    def _triggers(self):
        self.env.cr.execute(
            "SELECT c.relname, t.tgname FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid "
            "WHERE NOT t.tgisinternal AND t.tgname LIKE 'itsm%%'"
        )
        return set(self.env.cr.fetchall())

    def _functions(self):
        self.env.cr.execute("SELECT proname FROM pg_proc WHERE proname LIKE 'itsm%%'")
        return {name for (name,) in self.env.cr.fetchall()}

    def _table_exists(self, name):
        self.env.cr.execute("SELECT to_regclass(%s) IS NOT NULL", [name])
        return self.env.cr.fetchone()[0]

    def test_uninstall_drops_triggers_functions_and_the_change_table(self):
        # what the hook is meant to drop is there while the addon is installed
        self.assertLessEqual(set(month_triggers()), self._triggers())
        self.assertLessEqual(set(month_functions()), self._functions())
        self.assertTrue(self._table_exists(CHANGES))
        # a change is recorded (the table is in use), then the hook runs
        self._log(datetime(2026, 11, 16, 9, 0), 1.0)
        self.env.cr.execute(
            SQL(
                "INSERT INTO %s (contract_id, month) VALUES (%s, '2026-01-01')",
                SQL.identifier(CHANGES),
                self.contract.id,
            )
        )
        uninstall_hook(self.env)
        self.assertEqual(self._triggers(), set(), "every trigger of the addon is dropped")
        self.assertEqual(self._functions(), set(), "every function of the addon is dropped")
        self.assertFalse(self._table_exists(CHANGES))
        self.env.cr.execute(
            "SELECT 1 FROM information_schema.columns "
            "WHERE table_name = 'document_page' AND column_name = 'itsm_search'"
        )
        self.assertFalse(self.env.cr.fetchone(), "the knowledge base's column on document_page is dropped")
        # the tables the triggers watched take writes again with the addon's functions gone
        stage = self.env["helpdesk.ticket.stage"].search([], limit=1)
        self.env.cr.execute("UPDATE helpdesk_ticket_stage SET closed = NOT closed WHERE id = %s", [stage.id])
        self.env.cr.execute(
            "UPDATE account_analytic_line SET name = name WHERE id IN (SELECT id FROM account_analytic_line LIMIT 5)"
        )
