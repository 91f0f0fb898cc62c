"""The contract's service dashboard (issue 18, seed 004: "a dashboard to follow the services").

One page of charts, on the portal (``/my/contracts/<id>/dashboard``) and in the backend (the contract's
*Dashboard* button, printable): tickets per month by kind, service levels met per month, credit consumed per
month with the balance, open tickets by priority, the last MCO reports' results.

The figures are read as aggregates, a fixed number of queries whatever the length of the history: grouped counts
and sums over the 12 months shown (composite indexes in ``helpdesk_ticket.init()`` and
``itsm_credit_move.init()``), the balance before the chart derived from the contract's balance and the moves
shown. The series are built by the plain functions of ``dashboard_rules``.
"""

from collections import Counter
from datetime import datetime
from datetime import time

from babel.dates import format_date as babel_format_date
from dateutil.relativedelta import relativedelta

from odoo import fields
from odoo import models
from odoo.tools import SQL
from odoo.tools.misc import babel_locale_parse

from .. import dashboard_rules
from .. import rules
from ..access import checked
from ..charts import bars_and_line_svg
from ..charts import rate_lines_svg
from ..charts import stacked_bars_svg
from .itsm_sla_rule import TICKET_KINDS

MONTHS = 12
MCO_REPORTS = 6
COLORS = {
    "incident": "#b5483b",
    "request": "#1f4e6b",
    "response": "#1f4e6b",
    "resolution": "#d98a1c",
    "consumed": "#1f4e6b",
    "balance": "#2e8b57",
    "ok": "#2e8b57",
    "warning": "#e0a31e",
    "ko": "#c0392b",
    "na": "#9aa5ad",
}


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

    # ------------------------------------------------------------ figures
    def _itsm_dashboard_data(self, today=None, now=None):
        """The dashboard's figures, in a fixed number of queries.

        Returns a dict: ``months`` (first days, oldest first), ``tickets`` (``{kind: [count per month]}``,
        by request date), ``sla`` (``{"response"|"resolution": [(met, judged) per month]}``, by deadline),
        ``consumed`` and ``balance`` (hours per month and at each month's end, prepaid contracts) or ``billed``
        (hours per month, time and material), ``open`` (``{kind: [open tickets, P1 first]}``) and ``mco`` (the
        last reports done, oldest first, as dicts).

        The months that are over come from ``itsm.contract.month`` when kept there; the others (the current
        month at least) are computed from the tickets, moves and interventions, then kept for the next time.
        """
        self.ensure_one()
        now = now or fields.Datetime.now()
        today = today or fields.Date.context_today(self)
        months = dashboard_rules.month_starts(today, MONTHS)
        Month = self.env["itsm.contract.month"].sudo()
        kept, changes = Month._itsm_read(self, months[:-1])
        first = next(month for month in months if month not in kept)  # the current month is never kept
        live = self._itsm_dashboard_live(first, months, now)
        kinds = [key for key, _label in TICKET_KINDS]
        data = {
            "months": months,
            "prepaid": self.contract_type == "prepaid",
            "tickets": {kind: [] for kind in kinds},
            "sla": {"response": [], "resolution": []},
            "consumed": [],
            "billed": [],
        }
        net = []
        for month in months:
            figures = live["months"][month] if month >= first else kept[month]
            for kind in kinds:
                data["tickets"][kind].append(figures[f"tickets_{kind}"])
            for key in ("response", "resolution"):
                data["sla"][key].append((figures[f"{key}_met"], figures[f"{key}_judged"]))
            data["consumed"].append(figures["consumed_hours"])
            data["billed"].append(figures["billed_hours"])
            net.append(figures["net_hours"])
        if data["prepaid"]:
            later = live["moves_total"] + sum(kept[month]["net_hours"] for month in months if month < first)
            data["balance"] = dashboard_rules.balance_by_month(net, later, self.balance_hours)
            del data["billed"]
        else:
            del data["consumed"]
        if not self.env.cr.readonly:
            Month._itsm_keep(
                self, {month: live["months"][month] for month in months[:-1] if month in live["months"]}, changes
            )
        data.update(self._itsm_dashboard_now(kinds))
        return data

    def _itsm_dashboard_live(self, first, months, now):
        """The figures of ``months`` from ``first`` on, computed from the rows: ``{"months": {month: figures},
        "moves_total": the ledger's moves from ``first`` on, later ones included}``."""
        live_months = [month for month in months if month >= first]
        start = datetime.combine(first, time.min)
        end = datetime.combine(months[-1] + relativedelta(months=1), time.min)
        kinds = [key for key, _label in TICKET_KINDS]
        Ticket = self.env["helpdesk.ticket"].sudo().with_context(active_test=False, tz="UTC")
        contract_domain = [("itsm_contract_id", "=", self.id)]

        created = Ticket._read_group(
            [*contract_domain, ("itsm_request_date", ">=", start), ("itsm_request_date", "<", end)],
            ["itsm_request_date:month", "itsm_kind"],
            ["__count"],
        )
        tickets = dashboard_rules.tickets_by_month(created, live_months, kinds)

        # the SLA targets that fell due in these months: the columns the rule needs, not the records
        Ticket.flush_model(
            [
                "itsm_contract_id",
                "itsm_sla_rule_id",
                "itsm_response_deadline",
                "itsm_resolution_deadline",
                "itsm_first_response_date",
                "itsm_pause_start",
                "stage_id",
                "closed_date",
            ]
        )
        self.env["helpdesk.ticket.stage"].flush_model(["closed"])
        # the tickets due in these months: the window of the committees (_itsm_sla_due_domain), in one query
        due = Ticket._search([*contract_domain, *Ticket._itsm_sla_due_domain(start, end)])
        self.env.cr.execute(
            due.select(
                SQL.identifier("helpdesk_ticket", "itsm_response_deadline"),
                SQL.identifier("helpdesk_ticket", "itsm_first_response_date"),
                SQL.identifier("helpdesk_ticket", "itsm_resolution_deadline"),
                SQL(
                    "EXISTS (SELECT 1 FROM helpdesk_ticket_stage s WHERE s.id = %s AND s.closed)",
                    SQL.identifier("helpdesk_ticket", "stage_id"),
                ),
                SQL.identifier("helpdesk_ticket", "closed_date"),
                SQL.identifier("helpdesk_ticket", "itsm_pause_start"),
            )
        )
        sla = dashboard_rules.sla_by_month(self.env.cr.fetchall(), live_months, now)

        zeros = [0.0] * len(live_months)
        consumed, net, moves_total, billed = zeros, zeros, 0.0, zeros
        if self.contract_type == "prepaid":
            moves = (
                self.env["itsm.credit.move"]
                .sudo()
                ._read_group(
                    [("contract_id", "=", self.id), ("date", ">=", first)],
                    ["date:month", "move_type"],
                    ["hours:sum"],
                )
            )
            consumed, net, moves_total = dashboard_rules.moves_by_month(moves, live_months)
        else:
            lines = (
                self.env["account.analytic.line"]
                .sudo()
                ._read_group(
                    [*contract_domain, ("date", ">=", first), ("date", "<", end.date())],
                    ["date:month"],
                    ["itsm_credit_hours:sum"],
                )
            )
            billed = dashboard_rules.hours_by_month(lines, live_months)
        figures = {}
        for position, month in enumerate(live_months):
            figures[month] = {
                "tickets_incident": tickets["incident"][position],
                "tickets_request": tickets["request"][position],
                "response_met": sla["response"][position][0],
                "response_judged": sla["response"][position][1],
                "resolution_met": sla["resolution"][position][0],
                "resolution_judged": sla["resolution"][position][1],
                "consumed_hours": consumed[position],
                "net_hours": net[position],
                "billed_hours": billed[position],
            }
        return {"months": figures, "moves_total": moves_total}

    def _itsm_dashboard_now(self, kinds):
        """What the dashboard shows of today: the open tickets by priority and the last MCO reports."""
        open_stages = (
            self.env["helpdesk.ticket.stage"].sudo().with_context(active_test=False).search([("closed", "=", False)])
        )
        opened = (
            self.env["helpdesk.ticket"]
            .sudo()
            ._read_group(
                [("itsm_contract_id", "=", self.id), ("stage_id", "in", open_stages.ids)],
                ["priority", "itsm_kind"],
                ["__count"],
            )
        )
        data = {"open": dashboard_rules.open_by_priority(opened, kinds)}

        reports = (
            self.env["itsm.mco.report"]
            .sudo()
            .search_fetch(
                [("contract_id", "=", self.id), ("state", "in", ("done", "sent"))],
                ["name", "date", "count_ok", "count_warning", "count_ko", "count_na"],
                order="date desc, id desc",
                limit=MCO_REPORTS,
            )
        )
        data["mco"] = [
            {
                "name": report.name,
                "date": report.date,
                **{result: report[f"count_{result}"] for result in dashboard_rules.MCO_RESULTS},
            }
            for report in reversed(reports)
        ]
        return data

    # ------------------------------------------------------------ charts
    def _itsm_locale(self):
        return babel_locale_parse(self.env.lang or "en_US")

    def _itsm_month_labels(self, months):
        """Short month names in the reader's language; the year under the first month and under each January."""
        locale = self._itsm_locale()
        return [
            babel_format_date(month, "MMM", locale=locale).rstrip(".")
            + (f"\n{month.year}" if index == 0 or month.month == 1 else "")
            for index, month in enumerate(months)
        ]

    def _itsm_mco_labels(self, reports):
        """The MCO chart's labels: the report's day in the reader's way, with the year under the first one; two
        reports of the same day are told apart by their numbers."""
        locale = self._itsm_locale()
        days = Counter(report["date"] for report in reports)
        labels = []
        for index, report in enumerate(reports):
            label = babel_format_date(report["date"], "dd/MM", locale=locale)
            if days[report["date"]] > 1:
                label += "\n" + (report["name"] or "").rsplit("/", 1)[-1]
            elif index == 0 or report["date"].year != reports[index - 1]["date"].year:
                label += f"\n{report['date'].year}"
            labels.append(label)
        return labels

    def _itsm_dashboard(self, today=None, now=None, responsive=True):
        """The dashboard's figures (``_itsm_dashboard_data``) and its charts as inline SVG, in the reader's
        language: ``{"data": ..., "charts": [(key, title, svg)], "month_labels": [...]}``."""
        self.ensure_one()
        data = self._itsm_dashboard_data(today=today, now=now)
        labels = self._itsm_month_labels(data["months"])
        locale = self.env.lang or "en_US"
        kind_names = {"incident": self.env._("Incidents"), "request": self.env._("Requests")}
        charts = []
        title = self.env._("Tickets per month")
        charts.append(
            (
                "tickets",
                title,
                stacked_bars_svg(
                    title,
                    labels,
                    [(kind_names[kind], COLORS[kind], values) for kind, values in data["tickets"].items()],
                    responsive=responsive,
                    locale=locale,
                ),
            )
        )
        title = self.env._("Service levels met per month")
        charts.append(
            (
                "sla",
                title,
                rate_lines_svg(
                    title,
                    labels,
                    [
                        (self.env._("Response"), COLORS["response"], data["sla"]["response"]),
                        (self.env._("Resolution"), COLORS["resolution"], data["sla"]["resolution"]),
                    ],
                    responsive=responsive,
                    locale=locale,
                ),
            )
        )
        if data["prepaid"]:
            title = self.env._("Credit consumed per month (hours) and balance")
            chart = bars_and_line_svg(
                title,
                labels,
                (self.env._("Consumed"), COLORS["consumed"], data["consumed"]),
                (self.env._("Balance at the end of the month"), COLORS["balance"], data["balance"]),
                responsive=responsive,
                locale=locale,
            )
        else:
            title = self.env._("Hours billed per month")
            chart = bars_and_line_svg(
                title,
                labels,
                (self.env._("Billed hours"), COLORS["consumed"], data["billed"]),
                None,
                responsive=responsive,
                locale=locale,
            )
        charts.append(("credit", title, chart))
        title = self.env._("Open tickets by priority")
        charts.append(
            (
                "open",
                title,
                stacked_bars_svg(
                    title,
                    [dashboard_rules.PRIORITY_NAMES[key] for key in dashboard_rules.PRIORITY_ORDER],
                    [(kind_names[kind], COLORS[kind], values) for kind, values in data["open"].items()],
                    responsive=responsive,
                    locale=locale,
                ),
            )
        )
        if data["mco"]:
            title = self.env._("MCO results of the last reports")
            result_names = {
                "ok": self.env._("OK"),
                "warning": self.env._("Warning"),
                "ko": self.env._("Failed"),
                "na": self.env._("Not applicable"),
            }
            charts.append(
                (
                    "mco",
                    title,
                    stacked_bars_svg(
                        title,
                        self._itsm_mco_labels(data["mco"]),
                        [
                            (result_names[result], COLORS[result], [report[result] for report in data["mco"]])
                            for result in dashboard_rules.MCO_RESULTS
                        ],
                        responsive=responsive,
                        locale=locale,
                    ),
                )
            )
        totals = {
            key: [sum(cell[0] for cell in data["sla"][key]), sum(cell[1] for cell in data["sla"][key])]
            for key in ("response", "resolution")
        }
        return {
            "data": data,
            "charts": charts,
            "month_labels": [label.replace("\n", " ") for label in labels],
            "period_end": babel_format_date(data["months"][-1], "MMMM y", locale=self._itsm_locale()),
            "tickets_total": sum(sum(values) for values in data["tickets"].values()),
            "open_total": sum(sum(values) for values in data["open"].values()),
            "response_share": rules.format_pct(rules.share_pct(*totals["response"]), locale=locale),
            "resolution_share": rules.format_pct(rules.share_pct(*totals["resolution"]), locale=locale),
            "balance": rules.format_decimal_hours(self.balance_hours, locale) if data["prepaid"] else "",
        }

    def _itsm_dashboard_lang(self, report_type):
        """On screen the reader's language; printed, the client's (as every document sent to the client)."""
        self.ensure_one()
        if report_type == "pdf":
            return self.partner_id.lang or self.env.lang
        return self.env.lang or self.partner_id.lang

    # ------------------------------------------------------------ button
    @checked()
    def action_itsm_dashboard(self):
        """The contract's service dashboard, printable."""
        self.ensure_one()
        # the report is shown through a read-only request: the months computed now are kept for it
        self._itsm_dashboard_data()
        return self.env.ref("itsm_service_contract.action_report_itsm_dashboard").report_action(self, config=False)
