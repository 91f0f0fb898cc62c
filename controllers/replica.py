"""Which portal requests may read from a PostgreSQL read replica (Odoo 18's ``route(readonly=...)``)."""

from odoo.http import request

# the query parameter the pages shown right after a write carry (the contract page after a recharge request)
AFTER_WRITE_PARAMS = ("message",)


def itsm_readonly_unless_after_write(_controller):
    """Read-only (served by the replica when Odoo has one) unless the page follows the user's own write.

    Odoo 18 keeps no session on the primary after a write: the page a redirect shows right after a write is read
    on the primary (read-your-writes), every other display of it may lag the primary by the replica's replay lag.
    """
    return not any(request.httprequest.args.get(name) for name in AFTER_WRITE_PARAMS)
