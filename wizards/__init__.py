from . import hr_timesheet_switch
from . import itsm_credit_adjust_wizard
from . import itsm_digest_line
from . import itsm_digest_preview
from . import itsm_escalation_wizard
from . import itsm_monitoring_token_wizard
from . import itsm_retention_wizard
from . import itsm_sla_report_wizard
