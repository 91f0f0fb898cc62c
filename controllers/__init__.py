from . import helpdesk_portal
from . import monitoring
from . import portal
