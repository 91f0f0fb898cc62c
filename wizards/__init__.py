from . import itsm_credit_adjust_wizard
