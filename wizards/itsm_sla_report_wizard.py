from dateutil.relativedelta import relativedelta

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

from ..access import checked


def _last_month(today):
    first = today.replace(day=1)
    return first - relativedelta(months=1), first - relativedelta(days=1)


class ItsmSlaReportWizard(models.TransientModel):
    _name = "itsm.sla.report.wizard"
    _description = "SLA compliance report of a contract"

    contract_id = fields.Many2one("itsm.contract", required=True)
    date_from = fields.Date(
        string="From",
        required=True,
        default=lambda self: _last_month(fields.Date.context_today(self))[0],
        help="Tickets requested from this day on (the contract's time zone).",
    )
    date_to = fields.Date(
        string="To",
        required=True,
        default=lambda self: _last_month(fields.Date.context_today(self))[1],
        help="Tickets requested up to this day included.",
    )

    @api.constrains("date_from", "date_to")
    def _check_period(self):
        for wizard in self:
            if wizard.date_to < wizard.date_from:
                raise ValidationError(
                    self.env._(
                        "The SLA report of %(contract)s cannot end (%(end)s) before it starts (%(start)s).",
                        contract=wizard.contract_id.display_name,
                        start=wizard.date_from,
                        end=wizard.date_to,
                    )
                )

    @checked()
    def action_print(self):
        self.ensure_one()
        return self.env.ref("itsm_service_contract.action_report_itsm_sla_compliance").report_action(
            self.contract_id,
            data={"date_from": fields.Date.to_string(self.date_from), "date_to": fields.Date.to_string(self.date_to)},
        )
