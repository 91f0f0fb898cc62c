#!/usr/bin/env python3
"""Load, concurrency and fault test of the monitoring webhook (``make alerts-load``, issue 16).

It installs the addon in a fresh database (``itsm_alerts_load``, no demo data), starts Odoo like ``make load``
(``--workers 4`` on 127.0.0.1, ``tools/load_test.py``'s server) and plays Alertmanager in high availability:
2 sources (one contract) x 2 "replicas" posting the same 1 000 notifications, 200 distinct fingerprints (100 per
source), each firing 4 times then resolved. Both replicas post each notification at the same instant (two
threads of a pool of ``--senders``), the whole run paced at ``--rate`` requests per second at most (100 by
default). A sender retries, like Alertmanager (at-least-once), on a refused connection, a timeout, a 5xx or a
429, bounded in time. The notifications are sent in 5 rounds (the 4 firings, then the resolution), a round
starting when the previous one is answered: Alertmanager sends a group's notifications in order.

Scenarios: ``plain``, then ``fault`` (a new contract and sources): the server's process group is SIGKILLed after
a third of the requests and restarted; the senders retry until it answers. After each scenario it checks, over
JSON-RPC: exactly 200 tickets on the contract, one alert per fingerprint (no duplicate, no alert opened twice),
every alert resolved with its resolution date, every alert on a ticket; in ``plain`` each alert counted exactly
8 notifications (4 firings x 2 replicas: every request processed once). It prints the p50 / p95 / p99 latency of
a request (first attempt to answer), the outcomes the server answered, and ``INVARIANTS OK`` (exit 0) or what
failed (exit 1). All traffic stays on 127.0.0.1; every loop is bounded; the server is stopped in any case.

Then the ``hostile`` phase (issue 23; alone with ``--hostile-only``), on a real server where each alert has its
own transaction (an ``HttpCase`` cannot show a 500 there): one notification mixing two good alerts with a NUL in
a label, a lone surrogate, a ``startsAt`` past year 9999 and one with a +99:99 offset must answer 200 with the two
good alerts created and the four others rejected with their reason; more alerts than the limit 413 naming it;
a body nested 5 000 deep, an empty body, a list, 400; an identifier ending in NUL, without a token, 401; and the
contract must hold exactly the two good alerts' tickets.
"""

import argparse
import json
import os
import random
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import timedelta
from datetime import timezone

os.environ.setdefault("ITSM_LOAD_DB", "itsm_alerts_load")
sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl
import load_test
from load_test import Server
from load_test import login
from load_test import percentile

FINGERPRINTS = 200
FIRINGS = 4
REPLICAS = 2
SOURCES = 2
CALL_TIMEOUT = 30
DOWN_PATIENCE = 120  # seconds a sender keeps retrying one request
RETRY_STATUSES = {429, 500, 502, 503, 504}


class Pace:
    """At most ``rate`` request starts per second, over all senders."""

    def __init__(self, rate):
        self.interval = 1.0 / rate
        self.lock = threading.Lock()
        self.next = time.perf_counter()

    def wait(self):
        with self.lock:
            slot = max(self.next, time.perf_counter())
            self.next = slot + self.interval
        delay = slot - time.perf_counter()
        if delay > 0:
            time.sleep(delay)


class Stats:
    def __init__(self):
        self.lock = threading.Lock()
        self.latencies = []
        self.counts = {"created": 0, "updated": 0, "resolved": 0, "ignored": 0}
        self.answered = self.retries = 0
        self.statuses = {}
        self.errors = []
        self.threshold = None  # answered requests after which ``due`` is set (the fault scenario)
        self.due = threading.Event()


def post(url, token, body):
    request = urllib.request.Request(
        url, body, {"Content-Type": "application/json", "Authorization": f"Bearer {token}"}, method="POST"
    )
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
            return response.status, json.loads(response.read() or b"{}")
    except urllib.error.HTTPError as exc:
        return exc.code, None
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None, None


def post_answer(url, token, body):
    """``(status, decoded JSON body or None)``, whatever the status; ``(None, None)`` without an answer."""
    headers = {"Content-Type": "application/json"}
    if token:
        headers["Authorization"] = f"Bearer {token}"
    request = urllib.request.Request(url, body, headers, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=CALL_TIMEOUT) as response:
            status, raw = response.status, response.read()
    except urllib.error.HTTPError as exc:
        status, raw = exc.code, exc.read()
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None, None
    try:
        return status, json.loads(raw or b"null")
    except ValueError:
        return status, None


def hostile(admin):
    """The hostile phase: what a broken or hostile sender posts, against the real server. Returns the problems."""
    fix = fixture(admin, "hostile")
    source = fix["sources"][0]
    url, token = source["url"], source["token"]
    now = datetime.now(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")

    def alert(name, **changes):
        labels = {"alertname": name, "instance": f"{name.lower()}:9100", "severity": "warning"}
        item = {"status": "firing", "labels": labels, "annotations": {"summary": f"Hostile {name}"},
                "startsAt": now, "endsAt": "0001-01-01T00:00:00Z", "fingerprint": f"hostile-{name}"}  # fmt: skip
        item.update(changes)
        return item

    nul = alert("Nul")
    nul["labels"]["job"] = "no\x00de"
    alerts = [alert("Good1"), nul, alert("Late", startsAt="9999-12-31T23:00:00-02:00"),
              alert("Offset", startsAt="2026-12-01T10:00:00+99:99"), alert("Good2")]  # fmt: skip
    payload = {"version": "4", "groupKey": "{}:{}", "truncatedAlerts": 0, "status": "firing", "receiver": "itsm",
               "groupLabels": {}, "commonLabels": {}, "commonAnnotations": {},
               "externalURL": "http://127.0.0.1:9093", "alerts": alerts}  # fmt: skip
    # a lone surrogate, as a sender may escape it: json.dumps writes "\ud800" for it
    surrogate = alert("Surrogate")
    surrogate["labels"]["job"] = "\ud800"
    payload["alerts"].insert(3, surrogate)
    problems = []
    expected = {"created": 2, "rejected": 4}
    status, answer = post_answer(url, token, json.dumps(payload).encode())
    got = {key: (answer or {}).get(key) for key in expected} if isinstance(answer, dict) else answer
    devctl.say(f"hostile: mixed notification -> HTTP {status} {got}")
    if status != 200 or got != expected:
        problems.append(f"mixed notification: HTTP {status} {got}, expected 200 {expected}")
    reasons = [error.get("reason") for error in (answer or {}).get("errors", [])] if status == 200 else []
    if status == 200 and reasons != ["nul_character", "bad_time", "invalid_unicode", "bad_time"]:
        problems.append(f"mixed notification: reasons {reasons}")
    flood = dict(payload, alerts=[alert("Good1")] * 1000)
    checks = [
        ("1 000 alerts", url, token, json.dumps(flood).encode(), 413),
        ("nested 5 000 deep", url, token, b"[" * 5000 + b"]" * 5000, 400),
        ("empty body", url, token, b"", 400),
        ("a list", url, token, b"[]", 400),
        ("identifier ending in NUL, no token", url + "%00", None, json.dumps(payload).encode(), 401),
    ]
    for name, target, key, body, want in checks:
        status, answer = post_answer(target, key, body)
        devctl.say(f"hostile: {name} -> HTTP {status} {answer}")
        if status != want:
            problems.append(f"{name}: HTTP {status}, expected {want}")
        if want == 413 and not (isinstance(answer, dict) and answer.get("max_alerts")):
            problems.append(f"{name}: the 413 does not name max_alerts")
    tickets = admin("helpdesk.ticket", "search_count", [["itsm_contract_id", "=", fix["contract"]]])
    if tickets != 2:
        problems.append(f"{tickets} tickets on the hostile contract, expected 2 (the good alerts)")
    return problems


def notification(fp_no, round_no, starts):
    """Alertmanager's webhook payload (version 4) of fingerprint ``fp_no`` at round ``round_no``."""
    resolved = round_no == FIRINGS
    labels = {"alertname": f"Load{fp_no % 7}", "instance": f"host{fp_no:03d}:9100", "severity": "warning"}
    alert = {
        "status": "resolved" if resolved else "firing",
        "labels": labels,
        "annotations": {"summary": f"Load alert {fp_no} on host{fp_no:03d}"},
        "startsAt": starts,
        "endsAt": starts if resolved else "0001-01-01T00:00:00Z",
        "generatorURL": "http://127.0.0.1:9090/graph",
        "fingerprint": f"{fp_no:016x}",
    }
    return json.dumps(
        {
            "version": "4",
            "groupKey": f'{{}}:{{alertname="{labels["alertname"]}"}}',
            "truncatedAlerts": 0,
            "status": alert["status"],
            "receiver": "itsm",
            "groupLabels": {"alertname": labels["alertname"]},
            "commonLabels": labels,
            "commonAnnotations": alert["annotations"],
            "externalURL": "http://127.0.0.1:9093",
            "alerts": [alert],
        }
    ).encode()


def fixture(admin, name):
    partner = admin("res.partner", "create", {"name": f"Alerts load {name}", "is_company": True})
    contract = admin(
        "itsm.contract", "create", {"partner_id": partner, "date_start": "2026-01-01", "title": f"Alerts {name}"}
    )
    admin("itsm.contract", "action_activate", [contract])
    project = admin("project.project", "create", {"name": f"Alerts {name}", "allow_timesheets": True})
    team = admin(
        "helpdesk.ticket.team",
        "create",
        {"name": f"Alerts desk {name}", "allow_timesheet": True, "default_project_id": project},
    )
    admin("itsm.contract", "write", [contract], {"n1_team_id": team})
    sources = []
    for no in range(SOURCES):
        source = admin(
            "itsm.monitoring.source",
            "create",
            # the run posts about 1 000 requests per source and minute: above the default 600
            {"name": f"Prometheus {name} {no}", "contract_id": contract, "rate_limit_per_minute": 100000},
        )
        action = admin("itsm.monitoring.source", "action_itsm_regenerate_token", [source])
        token = admin("itsm.monitoring.token.wizard", "read", [action["res_id"]], ["token"])[0]["token"]
        uuid = admin("itsm.monitoring.source", "read", [source], ["uuid"])[0]["uuid"]
        sources.append({"id": source, "url": f"{load_test.URL}/itsm/alerts/{uuid}", "token": token})
    return {"contract": contract, "sources": sources}


def send(job, stats, pace, deadline):
    url, token, body = job
    pace.wait()
    started = time.perf_counter()
    first_failure = None
    while time.time() < deadline:
        status, answer = post(url, token, body)
        if status == 200:
            with stats.lock:
                stats.latencies.append(time.perf_counter() - started)
                stats.answered += 1
                for key in stats.counts:
                    stats.counts[key] += answer.get(key, 0)
                stats.statuses[200] = stats.statuses.get(200, 0) + 1
                if stats.threshold and stats.answered >= stats.threshold:
                    stats.due.set()
            return True
        with stats.lock:
            stats.statuses[status] = stats.statuses.get(status, 0) + 1
        if status is not None and status not in RETRY_STATUSES:
            with stats.lock:
                stats.errors.append(f"{url}: HTTP {status}")
            return False
        first_failure = first_failure or time.time()
        if time.time() - first_failure > DOWN_PATIENCE:
            break
        with stats.lock:
            stats.retries += 1
        time.sleep(0.2)
    with stats.lock:
        stats.errors.append(f"{url}: no answer within the bound")
    return False


def run(server, admin, args, name):
    fix = fixture(admin, name)
    stats = Stats()
    pace = Pace(args.rate)
    total = FINGERPRINTS * (FIRINGS + 1) * REPLICAS
    starts = (datetime.now(timezone.utc) - timedelta(minutes=2)).strftime("%Y-%m-%dT%H:%M:%S.%f000Z")
    fault = {"killed_after": None, "down_s": 0.0}
    controller = None
    due = stats.due
    if name == "fault":
        stats.threshold = total // 3

        def crash_and_restart():
            if not due.wait(timeout=args.max_minutes * 60):
                return
            fault["killed_after"] = stats.answered
            devctl.say(f"fault: SIGKILL to the server's process group after {stats.answered} answered requests")
            killed = time.perf_counter()
            server.kill()
            server.start()
            fault["down_s"] = time.perf_counter() - killed
            devctl.say(f"fault: server answering again after {fault['down_s']:.1f} s")

        controller = threading.Thread(target=crash_and_restart, daemon=True)
        controller.start()
    deadline = time.time() + args.max_minutes * 60
    started = time.perf_counter()
    rng = random.Random(16)
    with ThreadPoolExecutor(max_workers=args.senders) as pool:
        for round_no in range(FIRINGS + 1):
            jobs = []
            order = list(range(FINGERPRINTS))
            rng.shuffle(order)
            for fp_no in order:
                source = fix["sources"][fp_no % SOURCES]
                body = notification(fp_no, round_no, starts)
                # both replicas, one after the other in the queue: sent at the same instant by two senders
                jobs += [(source["url"], source["token"], body)] * REPLICAS
            futures = [pool.submit(send, job, stats, pace, deadline) for job in jobs]
            for future in futures:
                future.result()
    wall = time.perf_counter() - started
    if controller:
        due.set()
        controller.join(timeout=180)
        if fault["killed_after"] is None:
            stats.errors.append("the server was never killed")
    return fix, stats, wall, fault


def check(admin, fix, stats, name):
    problems = []
    contract = fix["contract"]
    tickets = admin("helpdesk.ticket", "search_count", [["itsm_contract_id", "=", contract]])
    if tickets != FINGERPRINTS:
        problems.append(f"{tickets} tickets on the contract, expected {FINGERPRINTS}")
    alerts = admin(
        "itsm.monitoring.alert",
        "search_read",
        [["contract_id", "=", contract]],
        fields=["source_id", "fingerprint", "status", "resolved_at", "ticket_id", "fire_count", "opened_ticket"],
    )
    per_fp = {}
    for alert in alerts:
        per_fp.setdefault((alert["source_id"][0], alert["fingerprint"]), []).append(alert)
    if len(per_fp) != FINGERPRINTS:
        problems.append(f"{len(per_fp)} distinct fingerprints, expected {FINGERPRINTS}")
    twice = [key for key, found in per_fp.items() if len(found) != 1]
    if twice:
        problems.append(f"{len(twice)} fingerprints with more than one alert, e.g. {twice[0]}")
    unresolved = [a["fingerprint"] for a in alerts if a["status"] != "resolved" or not a["resolved_at"]]
    if unresolved:
        problems.append(f"{len(unresolved)} alerts not resolved, e.g. {unresolved[0]}")
    without_ticket = [a["fingerprint"] for a in alerts if not a["ticket_id"] or not a["opened_ticket"]]
    if without_ticket:
        problems.append(f"{len(without_ticket)} alerts without the ticket they opened")
    if len({a["ticket_id"][0] for a in alerts if a["ticket_id"]}) != len(alerts):
        problems.append("two alerts share a ticket")
    expected = FIRINGS * REPLICAS
    counts = [a["fire_count"] for a in alerts]
    if name == "plain" and any(count != expected for count in counts):
        problems.append(f"fire counts {sorted(set(counts))}, expected {expected} each (every request once)")
    if name == "fault" and any(count < expected for count in counts):
        problems.append(f"fire counts below {expected}: a firing notification was lost")
    if stats.errors:
        problems.append(f"{len(stats.errors)} requests failed, e.g. {stats.errors[0]}")
    return problems, tickets, counts


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rate", type=float, default=100, help="requests per second at most (default 100)")
    parser.add_argument("--senders", type=int, default=8, help="concurrent senders (default 8)")
    parser.add_argument("--skip-fault", action="store_true", help="leave out the SIGKILL scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--max-minutes", type=float, default=10, help="bound of each scenario (default 10)")
    parser.add_argument("--hostile-only", action="store_true", help="only the hostile phase (short)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, load_test._terminate)

    load_test.check_ports_free(patience=0)  # before the install, which takes minutes
    odoo_cmd, env, bindir = devctl.setup()
    devctl.drop_db(bindir, load_test.DB)
    devctl.say(f"fresh database {load_test.DB}: installing {devctl.MODULE} without demo data")
    subprocess.run(
        [*odoo_cmd, *devctl.odoo_args(load_test.DB), "-i", devctl.MODULE, "--without-demo", "all",
         "--stop-after-init", "--log-level", "warn", "--no-http"],
        env=env,
        check=True,
        timeout=900,
    )  # fmt: skip
    if os.path.exists(load_test.SERVER_LOG):
        os.remove(load_test.SERVER_LOG)
    server = Server(odoo_cmd, env)
    failures, rows, hostile_problems = [], [], ["not run"]
    try:
        server.start()
        admin = login("admin", "admin")
        # warm-up, not measured: each worker loads the registry
        warm = fixture(admin, "warm-up")
        for _ in range(8):
            post(warm["sources"][0]["url"], warm["sources"][0]["token"], notification(999, 0, "2026-01-01T00:00:00Z"))
        scenarios = [] if args.hostile_only else ["plain"] if args.skip_fault else ["plain", "fault"]
        for name in scenarios:
            devctl.say(f"{name}: {SOURCES} sources x {REPLICAS} replicas, {FINGERPRINTS} fingerprints x "
                       f"{FIRINGS + 1} notifications, at most {args.rate:.0f} requests/s")  # fmt: skip
            fix, stats, wall, fault = run(server, admin, args, name)
            admin = login("admin", "admin")
            problems, tickets, _counts = check(admin, fix, stats, name)
            failures += [f"{name}: {p}" for p in problems]
            rows.append((name, stats, wall, fault, tickets))
        devctl.say("hostile: bad alerts, oversized and malformed payloads, odd identifiers")
        hostile_problems = hostile(admin)
        failures += [f"hostile: {p}" for p in hostile_problems]
    finally:
        server.stop()
        if not args.keep:
            devctl.drop_db(bindir, load_test.DB)
    print()
    print(f"Alerts load test: Odoo --workers 4, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}, "
          f"{args.senders} senders, at most {args.rate:.0f} requests/s")  # fmt: skip
    print(f"{'scenario':8} {'answered':>8} {'retries':>7} {'per s':>5} {'p50 ms':>6} {'p95 ms':>6} {'p99 ms':>6} "
          f"{'created':>7} {'updated':>7} {'resolved':>8} {'ignored':>7} {'tickets':>7}")  # fmt: skip
    for name, stats, wall, fault, tickets in rows:
        c = stats.counts
        print(
            f"{name:8} {stats.answered:8d} {stats.retries:7d} {stats.answered / wall:5.1f} "
            f"{percentile(stats.latencies, 0.5) * 1000:6.0f} {percentile(stats.latencies, 0.95) * 1000:6.0f} "
            f"{percentile(stats.latencies, 0.99) * 1000:6.0f} {c['created']:7d} {c['updated']:7d} "
            f"{c['resolved']:8d} {c['ignored']:7d} {tickets:7d}"
        )
        statuses = ", ".join(f"{k or 'no answer'}: {v}" for k, v in sorted(stats.statuses.items(), key=str))
        print(f"  HTTP answers: {statuses}")
        if fault["killed_after"] is not None:
            print(f"  SIGKILL after {fault['killed_after']} answered requests, answering again after "
                  f"{fault['down_s']:.1f} s")  # fmt: skip
    print("latency: from a request's first attempt to its 200 answer (retries included).")
    print(f"hostile phase: {'OK' if not hostile_problems else 'FAILED'}")
    if failures:
        print("INVARIANTS VIOLATED:")
        for failure in failures:
            print(f"  - {failure}")
        sys.exit(1)
    print("INVARIANTS OK")


if __name__ == "__main__":
    main()
