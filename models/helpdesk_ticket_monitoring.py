from odoo import api
from odoo import fields
from odoo import models
from odoo.tools import html2plaintext

from ..access import checked


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    itsm_alert_ids = fields.One2many("itsm.monitoring.alert", "ticket_id", string="Monitoring alerts")
    itsm_alert_count = fields.Integer(string="Alerts", compute="_compute_itsm_alert_count")

    @api.depends("itsm_alert_ids")
    def _compute_itsm_alert_count(self):
        for ticket in self:
            ticket.itsm_alert_count = len(ticket.itsm_alert_ids)

    @checked()
    def action_itsm_alerts(self):
        self.ensure_one()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_monitoring_alert")
        action["domain"] = [("ticket_id", "=", self.id)]
        action["context"] = {}
        return action

    @api.model
    def message_new(self, msg, custom_values=None):
        """A mail sent to a monitoring source's alias (its alias defaults name the source): parsed with the
        source's subject patterns, it opens, updates or resolves an alert like a webhook; a mail that matches no
        pattern opens a normal ticket on the source's contract (nothing lost)."""
        custom_values = dict(custom_values or {})
        source_id = custom_values.pop("itsm_monitoring_source_id", None)
        if not source_id:
            return super().message_new(msg, custom_values=custom_values)
        source = self.env["itsm.monitoring.source"].sudo().browse(source_id).exists()
        if not source or not source.active:
            return super().message_new(msg, custom_values=custom_values)
        source = source.with_company(source.company_id)
        alert = source._itsm_parse_mail(msg.get("subject"), msg.get("body_text") or self._itsm_mail_text(msg))
        if alert:
            _outcome, ticket = source._itsm_handle(alert)
            if ticket:
                return ticket.with_env(self.env)
            previous = (
                self.env["itsm.monitoring.alert"]
                .sudo()
                .search(
                    [
                        ("source_id", "=", source.id),
                        ("fingerprint", "=", alert["fingerprint"]),
                        ("ticket_id", "!=", False),
                    ],
                    order="id desc",
                    limit=1,
                )
            )
            if previous:
                # A recovery never seen firing (or already resolved): the mail goes on the last ticket.
                return previous.ticket_id.with_env(self.env)
        contract = source.contract_id
        custom_values.setdefault("partner_id", contract.partner_id.id)
        custom_values.setdefault("itsm_contract_id", contract.id)
        custom_values.setdefault("company_id", source.company_id.id)
        custom_values.setdefault("team_id", source.team_id.id)
        if source.domain_id:
            custom_values.setdefault("itsm_domain_id", source.domain_id.id)
        return super().message_new(msg, custom_values=custom_values)

    @api.model
    def _itsm_mail_text(self, msg):
        return html2plaintext(msg.get("body") or "")
