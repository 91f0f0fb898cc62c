from markupsafe import Markup
from markupsafe import escape

from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError
from odoo.tools import html2plaintext

from ..access import checked
from .itsm_problem import OPEN_STATES

SUGGESTIONS = 5


class HelpdeskTicket(models.Model):
    _inherit = "helpdesk.ticket"

    itsm_kb_suggestion_ids = fields.Many2many(
        "document.page",
        string="Suggested scenarios",
        compute="_compute_itsm_kb_suggestion_ids",
        help="The five resolution scenarios closest to the subject and description (full-text search).",
        groups="base.group_user",
    )
    # The desk's own: a many2one is read with the article's title as superuser, and the article applied may be
    # an internal one the client must not learn of (not even its title).
    itsm_kb_applied_id = fields.Many2one(
        "document.page",
        string="Scenario applied",
        readonly=True,
        copy=False,
        tracking=True,
        index="btree_not_null",
        groups="base.group_user",
    )
    itsm_problem_id = fields.Many2one(
        "itsm.problem",
        string="Problem",
        copy=False,
        tracking=True,
        index="btree_not_null",
        ondelete="set null",
        domain="[('partner_id', '=', commercial_partner_id)]",
        help="The problem of the ticket's client this incident is one of.",
    )
    itsm_problem_state = fields.Selection(related="itsm_problem_id.state", string="Problem state")
    itsm_problem_workaround = fields.Text(related="itsm_problem_id.workaround", string="Workaround")

    @api.constrains("itsm_problem_id", "partner_id")
    def _check_itsm_problem_client(self):
        """A ticket is linked to a problem of its own client only (its workaround shows on the ticket)."""
        for ticket in self.filtered("itsm_problem_id"):
            client = ticket.partner_id.commercial_partner_id
            problem = ticket.sudo().itsm_problem_id
            if problem.partner_id != client:
                raise ValidationError(
                    self.env._(
                        "Ticket %(ticket)s: the problem %(problem)s belongs to %(owner)s, not to the ticket's "
                        "client %(client)s.",
                        ticket=ticket.display_name,
                        problem=problem.name,
                        owner=problem.partner_id.display_name or "-",
                        client=client.display_name or "-",
                    )
                )

    def _itsm_kb_text(self):
        self.ensure_one()
        return f"{self.name or ''} {html2plaintext(self.description or '')}"[:1000]

    @api.depends("name", "description", "category_id", "itsm_domain_id")
    def _compute_itsm_kb_suggestion_ids(self):
        pages = self.env["document.page"]
        for ticket in self:
            ids = pages._itsm_kb_search(
                ticket._itsm_kb_text(),
                limit=SUGGESTIONS,
                category_id=ticket.category_id.id,
                domain_id=ticket.itsm_domain_id.id,
                company_id=ticket.company_id.id,
            )
            ticket.itsm_kb_suggestion_ids = [fields.Command.set(ids)]

    @checked("write")
    def action_itsm_kb_apply(self, page_id=None):
        """Apply a scenario: remember it, count one more use, post its link in the chatter."""
        self.ensure_one()
        page = self.env["document.page"].browse(int(page_id or 0)).exists()
        if not page or not page.itsm_is_scenario:
            raise UserError(self.env._("Ticket %(ticket)s: choose a resolution scenario to apply.", ticket=self.name))
        page.check_access("read")
        self.itsm_kb_applied_id = page
        page.sudo()._itsm_increment_use()
        link = Markup('<a href="/odoo/action-document_page.action_page/%s">%s</a>') % (page.id, page.name)
        self.message_post(
            body=Markup("%s %s") % (escape(self.env._("Resolution scenario applied:")), link),
            subtype_xmlid="mail.mt_note",
        )
        return True

    @checked("write")
    def action_itsm_write_scenario(self):
        """A draft scenario pre-filled from the assistance form of this closed ticket, opened in its form."""
        self.ensure_one()
        if not self.stage_id.closed:
            raise UserError(
                self.env._(
                    "Ticket %(ticket)s is still open: write its scenario once it is solved and closed.",
                    ticket=self.name,
                )
            )
        body = Markup("<h2>%s</h2><p>%s</p><h2>%s</h2><p>%s</p>") % (
            self.env._("Diagnosis"),
            Markup("<br/>").join((self.itsm_diagnosis or "").splitlines()),
            self.env._("Actions taken"),
            Markup("<br/>").join((self.itsm_actions or "").splitlines()),
        )
        page = self.env["document.page"].create(
            {
                "name": self.name,
                "type": "content",
                "parent_id": self.env.ref(
                    "itsm_service_contract.document_page_category_scenarios", raise_if_not_found=False
                ).id,
                "draft_name": "1.0",
                "draft_summary": self.env._("Written from ticket %(ticket)s", ticket=self.number or self.name),
                "itsm_is_scenario": True,
                "itsm_portal_published": False,
                "itsm_symptoms": html2plaintext(self.description or "").strip(),
                "content": body,
                "itsm_category_ids": [fields.Command.set(self.category_id.ids)],
                "itsm_domain_ids": [fields.Command.set(self.itsm_domain_id.ids)],
                "itsm_source_ticket_id": self.id,
                "company_id": self.company_id.id,
            }
        )
        return {
            "type": "ir.actions.act_window",
            "res_model": "document.page",
            "res_id": page.id,
            "view_mode": "form",
            "views": [(False, "form")],
            "target": "current",
        }

    # ------------------------------------------------------------ problems
    def _itsm_link_open_problems(self):
        """Link new incidents to the open problem of their client and category, if any (one query)."""
        incidents = self.filtered(
            lambda t: t.itsm_kind == "incident" and t.category_id and t.commercial_partner_id and not t.itsm_problem_id
        )
        if not incidents:
            return
        problems = (
            self.env["itsm.problem"]
            .sudo()
            .search(
                [
                    ("state", "in", OPEN_STATES),
                    ("partner_id", "in", incidents.commercial_partner_id.ids),
                    ("category_id", "in", incidents.category_id.ids),
                ],
                order="id",
            )
        )
        by_key = {}
        for problem in problems:
            by_key.setdefault((problem.company_id.id, problem.partner_id.id, problem.category_id.id), problem)
        for ticket in incidents:
            problem = by_key.get((ticket.company_id.id, ticket.commercial_partner_id.id, ticket.category_id.id))
            if problem:
                ticket.sudo().itsm_problem_id = problem

    @api.model_create_multi
    def create(self, vals_list):
        tickets = super().create(vals_list)
        tickets._itsm_link_open_problems()
        return tickets
