#!/usr/bin/env python3
"""A contract with a long history through a real server, then Odoo's time limit hit on purpose (``make bench``).

1. Installs the addon without demo data in a fresh database (``itsm_heavy``, dropped at the end unless
   ``--keep``) and builds, in an Odoo shell, a prepaid contract whose one ticket carries 20 000 interventions:
   2 000 a month over ten months, the last month's statement issued (2 000 frozen lines), and a portal user of
   the client.
2. Starts Odoo (``tools/odoo_run.py``, threaded, 127.0.0.1 only) and times, as that portal user and as
   ``admin``, what a client or an account manager asks for: the portal contract page, the ticket's user
   assistance form (bounded to its last 50 interventions), the 2 000-line statement as a PDF (portal and
   backend Print). Each request is timed twice; the best and the PDF's size are printed.
3. Restarts Odoo with ``--limit-time-real 2`` and asks for the statement again: the request passes the limit,
   Odoo reloads itself by running its start script again, and the script waits (60 s at most) until the server
   answers again, then prints how long that took. ``make run`` starts Odoo the same way.

Every request is bounded in time, all traffic stays on 127.0.0.1 (``ITSM_HEAVY_PORT``, 8269 by default) and the
server is stopped in any case.
"""

import argparse
import http.cookiejar
import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

DB = os.environ.get("ITSM_HEAVY_DB", "itsm_heavy")
PORT = int(os.environ.get("ITSM_HEAVY_PORT", "8269"))
URL = f"http://127.0.0.1:{PORT}"
LOG = os.path.join(devctl.WORK, "heavy-server.log")
PORTAL_LOGIN, PORTAL_PASSWORD = "heavy.portal", "heavy-portal"

FIXTURE = r"""
import json
from datetime import datetime, date, timedelta
from odoo import Command
env = env(context=dict(env.context, tracking_disable=True, mail_notrack=True, mail_create_nolog=True))
env.ref("base.user_admin").password = "admin"
client = env["res.partner"].create({"name": "Heavy Client SA", "is_company": True})
contact = env["res.partner"].create({"name": "Heavy Contact", "parent_id": client.id, "email": "h@example.com"})
portal = env["res.users"].create({"login": "%(login)s", "password": "%(password)s", "partner_id": contact.id,
                                  "groups_id": [Command.set([env.ref("base.group_portal").id])]})
project = env["project.project"].create({"name": "Heavy support", "allow_timesheets": True})
team = env["helpdesk.ticket.team"].create({"name": "Heavy", "allow_timesheet": True,
                                          "default_project_id": project.id})
employee = env["hr.employee"].create({"name": "Heavy technician"})
contract = env["itsm.contract"].create({"partner_id": client.id, "state": "active", "overdraft_policy": "allow",
                                        "date_start": date(2026, 1, 1)})
env["itsm.credit.move"].with_context(itsm_ledger_post=True).create(
    {"contract_id": contract.id, "move_type": "purchase", "hours": 100000, "name": "Credit", "date": date(2026, 1, 1)})
ticket = env["helpdesk.ticket"].create({"name": "Long-running ticket", "description": "x", "partner_id": contact.id,
                                        "team_id": team.id, "project_id": project.id,
                                        "itsm_request_date": datetime(2026, 1, 2, 8, 0)})
Line = env["account.analytic.line"]
for month in range(1, 11):
    Line.create([{"name": f"Intervention {month}-{i}", "ticket_id": ticket.id, "project_id": project.id,
                  "employee_id": employee.id, "unit_amount": 0.5,
                  "date_time": datetime(2026, month, 1 + i %% 28, 8, 0) + timedelta(minutes=(i // 28) * 5)}
                 for i in range(2000)])
    env.flush_all()
    env.invalidate_all()
statement = env["itsm.statement"].create({"contract_id": contract.id, "period_start": date(2026, 10, 1),
                                          "period_end": date(2026, 10, 31)})
statement.action_issue()
env.cr.commit()
print("FIXTURE " + json.dumps({"contract": contract.id, "ticket": ticket.id, "statement": statement.id,
                               "lines": Line.search_count([("ticket_id", "=", ticket.id)]),
                               "statement_lines": len(statement.line_ids)}))
"""


class Server:
    def __init__(self, odoo_cmd, env, extra):
        self.cmd = [
            *odoo_cmd,
            *devctl.odoo_args(DB),
            "--workers", "0",
            "--max-cron-threads", "0",
            "--http-interface", "127.0.0.1",
            "--http-port", str(PORT),
            "--log-level", "info",
            "--logfile", LOG,
            *extra,
        ]  # fmt: skip
        self.env = env
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(self.cmd, env=self.env, start_new_session=True)
        if wait_health(120) is None:
            self.stop()
            raise SystemExit(f"Odoo did not answer on /web/health within 120 s; see {LOG}")

    def stop(self):
        if self.proc and self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGTERM)
            try:
                self.proc.wait(30)
            except subprocess.TimeoutExpired:
                os.killpg(self.proc.pid, signal.SIGKILL)
                self.proc.wait(10)


def wait_health(patience):
    """Seconds until /web/health answers 200, or None after ``patience`` seconds."""
    started = time.time()
    while time.time() - started < patience:
        try:
            with urllib.request.urlopen(f"{URL}/web/health", timeout=5) as response:
                if response.status == 200:
                    return time.time() - started
        except (urllib.error.URLError, ConnectionError, OSError):
            pass
        time.sleep(0.5)
    return None


def session(login, password):
    jar = http.cookiejar.CookieJar()
    opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(jar))
    payload = json.dumps(
        {"jsonrpc": "2.0", "method": "call", "params": {"db": DB, "login": login, "password": password}}
    ).encode()
    request = urllib.request.Request(f"{URL}/web/session/authenticate", payload, {"Content-Type": "application/json"})
    with opener.open(request, timeout=60) as response:
        answer = json.loads(response.read())
    if answer.get("error"):
        raise SystemExit(f"login {login} refused: {answer['error']}")
    return opener


def timed(opener, path, timeout=300):
    """(best seconds of two, bytes, status) of GET ``path``."""
    best, size, status = None, 0, None
    for _attempt in range(2):
        started = time.time()
        try:
            with opener.open(f"{URL}{path}", timeout=timeout) as response:
                body = response.read()
                status = response.status
        except urllib.error.HTTPError as error:
            body, status = error.read(), error.code
        elapsed = time.time() - started
        best = elapsed if best is None else min(best, elapsed)
        size = len(body)
    return best, size, status


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--keep", action="store_true", help="keep the database")
    args = parser.parse_args()
    odoo_cmd, env, bindir = devctl.setup()
    open(LOG, "w").close()  # this run's server log only: the limit check reads it
    devctl.drop_db(bindir, DB)
    devctl.say(f"creating {DB} (addon without demo data) and its 20 000-intervention contract")
    subprocess.run(
        [*odoo_cmd, *devctl.odoo_args(DB), "-i", devctl.MODULE, "--without-demo", "all", "--stop-after-init",
         "--log-level", "warn"],
        env=env,
        check=True,
    )  # fmt: skip
    started = time.time()
    out = subprocess.run(
        [*odoo_cmd, "shell", *devctl.odoo_args(DB), "--log-level", "warn", "--no-http"],
        input=FIXTURE % {"login": PORTAL_LOGIN, "password": PORTAL_PASSWORD},
        text=True,
        env=env,
        capture_output=True,
        check=True,
    ).stdout
    fixture = json.loads(next(line for line in out.splitlines() if line.startswith("FIXTURE "))[8:])
    devctl.say(f"fixture built in {time.time() - started:.0f} s: {fixture}")
    server = Server(odoo_cmd, env, [])
    try:
        server.start()
        portal = session(PORTAL_LOGIN, PORTAL_PASSWORD)
        admin = session("admin", "admin")
        cases = [
            ("portal contract page", portal, f"/my/contracts/{fixture['contract']}"),
            ("portal contract page, last page", portal, f"/my/contracts/{fixture['contract']}?page=400"),
            ("assistance form PDF (portal)", portal, f"/my/ticket/{fixture['ticket']}/assistance-form"),
            ("statement PDF, 2 000 lines (portal)", portal, f"/my/statements/{fixture['statement']}"),
            (
                "statement PDF, 2 000 lines (backend Print)",
                admin,
                f"/report/pdf/itsm_service_contract.report_itsm_statement/{fixture['statement']}",
            ),
        ]
        print(f"\nContract with {fixture['lines']} interventions on one ticket, {os.cpu_count()} cores")
        print(f"{'request':45} {'best of 2 (s)':>13} {'bytes':>10} {'status':>6}")
        for label, opener, path in cases:
            seconds, size, status = timed(opener, path)
            print(f"{label:45} {seconds:13.2f} {size:10d} {status:6}")
    finally:
        server.stop()

    devctl.say("Odoo again with --limit-time-real 2: the statement PDF passes the limit")
    limited = Server(odoo_cmd, env, ["--limit-time-real", "2"])
    try:
        limited.start()
        # the session of phase 1 (kept in the data directory) is reused: logging in again could itself take more
        # than the limit on a loaded machine (password hashing)
        started = time.time()
        try:
            with admin.open(
                f"{URL}/report/pdf/itsm_service_contract.report_itsm_statement/{fixture['statement']}", timeout=120
            ) as response:
                response.read()
            outcome = "answered"
        except (urllib.error.URLError, ConnectionError, OSError) as error:
            outcome = f"cut: {type(error).__name__}"
        back = wait_health(60)
        with open(LOG, encoding="utf-8", errors="replace") as fh:
            log = fh.read()
        hit = "virtual real time limit" in log
        alive = limited.proc.poll() is None
        print(f"request over the limit: {outcome} after {time.time() - started:.1f} s; limit logged: {hit}")
        if back is None or not alive:
            print("THE SERVER DID NOT COME BACK")
            sys.exit(1)
        seconds, _size, status = timed(session("admin", "admin"), "/odoo")
        print(
            f"server answering again {back:.1f} s later (re-executed in place); admin logs in again and /odoo "
            f"answers {status} in {seconds:.2f} s"
        )
    finally:
        limited.stop()
        if not args.keep:
            devctl.drop_db(bindir, DB)


if __name__ == "__main__":
    main()
