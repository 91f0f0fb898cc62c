#!/usr/bin/env python3
"""Start Odoo like ``odoo-bin`` does, for a multi-process server.

``python -m odoo`` cannot start Odoo's gevent (longpolling) process, which Odoo spawns by re-running its own
start script: ``tools/load_test.py`` starts the server with this script instead.
"""

import odoo

if __name__ == "__main__":
    odoo.cli.main()
