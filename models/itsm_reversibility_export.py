import csv
import io
import json
import os
import re
import tempfile
import zipfile

from odoo import api
from odoo import fields
from odoo import models
from odoo.tools import html2plaintext

BATCH = 500  # tickets read per round: the ORM cache is emptied between rounds, memory stays flat
PACKAGE_MARK = "-reversibility-"
# the name given to a package by the contract button: previous packages are not put in the next one
PACKAGE_NAME = re.compile(rf"{PACKAGE_MARK}\d{{8}}\.zip$")

CONTRACT_COLUMNS = [
    "name", "title", "partner_id", "contract_type", "state", "company_id", "user_id", "date_start",
    "last_credit_date", "date_end", "grace_end", "credit_hours", "consumed_hours", "expired_hours",
    "adjusted_hours", "balance_hours", "overdraft_policy", "remote_rounding_minutes", "onsite_day_hours",
    "onsite_half_day_hours", "urgent_delay_hours", "urgent_surcharge", "nho_surcharge", "surcharge_combination",
    "calendar_id", "sla_matrix_id",
]  # fmt: skip
LEDGER_COLUMNS = [
    "date", "move_type", "hours", "name", "reason", "sale_order_id", "timesheet_id", "reversed_move_id", "user_id",
]  # fmt: skip
TICKET_COLUMNS = [
    "number", "name", "partner_id", "itsm_kind", "priority", "category_id", "team_id", "user_id", "stage_id",
    "itsm_request_date", "closed_date", "itsm_sla_rule_id", "itsm_response_deadline", "itsm_first_response_date",
    "itsm_response_breached", "itsm_resolution_deadline", "itsm_resolution_breached", "itsm_sla_state",
    "itsm_site", "itsm_equipment", "itsm_equipment_id", "itsm_diagnosis", "itsm_actions", "total_hours",
]  # fmt: skip
TIMESHEET_COLUMNS = [
    "date", "ticket_id", "employee_id", "name", "date_time", "date_time_end", "itsm_mode", "itsm_onsite_span",
    "itsm_is_project", "itsm_is_urgent", "unit_amount", "itsm_counted_hours", "itsm_nho_hours",
    "itsm_credit_hours", "itsm_surcharge_detail",
]  # fmt: skip
README_COUNTS = ("tickets", "messages", "timesheets", "moves", "statements", "committees", "documents")
MESSAGE_COLUMNS = ["date", "author_id", "email_from", "subject", "message_type", "body"]


def _plain(value):
    """A value read by the ORM as it goes in a CSV cell or a JSON document."""
    if isinstance(value, tuple) and len(value) == 2:  # many2one: (id, display name)
        return value[1]
    if value is False or value is None:
        return ""
    if isinstance(value, (list, tuple)):
        return list(value)
    return value


def _safe_name(name):
    return re.sub(r"[^\w.\-]+", "_", name or "document").strip("_") or "document"


class ItsmReversibilityExport(models.AbstractModel):
    """The reversibility package of a contract (seed 004): everything the client needs to take the service back.

    Written straight to a ZIP on disk, tickets read by batches: a contract with tens of thousands of tickets
    does not grow the worker's memory.
    """

    _name = "itsm.reversibility.export"
    _description = "Reversibility package of a contract"

    @api.model
    def _itsm_build(self, contract, directory=None):
        """Write the package of ``contract`` to a ZIP file; return (path, counts)."""
        contract.ensure_one()
        contract.check_access("read")
        env = self.env(su=True)
        contract = contract.with_env(env)
        handle, path = tempfile.mkstemp(prefix="itsm-reversibility-", suffix=".zip", dir=directory)
        os.close(handle)
        counts = {}
        members = []
        with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as archive:

            def add_csv(name, header, rows):
                with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
                    writer = csv.writer(text)
                    writer.writerow(header)
                    count = 0
                    for row in rows:
                        writer.writerow(row)
                        count += 1
                members.append(name)
                return count

            # the contract and its ledger
            add_csv("contract/contract.csv", CONTRACT_COLUMNS, [self._itsm_row(contract, CONTRACT_COLUMNS)])
            moves = env["itsm.credit.move"].search([("contract_id", "=", contract.id)], order="date, id")
            counts["moves"] = add_csv(
                "contract/ledger.csv",
                [*LEDGER_COLUMNS, "ticket", "balance_after"],
                self._itsm_ledger_rows(moves),
            )
            # tickets with their messages and timesheets, by batches
            ticket_ids = (
                env["helpdesk.ticket"]
                .with_context(active_test=False)
                .search([("itsm_contract_id", "=", contract.id)], order="id")
                .ids
            )
            counts.update(self._itsm_write_tickets(archive, members, ticket_ids))
            # statements and committee minutes
            counts["statements"] = self._itsm_write_reports(
                archive,
                members,
                "statements",
                env["itsm.statement"].search([("contract_id", "=", contract.id), ("state", "=", "issued")]),
                "itsm_service_contract.action_report_itsm_statement",
            )
            counts["committees"] = self._itsm_write_reports(
                archive,
                members,
                "committees",
                env["itsm.committee"].search([("contract_id", "=", contract.id), ("state", "in", ("held", "sent"))]),
                "itsm_service_contract.action_report_itsm_committee",
            )
            counts["mco_reports"] = self._itsm_write_reports(
                archive,
                members,
                "mco_reports",
                env["itsm.mco.report"].search([("contract_id", "=", contract.id), ("state", "in", ("done", "sent"))]),
                "itsm_service_contract.action_report_itsm_mco",
            )
            # procedures and escalation instructions attached to the contract
            packages = self._itsm_packages(contract)
            documents = env["ir.attachment"].search(
                [
                    ("res_model", "=", "itsm.contract"),
                    ("res_id", "=", contract.id),
                    ("res_field", "=", False),
                    ("id", "not in", packages.ids),
                ],
                order="id",
            )
            for document in documents:
                name = f"documents/{document.id}-{_safe_name(document.name)}"
                if document.type == "url":
                    name += ".url.txt"
                archive.writestr(name, document.url.encode() if document.type == "url" else document.raw or b"")
                members.append(name)
            counts["documents"] = len(documents)
            archive.writestr("README.txt", self._itsm_readme(contract, counts, members))
        return path, counts

    # ------------------------------------------------------------ parts
    def _itsm_row(self, record, columns):
        values = record.read(columns)[0]
        return [_plain(values[column]) for column in columns]

    @api.model
    def _itsm_packages(self, contracts):
        """The packages built by the contract button for ``contracts`` (recognised by their exact file name).

        They are left out of the next package and deleted by the GDPR retention with the data they hold.
        """
        return (
            self.env["ir.attachment"]
            .sudo()
            .search(
                [
                    ("res_model", "=", "itsm.contract"),
                    ("res_id", "in", contracts.ids),
                    ("res_field", "=", False),
                    ("name", "like", PACKAGE_MARK),
                ],
                order="id",
            )
            .filtered(lambda attachment: PACKAGE_NAME.search(attachment.name or ""))
        )

    def _itsm_batch_size(self):
        return self.env.context.get("itsm_reversibility_batch") or BATCH

    def _itsm_ledger_rows(self, moves):
        """Ledger rows with the number of the ticket an intervention was logged on and the running balance."""
        env = self.env(su=True)
        balance = 0.0
        ids = moves.ids
        size = self._itsm_batch_size()
        for start in range(0, len(ids), size):
            # a fresh browse: the batch prefetches its own records only, not the whole ledger
            batch = moves.browse(ids[start : start + size])
            rows = batch.read(LEDGER_COLUMNS)
            line_ids = {row["timesheet_id"][0] for row in rows if row["timesheet_id"]}
            lines = env["account.analytic.line"].search_read([("id", "in", list(line_ids))], ["ticket_id"])
            ticket_ids = {line["ticket_id"][0] for line in lines if line["ticket_id"]}
            numbers = {
                ticket["id"]: ticket["number"]
                for ticket in env["helpdesk.ticket"]
                .with_context(active_test=False)
                .search_read([("id", "in", list(ticket_ids))], ["number"])
            }
            ticket_of_line = {line["id"]: numbers.get(line["ticket_id"] and line["ticket_id"][0], "") for line in lines}
            for values in rows:
                balance = round(balance + values["hours"], 2)
                ticket = ticket_of_line.get(values["timesheet_id"] and values["timesheet_id"][0], "")
                yield [_plain(values[column]) for column in LEDGER_COLUMNS] + [ticket or "", balance]
            self.env.invalidate_all()

    def _itsm_write_tickets(self, archive, members, ticket_ids):
        env = self.env(su=True)
        Ticket = env["helpdesk.ticket"].with_context(active_test=False)
        counts = {"tickets": 0, "messages": 0, "timesheets": 0}
        # zipfile writes one member at a time: tickets.csv goes straight in, the JSON lines and the timesheets
        # are spooled to temporary files and copied in afterwards.
        with (
            tempfile.TemporaryFile("w+", encoding="utf-8") as jsonl,
            tempfile.TemporaryFile("w+", encoding="utf-8", newline="") as timesheets_spool,
        ):
            timesheets_csv = csv.writer(timesheets_spool)
            timesheets_csv.writerow(TIMESHEET_COLUMNS)
            with (
                archive.open("tickets/tickets.csv", "w") as tickets_raw,
                io.TextIOWrapper(tickets_raw, encoding="utf-8", newline="") as tickets_text,
            ):
                tickets_csv = csv.writer(tickets_text)
                tickets_csv.writerow(TICKET_COLUMNS)
                size = self._itsm_batch_size()
                for start in range(0, len(ticket_ids), size):
                    batch_ids = ticket_ids[start : start + size]
                    batch_counts = self._itsm_write_ticket_batch(
                        Ticket.browse(batch_ids), tickets_csv, jsonl, timesheets_csv
                    )
                    for key, value in batch_counts.items():
                        counts[key] += value
                    env.invalidate_all()
            members.append("tickets/tickets.csv")
            for name, spool in (("tickets/tickets.jsonl", jsonl), ("timesheets/timesheets.csv", timesheets_spool)):
                spool.seek(0)
                with archive.open(name, "w") as raw, io.TextIOWrapper(raw, encoding="utf-8", newline="") as text:
                    for chunk in iter(lambda spool=spool: spool.read(1 << 20), ""):
                        text.write(chunk)
                members.append(name)
        return counts

    def _itsm_write_ticket_batch(self, tickets, tickets_csv, jsonl, timesheets_csv):
        env = self.env(su=True)
        batch_ids = tickets.ids
        ticket_rows = tickets.read(TICKET_COLUMNS)
        messages = env["mail.message"].search_read(
            [("model", "=", "helpdesk.ticket"), ("res_id", "in", batch_ids)],
            ["res_id", *MESSAGE_COLUMNS],
            order="date, id",
        )
        lines = env["account.analytic.line"].search_read(
            [("ticket_id", "in", batch_ids)], TIMESHEET_COLUMNS, order="date, id"
        )
        by_ticket = {ticket_id: {"messages": [], "timesheets": []} for ticket_id in batch_ids}
        for message in messages:
            message["body"] = html2plaintext(message["body"] or "")
            by_ticket[message["res_id"]]["messages"].append(
                {column: _plain(message[column]) for column in MESSAGE_COLUMNS}
            )
        for line in lines:
            row = [_plain(line[column]) for column in TIMESHEET_COLUMNS]
            timesheets_csv.writerow(row)
            by_ticket[line["ticket_id"][0]]["timesheets"].append(dict(zip(TIMESHEET_COLUMNS, row, strict=True)))
        for ticket in ticket_rows:
            tickets_csv.writerow([_plain(ticket[column]) for column in TICKET_COLUMNS])
            document = {column: _plain(ticket[column]) for column in TICKET_COLUMNS}
            document.update(by_ticket[ticket["id"]])
            jsonl.write(json.dumps(document, default=str, ensure_ascii=False) + "\n")
        return {"tickets": len(ticket_rows), "messages": len(messages), "timesheets": len(lines)}

    def _itsm_write_reports(self, archive, members, folder, records, report_ref):
        if self.env.context.get("itsm_reversibility_no_pdf"):
            return 0
        Report = self.env["ir.actions.report"].sudo()
        for record in records:
            content, kind = Report._render_qweb_pdf(report_ref, record.ids)
            # Odoo renders HTML instead of PDF when running its tests without forcing it
            name = f"{folder}/{_safe_name(record.name)}.{'pdf' if kind == 'pdf' else 'html'}"
            archive.writestr(name, content)
            members.append(name)
        return len(records)

    def _itsm_readme(self, contract, counts, members):
        lines = [
            self.env._("Reversibility package of contract %(contract)s", contract=contract.name),
            self.env._("Client: %(client)s", client=contract.partner_id.display_name),
            self.env._("Provider: %(company)s", company=contract.company_id.name),
            self.env._("Generated on %(date)s (UTC)", date=fields.Datetime.now()),
            self.env._("Dates and times in the files are in UTC; hours are decimal hours."),
            "",
            self.env._(
                "%(tickets)s tickets, %(messages)s messages, %(timesheets)s interventions, %(moves)s ledger moves, "
                "%(statements)s statements, %(committees)s committee minutes, %(documents)s documents.",
                **{key: counts.get(key, 0) for key in README_COUNTS},
            ),
            "",
            self.env._("Contents:"),
            self.env._("  contract/contract.csv      the contract: terms, dates, credit figures"),
            self.env._(
                "  contract/ledger.csv        every move of the credit ledger, with the ticket of the intervention "
                "and the balance after it"
            ),
            self.env._("  tickets/tickets.csv        one row per ticket: classification, service levels, time spent"),
            self.env._("  tickets/tickets.jsonl      one JSON document per ticket with its messages and interventions"),
            self.env._("  timesheets/timesheets.csv  every intervention and how it was counted"),
            self.env._("  statements/                the issued monthly credit statements (PDF)"),
            self.env._("  committees/                the minutes of the steering committees held (PDF)"),
            self.env._(
                "  mco_reports/               the MCO reports done (PDF): %(count)s", count=counts.get("mco_reports", 0)
            ),
            self.env._("  documents/                 procedures and escalation instructions attached to the contract"),
            "",
            self.env._("Files:"),
            *(f"  {member}" for member in [*members, "README.txt"]),
            "",
        ]
        return "\n".join(lines)
