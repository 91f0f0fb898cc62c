from . import itsm_credit_adjust_wizard
from . import hr_timesheet_switch
