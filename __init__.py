from . import controllers
from . import models
from . import wizards


def post_init_hook(env):
    """Tickets that existed before the addon were requested when they were created."""
    env.cr.execute("UPDATE helpdesk_ticket SET itsm_request_date = create_date WHERE create_date IS NOT NULL")
