from odoo.tools import SQL

from . import controllers
from . import models
from . import report
from . import wizards


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
    for table, trigger in (
        ("helpdesk_ticket", "itsm_contract_month_helpdesk_ticket_change"),
        ("helpdesk_ticket", "itsm_contract_month_helpdesk_ticket_row"),
        ("itsm_credit_move", "itsm_contract_month_itsm_credit_move_change"),
        ("itsm_credit_move", "itsm_contract_month_itsm_credit_move_row"),
        ("account_analytic_line", "itsm_contract_month_account_analytic_line_change"),
        ("account_analytic_line", "itsm_contract_month_account_analytic_line_row"),
        ("helpdesk_ticket_stage", "itsm_contract_month_stage_change"),
        ("document_page", "itsm_document_page_search"),
    ):
        cr.execute(
            "SELECT 1 FROM pg_trigger t JOIN pg_class c ON c.oid = t.tgrelid WHERE c.relname = %s AND t.tgname = %s",
            [table, trigger],
        )
        if cr.fetchone():
            cr.execute(SQL("DROP TRIGGER %s ON %s", SQL.identifier(trigger), SQL.identifier(table)))
    # the knowledge base's search vector: a column of OCA's document_page, which may stay installed
    cr.execute("ALTER TABLE IF EXISTS document_page DROP COLUMN IF EXISTS itsm_search")
    for function, arguments in (
        ("itsm_kb_query", SQL("text")),
        ("itsm_kb_vector", SQL("text, text, text")),
        ("itsm_kb_fold", SQL("text")),
        ("itsm_contract_month_helpdesk_ticket", SQL("")),
        ("itsm_contract_month_itsm_credit_move", SQL("")),
        ("itsm_contract_month_account_analytic_line", SQL("")),
        ("itsm_contract_month_stage", SQL("")),
        ("itsm_contract_month_touch", SQL("integer, timestamp[]")),
        ("itsm_document_page_search_trigger", SQL("")),
    ):
        cr.execute(SQL("DROP FUNCTION IF EXISTS %s(%s)", SQL.identifier(function), arguments))
