import logging

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api
from odoo import fields
from odoo import models

_logger = logging.getLogger(__name__)

BATCH = 1000  # records anonymised per write
# Ticket fields holding the requester's personal data or free text.
TICKET_TEXT_FIELDS = ("partner_name", "partner_email", "itsm_requester_phone", "itsm_site", "itsm_equipment")
TICKET_NOTE_FIELDS = ("itsm_diagnosis", "itsm_actions")


class ItsmRetention(models.AbstractModel):
    """GDPR retention: anonymise what is older than the company's retention period.

    Personal data goes (names, e-mails, phones of the client's users, free-text descriptions); the hours, dates
    and amounts the ledger, the statements and the invoices need stay. Each record is marked when done, so a
    second run finds nothing more to do.
    """

    _name = "itsm.retention"
    _description = "Retention of personal data"

    @api.model
    def _itsm_cutoff(self, company):
        return fields.Date.context_today(self) - relativedelta(years=company.itsm_retention_years)

    @api.model
    def _itsm_candidates(self, company, cutoff):
        """What is due for anonymisation in ``company``, by kind."""
        env = self.env(su=True)
        tickets = (
            env["helpdesk.ticket"]
            .with_context(active_test=False)
            .search(
                [
                    ("company_id", "=", company.id),
                    ("closed", "=", True),
                    ("closed_date", "<", fields.Datetime.to_datetime(cutoff)),
                    ("itsm_anonymised_date", "=", False),
                ],
                order="id",
            )
        )
        timesheets = env["account.analytic.line"].search(
            [
                ("company_id", "=", company.id),
                ("date", "<", cutoff),
                ("itsm_anonymised_date", "=", False),
                "|",
                ("ticket_id", "!=", False),
                ("itsm_contract_id", "!=", False),
            ],
            order="id",
        )
        committees = env["itsm.committee"].search(
            [("company_id", "=", company.id), ("date", "<", cutoff), ("anonymised_date", "=", False)], order="id"
        )
        return {"tickets": tickets, "timesheets": timesheets, "committees": committees}

    @api.model
    def _itsm_anonymise(self, companies=None, dry_run=False):
        """Anonymise what is due in ``companies`` (all of them by default); return the counts by kind."""
        totals = dict.fromkeys(("tickets", "messages", "attachments", "timesheets", "committees"), 0)
        for company in companies or self.env["res.company"].sudo().search([("id", "!=", False)]):
            cutoff = self._itsm_cutoff(company)
            due = self._itsm_candidates(company, cutoff)
            messages = (
                self.env["mail.message"]
                .sudo()
                .search([("model", "=", "helpdesk.ticket"), ("res_id", "in", due["tickets"].ids)])
            )
            attachments = (
                self.env["ir.attachment"]
                .sudo()
                .search([("res_model", "=", "helpdesk.ticket"), ("res_id", "in", due["tickets"].ids)])
            )
            counts = {
                "tickets": len(due["tickets"]),
                "messages": len(messages),
                "attachments": len(attachments),
                "timesheets": len(due["timesheets"]),
                "committees": len(due["committees"]),
            }
            if not dry_run and any(counts.values()):
                today = fields.Date.context_today(self)
                self._itsm_anonymise_tickets(due["tickets"], messages, attachments, today)
                self._itsm_anonymise_timesheets(due["timesheets"], today)
                self._itsm_anonymise_committees(due["committees"], today)
                _logger.info(
                    "GDPR retention of %s (data older than %s): anonymised %s",
                    company.name,
                    cutoff,
                    ", ".join(f"{count} {kind}" for kind, count in counts.items()),
                )
            for kind, count in counts.items():
                totals[kind] += count
        return totals

    @api.model
    def _cron_itsm_retention(self):
        return self._itsm_anonymise()

    # ------------------------------------------------------------ by kind
    def _itsm_anonymise_tickets(self, tickets, messages, attachments, today):
        env = self.env(su=True)
        description = Markup("<p>%s</p>") % env._("Anonymised on %(date)s (GDPR retention).", date=today)
        for batch in self._itsm_batches(tickets):
            for ticket in batch.with_context(tracking_disable=True, mail_notrack=True):
                client = ticket.commercial_partner_id
                values = dict.fromkeys(TICKET_TEXT_FIELDS + TICKET_NOTE_FIELDS, False)
                values.update(
                    {
                        "name": env._("Ticket %(ticket)s (anonymised)", ticket=ticket.number or ticket.id),
                        "description": description,
                        "itsm_anonymised_date": today,
                    }
                )
                # The requester goes, the client company stays (the ledger and the statements need it).
                if ticket.partner_id and client and ticket.partner_id != client:
                    values["partner_id"] = client.id
                ticket.write(values)
            batch.flush_recordset()
            batch.invalidate_recordset()
        internal_authors = env["res.users"].with_context(active_test=False).search([("share", "=", False)]).partner_id
        for batch in self._itsm_batches(messages):
            scrubbed = env._("Message anonymised on %(date)s (GDPR retention).", date=today)
            from_client = batch.filtered(lambda m: m.author_id not in internal_authors)
            batch.write({"body": Markup("<p>%s</p>") % scrubbed, "email_from": False, "subject": False})
            from_client.write({"author_id": False})
            batch.tracking_value_ids.unlink()
            batch.invalidate_recordset()
        attachments.unlink()

    def _itsm_anonymise_timesheets(self, lines, today):
        env = self.env(su=True)
        label = env._("Intervention (anonymised)")
        for batch in self._itsm_batches(lines):
            # Only the description goes: the hours, dates and credit figures stay, and so do the moves' amounts.
            batch.with_context(itsm_statement_unlock=True).write({"name": label, "itsm_anonymised_date": today})
            moves = batch.itsm_credit_move_ids
            for move in moves:
                ref = move.timesheet_id.ticket_id.number
                move.with_context(itsm_ledger_post=True).name = f"{ref} - {label}" if ref else label
            for statement_line in env["itsm.statement.line"].search([("timesheet_id", "in", batch.ids)]):
                statement_line.write(
                    {
                        "description": label,
                        "ticket_name": env._("Ticket %(ticket)s (anonymised)", ticket=statement_line.ticket_ref or ""),
                    }
                )
            batch.invalidate_recordset()

    def _itsm_anonymise_committees(self, committees, today):
        for committee in committees.sudo():
            count = len(committee.attendee_ids)
            committee.write({"attendee_ids": [(5, 0, 0)], "anonymised_date": today})
            if count:
                committee.message_post(
                    body=self.env._(
                        "%(count)s attendee(s) removed from the committee on %(date)s (GDPR retention).",
                        count=count,
                        date=today,
                    ),
                    message_type="notification",
                )

    @staticmethod
    def _itsm_batches(records):
        for start in range(0, len(records), BATCH):
            yield records[start : start + BATCH]
