#!/usr/bin/env python3
"""Start Odoo like ``odoo-bin`` does, from an Odoo that is importable (``import odoo``).

``python -m odoo`` cannot be re-executed: when a request or a cron passes Odoo's time or memory limit, Odoo
restarts itself by running its start script again (``os.execve(sys.executable, sys.argv)``), which fails for
``-m odoo`` ("attempted relative import with no known parent package") and leaves the server dead. It also cannot
start Odoo's gevent (websocket) process of a multi-process server. ``make run``, the load test and the limit
check start Odoo with this script instead.
"""

import os

os.environ["TZ"] = "UTC"  # as odoo-bin: the server's time zone is UTC before the time module is imported

import odoo

if __name__ == "__main__":
    odoo.cli.main()
