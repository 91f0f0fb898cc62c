from markupsafe import Markup

from odoo import api
from odoo import fields
from odoo import models

from ..access import checked
from ..models.helpdesk_ticket_team import DIGEST_REASONS

TEAMS_LIMIT = 100  # teams read by a user in none of them (an account manager)
DIGEST_SECTIONS = [
    ("breached", "SLA breached"),
    ("at_risk", "SLA at risk"),
    ("waiting", "Waiting for the client"),
    ("stale", "Not updated"),
    ("escalated", "Escalated to the team"),
]


class ItsmDigestLine(models.TransientModel):
    """One row of *To follow today*: the daily digest of the user's teams, computed when the view opens by the
    very code that builds the morning e-mail (``helpdesk.ticket.team._itsm_digest_data``)."""

    _name = "itsm.digest.line"
    _description = "Ticket to follow today"
    _order = "team_id, sequence, ticket_id"

    team_id = fields.Many2one("helpdesk.ticket.team", required=True, readonly=True, ondelete="cascade")
    ticket_id = fields.Many2one("helpdesk.ticket", required=True, readonly=True, ondelete="cascade")
    section = fields.Selection(
        DIGEST_SECTIONS, required=True, readonly=True, help="The digest's section: the ticket's first reason."
    )
    sequence = fields.Integer(readonly=True)
    reason_keys = fields.Char(readonly=True, help="All the reasons the ticket is listed for, comma-separated keys.")
    reasons = fields.Char(compute="_compute_reasons")
    client_id = fields.Many2one(
        "res.partner", readonly=True, help="The client company of the ticket (not the contact)."
    )
    user_id = fields.Many2one(related="ticket_id.user_id", string="Assigned to")
    itsm_sla_state = fields.Selection(related="ticket_id.itsm_sla_state")
    itsm_resolution_deadline = fields.Datetime(related="ticket_id.itsm_resolution_deadline")
    digest_date = fields.Date(string="Digest of", readonly=True)

    @api.depends("reason_keys")
    def _compute_reasons(self):
        labels = dict(self._fields["section"]._description_selection(self.env))
        for line in self:
            keys = (line.reason_keys or "").split(",")
            line.reasons = ", ".join(labels[key] for key in keys if key in labels)

    @api.model
    def _itsm_user_teams(self):
        """The teams whose digest the user reads: the ones the user is a member or the leader of; every team
        the user can read when in none (an account manager following the whole desk)."""
        Team = self.env["helpdesk.ticket.team"]
        uid = self.env.uid
        teams = Team.search(["|", ("user_ids", "in", uid), ("user_id", "=", uid)])
        return teams or Team.search([], limit=TEAMS_LIMIT)

    @api.model
    def _itsm_refresh(self, now=None):
        """Replace the user's rows by the digest of the user's teams at ``now``; returns the new rows."""
        now = now or fields.Datetime.now()
        self.search([("create_uid", "=", self.env.uid)]).unlink()
        teams = self._itsm_user_teams()
        data = teams._itsm_digest_data(now)
        values = []
        for team in teams.browse(list(data)):
            for reason, rows in team._itsm_digest_sections(data[team.id]):
                for row in rows:
                    values.append(
                        {
                            "team_id": team.id,
                            "ticket_id": row["ticket"].id,
                            "section": reason,
                            "sequence": DIGEST_REASONS.index(reason),
                            "reason_keys": ",".join(row["reasons"]),
                            "client_id": row["ticket"].partner_id.commercial_partner_id.id,
                            "digest_date": now.date(),
                        }
                    )
        return self.create(values)

    @api.model
    @checked()
    def action_itsm_follow_today(self):
        """*To follow today*: the digest of the user's teams, as of now."""
        self._itsm_refresh()
        action = self.env["ir.actions.act_window"]._for_xml_id("itsm_service_contract.action_itsm_digest_line")
        action["domain"] = [("create_uid", "=", self.env.uid)]
        return action

    @api.model
    @checked()
    def action_itsm_preview_digest(self):
        """The morning e-mail of the user's teams, rendered now in the user's language."""
        now = fields.Datetime.now()
        teams = self._itsm_user_teams()
        data = teams._itsm_digest_data(now)
        lang = self.env.user.lang or "en_US"
        previews = []
        for team in teams.browse(list(data)):
            subject, body = team._itsm_digest_render(team._itsm_digest_sections(data[team.id]), now.date(), lang)
            previews.append(Markup("<h3>%s</h3>%s") % (subject, Markup(body)))
        body = Markup("").join(previews) or Markup("<p>%s</p>") % self.env._("Nothing to follow up today.")
        preview = self.env["itsm.digest.preview"].create({"body_html": body})
        return {
            "type": "ir.actions.act_window",
            "name": self.env._("Preview of the daily digest"),
            "res_model": "itsm.digest.preview",
            "res_id": preview.id,
            "view_mode": "form",
            "target": "new",
        }
