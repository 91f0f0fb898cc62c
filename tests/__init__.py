from . import test_activity_sheet
from . import test_contract_bad_input
from . import test_contract_lifecycle
from . import test_contract_security
from . import test_credit_purchase
from . import test_intervention_credit
from . import test_rules
from . import test_sla
