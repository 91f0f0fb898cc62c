#!/usr/bin/env python3
"""Attack the demo as a hostile client would (issue 23): ``make probe``.

A copy of the demo database (the one ``make run`` serves, created the same way when missing, and copied so that
the attacks leave it as it was) is served by a server of this script's own, with workers (real transactions, as
in production), on free local ports. Then, over real HTTP:

* portal client A (``claire.moreau``) reads, writes and creates, through JSON-RPC, every model the addon adds or
  extends, and asks for every portal page of client B (the demo's second client), with B's ids;
* odd ids (``²``, NUL, 2**80, negative, text) and odd text on every route with an id or free text;
* a technician tries to forge history: escalations by hand, past versions of a page rewritten, time logged in
  another's name, a ticket linked to another client's problem, a sent MCO report rewritten;
* the monitoring webhook gets hostile payloads without authentication.

Each attempt is counted; a finding is a 500 (or an unexpected server error over JSON-RPC), a record of B seen by
A, or a write that went through where the matrix refuses it. The script prints every finding, the counts, and
exits 1 if there is any finding. All traffic stays on 127.0.0.1; the server and the copy are removed at the end.
"""

import contextlib
import json
import os
import re
import subprocess
import sys
import time

import requests

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

DB = "itsm_probe"
PASSWORD = "probe-Pass-2026"
OK_ERRORS = {
    "odoo.exceptions.AccessError",
    "odoo.exceptions.UserError",
    "odoo.exceptions.ValidationError",
    "odoo.exceptions.MissingError",
    "odoo.exceptions.AccessDenied",
    "werkzeug.exceptions.NotFound",
    "werkzeug.exceptions.Forbidden",
}
ODD_IDS = ("%C2%B2", "%00", "-1", str(2**31), str(2**80), "abc", "1,2", "[1]")

# what the portal client must never see of the other client: model -> domain of B's records (as the superuser)
PREPARE = r"""
import json
Users = env["res.users"].with_context(active_test=False)
a_user = Users.search([("login", "=", "claire.moreau")], limit=1)
a_client = a_user.partner_id.commercial_partner_id
contracts = env["itsm.contract"].search([("partner_id.commercial_partner_id", "!=", a_client.id)])
portal = env.ref("base.group_portal")
b_user = Users.search([("groups_id", "in", portal.id), ("partner_id.commercial_partner_id", "in",
                       contracts.partner_id.commercial_partner_id.ids)], limit=1)
b_client = b_user.partner_id.commercial_partner_id
tech_group = env.ref("itsm_service_contract.group_itsm_technician")
manager_group = env.ref("itsm_service_contract.group_itsm_account_manager")
tech = Users.search([("groups_id", "in", tech_group.id), ("groups_id", "not in", manager_group.id),
                     ("share", "=", False)], limit=1)
for user in a_user | b_user | tech:
    user.password = PASSWORD
def ids(model, domain):
    return env[model].sudo().with_context(active_test=False).search(domain).ids
b = {
    "itsm.contract": ids("itsm.contract", [("partner_id", "child_of", b_client.id)]),
    "itsm.credit.move": ids("itsm.credit.move", [("partner_id", "child_of", b_client.id)]),
    "helpdesk.ticket": ids("helpdesk.ticket", [("partner_id", "child_of", b_client.id)]),
    "maintenance.equipment": ids("maintenance.equipment", [("itsm_partner_id", "child_of", b_client.id)]),
    "itsm.problem": ids("itsm.problem", [("partner_id", "child_of", b_client.id)]),
    "itsm.mco.report": ids("itsm.mco.report", [("partner_id", "child_of", b_client.id)]),
    "itsm.statement": ids("itsm.statement", [("partner_id", "child_of", b_client.id)]),
    "itsm.committee": ids("itsm.committee", [("partner_id", "child_of", b_client.id)]),
    "itsm.ticket.escalation": ids("itsm.ticket.escalation", [("ticket_id.partner_id", "child_of", b_client.id)]),
    "account.analytic.line": ids("account.analytic.line", [("itsm_contract_id.partner_id", "child_of", b_client.id)]),
    "document.page": ids("document.page", ["|", ("itsm_portal_published", "=", False),
                                           ("itsm_is_scenario", "=", False)]),
    "document.page.history": ids("document.page.history", []),
    "itsm.monitoring.alert": ids("itsm.monitoring.alert", []),
    "itsm.monitoring.source": ids("itsm.monitoring.source", []),
}
a = {
    "helpdesk.ticket": ids("helpdesk.ticket", [("partner_id", "child_of", a_client.id)]),
    "itsm.contract": ids("itsm.contract", [("partner_id", "child_of", a_client.id)]),
    "itsm.problem": ids("itsm.problem", [("partner_id", "child_of", a_client.id)]),
    "itsm.mco.report.sent": ids("itsm.mco.report", [("state", "=", "sent")]),
    "project": ids("project.project", [("allow_timesheets", "=", True)])[:1],
    "stages": ids("helpdesk.ticket.stage", [("closed", "=", True)]),
}
source = env["itsm.monitoring.source"].sudo().search([], limit=1)
env.cr.commit()
print("PROBE-JSON " + json.dumps({"a_login": a_user.login, "b_login": b_user.login, "tech_login": tech.login,
      "b_name": b_client.name, "b": b, "a": a, "admin": env.ref("base.user_admin").id,
      "source_uuid": source.uuid if source and "uuid" in source._fields else None}))
"""


class Probe:
    def __init__(self, base):
        self.base = base
        self.attempts = 0
        self.findings = []

    def finding(self, what):
        self.findings.append(what)
        print(f"FINDING: {what}", flush=True)

    def session(self, login):
        session = requests.Session()
        page = session.get(f"{self.base}/web/login", timeout=30)
        token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
        response = session.post(
            f"{self.base}/web/login",
            data={"login": login, "password": PASSWORD, "csrf_token": token},
            timeout=30,
            allow_redirects=False,
        )
        if response.status_code not in (302, 303):
            raise SystemExit(f"login of {login} failed ({response.status_code})")
        return session

    def http(self, session, method, path, expect_refused=True, secret=None, **kwargs):
        """One request; a 500 is a finding, and so is a 200 showing ``secret`` when a refusal is expected."""
        self.attempts += 1
        try:
            response = session.request(method, f"{self.base}{path}", timeout=60, allow_redirects=False, **kwargs)
        except requests.RequestException as error:
            self.finding(f"{method} {path[:80]}: no answer ({error.__class__.__name__})")
            return None
        if response.status_code >= 500:
            self.finding(f"{method} {path[:80]}: HTTP {response.status_code}")
        elif expect_refused and response.status_code == 200 and secret and secret in response.text:
            self.finding(f"{method} {path[:80]}: 200 showing {secret!r}")
        return response

    def rpc(self, session, model, method, args, kwargs=None, refused=False, label=""):
        """JSON-RPC as the browser calls it; returns the result or None. An unexpected error is a finding, and a
        success where ``refused`` is a finding too."""
        self.attempts += 1
        payload = {
            "jsonrpc": "2.0",
            "method": "call",
            "params": {"model": model, "method": method, "args": args, "kwargs": kwargs or {}},
        }
        try:
            response = session.post(f"{self.base}/web/dataset/call_kw/{model}/{method}", json=payload, timeout=60)
        except requests.RequestException as error:
            self.finding(f"{label} {model}.{method}: no answer ({error.__class__.__name__})")
            return None
        if response.status_code >= 500:
            self.finding(f"{label} {model}.{method}: HTTP {response.status_code}")
            return None
        body = response.json()
        if "error" in body:
            name = body["error"].get("data", {}).get("name", "?")
            if name not in OK_ERRORS:
                self.finding(f"{label} {model}.{method}: server error {name}")
            return None
        if refused:
            self.finding(f"{label} {model}.{method}({str(args)[:60]}): went through")
        return body.get("result")


def portal_attacks(probe, facts):
    a = probe.session(facts["a_login"])
    b_ids, secret = facts["b"], facts["b_name"]
    for model, ids in b_ids.items():
        seen = probe.rpc(a, model, "search_read", [[]], {"fields": ["id"], "limit": 5000}, label="portal A") or []
        leaked = {row["id"] for row in seen} & set(ids)
        if leaked:
            probe.finding(f"portal A reads {len(leaked)} record(s) of B in {model}: {sorted(leaked)[:5]}")
        for record_id in ids[:3]:
            probe.rpc(a, model, "read", [[record_id]], {"fields": []}, refused=True, label="portal A")
            probe.rpc(a, model, "write", [[record_id], {"display_name": "x"}], refused=True, label="portal A")
        probe.rpc(a, model, "create", [{}], refused=True, label="portal A")
    # B's pages, as A
    routes = {
        "itsm.contract": (
            "/my/contracts/{}",
            "/my/contracts/{}/dashboard",
            "/my/contracts/{}/dashboard?report_type=pdf",
        ),
        "itsm.statement": ("/my/statements/{}",),
        "itsm.committee": ("/my/committees/{}",),
        "itsm.mco.report": ("/my/mco/{}", "/my/mco/{}/pdf"),
        "helpdesk.ticket": ("/my/ticket/{}", "/my/ticket/{}/assistance-form"),
        "document.page": ("/my/itsm/kb/{}",),
    }
    for model, paths in routes.items():
        for record_id in b_ids.get(model, [])[:3]:
            for path in paths:
                probe.http(a, "GET", path.format(record_id), secret=secret)
        for path in paths:
            for raw in ODD_IDS:
                probe.http(a, "GET", path.format(raw), expect_refused=False)
    for path in ("/my/contracts", "/my/estate", "/my/itsm/problems", "/my/itsm/kb", "/my/tickets", "/my"):
        probe.http(a, "GET", path, secret=secret)
    for query in ("%00", "a" * 5000, "%C2%B2", "%ED%A0%80", "' OR 1=1 --"):
        probe.http(a, "GET", f"/my/itsm/kb/suggest?q={query}", expect_refused=False)
    # closing B's tickets, GET (the upstream route) and POST with A's token
    page = a.get(f"{probe.base}/my/tickets", timeout=30)
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text) or re.search(
        r"csrf_token: \"([^\"]+)\"", page.text
    )
    token = token.group(1) if token else ""
    for ticket_id in b_ids["helpdesk.ticket"][:3]:
        for stage_id in facts["a"]["stages"][:2]:
            probe.http(a, "GET", f"/ticket/close?ticket_id={ticket_id}&stage_id={stage_id}", expect_refused=False)
            response = probe.http(
                a,
                "POST",
                "/ticket/close",
                data={"ticket_id": ticket_id, "stage_id": stage_id, "csrf_token": token},
                expect_refused=False,
            )
            if (
                response is not None
                and response.status_code in (200, 302, 303)
                and "/my/ticket/" in (response.headers.get("Location") or "")
            ):
                probe.finding(f"portal A closed B's ticket {ticket_id} (answer {response.status_code})")
    # the new ticket form: odd ids, a huge description
    for field in ("itsm_domain_id", "itsm_contract_id", "itsm_equipment_id", "category", "team"):
        for raw in ("²", "\x00", str(2**80), "-1", "abc"):
            probe.http(
                a,
                "POST",
                "/submitted/ticket",
                data={"csrf_token": token, "subject": "Probe", "description": "Probe", field: raw},
                expect_refused=False,
            )
    started = time.monotonic()
    probe.http(
        a,
        "POST",
        "/submitted/ticket",
        data={"csrf_token": token, "subject": "Huge", "description": "Le serveur ne répond plus. " * 160000},
        expect_refused=False,
    )
    if time.monotonic() - started > 10:
        probe.finding("a 4 MB description took more than 10 s to refuse")
    for ticket_id in facts["a"]["helpdesk.ticket"][:2]:
        started = time.monotonic()
        probe.http(a, "GET", f"/my/ticket/{ticket_id}/assistance-form", expect_refused=False)
        if time.monotonic() - started > 5:
            probe.finding(f"assistance form of ticket {ticket_id} took more than 5 s")
    # the unknown URL with a NUL
    probe.http(a, "GET", "/my/contracts/%00/x", expect_refused=False)


def technician_attacks(probe, facts):
    tech = probe.session(facts["tech_login"])
    a_tickets, b_ids = facts["a"]["helpdesk.ticket"], facts["b"]
    if a_tickets:
        probe.rpc(
            tech,
            "itsm.ticket.escalation",
            "create",
            [{"ticket_id": a_tickets[0], "user_id": facts["admin"], "automatic": True, "reason": "forged"}],
            refused=True,
            label="technician",
        )
    for history_id in b_ids["document.page.history"][:2]:
        probe.rpc(
            tech,
            "document.page.history",
            "write",
            [[history_id], {"content": "<p>rewritten</p>"}],
            refused=True,
            label="technician",
        )
        probe.rpc(tech, "document.page.history", "unlink", [[history_id]], refused=True, label="technician")
    contract = facts["a"]["itsm.contract"][:1]
    if contract:
        probe.rpc(
            tech,
            "itsm.mco.report",
            "create",
            [
                {
                    "contract_id": contract[0],
                    "user_id": facts["admin"],
                    "duration": 500.0,
                    "project_id": (facts["a"]["project"] or [False])[0],
                }
            ],
            refused=True,
            label="technician",
        )
    if a_tickets and b_ids["itsm.problem"]:
        probe.rpc(
            tech,
            "helpdesk.ticket",
            "write",
            [[a_tickets[0]], {"itsm_problem_id": b_ids["itsm.problem"][0]}],
            refused=True,
            label="technician",
        )
    for report_id in facts["a"]["itsm.mco.report.sent"][:2]:
        probe.rpc(
            tech, "itsm.mco.report", "write", [[report_id], {"summary": "rewritten"}], refused=True, label="technician"
        )
    for move_id in b_ids["itsm.credit.move"][:2]:
        probe.rpc(tech, "itsm.credit.move", "write", [[move_id], {"hours": 0.0}], refused=True, label="technician")
        probe.rpc(tech, "itsm.credit.move", "unlink", [[move_id]], refused=True, label="technician")
    for statement_id in b_ids["itsm.statement"][:2]:
        probe.rpc(tech, "itsm.statement", "write", [[statement_id], {"name": "x"}], refused=True, label="technician")


def webhook_attacks(probe, facts):
    anonymous = requests.Session()
    uuid = facts.get("source_uuid") or "00000000-0000-0000-0000-000000000000"
    for path in (
        f"/itsm/alerts/{uuid}%00",
        f"/itsm/alerts/{'x' * 4000}",
        "/itsm/alerts/%C2%B2",
        f"/itsm/alerts/{uuid}",
    ):
        for body in (
            b"",
            b"[]",
            b"null",
            b'{"alerts": 5}',
            b"[" * 5000 + b"]" * 5000,
            b'{"alerts": [{"labels": {"a": "\\u0000"}}]}',
        ):
            probe.http(
                anonymous,
                "POST",
                path,
                expect_refused=False,
                data=body,
                headers={"Content-Type": "application/json", "Authorization": "Bearer wrong"},
            )
    many = json.dumps(
        {
            "version": "4",
            "status": "firing",
            "alerts": [{"status": "firing", "labels": {"alertname": f"a{i}"}} for i in range(1000)],
        }
    )
    probe.http(
        anonymous,
        "POST",
        f"/itsm/alerts/{uuid}",
        expect_refused=False,
        data=many,
        headers={"Content-Type": "application/json", "Authorization": "Bearer wrong"},
    )


def main():
    odoo_cmd, env, bindir = devctl.setup()
    source = devctl.DEMO_DB
    if not devctl.db_exists(bindir, source):
        devctl.create_demo_db(odoo_cmd, env, bindir, source)
    devctl.drop_db(bindir, DB)
    try:
        devctl.psql(bindir, f'CREATE DATABASE "{DB}" TEMPLATE "{source}"')
    except subprocess.CalledProcessError:
        raise SystemExit(f"could not copy {source}: stop the server that uses it (make run) and try again") from None
    try:
        shell = subprocess.run(
            [*odoo_cmd, "shell", *devctl.odoo_args(DB), "--no-http", "--log-level", "warn"],
            input=f"PASSWORD = {PASSWORD!r}\n" + PREPARE,
            text=True,
            env=env,
            capture_output=True,
            check=True,
        )
        line = next(line for line in shell.stdout.splitlines() if line.startswith("PROBE-JSON "))
        facts = json.loads(line[len("PROBE-JSON ") :])
        port = devctl.free_port()
        gevent_port = devctl.free_port(exclude=(port,))
        log = open(os.path.join(devctl.WORK, "probe-server.log"), "w", encoding="utf-8")  # noqa: SIM115
        server = subprocess.Popen(
            [
                *odoo_cmd,
                *devctl.odoo_args(DB),
                "--http-interface",
                "127.0.0.1",
                "--http-port",
                str(port),
                "--gevent-port",
                str(gevent_port),
                "--workers",
                "2",
                "--max-cron-threads",
                "0",
                "--limit-time-real",
                "120",
                "--log-level",
                "warn",
            ],
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )
        try:
            base = f"http://127.0.0.1:{port}"
            for _attempt in range(120):
                if server.poll() is not None:
                    raise SystemExit(f"the probe's server stopped (exit {server.returncode}): see {log.name}")
                with contextlib.suppress(requests.RequestException):
                    if requests.get(f"{base}/web/health", timeout=5).status_code == 200:
                        break
                time.sleep(1)
            probe = Probe(base)
            print(
                f"[probe] portal A={facts['a_login']}, B={facts['b_login']} ({facts['b_name']}), "
                f"technician={facts['tech_login']}; server pid {server.pid} on port {port}",
                flush=True,
            )
            portal_attacks(probe, facts)
            technician_attacks(probe, facts)
            webhook_attacks(probe, facts)
        finally:
            server.terminate()
            server.wait(timeout=60)
            log.close()
    finally:
        devctl.drop_db(bindir, DB)
    print(f"[probe] {probe.attempts} attempts, {len(probe.findings)} finding(s)", flush=True)
    sys.exit(1 if probe.findings else 0)


if __name__ == "__main__":
    main()
