from . import itsm_contract
from . import itsm_credit_move
from . import product_template
from . import res_partner
from . import sale_order
from . import sale_order_line
