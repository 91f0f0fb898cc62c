from . import helpdesk_portal
from . import itsm_kb_portal
from . import monitoring
from . import portal
from . import portal_dashboard
from . import portal_estate
