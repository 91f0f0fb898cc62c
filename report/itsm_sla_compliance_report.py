from datetime import timedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError

from .. import rules
from ..wizards.itsm_sla_report_wizard import _last_month


class ReportItsmSlaCompliance(models.AbstractModel):
    """Figures of the SLA compliance report: the contract's tickets requested in the period."""

    _name = "report.itsm_service_contract.report_itsm_sla_compliance"
    _description = "SLA compliance report"

    @api.model
    def _get_report_values(self, docids, data=None):
        data = data or {}
        today = fields.Date.context_today(self)
        default_from, default_to = _last_month(today)
        date_from = fields.Date.to_date(data.get("date_from")) or default_from
        date_to = fields.Date.to_date(data.get("date_to")) or default_to
        if date_to < date_from:
            raise UserError(
                self.env._(
                    "The SLA report cannot end (%(end)s) before it starts (%(start)s).", start=date_from, end=date_to
                )
            )
        contracts = self.env["itsm.contract"].browse(docids)
        contracts.check_access("read")
        return {
            "doc_ids": docids,
            "doc_model": "itsm.contract",
            "docs": contracts,
            "date_from": date_from,
            "date_to": date_to,
            "figures": {
                contract.id: self.with_context(lang=contract.partner_id.lang or self.env.lang)._itsm_figures(
                    contract, date_from, date_to
                )
                for contract in contracts
            },
        }

    def _itsm_figures(self, contract, date_from, date_to):
        tz_name = contract.user_id.tz or contract.company_id.partner_id.tz or "Europe/Paris"
        start = rules.local_to_utc(date_from, 0, tz_name)
        end = rules.local_to_utc(date_to + timedelta(days=1), 0, tz_name)
        tally = (
            self.env["helpdesk.ticket"].sudo()._itsm_sla_period([("itsm_contract_id", "=", contract.id)], start, end)
        )
        tickets = self.env["helpdesk.ticket"].sudo().browse()
        for cell in tally.values():
            tickets |= cell["tickets"]
        matrix = contract.sla_matrix_id or self.env["itsm.sla.matrix"]._default_matrix(contract.company_id)
        rule_fields = self.env["itsm.sla.rule"]._fields
        kinds = dict(rule_fields["ticket_kind"]._description_selection(self.env))
        priorities = dict(rule_fields["priority"]._description_selection(self.env))
        rows = []
        for (kind, priority), cell in tally.items():
            rule = matrix._rule_for(kind, priority) if matrix else self.env["itsm.sla.rule"]
            rows.append(
                {
                    "kind": kinds.get(kind, kind),
                    "priority": priorities.get(priority, priority),
                    "rule": rule,
                    "tickets": len(cell["tickets"]),
                    "response_due": cell["response_due"],
                    "response_met": cell["response_met"],
                    "response_pct": rules.share_pct(cell["response_met"], cell["response_due"]),
                    "resolution_due": cell["resolution_due"],
                    "resolution_met": cell["resolution_met"],
                    "resolution_pct": rules.share_pct(cell["resolution_met"], cell["resolution_due"]),
                }
            )
        response_due = sum(cell["response_due"] for cell in tally.values())
        response_met = sum(cell["response_met"] for cell in tally.values())
        resolution_due = sum(cell["resolution_due"] for cell in tally.values())
        resolution_met = sum(cell["resolution_met"] for cell in tally.values())
        breached = tickets.browse()
        for cell in tally.values():
            breached |= cell["breached"]
        now = fields.Datetime.now()
        outcomes = {ticket.id: ticket._itsm_sla_outcomes(now) for ticket in breached}
        return {
            "matrix": matrix,
            "tickets": tickets,
            "rows": rows,
            "response_due": response_due,
            "response_met": response_met,
            "response_pct": rules.share_pct(response_met, response_due),
            "resolution_due": resolution_due,
            "resolution_met": resolution_met,
            "resolution_pct": rules.share_pct(resolution_met, resolution_due),
            "pending": len(tickets.filtered(lambda t: not t.closed)),
            "breached": breached,
            "outcomes": outcomes,
            "tz": tz_name,
        }
