from . import itsm_contract
from . import itsm_credit_move
from . import account_analytic_line
from . import helpdesk_ticket
from . import product_template
from . import res_partner
from . import sale_order
from . import sale_order_line
