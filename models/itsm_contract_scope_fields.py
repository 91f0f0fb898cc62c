from odoo import Command
from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import UserError
from odoo.exceptions import ValidationError

from ..access import checked

# Seed 001, contract 1: what the first-level desk resolves, what it routes to level 2.
SEED_CONTRACT_1_N1 = ("workstation", "office_std", "internet", "printers")
SEED_CONTRACT_1_ROUTED = ("servers", "network", "business_apps", "office_other")


class ItsmContract(models.Model):
    _inherit = "itsm.contract"

    scope_ids = fields.One2many("itsm.contract.scope", "contract_id", string="Service scope", copy=True)
    n1_team_id = fields.Many2one(
        "helpdesk.ticket.team",
        string="First-level desk",
        tracking=True,
        help="Single point of entry: every ticket of the contract lands here unless its domain is routed.",
    )
    n2_team_id = fields.Many2one(
        "helpdesk.ticket.team", string="Level 2 team", tracking=True, help="Where unresolved tickets are escalated."
    )
    n3_team_id = fields.Many2one(
        "helpdesk.ticket.team", string="Level 3 team", tracking=True, help="The last level of the escalation path."
    )
    out_of_scope_policy = fields.Selection(
        [
            ("time_material", "Accept, billed by time"),
            ("refuse", "Refuse"),
        ],
        string="Out of scope",
        default="time_material",
        required=True,
        tracking=True,
        help="A ticket in a domain the contract does not cover. Accept: kept without SLA, its interventions are "
        "billed by time on the activity sheet and never drawn from the credit. Refuse: it cannot be created.",
    )
    escalation_threshold_pct = fields.Integer(
        string="Escalation threshold (%)",
        default=50,
        tracking=True,
        help="Share of the resolution target after which an unresolved ticket is escalated automatically.",
    )

    @api.constrains("escalation_threshold_pct")
    def _check_escalation_threshold_pct(self):
        for contract in self:
            if not 1 <= contract.escalation_threshold_pct <= 100:
                raise ValidationError(
                    self.env._(
                        "Contract %(contract)s: the escalation threshold must lie between 1 and 100 %% (got %(pct)s).",
                        contract=contract.name,
                        pct=contract.escalation_threshold_pct,
                    )
                )

    @checked("write")
    def action_itsm_scope_from_seed(self):
        """Fill the scope with seed 001's contract 1: the desk resolves workstations, standard office
        applications, Internet access and printers; servers, network, business and non-standard office
        applications are routed to the level 2 team. Lines already there are kept as they are."""
        Domain = self.env["itsm.service.domain"].with_context(active_test=False)
        codes = SEED_CONTRACT_1_N1 + SEED_CONTRACT_1_ROUTED
        domains = {domain.code: domain for domain in Domain.search([("code", "in", codes)])}
        for contract in self:
            if not contract.n2_team_id:
                raise UserError(
                    self.env._(
                        "Contract %(contract)s: set the level 2 team first, the routed domains go to it.",
                        contract=contract.name,
                    )
                )
            present = set(contract.scope_ids.domain_id.mapped("code"))
            commands = []
            for code in codes:
                if code in present or code not in domains:
                    continue
                values = {"domain_id": domains[code].id, "coverage": "n1"}
                if code in SEED_CONTRACT_1_ROUTED:
                    values.update(coverage="routed", team_id=contract.n2_team_id.id, level="2")
                commands.append(Command.create(values))
            if commands:
                contract.write({"scope_ids": commands})
        return True

    def _itsm_scope_map(self):
        """{contract id: {domain id: scope line}} for these contracts, read in one query."""
        result = {contract.id: {} for contract in self}
        if not self.ids:
            return result
        lines = (
            self.env["itsm.contract.scope"]
            .sudo()
            .search_fetch(
                [("contract_id", "in", self.ids)], ["contract_id", "domain_id", "coverage", "team_id", "level"]
            )
        )
        for line in lines:
            result[line.contract_id.id][line.domain_id.id] = line
        return result
