from collections import defaultdict

from markupsafe import Markup

from odoo import Command
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import SQL

from ..access import checked

RESULTS = [("ok", "OK"), ("warning", "Warning"), ("ko", "Failed"), ("na", "Not applicable")]


def period_key(day, interval):
    """'2026-03' for a month, '2026-Q1' for a quarter."""
    if interval == "quarterly":
        return f"{day.year}-Q{(day.month - 1) // 3 + 1}"
    return f"{day.year}-{day.month:02d}"


def line_domain(check_domain_id, machine_domain_id):
    """The service domain of a report line: its check's, else its machine's (ids, or None)."""
    return check_domain_id or machine_domain_id or None


class ItsmMcoReport(models.Model):
    """A proactive check of the client's critical elements, written up for the client (seed 004)."""

    _name = "itsm.mco.report"
    _description = "MCO report"
    _inherit = ["itsm.reference.mixin", "mail.thread", "mail.activity.mixin", "portal.mixin"]
    _order = "date desc, id desc"
    _check_company_auto = True

    contract_id = fields.Many2one("itsm.contract", required=True, index=True, check_company=True, ondelete="restrict")
    company_id = fields.Many2one(related="contract_id.company_id", store=True, index=True, string="Company")
    partner_id = fields.Many2one(related="contract_id.partner_id", store=True, index=True, string="Client")
    template_id = fields.Many2one("itsm.mco.template", ondelete="restrict")
    date = fields.Date(required=True, default=fields.Date.context_today, tracking=True)
    period_key = fields.Char(
        string="Period", readonly=True, copy=False, help="The month (2026-03) or quarter (2026-Q1) planned."
    )
    user_id = fields.Many2one(
        "res.users", string="Technician", default=lambda self: self.env.user, tracking=True, index=True
    )
    state = fields.Selection(
        [("draft", "Draft"), ("done", "Done"), ("sent", "Sent")],
        default="draft",
        required=True,
        tracking=True,
        copy=False,
    )
    line_ids = fields.One2many("itsm.mco.report.line", "report_id", string="Checks", copy=True)
    duration = fields.Float(string="Time spent (h)", help="Logged as project work on the contract when done.")
    project_id = fields.Many2one(
        "project.project",
        compute="_compute_project_id",
        store=True,
        readonly=False,
        domain="[('id', 'in', itsm_allowed_project_ids)]",
        help="The project the time spent is logged on: by default the contract's first-level desk's.",
    )
    timesheet_id = fields.Many2one("account.analytic.line", string="Intervention", readonly=True, copy=False)
    summary = fields.Text(help="What the client reads first.")
    count_ok = fields.Integer(string="OK", compute="_compute_counts", store=True)
    count_warning = fields.Integer(string="Warnings", compute="_compute_counts", store=True)
    count_ko = fields.Integer(string="Failed", compute="_compute_counts", store=True)
    count_na = fields.Integer(string="Not applicable", compute="_compute_counts", store=True)
    count_unanswered = fields.Integer(string="Unanswered", compute="_compute_counts", store=True)
    ticket_ids = fields.One2many("helpdesk.ticket", compute="_compute_ticket_ids", string="Tickets opened")
    ticket_count = fields.Integer(compute="_compute_ticket_ids", string="Ticket count")

    _sql_constraints = [
        (
            "contract_period_unique",
            "UNIQUE(contract_id, period_key)",
            "A contract has one planned MCO report per period.",
        )
    ]

    @api.depends("line_ids.result")
    def _compute_counts(self):
        for report in self:
            results = report.line_ids.mapped("result")
            report.count_ok = results.count("ok")
            report.count_warning = results.count("warning")
            report.count_ko = results.count("ko")
            report.count_na = results.count("na")
            report.count_unanswered = results.count(False)

    @api.depends("contract_id")
    def _compute_project_id(self):
        for report in self:
            if not report.project_id:
                report.project_id = report.contract_id.n1_team_id.default_project_id

    @api.depends("line_ids.ticket_id")
    def _compute_ticket_ids(self):
        for report in self:
            report.ticket_ids = report.line_ids.ticket_id
            report.ticket_count = len(report.ticket_ids)

    def _compute_access_url(self):
        result = super()._compute_access_url()
        for report in self:
            report.access_url = f"/my/mco/{report.id}"
        return result

    def _compute_display_name(self):
        for report in self:
            report.display_name = f"{report.name} ({report.contract_id.name})" if report.contract_id else report.name

    @api.onchange("template_id")
    def _onchange_template_id(self):
        if self.template_id and self.contract_id and not self.line_ids:
            self.line_ids = [
                Command.create(vals) for vals in self._itsm_line_values(self.contract_id, self.template_id)
            ]

    # ------------------------------------------------------------ lines
    @api.model
    def _itsm_line_values(self, contract, template, equipment=None):
        """Values of the report lines: each check on each of the contract's matching machines, or once."""
        if equipment is None:
            equipment = self._itsm_contract_equipment(contract)[contract.id]
        values = []
        for check in template.check_ids:
            matching = equipment.filtered(
                lambda e, c=check: (
                    (not c.domain_id or e.itsm_domain_id == c.domain_id)
                    and (not c.category_id or e.category_id == c.category_id)
                )
            )
            if not (check.domain_id or check.category_id) or not matching:
                matching = [False]
            for machine in matching:
                values.append(
                    {
                        "check_id": check.id,
                        "check_name": check.name,
                        "sequence": check.sequence,
                        "equipment_id": machine.id if machine else False,
                    }
                )
        return values

    @api.model
    def _itsm_contract_equipment(self, contracts):
        """{contract id: its machines in scope}: those on the contract, and the client's on no contract."""
        Equipment = self.env["maintenance.equipment"].sudo()
        machines = Equipment.search(
            [
                ("itsm_partner_id", "in", contracts.partner_id.ids),
                ("itsm_in_scope", "=", True),
                "|",
                ("itsm_contract_id", "in", contracts.ids),
                ("itsm_contract_id", "=", False),
            ],
            order="itsm_hostname, name, id",
        )
        # one pass over the machines (filtering them per contract grew as contracts x machines)
        on_contract, unassigned = defaultdict(list), defaultdict(list)
        for machine in machines:
            if machine.itsm_contract_id:
                on_contract[machine.itsm_contract_id.id].append(machine.id)
            else:
                unassigned[machine.itsm_partner_id.id].append(machine.id)
        order = {machine_id: position for position, machine_id in enumerate(machines.ids)}
        return {
            contract.id: Equipment.browse(
                sorted(on_contract[contract.id] + unassigned[contract.partner_id.id], key=order.__getitem__)
            )
            for contract in contracts
        }

    # ------------------------------------------------------------ planner
    @api.model
    def _cron_itsm_plan_mco(self, today=None):
        """Create the report of the current period of each contract with a template and an interval.

        One per contract and period: the reports already planned are read in one query, the new ones created
        in one batch with their references, so the queries do not grow with the number of contracts.
        """
        today = today or fields.Date.context_today(self)
        contracts = self.env["itsm.contract"].search(
            [
                ("mco_template_id", "!=", False),
                ("mco_interval", "in", ("monthly", "quarterly")),
                ("state", "in", ("active", "grace")),
                ("date_start", "<=", today),
            ]
        )
        if not contracts:
            return self.browse()
        keys = {contract.id: period_key(today, contract.mco_interval) for contract in contracts}
        existing = {
            (contract.id, key)
            for contract, key in self.with_context(active_test=False)._read_group(
                [("contract_id", "in", contracts.ids), ("period_key", "in", list(set(keys.values())))],
                ["contract_id", "period_key"],
            )
        }
        to_plan = contracts.filtered(lambda c: (c.id, keys[c.id]) not in existing)
        if not to_plan:
            return self.browse()
        equipment = self._itsm_contract_equipment(to_plan)
        names = self._itsm_next_names(len(to_plan))
        return self._itsm_insert_reports(
            [
                (
                    contract,
                    name,
                    keys[contract.id],
                    self._itsm_line_values(contract, contract.mco_template_id, equipment[contract.id]),
                )
                for contract, name in zip(to_plan, names, strict=True)
            ],
            today,
        )

    @api.model
    def _itsm_insert_reports(self, planned, today):
        """Insert the planned reports and their lines in two statements, whatever their number.

        ``planned``: ``(contract, name, period key, line values)``. The ORM would insert them 100 rows at a time
        and then write their related and computed columns: the planner's queries grew with the contracts. The
        values the ORM would compute are given here (company, client, project, counts: every line unanswered,
        each line's domain by ``line_domain``). A report already planned for the contract and period by a
        concurrent run is skipped (``ON CONFLICT`` on the unique key), never created twice.
        """
        self.flush_model()
        now, uid = fields.Datetime.now(), self.env.uid
        rows = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, 'draft', 0, 0, 0, 0, %s, %s, %s, %s, %s)",
                name,
                contract.id,
                contract.company_id.id,
                contract.partner_id.id,
                contract.mco_template_id.id,
                today,
                key,
                contract.user_id.id or None,
                contract.n1_team_id.default_project_id.id or None,
                len(lines),
                uid,
                now,
                uid,
                now,
            )
            for contract, name, key, lines in planned
        ]
        self.env.cr.execute(
            SQL(
                """INSERT INTO itsm_mco_report (name, contract_id, company_id, partner_id, template_id, date,
                                               period_key, user_id, project_id, state, count_ok, count_warning,
                                               count_ko, count_na, count_unanswered, create_uid, create_date,
                                               write_uid, write_date)
                   VALUES %s ON CONFLICT (contract_id, period_key) DO NOTHING RETURNING id, contract_id""",
                SQL(", ").join(rows),
            )
        )
        report_of = {contract_id: report_id for report_id, contract_id in self.env.cr.fetchall()}
        checks = self.env["itsm.mco.template.check"].browse(
            {vals["check_id"] for _c, _n, _k, lines in planned for vals in lines}
        )
        machines = (
            self.env["maintenance.equipment"]
            .sudo()
            .browse({vals["equipment_id"] for _c, _n, _k, lines in planned for vals in lines if vals["equipment_id"]})
        )
        domains = {check.id: check.domain_id.id for check in checks}
        machine_domains = {machine.id: machine.itsm_domain_id.id for machine in machines}
        line_rows = [
            SQL(
                "(%s, %s, %s, %s, %s, %s, %s, %s, %s, %s, %s)",
                report_of[contract.id],
                contract.company_id.id,
                vals["check_id"],
                vals["check_name"],
                vals["sequence"],
                vals["equipment_id"] or None,
                line_domain(domains.get(vals["check_id"]), machine_domains.get(vals["equipment_id"])),
                uid,
                now,
                uid,
                now,
            )
            for contract, _name, _key, lines in planned
            if contract.id in report_of
            for vals in lines
        ]
        if line_rows:
            self.env.cr.execute(
                SQL(
                    """INSERT INTO itsm_mco_report_line (report_id, company_id, check_id, check_name, sequence,
                                                        equipment_id, domain_id, create_uid, create_date,
                                                        write_uid, write_date)
                       VALUES %s""",
                    SQL(", ").join(line_rows),
                )
            )
        reports = self.browse(sorted(report_of.values()))
        self.env["itsm.mco.report.line"].invalidate_model()
        self.invalidate_model()
        return reports

    @api.model
    def _itsm_next_names(self, count):
        """``count`` references of the sequence, drawn in one query when it is a PostgreSQL sequence."""
        sequence = (
            self.env["ir.sequence"]
            .sudo()
            .search(
                [("code", "=", self._name), ("company_id", "in", [self.env.company.id, False])],
                order="company_id",
                limit=1,
            )
        )
        if not sequence or sequence.implementation != "standard":
            return [self.env["ir.sequence"].next_by_code(self._name) or "/" for _i in range(count)]
        self.env.cr.execute(f"SELECT nextval('ir_sequence_{sequence.id:03d}') FROM generate_series(1, %s)", [count])
        prefix, suffix = sequence._get_prefix_suffix()
        return [f"{prefix}{number:0{sequence.padding}d}{suffix}" for (number,) in self.env.cr.fetchall()]

    # ------------------------------------------------------------ actions
    @checked("write")
    def action_done(self):
        """Every line answered, a recommendation on each failure; then one ticket per failure, time logged."""
        for report in self.filtered(lambda r: r.state == "draft"):
            report._itsm_set_done_by()
            report._itsm_check_answered()
            report._itsm_open_tickets()
            report._itsm_log_time()
            report.state = "done"
        return True

    def _itsm_line_label(self, line):
        return f"{line.check_name} ({line.equipment_id.display_name})" if line.equipment_id else line.check_name

    def _itsm_check_answered(self):
        self.ensure_one()
        unanswered = self.line_ids.filtered(lambda line: not line.result)
        missing = self.line_ids.filtered(lambda line: line.result == "ko" and not (line.recommendation or "").strip())
        problems = []
        if unanswered:
            problems.append(
                self.env._(
                    "Checks without a result: %(checks)s.",
                    checks=", ".join(self._itsm_line_label(line) for line in unanswered),
                )
            )
        if missing:
            problems.append(
                self.env._(
                    "Failed checks without a recommendation: %(checks)s.",
                    checks=", ".join(self._itsm_line_label(line) for line in missing),
                )
            )
        if problems:
            raise UserError(
                self.env._("MCO report %(report)s cannot be done yet.", report=self.name) + "\n" + "\n".join(problems)
            )

    def _itsm_open_tickets(self):
        """One incident ticket (P3) per failed check, linked both ways; never a second one."""
        self.ensure_one()
        failed = self.line_ids.filtered(lambda line: line.result == "ko" and not line.ticket_id)
        if not failed:
            return
        Ticket = self.env["helpdesk.ticket"].sudo()
        contract = self.contract_id
        tickets = Ticket.create(
            [
                {
                    "name": self.env._(
                        "MCO %(report)s: %(check)s", report=self.name, check=self._itsm_line_label(line)
                    ),
                    "description": Markup("<p>%s</p><p>%s</p>")
                    % (line.comment or line.check_name, line.recommendation or ""),
                    "partner_id": contract.partner_id.id,
                    "company_id": contract.company_id.id,
                    "itsm_contract_id": contract.id,
                    "itsm_kind": "incident",
                    "priority": "1",
                    "itsm_equipment_id": line.equipment_id.id,
                    "itsm_domain_id": (line.domain_id or line.equipment_id.itsm_domain_id).id,
                    "itsm_mco_line_id": line.id,
                    "team_id": contract.n1_team_id.id,
                    "user_id": self.user_id.id,
                }
                for line in failed
            ]
        )
        for line, ticket in zip(failed, tickets, strict=True):
            line.ticket_id = ticket

    @checked("write")
    def action_send(self):
        template = self.env.ref("itsm_service_contract.mail_template_itsm_mco_report")
        for report in self:
            if report.state == "draft":
                raise UserError(self.env._("MCO report %(report)s is a draft: mark it done first.", report=report.name))
            report.message_post_with_source(
                template,
                message_type="comment",
                subtype_xmlid="mail.mt_comment",
                partner_ids=report._itsm_recipients().ids,
            )
            report.state = "sent"
        return True

    @checked()
    def action_print(self):
        return self.env.ref("itsm_service_contract.action_report_itsm_mco").report_action(self)

    @checked("write")
    def action_reset_draft(self):
        self.filtered(lambda r: r.state == "done").state = "draft"
        return True

    def _itsm_recipients(self):
        """The client's contacts with an e-mail address, else the client company itself."""
        self.ensure_one()
        client = self.partner_id.commercial_partner_id
        contacts = client.child_ids.filtered(lambda p: p.email and p.type == "contact")
        return contacts or client

    # ------------------------------------------------------------ report figures
    def _itsm_previous(self):
        """The previous report of the contract (done or sent), for the comparison."""
        self.ensure_one()
        return self.search(
            [
                ("contract_id", "=", self.contract_id.id),
                ("state", "in", ("done", "sent")),
                "|",
                ("date", "<", self.date),
                "&",
                ("date", "=", self.date),
                ("id", "<", self.id),
            ],
            order="date desc, id desc",
            limit=1,
        )

    def _itsm_lines_by_domain(self):
        """[(domain name, lines)] in the order of the domains, the lines of no domain last."""
        self.ensure_one()
        groups = defaultdict(lambda: self.env["itsm.mco.report.line"])
        for line in self.line_ids.sorted(lambda line: (line.sequence, line.id)):
            groups[line.domain_id] |= line
        ordered = sorted(groups, key=lambda domain: (not domain, domain.sequence if domain else 0, domain.id or 0))
        return [(domain.name if domain else self.env._("General"), groups[domain]) for domain in ordered]


class ItsmMcoReportLine(models.Model):
    _name = "itsm.mco.report.line"
    _description = "MCO report check"
    _order = "report_id, sequence, id"

    report_id = fields.Many2one("itsm.mco.report", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="report_id.company_id", store=True)
    state = fields.Selection(related="report_id.state")
    check_id = fields.Many2one("itsm.mco.template.check", string="Template check", ondelete="set null")
    check_name = fields.Char(string="Check", required=True)
    sequence = fields.Integer(default=10)
    equipment_id = fields.Many2one("maintenance.equipment", string="Machine", ondelete="set null")
    domain_id = fields.Many2one(
        "itsm.service.domain",
        compute="_compute_domain_id",
        store=True,
        readonly=False,
        precompute=True,
    )
    method = fields.Text(related="check_id.method")
    expected = fields.Char(related="check_id.expected")
    measure_unit = fields.Char(related="check_id.measure_unit")
    measure = fields.Char(help="What was measured: a number is set against the check's thresholds.")
    result = fields.Selection(
        RESULTS,
        compute="_compute_result",
        store=True,
        readonly=False,
        help="Set by itself from a measure with thresholds; may be changed by hand.",
    )
    comment = fields.Text()
    recommendation = fields.Text(help="What to do about it: required on a failed check.")
    ticket_id = fields.Many2one("helpdesk.ticket", readonly=True, copy=False, ondelete="set null")

    @api.constrains("equipment_id", "report_id")
    def _check_equipment_client(self):
        """A check is made on a machine of the report's client only (the client reads the report)."""
        for line in self.filtered("equipment_id"):
            machine = line.sudo().equipment_id
            client = line.report_id.partner_id
            if machine.itsm_partner_id != client:
                raise ValidationError(
                    self.env._(
                        "MCO report %(report)s: the machine %(equipment)s belongs to %(owner)s, not to the "
                        "contract's client %(client)s.",
                        report=line.report_id.name,
                        equipment=machine.display_name,
                        owner=machine.itsm_partner_id.display_name or "-",
                        client=client.display_name or "-",
                    )
                )

    @api.depends("check_id.domain_id", "equipment_id.itsm_domain_id")
    def _compute_domain_id(self):
        for line in self:
            line.domain_id = line_domain(line.check_id.domain_id.id, line.equipment_id.itsm_domain_id.id)

    @api.depends("measure")
    def _compute_result(self):
        for line in self:
            result = line.check_id._itsm_result(line.measure) if line.check_id and line.measure else None
            if result:
                line.result = result
            elif not line.result:
                line.result = False
