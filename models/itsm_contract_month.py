"""The closed months' figures of a contract, kept for its dashboard (issue 18).

The dashboard shows 12 months. The figures of a month that is over change only when a row of that month
changes (a ticket reclassified or closed late, an intervention logged afterwards, a move back-dated): so they
are computed once and kept here, and the dashboard computes only the current month and the months whose
figures are not kept. Its cost is then that of one month of activity, whatever the length of the history.

Kept figures are invalidated by PostgreSQL triggers (``init()``), so that nothing escapes them: ORM writes,
recomputations of stored fields (an SLA matrix changed), SQL. Each trigger marks the months a changed row
belongs to (its old and new values) as stale and increments their ``generation``; the dashboard reads a month's
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
        cr.execute(
            """
            CREATE OR REPLACE FUNCTION itsm_contract_month_touch(contract integer, days timestamp[])
            RETURNS void LANGUAGE sql AS $$
                INSERT INTO itsm_contract_month (contract_id, month, valid, generation)
                SELECT DISTINCT contract, date_trunc('month', day)::date, false, 1
                  FROM unnest(days) AS day
                 WHERE contract IS NOT NULL AND day IS NOT NULL
                   AND day < date_trunc('month', now() AT TIME ZONE 'UTC')
                ON CONFLICT (contract_id, month)
                DO UPDATE SET valid = false, generation = itsm_contract_month.generation + 1 $$
            """
        )
        for table, contract, dates, columns in WATCHED:
            function = SQL.identifier(f"itsm_contract_month_{table}")
            table_sql = SQL.identifier(table)

            def days(row, dates=dates):
                return SQL(", ").join(SQL("%s.%s::timestamp", SQL(row), SQL.identifier(column)) for column in dates)

            changed = SQL(" OR ").join(
                SQL("OLD.%s IS DISTINCT FROM NEW.%s", SQL.identifier(column), SQL.identifier(column))
                for column in columns
            )
            cr.execute(
                SQL(
                    """
                    CREATE OR REPLACE FUNCTION %(function)s() RETURNS trigger LANGUAGE plpgsql AS $$
                    BEGIN
                        IF TG_OP <> 'INSERT' THEN
                            PERFORM itsm_contract_month_touch(OLD.%(contract)s, ARRAY[%(old_days)s]);
                        END IF;
                        IF TG_OP <> 'DELETE' THEN
                            PERFORM itsm_contract_month_touch(NEW.%(contract)s, ARRAY[%(new_days)s]);
                        END IF;
                        RETURN NULL;
                    END $$;
                    DROP TRIGGER IF EXISTS %(change)s ON %(table)s;
                    CREATE TRIGGER %(change)s AFTER UPDATE OF %(columns)s ON %(table)s
                        FOR EACH ROW WHEN (%(changed)s) EXECUTE FUNCTION %(function)s();
                    DROP TRIGGER IF EXISTS %(row)s ON %(table)s;
                    CREATE TRIGGER %(row)s AFTER INSERT OR DELETE ON %(table)s
                        FOR EACH ROW EXECUTE FUNCTION %(function)s();
                    """,
                    function=function,
                    contract=SQL.identifier(contract),
                    old_days=days("OLD"),
                    new_days=days("NEW"),
                    change=SQL.identifier(f"itsm_contract_month_{table}_change"),
                    row=SQL.identifier(f"itsm_contract_month_{table}_row"),
                    table=table_sql,
                    columns=SQL(", ").join(SQL.identifier(column) for column in columns),
                    changed=changed,
                )
            )
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
