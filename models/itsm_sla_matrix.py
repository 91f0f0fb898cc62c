from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError


class ItsmSlaMatrix(models.Model):
    """Service levels of a contract: response and resolution times by kind and priority (seed 003)."""

    _name = "itsm.sla.matrix"
    _description = "SLA priority matrix"
    _order = "sequence, id"
    _check_company_auto = True

    name = fields.Char(required=True, translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", default=lambda self: self.env.company, index=True)
    calendar_id = fields.Many2one(
        "resource.calendar",
        string="Working calendar",
        default=lambda self: self.env.company.resource_calendar_id,
        help="Business hours of the service; its global leaves are the public holidays.",
    )
    at_risk_percent = fields.Float(
        string="At risk at (%)",
        default=75.0,
        help="A ticket is at risk once this share of the time allowed to answer or resolve it has elapsed.",
    )
    rule_ids = fields.One2many("itsm.sla.rule", "matrix_id", string="Rules", copy=True)
    contract_count = fields.Integer(compute="_compute_contract_count", string="Contracts")

    @api.constrains("at_risk_percent")
    def _check_at_risk_percent(self):
        for matrix in self:
            if not 0 < matrix.at_risk_percent < 100:
                raise ValidationError(
                    self.env._(
                        "SLA matrix %(name)s: the at-risk threshold must lie between 0 and 100 %% (got %(pct)s).",
                        name=matrix.name,
                        pct=matrix.at_risk_percent,
                    )
                )

    def _compute_contract_count(self):
        counts = dict(
            self.env["itsm.contract"]._read_group([("sla_matrix_id", "in", self.ids)], ["sla_matrix_id"], ["__count"])
        )
        for matrix in self:
            matrix.contract_count = counts.get(matrix, 0)

    @api.model
    def _default_matrix(self, company):
        """The matrix of tickets whose contract names none: the company's first one."""
        return self.search(["|", ("company_id", "=", False), ("company_id", "=", company.id)], limit=1)

    def _rule_for(self, kind, priority):
        self.ensure_one()
        return self.rule_ids.filtered(lambda r: r.ticket_kind == kind and r.priority == priority)[:1]
