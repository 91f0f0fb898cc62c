from odoo import api
from odoo import fields
from odoo import models
from odoo.exceptions import ValidationError


class ItsmMcoTemplate(models.Model):
    """The checks of an MCO report ("Maintien en Conditions Opérationnelles", seed 004)."""

    _name = "itsm.mco.template"
    _description = "MCO report template"
    _order = "name, id"

    name = fields.Char(required=True, translate=True)
    active = fields.Boolean(default=True)
    company_id = fields.Many2one("res.company", help="Empty: shared by every company.")
    check_ids = fields.One2many("itsm.mco.template.check", "template_id", string="Checks", copy=True)
    note = fields.Text(translate=True)


class ItsmMcoTemplateCheck(models.Model):
    """One point checked by hand on the client's infrastructure, on each matching machine."""

    _name = "itsm.mco.template.check"
    _description = "MCO check"
    _order = "template_id, sequence, id"

    template_id = fields.Many2one("itsm.mco.template", required=True, ondelete="cascade", index=True)
    sequence = fields.Integer(default=10)
    name = fields.Char(required=True, translate=True)
    domain_id = fields.Many2one(
        "itsm.service.domain",
        string="Support domain",
        help="Checked on each machine of this domain (with the category below, on those of both).",
    )
    category_id = fields.Many2one(
        "maintenance.equipment.category",
        string="Equipment category",
        help="Checked on each machine of this category.",
    )
    method = fields.Text(string="How to check", translate=True)
    expected = fields.Char(translate=True)
    measure_unit = fields.Char(string="Unit", translate=True, help="e.g. %, days, updates.")
    use_thresholds = fields.Boolean(
        string="Thresholds", help="A number measured against the thresholds sets the result by itself."
    )
    higher_is_worse = fields.Boolean(
        string="Higher is worse",
        help="Checked: a measure at or above a threshold is a warning or a failure (e.g. days since the last "
        "backup). Unchecked: at or below (e.g. free disk space, days before a certificate expires).",
    )
    warning_threshold = fields.Float(string="Warning threshold")
    critical_threshold = fields.Float(string="Critical threshold")

    @api.constrains("use_thresholds", "higher_is_worse", "warning_threshold", "critical_threshold")
    def _check_thresholds(self):
        for check in self.filtered("use_thresholds"):
            if check.higher_is_worse:
                wrong = check.warning_threshold > check.critical_threshold
                reason = self.env._("higher is worse: the warning must come at or before the critical value")
            else:
                wrong = check.warning_threshold < check.critical_threshold
                reason = self.env._("lower is worse: the warning must come at or above the critical value")
            if wrong:
                raise ValidationError(
                    self.env._(
                        "Check '%(check)s': warning threshold %(warning)s is beyond critical threshold "
                        "%(critical)s (%(reason)s).",
                        check=check.name,
                        warning=check.warning_threshold,
                        critical=check.critical_threshold,
                        reason=reason,
                    )
                )

    def _itsm_result(self, measure):
        """'ok', 'warning' or 'ko' for a measure (text), None when the check has no thresholds or the measure
        is not a number."""
        self.ensure_one()
        if not self.use_thresholds:
            return None
        try:
            value = float(str(measure).strip().replace(",", ".").rstrip("%").strip())
        except (TypeError, ValueError):
            return None
        if self.higher_is_worse:
            if value >= self.critical_threshold:
                return "ko"
            return "warning" if value >= self.warning_threshold else "ok"
        if value <= self.critical_threshold:
            return "ko"
        return "warning" if value <= self.warning_threshold else "ok"
