import logging

from dateutil.relativedelta import relativedelta
from markupsafe import Markup

from odoo import api
from odoo import fields
from odoo import models
from odoo.fields import Command
from odoo.osv import expression

_logger = logging.getLogger(__name__)

BATCH = 1000  # records anonymised per write
# Ticket fields holding the requester's personal data or free text.
TICKET_TEXT_FIELDS = ("partner_name", "partner_email", "itsm_requester_phone", "itsm_site", "itsm_equipment")
TICKET_NOTE_FIELDS = ("itsm_diagnosis", "itsm_actions", "notes")
KINDS = ("tickets", "messages", "attachments", "timesheets", "committees", "packages")


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
        limit = fields.Datetime.to_datetime(cutoff)
        tickets = (
            env["helpdesk.ticket"]
            .with_context(active_test=False)
            .search(
                expression.AND(
                    [
                        [
                            ("company_id", "=", company.id),
                            ("closed", "=", True),
                            ("itsm_anonymised_date", "=", False),
                        ],
                        # a ticket closed without a closing date (imported, stage edited) counts from its last move
                        expression.OR(
                            [
                                [("closed_date", "<", limit)],
                                [("closed_date", "=", False), ("last_stage_update", "<", limit)],
                            ]
                        ),
                    ]
                ),
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
            [("company_id", "=", company.id), ("date", "<", limit), ("anonymised_date", "=", False)], order="id"
        )
        messages = env["mail.message"].search(
            [("model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids)], order="id"
        )
        attachments = env["ir.attachment"].search(
            [("res_model", "=", "helpdesk.ticket"), ("res_id", "in", tickets.ids)], order="id"
        )
        # Reversibility packages of the contracts concerned still hold the data about to go: they are deleted
        # (the account manager builds a new one when needed).
        contracts = tickets.itsm_contract_id | timesheets.itsm_contract_id | committees.contract_id
        packages = env["itsm.reversibility.export"]._itsm_packages(contracts)
        return {
            "tickets": tickets,
            "messages": messages,
            "attachments": attachments,
            "timesheets": timesheets,
            "committees": committees,
            "packages": packages,
        }

    @api.model
    def _itsm_anonymise(self, companies=None, dry_run=False):
        """Anonymise what is due in ``companies`` (all of them by default); return the counts by kind.

        ``dry_run``: count only, write nothing (the wizard's preview).
        """
        totals = dict.fromkeys(KINDS, 0)
        for company in companies or self.env["res.company"].sudo().search([("id", "!=", False)]):
            cutoff = self._itsm_cutoff(company)
            due = self._itsm_candidates(company, cutoff)
            counts = {kind: len(due[kind]) for kind in KINDS}
            if not dry_run and any(counts.values()):
                today = fields.Date.context_today(self)
                internal = self._itsm_internal_partners()
                self._itsm_anonymise_tickets(due["tickets"], due["messages"], due["attachments"], internal, today)
                self._itsm_anonymise_timesheets(due["timesheets"], today)
                self._itsm_anonymise_committees(due["committees"], internal, today)
                due["packages"].unlink()
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
    def _itsm_internal_partners(self):
        """Partners of the provider's own users: their authorship and follow-ups are not the client's data."""
        return self.env["res.users"].sudo().with_context(active_test=False).search([("share", "=", False)]).partner_id

    def _itsm_anonymise_tickets(self, tickets, messages, attachments, internal, today):
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
            self._itsm_remove_followers(batch, internal)
            # the statements froze the ticket's subject
            statement_lines = env["itsm.statement.line"].search([("timesheet_id.ticket_id", "in", batch.ids)])
            for line in statement_lines:
                line.ticket_name = env._("Ticket %(ticket)s (anonymised)", ticket=line.ticket_ref or "")
            batch.flush_recordset()
            batch.invalidate_recordset()
        scrubbed = Markup("<p>%s</p>") % env._("Message anonymised on %(date)s (GDPR retention).", date=today)
        self._itsm_scrub_messages(messages, internal, scrubbed, all_bodies=True)
        attachments.unlink()

    def _itsm_scrub_messages(self, messages, internal, scrubbed, all_bodies):
        """Remove the client's people from ``messages``: bodies (all, or the client's), senders, recipients."""
        env = self.env(su=True)
        for batch in self._itsm_batches(messages):
            from_client = batch.filtered(lambda m: m.author_id not in internal)
            to_scrub = batch if all_bodies else from_client
            to_scrub.write({"body": scrubbed, "subject": False})
            # record_name keeps the ticket's subject of the day; email_from the sender's address
            batch.write({"email_from": False, "record_name": False, "reply_to": False})
            from_client.write({"author_id": False})
            for message in batch.filtered(lambda m: m.partner_ids - internal):
                message.partner_ids = [Command.unlink(partner.id) for partner in message.partner_ids - internal]
            env["mail.notification"].search(
                [("mail_message_id", "in", batch.ids), ("res_partner_id", "not in", internal.ids)]
            ).unlink()
            env["mail.mail"].search([("mail_message_id", "in", to_scrub.ids)]).unlink()
            to_scrub.tracking_value_ids.unlink()
            batch.invalidate_recordset()

    def _itsm_remove_followers(self, records, internal):
        self.env["mail.followers"].sudo().search(
            [("res_model", "=", records._name), ("res_id", "in", records.ids), ("partner_id", "not in", internal.ids)]
        ).unlink()

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

    def _itsm_anonymise_committees(self, committees, internal, today):
        """Attendees, client-side action owners, meeting guests and recipients go; the minutes (decisions) stay."""
        env = self.env(su=True)
        committees = committees.with_env(env)
        scrubbed = Markup("<p>%s</p>") % env._("Message anonymised on %(date)s (GDPR retention).", date=today)
        for committee in committees:
            count = len(committee.attendee_ids)
            committee.with_context(tracking_disable=True).write(
                {"attendee_ids": [Command.clear()], "anonymised_date": today}
            )
            client = committee.partner_id.commercial_partner_id
            for action in committee.action_ids.filtered(
                lambda a, client=client: a.owner_partner_id and a.owner_partner_id != client
            ):
                action.with_context(tracking_disable=True).owner_partner_id = client
            event = committee.calendar_event_id
            guests = event.partner_ids - internal
            if guests:
                event.with_context(no_mail_to_attendees=True, dont_notify=True).partner_ids = [
                    Command.unlink(partner.id) for partner in guests
                ]
            self._itsm_remove_followers(committee, internal)
            self._itsm_scrub_messages(committee.message_ids, internal, scrubbed, all_bodies=False)
            if count:
                committee.message_post(
                    body=env._(
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
