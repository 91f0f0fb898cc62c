from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

from ..access import checked


class ItsmCommitteeAction(models.Model):
    _name = "itsm.committee.action"
    _description = "Steering committee action"
    _inherit = ["mail.thread"]
    _order = "state, due_date, id"
    _check_company_auto = True

    committee_id = fields.Many2one("itsm.committee", required=True, index=True, ondelete="cascade", check_company=True)
    company_id = fields.Many2one(related="committee_id.company_id", store=True, index=True, string="Company")
    contract_id = fields.Many2one(related="committee_id.contract_id", store=True, index=True, string="Contract")
    partner_id = fields.Many2one(related="committee_id.partner_id", store=True, string="Client")
    name = fields.Char(string="Action", required=True, tracking=True)
    owner_partner_id = fields.Many2one(
        "res.partner", string="Owner (client side)", tracking=True, help="Person of the client in charge of the action."
    )
    owner_user_id = fields.Many2one(
        "res.users", string="Owner (provider side)", tracking=True, help="Consultant or technician in charge."
    )
    due_date = fields.Date(string="Due", tracking=True)
    state = fields.Selection(
        [("open", "Open"), ("done", "Done"), ("dropped", "Dropped")],
        default="open",
        required=True,
        tracking=True,
    )
    is_evolution = fields.Boolean(
        string="Evolution request",
        help="A change of scope or service proposed by the steering committee, "
        "approved or rejected by the client's IT head at the annual review.",
    )
    decision = fields.Selection(
        [("pending", "Pending"), ("approved", "Approved"), ("rejected", "Rejected")],
        default="pending",
        tracking=True,
        help="Decision of the annual review on an evolution request.",
    )
    note = fields.Text(string="Comment")

    @api.constrains("name", "owner_partner_id", "owner_user_id")  # name: always written, so create checks it
    def _check_owner(self):
        for action in self:
            if not action.owner_partner_id and not action.owner_user_id:
                raise ValidationError(
                    self.env._(
                        "Action '%(action)s' of committee %(committee)s has no owner: "
                        "name a person of the client or of your team.",
                        action=action.name,
                        committee=action.committee_id.display_name,
                    )
                )

    def _compute_display_name(self):
        for action in self:
            action.display_name = f"{action.committee_id.name} - {action.name}" if action.committee_id else action.name

    @checked("write")
    def action_done(self):
        self.write({"state": "done"})

    @checked("write")
    def action_drop(self):
        self.write({"state": "dropped"})

    @checked("write")
    def action_reopen(self):
        self.write({"state": "open"})
