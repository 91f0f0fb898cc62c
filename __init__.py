from odoo.tools import SQL

from . import controllers
from . import models
from . import report
from . import wizards
from .models.itsm_contract_month import CHANGES as MONTH_CHANGES
from .models.itsm_contract_month import WATCHED
from .models.itsm_contract_month import month_functions
from .models.itsm_contract_month import month_triggers


def pre_init_hook(env):
    """Tickets that existed before the addon were requested when they were created.

    The column is created and filled before the ORM adds it: otherwise the ORM would give every existing ticket
    today as its request date (the field's default), and the SLA deadlines computed at install would be wrong.
    """
    env.cr.execute("ALTER TABLE helpdesk_ticket ADD COLUMN IF NOT EXISTS itsm_request_date timestamp")
    env.cr.execute("UPDATE helpdesk_ticket SET itsm_request_date = create_date WHERE itsm_request_date IS NULL")


def uninstall_hook(env):
    """Drop what the addon created in PostgreSQL outside the ORM: triggers on other modules' tables (they would
    call functions that refer to columns and tables gone with the addon) and their functions."""
    cr = env.cr
    watched = [table for table, _contract, _dates, _columns in WATCHED]
    # the dashboard's statement-level triggers, and the row-level ones of 18.0.1.1.0 should any be left
    triggers = month_triggers()
    triggers += [(table, f"itsm_contract_month_{table}_{kind}") for table in watched for kind in ("change", "row")]
    triggers.append(("document_page", "itsm_document_page_search"))
    for table, trigger in triggers:
        cr.execute(
            "SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = %s AND t.tgname = %s",
            [table, trigger],
        )
        if cr.fetchone():
            cr.execute(SQL("DROP TRIGGER %s ON %s", SQL.identifier(trigger), SQL.identifier(table)))
    # the dashboard's record of changes to closed months (a table of the addon's own, outside the ORM)
    cr.execute(SQL("DROP TABLE IF EXISTS %s", SQL.identifier(MONTH_CHANGES)))
    # the knowledge base's search vector: a column of OCA's document_page, which may stay installed
    cr.execute("ALTER TABLE IF EXISTS document_page DROP COLUMN IF EXISTS itsm_search")
    for function, arguments in (
        ("itsm_kb_query", SQL("text")),
        ("itsm_kb_vector", SQL("text, text, text")),
        ("itsm_kb_fold", SQL("text")),
        *((function, SQL("")) for function in month_functions()),
        ("itsm_contract_month_touch", SQL("integer, timestamp[]")),
        ("itsm_document_page_search_trigger", SQL("")),
    ):
        cr.execute(SQL("DROP FUNCTION IF EXISTS %s(%s)", SQL.identifier(function), arguments))
