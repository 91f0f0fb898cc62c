from . import controllers
from . import models
from . import report
from . import wizards


def pre_init_hook(env):
    """Tickets that existed before the addon were requested when they were created.

    The column is created and filled before the ORM adds it: otherwise the ORM would give every existing ticket
    today as its request date (the field's default), and the SLA deadlines computed at install would be wrong.
    """
    env.cr.execute("ALTER TABLE helpdesk_ticket ADD COLUMN IF NOT EXISTS itsm_request_date timestamp")
    env.cr.execute("UPDATE helpdesk_ticket SET itsm_request_date = create_date WHERE itsm_request_date IS NULL")
