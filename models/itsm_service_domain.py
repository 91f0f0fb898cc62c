from odoo import fields
from odoo import models


class ItsmServiceDomain(models.Model):
    """A support domain a contract resolves, routes or leaves out (seed 001)."""

    _name = "itsm.service.domain"
    _description = "Support domain"
    _order = "sequence, id"

    name = fields.Char(required=True, translate=True)
    code = fields.Char(required=True, help="Stable technical key of the domain, e.g. 'servers'.")
    description = fields.Text(translate=True)
    sequence = fields.Integer(default=10)
    active = fields.Boolean(default=True)

    _sql_constraints = [
        ("code_unique", "unique(code)", "Two support domains cannot share the same code."),
    ]
