"""The closed months' figures of a contract, kept for its dashboard (issue 18).

The dashboard shows 12 months. The figures of a month that is over change only when a row of that month
changes (a ticket reclassified or closed late, an intervention logged afterwards, a move back-dated): so they
are computed once and kept here, and the dashboard computes only the current month and the months whose
figures are not kept. Its cost is then that of one month of activity, whatever the length of the history.

Kept figures are invalidated by PostgreSQL triggers (``init()``), so that nothing escapes them: ORM writes,
recomputations of stored fields (an SLA matrix changed), SQL. The triggers are statement-level (issue 24): each
statement marks the months its changed rows belong to (their old and new values) as stale and increments their
``generation`` once, whatever its number of rows (see ``_month_triggers``); the dashboard reads a month's
generation before its data and stores its figures only if the generation has not moved in between (an
``INSERT ... ON CONFLICT DO UPDATE ... WHERE generation = ...``): a change committed while the figures were
being computed leaves the month stale, never wrong. The current month is never kept.
"""

from odoo import fields
from odoo import models
from odoo.tools import SQL

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
    valid = fields.Boolean(help="False once a row of the month changed: the figures are computed again.")
    generation = fields.Integer(help="Incremented by every change of the month's rows.")
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
        for table, contract, dates, columns in WATCHED:
            cr.execute(_month_triggers(table, contract, dates, columns))
        # a stage that becomes closed (or open) changes the resolutions of all its tickets
        cr.execute(
            """
            CREATE OR REPLACE FUNCTION itsm_contract_month_stage() RETURNS trigger LANGUAGE plpgsql AS $$
            BEGIN
                UPDATE itsm_contract_month SET valid = false, generation = generation + 1 WHERE valid;
                RETURN NULL;
            END $$;
            DROP TRIGGER IF EXISTS itsm_contract_month_stage_change ON helpdesk_ticket_stage;
            CREATE TRIGGER itsm_contract_month_stage_change AFTER UPDATE OF closed ON helpdesk_ticket_stage
                FOR EACH ROW WHEN (OLD.closed IS DISTINCT FROM NEW.closed)
                EXECUTE FUNCTION itsm_contract_month_stage();
            """
        )

    # ------------------------------------------------------------ read and keep
    def _itsm_read(self, contract, months):
        """``({month: figures}, {month: generation})`` of the kept months of ``contract`` among ``months``:
        the valid ones' figures, every known month's generation (read before the data it guards)."""
        # pending writes reach the triggers first: a change made earlier in this transaction marks its months
        for model in ("helpdesk.ticket", "helpdesk.ticket.stage", "itsm.credit.move", "account.analytic.line"):
            self.env[model].flush_model()
        self.env.cr.execute(
            SQL(
                "SELECT month, valid, generation, %s FROM itsm_contract_month "
                "WHERE contract_id = %s AND month = ANY(%s)",
                SQL(", ").join(SQL.identifier(name) for name in FIGURES),
                contract.id,
                list(months),
            )
        )
        kept, generations = {}, {}
        for month, valid, generation, *values in self.env.cr.fetchall():
            generations[month] = generation
            if valid:
                kept[month] = dict(zip(FIGURES, values, strict=True))
        return kept, generations

    def _itsm_keep(self, contract, figures, generations):
        """Keep ``figures`` (``{month: {figure: value}}``) unless a change came since ``generations`` was read."""
        if not figures:
            return
        rows = [
            SQL(
                "(%s, %s, true, %s, %s)",
                contract.id,
                month,
                generations.get(month, 0),
                SQL(", ").join(SQL("%s", values[name]) for name in FIGURES),
            )
            for month, values in sorted(figures.items())
        ]
        self.env.cr.execute(
            SQL(
                """INSERT INTO itsm_contract_month AS kept (contract_id, month, valid, generation, %(columns)s)
                   VALUES %(rows)s
                   ON CONFLICT (contract_id, month) DO UPDATE SET valid = true, %(updates)s
                   WHERE kept.generation = EXCLUDED.generation""",
                columns=SQL(", ").join(SQL.identifier(name) for name in FIGURES),
                rows=SQL(", ").join(rows),
                updates=SQL(", ").join(
                    SQL("%s = EXCLUDED.%s", SQL.identifier(name), SQL.identifier(name)) for name in FIGURES
                ),
            )
        )


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
    list), and one upsert per statement: the distinct (contract, month) pairs of the rows written, each marked
    once, in a fixed order (two statements never lock the same months in opposite orders). An UPDATE marks the
    months of the old and of the new values of the rows whose watched columns changed; the others (a ticket's
    description edited, a write_date bumped) touch nothing. The work is a scan of the transition tables:
    linear in the rows written, whatever the number of rows of a month.
    """

    def days(alias, contract_of):
        return SQL(", ").join(
            SQL("(%s.%s, %s.%s::timestamp)", SQL(contract_of), SQL.identifier(contract), SQL(alias), SQL.identifier(d))
            for d in dates
        )

    def upsert(source):
        return SQL(
            """
            INSERT INTO itsm_contract_month (contract_id, month, valid, generation)
            SELECT contract, month, false, 1
              FROM (SELECT DISTINCT touched.contract, date_trunc('month', touched.day)::date AS month
                      FROM %(source)s
                     WHERE touched.contract IS NOT NULL AND touched.day IS NOT NULL
                       AND touched.day < date_trunc('month', now() AT TIME ZONE 'UTC')) AS months
             ORDER BY contract, month
            ON CONFLICT (contract_id, month)
            DO UPDATE SET valid = false, generation = itsm_contract_month.generation + 1;
            """,
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
        insert=upsert(rows("new_rows")),
        delete=upsert(rows("old_rows")),
        update=upsert(changed_rows),
        closed=SQL(" OR ").join(
            SQL("%s < date_trunc('month', now() AT TIME ZONE 'UTC')", SQL.identifier(column)) for column in dates
        ),
        triggers=triggers,
    )
