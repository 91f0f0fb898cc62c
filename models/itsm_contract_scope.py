from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError

COVERAGES = [
    ("n1", "Resolved by the first-level desk"),
    ("routed", "Routed"),
    ("excluded", "Not covered"),
]
SUPPORT_LEVELS = [("1", "Level 1"), ("2", "Level 2"), ("3", "Level 3")]


class ItsmContractScope(models.Model):
    """One support domain of a contract: resolved by the N1 desk, routed to a team, or outside the contract."""

    _name = "itsm.contract.scope"
    _description = "Service scope line of a contract"
    _order = "contract_id, sequence, id"

    contract_id = fields.Many2one("itsm.contract", required=True, ondelete="cascade", index=True)
    company_id = fields.Many2one(related="contract_id.company_id", store=True)
    domain_id = fields.Many2one("itsm.service.domain", required=True, ondelete="restrict")
    sequence = fields.Integer(related="domain_id.sequence", store=True)
    coverage = fields.Selection(
        COVERAGES,
        required=True,
        default="n1",
        help="Resolved: the contract's first-level desk handles it. Routed: sent to the team below at the level "
        "below. Not covered: outside the contract (accepted in time and material, or refused, as the contract "
        "says).",
    )
    team_id = fields.Many2one("helpdesk.ticket.team", help="The team a routed request goes to.")
    level = fields.Selection(
        SUPPORT_LEVELS,
        compute="_compute_level",
        store=True,
        readonly=False,
        precompute=True,
        help="Support level of a routed request (the first-level desk is level 1).",
    )

    _sql_constraints = [
        (
            "contract_domain_unique",
            "unique(contract_id, domain_id)",
            "A contract has one scope line per support domain.",
        ),
    ]

    @api.depends("coverage")
    def _compute_level(self):
        for line in self:
            if line.coverage == "routed":
                if not line.level or line.level == "1":
                    line.level = "2"
            else:
                line.level = "1" if line.coverage == "n1" else False

    @api.constrains("coverage", "team_id", "level")
    def _check_routing(self):
        for line in self.filtered(lambda scope: scope.coverage == "routed"):
            if not line.team_id:
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s: the domain %(domain)s is routed, choose the team it is routed to.",
                        contract=line.contract_id.name,
                        domain=line.domain_id.name,
                    )
                )
            if line.level not in ("2", "3"):
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s: the domain %(domain)s cannot be routed at level 1, the first-level "
                        "desk resolves it: choose 'Resolved by the first-level desk' or level 2 or 3.",
                        contract=line.contract_id.name,
                        domain=line.domain_id.name,
                    )
                )
