"""Rights checked before a public method reads anything.

A public method of a model (``action_*``) can be called by anyone over JSON-RPC on any ids: Odoo checks the
model's access rights and the record rules when records are read with ``read`` or ``search``, not when a method
reads their fields. A method that returns an action built from a record (the id of its invoice, of its
contract...) would tell a portal user what it may not read. Each public action of the addon is therefore wrapped
by ``checked``: the caller must be allowed to read (or write) the records first.
"""

import functools


def checked(operation="read"):
    """Decorate a record method: ``self.check_access(operation)`` before it runs (a no-op for the superuser)."""

    def decorate(method):
        @functools.wraps(method)
        def wrapper(self, *args, **kwargs):
            self.check_access(operation)
            return method(self, *args, **kwargs)

        wrapper.itsm_checked = operation
        return wrapper

    return decorate
