from collections import Counter
from collections import defaultdict
from datetime import datetime
from datetime import time
from datetime import timedelta

from dateutil.relativedelta import relativedelta
from markupsafe import Markup
from markupsafe import escape

from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.tools import float_round
from odoo.tools.misc import format_date

from .. import rules
from ..access import checked
from ..charts import bar_chart_svg
from .itsm_sla_rule import TICKET_KINDS


class ItsmCommittee(models.Model):
    _inherit = "itsm.committee"

    # ------------------------------------------------------------ snapshot
    def _period_bounds(self):
        """The period as naive UTC datetimes [start, end + 1 day)."""
        self.ensure_one()
        return (
            datetime.combine(self.period_start, time.min),
            datetime.combine(self.period_end + timedelta(days=1), time.min),
        )

    @checked("write")
    def action_prepare(self):
        """Freeze the figures of the period: the minutes never change when the data changes later."""
        for committee in self:
            if committee.state not in ("planned", "prepared"):
                raise UserError(
                    self.env._(
                        "Committee %(committee)s is %(state)s: its figures are frozen.",
                        committee=committee.display_name,
                        state=dict(committee._fields["state"]._description_selection(self.env))[committee.state],
                    )
                )
            committee._check_contract_open()
            committee.sudo().kpi_line_ids.unlink()
            values = committee._itsm_collect_kpis()
            carried = committee._itsm_open_actions_before()
            values.update(
                state="prepared",
                prepared_date=fields.Datetime.now(),
                carried_action_ids=[fields.Command.set(carried.ids)],
            )
            if committee.committee_type == "annual":
                values["evolution_ids"] = [fields.Command.set(committee._itsm_evolutions_of_period().ids)]
            committee.write(values)
            if not committee.agenda or committee.agenda == Markup("<p><br></p>"):
                committee.agenda = committee._itsm_default_agenda()
        return True

    def _itsm_open_actions_before(self):
        self.ensure_one()
        domain = [
            ("committee_id.contract_id", "=", self.contract_id.id),
            ("state", "=", "open"),
            ("committee_id.state", "!=", "cancelled"),
        ]
        if self._origin.id:
            domain.append(("committee_id", "!=", self._origin.id))
        return self.env["itsm.committee.action"].search(domain, order="due_date, id")

    def _itsm_evolutions_of_period(self):
        self.ensure_one()
        start, end = self._period_bounds()
        return self.env["itsm.committee.action"].search(
            [
                ("committee_id.contract_id", "=", self.contract_id.id),
                ("committee_id.state", "!=", "cancelled"),
                ("committee_id", "!=", self._origin.id or 0),
                ("is_evolution", "=", True),
                ("committee_id.date", ">=", start),
                ("committee_id.date", "<", end),
            ],
            order="id",
        )

    def _itsm_collect_kpis(self):
        """Figures of the period, as the values to write (scalars and KPI lines)."""
        self.ensure_one()
        contract = self.contract_id
        start, end = self._period_bounds()
        Ticket = self.env["helpdesk.ticket"].sudo().with_context(active_test=False)
        contract_domain = [("itsm_contract_id", "=", contract.id)]
        opened = Ticket.search([*contract_domain, ("itsm_request_date", ">=", start), ("itsm_request_date", "<", end)])
        closed = Ticket.search(
            [*contract_domain, ("closed", "=", True), ("closed_date", ">=", start), ("closed_date", "<", end)]
        )
        # service levels: every target that fell due in the period, met or missed, open tickets included
        tally = Ticket._itsm_sla_period(contract_domain, start, end)
        due_tickets = Ticket.browse()
        for cell in tally.values():
            due_tickets |= cell["tickets"]
        response_due = sum(cell["response_due"] for cell in tally.values())
        response_met = sum(cell["response_met"] for cell in tally.values())
        resolution_due = sum(cell["resolution_due"] for cell in tally.values())
        resolution_met = sum(cell["resolution_met"] for cell in tally.values())
        # credit drawn in the period by the tickets of each kind and priority (the consumption moves, net)
        drawn = defaultdict(float)
        for move in (
            self.env["itsm.credit.move"]
            .sudo()
            .search(
                [
                    ("contract_id", "=", contract.id),
                    ("move_type", "=", "consumption"),
                    ("date", ">=", self.period_start),
                    ("date", "<=", self.period_end),
                    ("timesheet_id.ticket_id", "!=", False),
                ]
            )
        ):
            ticket = move.timesheet_id.ticket_id
            drawn[(ticket.itsm_kind, ticket.priority)] -= move.hours

        lines = []
        # tickets by kind and priority: opened, closed, the targets judged in the period, the credit drawn
        opened_count = Counter((ticket.itsm_kind, ticket.priority) for ticket in opened)
        closed_count = Counter((ticket.itsm_kind, ticket.priority) for ticket in closed)
        empty = {"tickets": (), "response_due": 0, "response_met": 0, "resolution_due": 0, "resolution_met": 0}
        kinds = [key for key, _label in TICKET_KINDS]
        for kind, priority in sorted(
            set(opened_count) | set(closed_count) | set(tally) | set(drawn),
            key=lambda k: (kinds.index(k[0]), -int(k[1] or 0)),
        ):
            cell = tally.get((kind, priority), empty)
            lines.append(
                {
                    "section": "tickets",
                    "sequence": len(lines),
                    "ticket_kind": kind,
                    "priority": priority,
                    "count": opened_count[(kind, priority)],
                    "count_closed": closed_count[(kind, priority)],
                    "count_sla": len(cell["tickets"]),
                    "response_due": cell["response_due"],
                    "response_met": cell["response_met"],
                    "resolution_due": cell["resolution_due"],
                    "resolution_met": cell["resolution_met"],
                    "hours": float_round(drawn.get((kind, priority), 0.0), 2),
                }
            )
        # top 5 categories of the tickets opened
        categories = Counter(t.category_id for t in opened if t.category_id)
        for rank, (category, count) in enumerate(
            sorted(categories.items(), key=lambda item: (-item[1], item[0].name or ""))[:5], start=1
        ):
            lines.append(
                {
                    "section": "category",
                    "sequence": 100 + rank,
                    "frozen_name": category.name,
                    "category_id": category.id,
                    "count": count,
                }
            )
        # tickets opened by service domain (seed 001: the contract's scope)
        domains = Counter(t.itsm_domain_id for t in opened)
        for rank, (domain, count) in enumerate(
            sorted(domains.items(), key=lambda item: (-item[1], item[0].sequence, item[0].name or "")), start=1
        ):
            lines.append(
                {
                    "section": "domain",
                    "sequence": 150 + rank,
                    "frozen_name": domain.name if domain else False,
                    "domain_id": domain.id,
                    "count": count,
                }
            )
        # problems of the client (recurring incidents grouped by the problem management) opened in the period or
        # still open during it, with their state and root cause
        period_start, period_end = self._period_bounds()
        problems = (
            self.env["itsm.problem"]
            .sudo()
            .search(
                [
                    ("partner_id", "=", contract.partner_id.commercial_partner_id.id),
                    ("company_id", "=", contract.company_id.id),
                    ("date_open", "<", period_end),
                    "|",
                    "|",
                    ("date_open", ">=", period_start),
                    ("state", "in", ("new", "analysis", "known_error")),
                    ("date_closed", ">=", period_start),
                ],
                order="id",
            )
        )
        for problem in problems:
            lines.append(
                {
                    "section": "recurring",
                    "sequence": 200 + len(lines),
                    "frozen_name": problem._itsm_kpi_label(),
                    "category_id": problem.category_id.id,
                    "count": len(problem.ticket_ids),
                    "problem_id": problem.id,
                    "problem_state": problem.state,
                    "detail": problem.root_cause or "",
                }
            )
        # credit consumption by month over the 12 months ending with the period (the chart)
        moves = self.env["itsm.credit.move"].sudo()
        chart_start = self.period_end.replace(day=1) - relativedelta(months=11)
        by_month = defaultdict(float)
        for month, hours in moves._read_group(
            [
                ("contract_id", "=", contract.id),
                ("move_type", "=", "consumption"),
                ("date", ">=", chart_start),
                ("date", "<=", self.period_end),
            ],
            ["date:month"],
            ["hours:sum"],
        ):
            by_month[month.date() if isinstance(month, datetime) else month] += -hours
        for index in range(12):
            month = chart_start + relativedelta(months=index)
            lines.append(
                {
                    "section": "consumption",
                    "sequence": 300 + index,
                    "month": month,
                    "hours": float_round(by_month.get(month, 0.0), 2),
                }
            )
        consumed = -sum(
            moves.search(
                [
                    ("contract_id", "=", contract.id),
                    ("move_type", "=", "consumption"),
                    ("date", ">=", self.period_start),
                    ("date", "<=", self.period_end),
                ]
            ).mapped("hours")
        )
        balance_end = sum(
            moves.search([("contract_id", "=", contract.id), ("date", "<=", self.period_end)]).mapped("hours")
        )
        timesheets = (
            self.env["account.analytic.line"]
            .sudo()
            .search(
                [
                    ("itsm_contract_id", "=", contract.id),
                    ("date", ">=", self.period_start),
                    ("date", "<=", self.period_end),
                ]
            )
        )
        escalations = dict(
            self.env["itsm.ticket.escalation"]
            .sudo()
            ._read_group(
                [("ticket_id.itsm_contract_id", "=", contract.id), ("date", ">=", start), ("date", "<", end)],
                ["automatic"],
                ["__count"],
            )
        )
        validity_left = (contract.date_end - self.period_end).days if contract.date_end else 0
        monitoring = self.env["itsm.monitoring.alert"]._itsm_period_figures(contract, start, end)
        return {
            "kpi_tickets_opened": len(opened),
            "kpi_tickets_closed": len(closed),
            "kpi_sla_tickets": len(due_tickets),
            "kpi_response_due": response_due,
            "kpi_response_met": response_met,
            # a share of nothing is stored as 0 beside a count of 0 judged: shown as "—", never as a rate
            "kpi_response_met_pct": rules.share_pct(response_met, response_due) or 0.0,
            "kpi_resolution_due": resolution_due,
            "kpi_resolution_met": resolution_met,
            "kpi_resolution_met_pct": rules.share_pct(resolution_met, resolution_due) or 0.0,
            "kpi_consumed_hours": float_round(consumed, 2),
            "kpi_balance_end": float_round(balance_end, 2),
            "kpi_validity_days_left": max(validity_left, 0),
            "kpi_nho_hours": float_round(sum(timesheets.mapped("itsm_nho_hours")), 2),
            "kpi_urgent_hours": float_round(sum(timesheets.filtered("itsm_is_urgent").mapped("itsm_counted_hours")), 2),
            "kpi_escalations_manual": escalations.get(False, 0),
            "kpi_escalations_automatic": escalations.get(True, 0),
            "kpi_out_of_scope_tickets": len(opened.filtered(lambda t: not t.itsm_in_scope)),
            "kpi_alerts_received": monitoring["received"],
            "kpi_alert_tickets": monitoring["tickets_opened"],
            "kpi_alerts_self_resolved": monitoring["resolved_by_themselves"],
            "kpi_alert_response_minutes": monitoring["mean_minutes_to_first_response"] or 0.0,
            "kpi_line_ids": [fields.Command.create(vals) for vals in lines],
        }

    def _itsm_default_agenda(self):
        """The agenda in the client's language: it goes into the client's minutes."""
        self.ensure_one()
        lang = self.partner_id.lang or self.env.lang
        env = self.env(context=dict(self.env.context, lang=lang))
        items = [
            env._(
                "Activity of the period %(start)s - %(end)s",
                start=format_date(env, self.period_start, lang_code=lang),
                end=format_date(env, self.period_end, lang_code=lang),
            ),
            env._("Service levels: response and resolution targets"),
            env._("Time credit: consumption, balance and validity"),
        ]
        if self.carried_action_ids:
            items.append(
                env._(
                    "Open actions of earlier committees: %(actions)s",
                    actions=", ".join(self.carried_action_ids.mapped("name")),
                )
            )
        if self.committee_type == "annual":
            items.append(env._("Orientations for the coming year and evolution requests to approve"))
        items.append(env._("Any other business"))
        return Markup("<ol>%s</ol>") % Markup("").join(Markup("<li>%s</li>") % escape(item) for item in items)

    # ------------------------------------------------------------ chart
    def _itsm_consumption_svg(self):
        """Bar chart of the monthly consumption (12 months) as inline SVG: no JavaScript in the PDF."""
        self.ensure_one()
        bars = self.kpi_line_ids.filtered(lambda line: line.section == "consumption").sorted("sequence")
        return bar_chart_svg([(bar.name, bar.hours) for bar in bars], locale=self.env.lang or "en_US")
