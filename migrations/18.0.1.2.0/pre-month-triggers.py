"""18.0.1.2.0: the dashboard's months are marked stale once per statement, no longer once per row.

Up to 18.0.1.1.0, row-level triggers (``itsm_contract_month_<table>_change`` and ``_row``) upserted the same
``itsm_contract_month`` row once per source row: a statement writing 20 000 rows of a closed month updated that
row 20 000 times. ``ItsmContractMonth.init()`` now creates statement-level triggers with transition tables
(``itsm_contract_month_<table>_insert``, ``_update``, ``_delete``) and replaces the trigger functions, which
the old triggers must no longer call: they are dropped here, with the per-row upsert function they used.
"""

from odoo.tools import SQL

TABLES = ("helpdesk_ticket", "itsm_credit_move", "account_analytic_line")


def migrate(cr, version):
    if not version:
        return
    for table in TABLES:
        for kind in ("change", "row"):
            cr.execute(
                SQL(
                    "DROP TRIGGER IF EXISTS %s ON %s",
                    SQL.identifier(f"itsm_contract_month_{table}_{kind}"),
                    SQL.identifier(table),
                )
            )
    cr.execute("DROP FUNCTION IF EXISTS itsm_contract_month_touch(integer, timestamp[])")
