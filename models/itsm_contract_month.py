"""The closed months' figures of a contract, kept for its dashboard (issue 18).

The dashboard shows 12 months. The figures of a month that is over change only when a row of that month
changes (a ticket reclassified or closed late, an intervention logged afterwards, a move back-dated): so they
are computed once and kept here, and the dashboard computes only the current month and the months whose
figures are not kept. Its cost is then that of one month of activity, whatever the length of the history.

Kept figures are invalidated by PostgreSQL triggers (``init()``), so that nothing escapes them: ORM writes,
recomputations of stored fields (an SLA matrix changed), SQL. The triggers are statement-level (issue 24): each
statement appends one row per (contract, month) its changed rows belong to (their old and new values) to
``itsm_contract_month_change``, whatever its number of rows (see ``_month_triggers``). Writers only append:
two technicians logging into the same closed month never wait for each other nor fail on a shared row (a
counter on the month's row did, under REPEATABLE READ: ``make load``). A month's figures count as kept while
no change is recorded for it; the dashboard that computes them again deletes the changes it saw, and only
those: a change committed while the figures were being computed stays, so the month stays stale, never
wrong. The current month is never kept.
"""

import logging

from psycopg2 import errors

from odoo import fields
from odoo import models
from odoo.tools import SQL

_logger = logging.getLogger(__name__)

# Appended to by the triggers, read and pruned by the dashboard: a table of the addon's own, outside the ORM
# (no one reads it but this model; the uninstall hook drops it).
CHANGES = "itsm_contract_month_change"
# Two dashboards keeping the same month at once: one keeps it, the other leaves it (it will be kept next time)
CONCURRENCY_ERRORS = (errors.SerializationFailure, errors.DeadlockDetected, errors.LockNotAvailable)

# (table, contract column, date columns, the columns whose change touches the figures)
WATCHED = (
    (
        "helpdesk_ticket",
        "itsm_contract_id",
        ("itsm_request_date", "itsm_response_deadline", "itsm_resolution_deadline"),
        (
            "itsm_contract_id",
            "itsm_request_date",
            "itsm_kind",
            "active",
            "itsm_sla_rule_id",
            "itsm_response_deadline",
            "itsm_resolution_deadline",
            "itsm_first_response_date",
            "closed_date",
            "itsm_pause_start",
            "stage_id",
        ),
    ),
    ("itsm_credit_move", "contract_id", ("date",), ("contract_id", "date", "move_type", "hours")),
    ("account_analytic_line", "itsm_contract_id", ("date",), ("itsm_contract_id", "date", "itsm_credit_hours")),
)
FIGURES = (
    "tickets_incident",
    "tickets_request",
    "response_met",
    "response_judged",
    "resolution_met",
    "resolution_judged",
    "consumed_hours",
    "net_hours",
    "billed_hours",
)


class ItsmContractMonth(models.Model):
    _name = "itsm.contract.month"
    _description = "Figures of a closed month of a contract (dashboard)"
    _order = "contract_id, month"
    _log_access = False

    contract_id = fields.Many2one("itsm.contract", required=True, ondelete="cascade", index=False)
    month = fields.Date(required=True, help="The first day of the month.")
    valid = fields.Boolean(
        help="Set when the figures are kept. They count as kept while no change of the month's rows is recorded "
        "since (itsm_contract_month_change)."
    )
    tickets_incident = fields.Integer(string="Incidents")
    tickets_request = fields.Integer(string="Requests")
    response_met = fields.Integer(string="Responses in time")
    response_judged = fields.Integer(string="Responses judged")
    resolution_met = fields.Integer(string="Resolutions in time")
    resolution_judged = fields.Integer(string="Resolutions judged")
    consumed_hours = fields.Float(string="Credit consumed", digits=(16, 2))
    net_hours = fields.Float(string="Ledger moves", digits=(16, 2), help="Signed sum of the month's ledger moves.")
    billed_hours = fields.Float(string="Hours billed", digits=(16, 2))

    _sql_constraints = [
        ("contract_month_uniq", "UNIQUE (contract_id, month)", "One row per contract and month."),
    ]

    def init(self):
        cr = self.env.cr
        cr.execute(
            SQL(
                """
                CREATE TABLE IF NOT EXISTS %(table)s (
                    id bigserial PRIMARY KEY,
                    contract_id integer NOT NULL REFERENCES itsm_contract (id) ON DELETE CASCADE,
                    month date NOT NULL,
                    recorded timestamp NOT NULL DEFAULT (now() AT TIME ZONE 'UTC')
                );
                CREATE INDEX IF NOT EXISTS itsm_contract_month_change_month_index ON %(table)s (contract_id, month);
                """,
                table=SQL.identifier(CHANGES),
            )
        )
        for table, contract, dates, columns in WATCHED:
            cr.execute(_month_triggers(table, contract, dates, columns))
        # a stage that becomes closed (or open) changes the resolutions of all its tickets
        cr.execute(
            SQL(
                """
                CREATE OR REPLACE FUNCTION itsm_contract_month_stage() RETURNS trigger LANGUAGE plpgsql AS $$
                BEGIN
                    INSERT INTO %(table)s (contract_id, month)
                    SELECT contract_id, month FROM itsm_contract_month WHERE valid;
                    RETURN NULL;
                END $$;
                DROP TRIGGER IF EXISTS itsm_contract_month_stage_change ON helpdesk_ticket_stage;
                CREATE TRIGGER itsm_contract_month_stage_change AFTER UPDATE OF closed ON helpdesk_ticket_stage
                    FOR EACH ROW WHEN (OLD.closed IS DISTINCT FROM NEW.closed)
                    EXECUTE FUNCTION itsm_contract_month_stage();
                """,
                table=SQL.identifier(CHANGES),
            )
        )

    # ------------------------------------------------------------ read and keep
    def _itsm_read(self, contract, months):
        """``({month: figures}, {month: [change ids]})`` for ``contract`` among ``months``: the figures of the
        months kept with no change since, and the changes recorded for the others (read in the same snapshot
        as the data the dashboard computes them from: ``_itsm_keep`` deletes those and no other)."""
        # pending writes reach the triggers first: a change made earlier in this transaction marks its months
        for model in ("helpdesk.ticket", "helpdesk.ticket.stage", "itsm.credit.move", "account.analytic.line"):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL(
                """SELECT month, changes.ids, kept.valid, %(columns)s
                     FROM (SELECT month, array_agg(id) AS ids FROM %(changes)s
                            WHERE contract_id = %(contract)s AND month = ANY(%(months)s) GROUP BY month) AS changes
                     FULL JOIN (SELECT * FROM itsm_contract_month
                                 WHERE contract_id = %(contract)s AND month = ANY(%(months)s) AND valid) AS kept
                    USING (month)""",
                columns=SQL(", ").join(SQL("kept.%s", SQL.identifier(name)) for name in FIGURES),
                changes=SQL.identifier(CHANGES),
                contract=contract.id,
                months=list(months),
            )
        )
        kept, changes = {}, {}
        for month, ids, valid, *values in self.env.cr.fetchall():
            if ids:
                changes[month] = ids
            elif valid:  # kept, no change since
                kept[month] = dict(zip(FIGURES, values, strict=True))
        return kept, changes

    def _itsm_keep(self, contract, figures, changes):
        """Keep ``figures`` (``{month: {figure: value}}``) computed after ``changes`` were read, and delete those
        changes: a change recorded since stays, and its month with it stale. Another dashboard keeping the same
        months at the same instant: one of the two keeps them, the other leaves them for the next time."""
        if not figures:
            return
        seen = [change for month in figures for change in changes.get(month, ())]
        rows = [
            SQL(
                "(%s, %s, true, %s)",
                contract.id,
                month,
                SQL(", ").join(SQL("%s", values[name]) for name in FIGURES),
            )
            for month, values in sorted(figures.items())
        ]
        keep = SQL(
            """INSERT INTO itsm_contract_month AS kept (contract_id, month, valid, %(columns)s)
               VALUES %(rows)s
               ON CONFLICT (contract_id, month) DO UPDATE SET valid = true, %(updates)s""",
            columns=SQL(", ").join(SQL.identifier(name) for name in FIGURES),
            rows=SQL(", ").join(rows),
            updates=SQL(", ").join(
                SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name)) for name in FIGURES
            ),
        )
        try:
            with self.env.cr.savepoint(flush=False):
                if seen:
                    self.env.cr.execute(
                        SQL("DELETE FROM %s WHERE id = ANY(%s)", SQL.identifier(CHANGES), seen), log_exceptions=False
                    )
                self.env.cr.execute(keep, log_exceptions=False)
        except CONCURRENCY_ERRORS as error:
            _logger.info("itsm: months of %s kept by another request at the same time (%s)", contract.id, error)

    def _itsm_prune_changes(self):
        """Forget the changes of months that are not kept, recorded over an hour ago (a dashboard computes its
        months in well under that): the months they mark are computed anyway. Called by the scheduler."""
        self.env.cr.execute(
            SQL(
                """DELETE FROM %(changes)s AS change
                    WHERE recorded < (now() AT TIME ZONE 'UTC') - interval '1 hour'
                      AND NOT EXISTS (SELECT 1 FROM itsm_contract_month kept
                                       WHERE kept.contract_id = change.contract_id AND kept.month = change.month
                                         AND kept.valid)""",
                changes=SQL.identifier(CHANGES),
            )
        )
        return self.env.cr.rowcount


# the triggers and functions kept on each watched table (the uninstall hook drops them)
EVENTS = ("insert", "update", "delete")


def month_triggers():
    """``[(table, trigger)]`` of the triggers ``init()`` creates, plus the stage's."""
    triggers = [(table, f"itsm_contract_month_{table}_{event}") for table, *_rest in WATCHED for event in EVENTS]
    return [*triggers, ("helpdesk_ticket_stage", "itsm_contract_month_stage_change")]


def month_functions():
    """The names of the trigger functions ``init()`` creates (they take no argument)."""
    return [*(f"itsm_contract_month_{table}" for table, *_rest in WATCHED), "itsm_contract_month_stage"]


def _month_triggers(table, contract, dates, columns):
    """The statement-level triggers that mark stale the closed months touched by a statement on ``table``.

    One trigger per event (PostgreSQL allows transition tables only on a trigger of one event with no column
    list), and one INSERT per statement: a change row for each distinct (contract, month) pair of the rows
    written, appended (no row shared with another writer is locked or updated). An UPDATE marks the
    months of the old and of the new values of the rows whose watched columns changed; the others (a ticket's
    description edited, a write_date bumped) touch nothing. The work is a scan of the transition tables:
    linear in the rows written, whatever the number of rows of a month.
    """

    def days(alias, contract_of):
        return SQL(", ").join(
            SQL("(%s.%s, %s.%s::timestamp)", SQL(contract_of), SQL.identifier(contract), SQL(alias), SQL.identifier(d))
            for d in dates
        )

    def record_changes(source):
        return SQL(
            """
            INSERT INTO %(changes)s (contract_id, month)
            SELECT DISTINCT touched.contract, date_trunc('month', touched.day)::date
              FROM %(source)s
             WHERE touched.contract IS NOT NULL AND touched.day IS NOT NULL
               AND touched.day < date_trunc('month', now() AT TIME ZONE 'UTC');
            """,
            changes=SQL.identifier(CHANGES),
            source=source,
        )

    def rows(transition):
        return SQL(
            "%s AS r CROSS JOIN LATERAL (VALUES %s) AS touched (contract, day)",
            SQL.identifier(transition),
            days("r", "r"),
        )

    changed = SQL(" OR ").join(
        SQL("o.%s IS DISTINCT FROM n.%s", SQL.identifier(column), SQL.identifier(column)) for column in columns
    )
    changed_rows = SQL(
        "old_rows AS o JOIN new_rows AS n ON n.id = o.id AND (%s) "
        "CROSS JOIN LATERAL (VALUES %s, %s) AS touched (contract, day)",
        changed,
        days("o", "o"),
        days("n", "n"),
    )
    function = SQL.identifier(f"itsm_contract_month_{table}")
    table_sql = SQL.identifier(table)
    triggers = SQL("").join(
        SQL(
            """
            DROP TRIGGER IF EXISTS %(trigger)s ON %(table)s;
            CREATE TRIGGER %(trigger)s AFTER %(event)s ON %(table)s REFERENCING %(transition)s
                FOR EACH STATEMENT EXECUTE FUNCTION %(function)s();
            """,
            trigger=SQL.identifier(f"itsm_contract_month_{table}_{event}"),
            table=table_sql,
            event=SQL(event.upper()),
            transition=SQL(transition),
            function=function,
        )
        for event, transition in (
            ("insert", "NEW TABLE AS new_rows"),
            ("update", "OLD TABLE AS old_rows NEW TABLE AS new_rows"),
            ("delete", "OLD TABLE AS old_rows"),
        )
    )
    return SQL(
        """
        CREATE OR REPLACE FUNCTION %(function)s() RETURNS trigger LANGUAGE plpgsql AS $$
        BEGIN
            IF TG_OP = 'INSERT' THEN
                %(insert)s
            ELSIF TG_OP = 'DELETE' THEN
                %(delete)s
            -- an UPDATE pairs the old and new rows only when one of them is dated in a closed month: the
            -- writes of the current month (most of them) only scan the transition tables
            ELSIF EXISTS (SELECT 1 FROM old_rows WHERE %(closed)s) OR EXISTS (SELECT 1 FROM new_rows WHERE %(closed)s)
            THEN
                %(update)s
            END IF;
            RETURN NULL;
        END $$;
        %(triggers)s
        """,
        function=function,
        insert=record_changes(rows("new_rows")),
        delete=record_changes(rows("old_rows")),
        update=record_changes(changed_rows),
        closed=SQL(" OR ").join(
            SQL("%s < date_trunc('month', now() AT TIME ZONE 'UTC')", SQL.identifier(column)) for column in dates
        ),
        triggers=triggers,
    )
