from odoo import models


class SaleOrderLine(models.Model):
    _inherit = "sale.order.line"

    def _itsm_credit_hours(self):
        """Hours this line credits: packages sold x hours per package."""
        self.ensure_one()
        product = self.product_id
        if not product.itsm_is_credit_package or self.display_type:
            return 0.0
        quantity = self.product_uom._compute_quantity(self.product_uom_qty, product.uom_id, raise_if_failure=False)
        return quantity * product.itsm_credit_hours
