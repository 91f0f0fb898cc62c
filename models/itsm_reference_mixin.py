from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError


class ItsmReferenceMixin(models.AbstractModel):
    """A read-only reference taken from the sequence whose code is the model's name (CT/2026/0001...)."""

    _name = "itsm.reference.mixin"
    _description = "Reference from a sequence"

    name = fields.Char(
        string="Reference",
        required=True,
        copy=False,
        readonly=True,
        default=lambda self: self.env._("New"),
        index="trigram",
    )

    @api.model_create_multi
    def create(self, vals_list):
        for vals in vals_list:
            if not vals.get("name") or vals["name"] == self.env._("New"):
                company = self.env["res.company"].browse(vals.get("company_id")) or self.env.company
                vals["name"] = self.env["ir.sequence"].with_company(company).next_by_code(self._name) or "/"
        return super().create(vals_list)

    def _get_report_base_filename(self):
        """File name of the PDFs downloaded from the portal: 'Time credit statement REL-2026-0001'."""
        self.ensure_one()
        kind = self.env["ir.model"]._get(self._name).name
        return f"{kind} {self.name}".replace("/", "-")

    def _itsm_check_period_order(self):
        """Refuse a period (``period_start`` / ``period_end``) that ends before it starts."""
        kind = self.env["ir.model"]._get(self._name).name
        for record in self:
            if record.period_end < record.period_start:
                label = f"{kind} {record.name}"
                raise ValidationError(
                    self.env._(
                        "%(record)s: the period ends on %(end)s, before it starts (%(start)s).",
                        record=label,
                        end=record.period_end,
                        start=record.period_start,
                    )
                )
