"""A sent MCO report is final: the client has it, nobody rewrites it or its checks afterwards."""

from odoo import api
from odoo import models
from odoo.exceptions import UserError

from ..access import checked

# what the chatter and activities keep writing on any record, sent or not
_FOLLOW_UP_PREFIXES = ("message_", "activity_", "website_message_")


def _refuse(env, reports):
    report = reports.filtered(lambda r: r.state == "sent")[:1]
    raise UserError(
        env._(
            "MCO report %(report)s was sent to the client on %(date)s: it is final and can no longer be changed. "
            "Write a new report instead.",
            report=report.name,
            date=report.date,
        )
    )


class ItsmMcoReport(models.Model):
    _inherit = "itsm.mco.report"

    def write(self, vals):
        if (
            not self.env.su
            and any(not key.startswith(_FOLLOW_UP_PREFIXES) for key in vals)
            and any(report.state == "sent" for report in self)
        ):
            _refuse(self.env, self)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never_sent(self):
        if not self.env.su:
            self._itsm_check_not_sent()

    # marked done, reset or sent again: a sent report stays as the client received it
    def _itsm_check_not_sent(self):
        if any(report.state == "sent" for report in self):
            _refuse(self.env, self)

    @checked("write")
    def action_done(self):
        self._itsm_check_not_sent()
        return super().action_done()

    @checked("write")
    def action_reset_draft(self):
        self._itsm_check_not_sent()
        return super().action_reset_draft()

    @checked("write")
    def action_send(self):
        self._itsm_check_not_sent()
        return super().action_send()


class ItsmMcoReportLine(models.Model):
    _inherit = "itsm.mco.report.line"

    def _itsm_check_open(self, reports):
        if not self.env.su and any(report.state == "sent" for report in reports):
            _refuse(self.env, reports)

    @api.model_create_multi
    def create(self, vals_list):
        report_ids = {vals.get("report_id") for vals in vals_list if vals.get("report_id")}
        self._itsm_check_open(self.env["itsm.mco.report"].browse(report_ids))
        return super().create(vals_list)

    def write(self, vals):
        reports = self.report_id
        if vals.get("report_id"):
            reports |= self.env["itsm.mco.report"].browse(vals["report_id"])
        self._itsm_check_open(reports)
        return super().write(vals)

    @api.ondelete(at_uninstall=False)
    def _unlink_never_sent(self):
        self._itsm_check_open(self.report_id)
