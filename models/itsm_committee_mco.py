from odoo import fields
from odoo import models


class ItsmCommittee(models.Model):
    _inherit = "itsm.committee"

    kpi_mco_report_id = fields.Many2one(
        "itsm.mco.report", string="Last MCO report", readonly=True, copy=False, help="The last MCO report done."
    )
    kpi_mco_ok = fields.Integer(string="MCO checks OK", readonly=True, copy=False)
    kpi_mco_warning = fields.Integer(string="MCO warnings", readonly=True, copy=False)
    kpi_mco_ko = fields.Integer(string="MCO failures", readonly=True, copy=False)

    def _itsm_collect_kpis(self):
        values = super()._itsm_collect_kpis()
        report = (
            self.env["itsm.mco.report"]
            .sudo()
            .search(
                [
                    ("contract_id", "=", self.contract_id.id),
                    ("state", "in", ("done", "sent")),
                    ("date", "<=", self.period_end),
                ],
                order="date desc, id desc",
                limit=1,
            )
        )
        values.update(
            kpi_mco_report_id=report.id,
            kpi_mco_ok=report.count_ok,
            kpi_mco_warning=report.count_warning,
            kpi_mco_ko=report.count_ko,
        )
        return values
