import json
from datetime import timedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError

from ..access import checked

PROBLEM_STATES = [
    ("new", "New"),
    ("analysis", "Analysis"),
    ("known_error", "Known error"),
    ("resolved", "Resolved"),
    ("closed", "Closed"),
]
OPEN_STATES = ("new", "analysis", "known_error")
# Constant key of the transaction-level advisory lock taken by the detection: a second cron worker (or a
# button pressed during the cron) finds it taken and skips, instead of creating the same problems twice.
DETECTION_LOCK_KEY = 0x1757_0B1E
DETECTION_HORIZON_DAYS = 366  # incidents older than this are history, not a problem to open now


class ItsmProblem(models.Model):
    """ITIL problem: the common cause of recurring incidents, its workaround and its fix."""

    _name = "itsm.problem"
    _description = "Problem (recurring incidents)"
    _inherit = ["mail.thread", "mail.activity.mixin"]
    _order = "id desc"
    _check_company_auto = True

    name = fields.Char(string="Reference", required=True, copy=False, readonly=True, default="/", index=True)
    title = fields.Char(help="What goes wrong, in a few words.")
    partner_id = fields.Many2one(
        "res.partner", string="Client", required=True, index=True, tracking=True, domain=[("is_company", "=", True)]
    )
    contract_id = fields.Many2one(
        "itsm.contract", check_company=True, tracking=True, domain="[('partner_id', '=', partner_id)]"
    )
    category_id = fields.Many2one("helpdesk.ticket.category", index=True, tracking=True)
    domain_id = fields.Many2one("itsm.service.domain", string="Support domain", tracking=True)
    ticket_ids = fields.One2many("helpdesk.ticket", "itsm_problem_id", string="Incidents")
    ticket_count = fields.Integer(compute="_compute_ticket_count", string="Incidents count")
    state = fields.Selection(PROBLEM_STATES, default="new", required=True, tracking=True, index=True)
    root_cause = fields.Text(tracking=True)
    workaround = fields.Text(tracking=True, help="Shown on the incidents of the problem until it is resolved.")
    page_id = fields.Many2one(
        "document.page",
        string="Knowledge article",
        domain=[("itsm_is_scenario", "=", True)],
        groups="base.group_user",  # the article may be internal: the client reads not even its title
    )
    detected_automatically = fields.Boolean(readonly=True, copy=False)
    user_id = fields.Many2one(
        "res.users", string="Problem manager", tracking=True, default=lambda self: self.env.user, index=True
    )
    company_id = fields.Many2one(
        "res.company", required=True, default=lambda self: self.env.company, index=True, readonly=True
    )
    date_open = fields.Datetime(string="Opened on", default=fields.Datetime.now, required=True, copy=False)
    date_closed = fields.Datetime(readonly=True, copy=False)

    @api.depends("ticket_ids")
    def _compute_ticket_count(self):
        counts = dict(
            self.env["helpdesk.ticket"]._read_group(
                [("itsm_problem_id", "in", self.ids)], ["itsm_problem_id"], ["__count"]
            )
        )
        for problem in self:
            problem.ticket_count = counts.get(problem, 0)

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if vals.get("name", "/") == "/":
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code("itsm.problem") or "/"
        return super().create(vals_list)

    @api.constrains("partner_id", "contract_id")
    def _check_itsm_problem_client(self):
        """The contract and the incidents of a problem are its client's."""
        for problem in self:
            if problem.contract_id and problem.contract_id.partner_id != problem.partner_id:
                raise ValidationError(
                    self.env._(
                        "Problem %(problem)s: contract %(contract)s belongs to %(owner)s, not to the problem's "
                        "client %(client)s.",
                        problem=problem.name,
                        contract=problem.contract_id.name,
                        owner=problem.contract_id.partner_id.display_name,
                        client=problem.partner_id.display_name,
                    )
                )
        # the incidents, as the ticket's own check words it
        self.sudo().ticket_ids._check_itsm_problem_client()

    @api.constrains("state", "root_cause", "workaround")
    def _check_itsm_problem_state(self):
        for problem in self:
            if problem.state in ("resolved", "closed") and not (problem.root_cause or "").strip():
                raise ValidationError(
                    self.env._("Problem %(problem)s: record its root cause before closing it.", problem=problem.name)
                )
            if problem.state == "known_error" and not (problem.workaround or "").strip():
                raise ValidationError(
                    self.env._(
                        "Problem %(problem)s: a known error needs a workaround the help desk can apply.",
                        problem=problem.name,
                    )
                )

    # ------------------------------------------------------------ states
    @checked("write")
    def action_itsm_analysis(self):
        self.write({"state": "analysis"})
        return True

    @checked("write")
    def action_itsm_known_error(self):
        self.write({"state": "known_error"})
        return True

    @checked("write")
    def action_itsm_resolve(self):
        self.write({"state": "resolved"})
        return True

    @checked("write")
    def action_itsm_close(self):
        self.write({"state": "closed", "date_closed": fields.Datetime.now()})
        return True

    @checked("write")
    def action_itsm_reopen(self):
        self.write({"state": "analysis", "date_closed": False})
        return True

    @checked()
    def action_itsm_open_tickets(self):
        self.ensure_one()
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Incidents of %(problem)s", problem=self.name),
            "res_model": "helpdesk.ticket",
            "view_mode": "list,form",
            "domain": [("itsm_problem_id", "=", self.id)],
        }

    @checked("write")
    def action_itsm_detect(self):
        """The *Detect recurring incidents* button: the cron's work, now, on the user's companies."""
        if not self.env.user.has_group("itsm_service_contract.group_itsm_account_manager"):
            raise UserError(self.env._("Only account and service managers detect problems."))
        created = self.sudo()._itsm_detect(self.env.companies)
        return {
            "type": "ir.actions.client",
            "tag": "display_notification",
            "params": {
                "type": "info",
                "message": self.env._("%(count)s problem(s) detected.", count=len(created)),
                "next": {"type": "ir.actions.client", "tag": "soft_reload"},
            },
        }

    # ------------------------------------------------------------ detection
    @api.model
    def _cron_itsm_detect_problems(self):
        companies = self.env["res.company"].sudo().search([])  # pylint: disable=no-search-all
        self.sudo()._itsm_detect(companies)

    def _itsm_kpi_label(self):
        """The problem as a committee's row names it: its number and title (or category)."""
        self.ensure_one()
        return f"{self.name} - {self.title or self.category_id.name or ''}".strip(" -")

    def _itsm_detect_keys(self):
        """Columns that make two incidents 'the same' besides client and category, when those fields exist."""
        ticket_fields = self.env["helpdesk.ticket"]._fields
        keys = []
        for name in ("itsm_equipment_id", "itsm_equipment", "itsm_monitoring_fingerprint", "itsm_fingerprint"):
            field = ticket_fields.get(name)
            if field and field.store and field.column_type:
                keys.append(name)
        return keys

    @api.model
    def _itsm_detect(self, companies):
        """Group the incidents reaching the company threshold within its window into one new problem each.

        One grouped query per company: a window function counts, for each incident, the incidents of the same
        client and category (and equipment or fingerprint when the fields exist) requested in the ``window``
        days up to it. The query count depends on the number of companies and of problems created, never on the
        number of tickets. A transaction-level advisory lock makes a second concurrent run skip; incidents
        already linked to a problem are left out, so a second run creates nothing.
        """
        cr = self.env.cr
        cr.execute("SELECT pg_try_advisory_xact_lock(%s)", [DETECTION_LOCK_KEY])
        if not cr.fetchone()[0]:
            return self.browse()
        Ticket = self.env["helpdesk.ticket"]
        Ticket.flush_model()
        self.flush_model()
        keys = self._itsm_detect_keys()
        extra = "".join(f", coalesce(lower(trim(t.{k}::text)), '')" for k in keys)
        now = fields.Datetime.now()
        created = self.browse()
        for company in companies:
            threshold = max(company.itsm_problem_threshold, 2)
            window = max(company.itsm_problem_window_days, 1)
            # the frame offset of RANGE must be a constant of the query: the window is a literal integer here
            cr.execute(
                f"""
                WITH incidents AS (
                    SELECT t.id, t.commercial_partner_id AS client, t.category_id AS category,
                           ARRAY[''{extra}] AS key, t.itsm_request_date AS requested
                      FROM helpdesk_ticket t
                     WHERE t.company_id = %(company)s
                       AND t.itsm_kind = 'incident'
                       AND t.itsm_problem_id IS NULL
                       AND t.category_id IS NOT NULL
                       AND t.commercial_partner_id IS NOT NULL
                       AND t.itsm_request_date >= %(horizon)s
                ), counted AS (
                    SELECT i.*, count(*) OVER (
                               PARTITION BY client, category, key ORDER BY requested
                               RANGE BETWEEN INTERVAL '{int(window)} days' PRECEDING AND CURRENT ROW
                           ) AS occurrences
                      FROM incidents i
                ), reached AS (
                    SELECT client, category, key, max(requested) AS last_requested
                      FROM counted WHERE occurrences >= %(threshold)s
                     GROUP BY client, category, key
                )
                SELECT r.client, r.category, array_agg(i.id ORDER BY i.requested, i.id),
                       (SELECT min(c.id) FROM itsm_contract c
                         WHERE c.partner_id = r.client AND c.company_id = %(company)s
                           AND c.state IN ('active', 'grace')),
                       (SELECT min(p.id) FROM itsm_problem p
                         WHERE p.partner_id = r.client AND p.category_id = r.category
                           AND p.company_id = %(company)s AND p.state IN %(open)s)
                  FROM reached r
                  JOIN incidents i ON i.client = r.client AND i.category = r.category AND i.key = r.key
                                  AND i.requested BETWEEN r.last_requested - INTERVAL '{int(window)} days'
                                                      AND r.last_requested
                 GROUP BY r.client, r.category, r.key
                 ORDER BY r.client, r.category
                """,
                {
                    "company": company.id,
                    "threshold": threshold,
                    "horizon": now - timedelta(days=DETECTION_HORIZON_DAYS),
                    "open": OPEN_STATES,
                },
            )
            rows = cr.fetchall()
            if not rows:
                continue
            new_rows = [row for row in rows if not row[4]]
            manager = self._itsm_service_manager(company)
            categories = self.env["helpdesk.ticket.category"].browse({row[1] for row in rows})
            contracts = self.env["itsm.contract"].browse({row[3] for row in rows if row[3]})
            problems = (
                self.with_company(company)
                .with_context(mail_create_nolog=True, tracking_disable=True)
                .create(
                    [
                        {
                            "title": self.env._(
                                "Recurring incidents: %(category)s",
                                category=categories.browse(category_id).name,
                            ),
                            "partner_id": client_id,
                            "category_id": category_id,
                            "contract_id": contract_id,
                            "detected_automatically": True,
                            "company_id": company.id,
                            "user_id": (contracts.browse(contract_id).user_id.id if contract_id else False)
                            or manager.id,
                        }
                        for client_id, category_id, _ids, contract_id, _open in new_rows
                    ]
                )
            )
            links = [(problem.id, row[2]) for problem, row in zip(problems, new_rows, strict=True)]
            links += [(row[4], row[2]) for row in rows if row[4]]
            cr.execute(
                """
                UPDATE helpdesk_ticket t SET itsm_problem_id = v.problem
                  FROM (SELECT (x->>0)::int AS problem, jsonb_array_elements_text(x->1)::int AS ticket
                          FROM jsonb_array_elements(%s::jsonb) x) v
                 WHERE t.id = v.ticket AND t.itsm_problem_id IS NULL
                """,
                [json.dumps(links)],
            )
            Ticket.invalidate_model(["itsm_problem_id"])
            self.invalidate_model(["ticket_ids"])
            if problems:
                self._itsm_schedule_review(problems)
            created |= problems
        return created

    def _itsm_service_manager(self, company):
        """The company's service manager who receives the problems of clients without a contract manager."""
        group = self.env.ref("itsm_service_contract.group_itsm_service_manager")
        return self.env["res.users"].search(
            [
                ("groups_id", "in", group.ids),
                ("company_ids", "in", company.ids),
                ("share", "=", False),
                ("id", "!=", 1),
            ],
            order="id",
            limit=1,
        )

    def _itsm_schedule_review(self, problems):
        activity_type = self.env.ref("mail.mail_activity_data_todo", raise_if_not_found=False)
        model_id = self.env["ir.model"]._get_id("itsm.problem")
        deadline = fields.Date.context_today(self)
        self.env["mail.activity"].create(
            [
                {
                    "res_model_id": model_id,
                    "res_id": problem.id,
                    "activity_type_id": activity_type.id if activity_type else False,
                    "summary": self.env._("Analyse the recurring incidents of %(problem)s", problem=problem.name),
                    "user_id": problem.user_id.id,
                    "date_deadline": deadline,
                }
                for problem in problems
                if problem.user_id
            ]
        )
