#!/usr/bin/env python3
"""Two Odoo nodes behind HAProxy over a PostgreSQL primary and its streaming replica, under load and faults
(``make ha-load``, issue 26).

Everything it starts is private, under ``.work/ha/``, on free ports of 127.0.0.1 (bind-tested), and stopped at the
end (exceptions and SIGTERM included); it never talks to a server it did not start:

* a PostgreSQL primary (its own cluster in ``.work/ha/primary``, ``wal_level=replica``) and a hot-standby replica
  made with ``pg_basebackup -R`` in ``.work/ha/replica``, both run as the ``postgres`` user;
* the database ``itsm_ha``, copied from a template with the addon installed without demo (``itsm_ha_template``,
  installed once and kept: the install is the slow part), then the fixture of ``tools/load_test.py`` and
  ``tools/alerts_load.py`` over JSON-RPC;
* two Odoo nodes (``--workers 2 --max-cron-threads 1`` each, ``--db_replica_host/--db_replica_port`` on the
  replica) behind ``haproxy -db`` (health check ``GET /web/health``), config in ``.work/ha/haproxy.cfg``.

Three phases, each the same load through the balancer: interventions of ``make load`` (an allow and a block
contract), the alert storm of ``make alerts-load`` and portal readers of the estate and problems pages
(``readonly=True`` routes) at the same time. ``one node``: node 2 is stopped; ``two nodes``; ``faults``: two nodes,
node 1 SIGKILLed after a third of the requests and restarted, then the replica stopped (``pg_ctl stop -m
immediate``) and restarted. The crons (SLA scan, escalation, digest, statements, MCO planner, problem detection) are
made due on both nodes during the run. It prints throughput and p95 per phase, the share of transactions served by
the replica, replica lag, time to recover after each fault, then ``INVARIANTS OK`` (exit 0) or ``INVARIANTS FAILED``
and what failed (exit 1).
"""

import argparse
import csv
import io
import json
import os
import shutil
import signal
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
import uuid
from concurrent.futures import ThreadPoolExecutor
from datetime import datetime
from datetime import timedelta
from datetime import timezone

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

HA = os.path.join(devctl.WORK, "ha")
RUN = os.path.join(HA, "run")  # the sockets of both PostgreSQL servers (each on its own port)
PRIMARY = os.path.join(HA, "primary")
REPLICA = os.path.join(HA, "replica")
DATA = os.path.join(HA, "data")  # one data dir for both nodes: filestore and sessions shared, as over NFS
TEMPLATE = "itsm_ha_template"
TEMPLATE_OK = os.path.join(HA, "template.ok")
DB = "itsm_ha"
PG_BIN = "/usr/lib/postgresql/15/bin"
CRONS = [
    "itsm_service_contract.ir_cron_itsm_sla_scan",
    "itsm_service_contract.ir_cron_itsm_escalation_scan",
    "itsm_service_contract.ir_cron_itsm_daily_digest",
    "itsm_service_contract.ir_cron_itsm_statement_issue",
    "itsm_service_contract.ir_cron_itsm_plan_mco",
    "itsm_service_contract.ir_cron_itsm_detect_problems",
]


free_port = devctl.free_port


def as_pg(cmd, **kwargs):
    return subprocess.run(devctl._as_pg_owner(cmd), check=kwargs.pop("check", True), **kwargs)


def psql(port, sql, db="postgres"):
    out = subprocess.run(
        [os.path.join(PG_BIN, "psql"), "-h", RUN, "-p", str(port), "-U", "odoo", "-d", db, "-tAc", sql],
        capture_output=True,
        text=True,
        check=True,
        timeout=30,
    )
    return out.stdout.strip()


def pg_running(datadir):
    if not os.path.isfile(os.path.join(datadir, "PG_VERSION")):
        return False
    return (
        as_pg([os.path.join(PG_BIN, "pg_ctl"), "-D", datadir, "status"], capture_output=True, check=False).returncode
        == 0
    )


def pg_start(datadir, port):
    opts = (
        f"-k {RUN} -p {port} -c listen_addresses='' -c fsync=off -c max_connections=200 -c wal_level=replica "
        "-c max_wal_senders=5 -c wal_keep_size=1GB -c hot_standby=on"
    )
    log = datadir + ".log"
    as_pg([os.path.join(PG_BIN, "pg_ctl"), "-D", datadir, "-l", log, "-o", opts, "-w", "-t", "120", "start"],
          stdout=subprocess.DEVNULL)  # fmt: skip


def pg_stop(datadir, mode="fast"):
    if pg_running(datadir):
        as_pg([os.path.join(PG_BIN, "pg_ctl"), "-D", datadir, "-m", mode, "-w", "stop"], stdout=subprocess.DEVNULL,
              check=False)  # fmt: skip


def ensure_haproxy():
    if shutil.which("haproxy"):
        return shutil.which("haproxy")
    if not devctl.IS_ROOT:
        devctl.die("HAProxy is missing: sudo apt-get install -y haproxy")
    devctl.say("installing Debian's haproxy")
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", "haproxy"], check=True, env=env, stdout=subprocess.DEVNULL)
    return shutil.which("haproxy")


# --------------------------------------------------------------- the stack ----
class Node:
    def __init__(self, no, odoo_cmd, env, pport, rport):
        self.no, self.env = no, env
        self.port, self.gevent = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.log = os.path.join(HA, f"node{no}.log")
        if os.path.exists(self.log):
            os.remove(self.log)  # this run's log only (a restart appends to it)
        self.cmd = [
            *odoo_cmd, "--addons-path", devctl.addons_path(), "--data-dir", DATA,
            "--db_host", RUN, "--db_port", str(pport), "--db_user", "odoo",
            "--db_replica_host", RUN, "--db_replica_port", str(rport),
            "-d", DB, "--db-filter", f"^{DB}$",
            "--workers", "2", "--max-cron-threads", "1",
            "--http-interface", "127.0.0.1", "--http-port", str(self.port), "--gevent-port", str(self.gevent),
            "--limit-time-real", "300", "--limit-time-cpu", "240", "--log-level", "warn",
            "--log-handler", "odoo.service.model:INFO", "--log-handler", "odoo.addons.base.models.ir_cron:INFO",
            "--log-handler", "odoo.http:WARNING", "--logfile", self.log,
        ]  # fmt: skip
        self.proc = None

    def start(self, patience=240):
        self.proc = subprocess.Popen(self.cmd, env=self.env, start_new_session=True)
        deadline = time.time() + patience
        while time.time() < deadline:
            if get(f"{self.url}/web/health", timeout=5)[0] == 200:
                return
            if self.proc.poll() is not None:
                raise RuntimeError(f"node {self.no} exited with code {self.proc.returncode}; see {self.log}")
            time.sleep(0.5)
        raise RuntimeError(f"node {self.no} did not answer on /web/health within {patience} s")

    def kill(self):
        devctl.kill_group(self.proc)

    def stop(self):
        devctl.stop_group(self.proc)


HAPROXY_CFG = """\
# written by tools/ha_load.py: two Odoo nodes, health-checked (see docs/deployment.rst)
global
    maxconn 1000
defaults
    mode http
    timeout connect 2s
    timeout client 300s
    timeout server 300s
    retries 2
    option redispatch
listen stats
    bind 127.0.0.1:{stats}
    stats enable
    stats uri /stats
frontend itsm
    bind 127.0.0.1:{lb}
    option forwardfor
    use_backend odoo_websocket if {{ path_beg /websocket }}
    default_backend odoo
backend odoo
    balance leastconn
    option httpchk
    # HTTP/1.1 with a Host header: Odoo reads the Host of every request, /web/health included
    http-check send meth GET uri /web/health ver HTTP/1.1 hdr Host itsm
    http-check expect status 200
    # a busy node answers its health check late, not never: a dead one refuses the connection at once
    timeout check 10s
    default-server inter 1s fall 3 rise 1
{servers}
backend odoo_websocket
{ws_servers}
"""


class Balancer:
    def __init__(self, nodes):
        self.port, self.stats = free_port(), free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.cfg = os.path.join(HA, "haproxy.cfg")
        servers = "\n".join(f"    server node{n.no} 127.0.0.1:{n.port} check" for n in nodes)
        ws = "\n".join(f"    server node{n.no} 127.0.0.1:{n.gevent}" for n in nodes)
        with open(self.cfg, "w", encoding="utf-8") as fh:
            fh.write(HAPROXY_CFG.format(stats=self.stats, lb=self.port, servers=servers, ws_servers=ws))
        self.proc = None

    def start(self, haproxy):
        subprocess.run([haproxy, "-c", "-q", "-f", self.cfg], check=True)
        self.proc = subprocess.Popen(
            [haproxy, "-f", self.cfg, "-db"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
            start_new_session=True,
        )  # fmt: skip
        deadline = time.time() + 30
        while time.time() < deadline and get(f"http://127.0.0.1:{self.stats}/stats;csv")[0] != 200:
            time.sleep(0.2)

    def counters(self):
        """Requests answered per server of the ``odoo`` backend: {node: (total, 2xx, 5xx)}."""
        status, body = get(f"http://127.0.0.1:{self.stats}/stats;csv")
        rows = {}
        if status != 200:
            return rows
        for row in csv.DictReader(io.StringIO(body.decode().lstrip("# "))):
            if row["pxname"] == "odoo" and row["svname"].startswith("node"):
                rows[row["svname"]] = (int(row["stot"] or 0), int(row["hrsp_2xx"] or 0), int(row["hrsp_5xx"] or 0))
        return rows

    def stop(self):
        devctl.stop_group(self.proc)


def get(url, timeout=30, headers=None):
    try:
        with urllib.request.urlopen(urllib.request.Request(url, headers=headers or {}), timeout=timeout) as response:
            return response.status, response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, b""
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError):
        return None, b""


def rpc_at(url, service, method, *args, timeout=60):
    payload = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                          "params": {"service": service, "method": method, "args": args}}).encode()  # fmt: skip
    request = urllib.request.Request(f"{url}/jsonrpc", payload, {"Content-Type": "application/json"})
    with urllib.request.urlopen(request, timeout=timeout) as response:
        return json.loads(response.read())


# ----------------------------------------------------------------- samplers ----
class Sampler(threading.Thread):
    """Every second: the replica's state and replay lag seen from the primary, active sessions on the replica."""

    def __init__(self, pport, rport):
        super().__init__(daemon=True)
        self.pport, self.rport = pport, rport
        self.stop_event = threading.Event()
        self.lags, self.replica_active, self.primary_active = [], 0, 0
        self.lock = threading.Lock()

    def run(self):
        while not self.stop_event.wait(1.0):
            try:
                lag = psql(self.pport, "SELECT coalesce(extract(epoch FROM replay_lag), 0) FROM pg_stat_replication "
                                       "WHERE state = 'streaming'")  # fmt: skip
                active = psql(self.pport, f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DB}' AND "
                                          "state = 'active'")  # fmt: skip
                ractive = psql(self.rport, f"SELECT count(*) FROM pg_stat_activity WHERE datname = '{DB}' AND "
                                           "state = 'active'")  # fmt: skip
            except (subprocess.SubprocessError, OSError):
                continue  # the replica is down (fault): nothing to sample
            with self.lock:
                if lag:
                    self.lags.append(float(lag))
                self.primary_active += int(active or 0)
                self.replica_active += int(ractive or 0)


def xact_commits(port):
    try:
        return int(psql(port, f"SELECT xact_commit FROM pg_stat_database WHERE datname = '{DB}'") or 0)
    except (subprocess.SubprocessError, OSError, ValueError):
        return None


def streaming(pport):
    return psql(pport, "SELECT count(*) FROM pg_stat_replication WHERE state = 'streaming'") == "1"


# -------------------------------------------------------------------- main ----
def _terminate(signum, _frame):
    raise SystemExit(128 + signum)


def odoo_db_args(db, pport):
    return ["--addons-path", devctl.addons_path(), "--data-dir", DATA, "--db_host", RUN, "--db_port", str(pport),
            "--db_user", "odoo", "-d", db, "--db-filter", f"^{db}$"]  # fmt: skip


def prepare_database(odoo_cmd, env, pport):
    """``itsm_ha`` copied from the template (the addon installed once, updated when its files change)."""
    marker = None
    if os.path.exists(TEMPLATE_OK):
        with open(TEMPLATE_OK, encoding="utf-8") as fh:
            marker = fh.read()
    have = psql(pport, f"SELECT 1 FROM pg_database WHERE datname='{TEMPLATE}'") == "1"
    digest = addon_digest()
    if not (marker and have):
        devctl.say(f"installing {devctl.MODULE} without demo in the template {TEMPLATE} (once; minutes)")
        psql(pport, f'DROP DATABASE IF EXISTS "{TEMPLATE}" WITH (FORCE)')
        install = ["-i", devctl.MODULE, "--without-demo", "all"]
    elif marker != digest:
        devctl.say(f"the addon changed: updating {devctl.MODULE} in the template {TEMPLATE}")
        install = ["-u", devctl.MODULE]
    else:
        install = None
    if install:
        subprocess.run(
            [*odoo_cmd, *odoo_db_args(TEMPLATE, pport), *install, "--stop-after-init", "--log-level", "warn",
             "--no-http"],
            env=env, check=True, timeout=1800,
        )  # fmt: skip
        with open(TEMPLATE_OK, "w", encoding="utf-8") as fh:
            fh.write(digest)
    psql(pport, f'DROP DATABASE IF EXISTS "{DB}" WITH (FORCE)')
    psql(pport, f'CREATE DATABASE "{DB}" TEMPLATE "{TEMPLATE}"')
    store = os.path.join(DATA, "filestore")
    shutil.rmtree(os.path.join(store, DB), ignore_errors=True)
    if os.path.isdir(os.path.join(store, TEMPLATE)):
        shutil.copytree(os.path.join(store, TEMPLATE), os.path.join(store, DB))


def make_replica(pport, rport):
    pg_stop(REPLICA, "immediate")
    shutil.rmtree(REPLICA, ignore_errors=True)
    as_pg([os.path.join(PG_BIN, "pg_basebackup"), "-D", REPLICA, "-R", "-X", "stream", "-c", "fast",
           "-h", RUN, "-p", str(pport), "-U", "odoo"])  # fmt: skip
    pg_start(REPLICA, rport)
    deadline = time.time() + 60
    while time.time() < deadline and not streaming(pport):
        time.sleep(0.5)
    if not streaming(pport):
        raise RuntimeError("the replica is not streaming after 60 s")


def addon_digest():
    """A digest of the addon's files that an install reads: the template is updated when it changes."""
    import hashlib  # noqa: PLC0415

    digest = hashlib.sha1()
    for folder, dirs, files in os.walk(devctl.ROOT):
        dirs[:] = sorted(d for d in dirs if d not in (".work", ".git", "tools", "docs", "tests", "i18n_parts"))
        for name in sorted(files):
            if name.endswith((".py", ".xml", ".csv", ".po", ".js", ".scss", ".css")):
                path = os.path.join(folder, name)
                digest.update(path.encode())
                with open(path, "rb") as fh:
                    digest.update(fh.read())
    return digest.hexdigest()


os.environ["ITSM_LOAD_DB"] = DB  # read by load_test (and alerts_load) when imported
import alerts_load  # noqa: E402
import load_test  # noqa: E402


class Readers:
    """Portal readers of ``readonly=True`` routes (the estate and problems pages), logged in as the technician."""

    def __init__(self, lb_url, count):
        self.urls = [f"{lb_url}/my/estate", f"{lb_url}/my/itsm/problems"]
        self.count = count
        self.cookie = session_cookie(lb_url, load_test.TECH_LOGIN, load_test.TECH_PASSWORD)
        self.lock = threading.Lock()
        self.latencies, self.failures = [], 0
        self.stop_event = threading.Event()
        self.threads = [threading.Thread(target=self.read, args=(no,), daemon=True) for no in range(count)]

    def read(self, no):
        turn = no
        while not self.stop_event.is_set():
            turn += 1
            started = time.perf_counter()
            status, _body = get(self.urls[turn % len(self.urls)], headers={"Cookie": self.cookie})
            with self.lock:
                if status == 200:
                    self.latencies.append(time.perf_counter() - started)
                else:
                    self.failures += 1
            self.stop_event.wait(0.2 if status == 200 else 0.5)

    def start(self):
        for thread in self.threads:
            thread.start()

    def stop(self):
        self.stop_event.set()
        for thread in self.threads:
            thread.join(timeout=60)


def session_cookie(lb_url, login, password):
    """A web session (``session_id`` cookie) of ``login``: sessions are files in the data dir both nodes share."""
    payload = json.dumps({"jsonrpc": "2.0", "method": "call", "id": 1,
                          "params": {"db": DB, "login": login, "password": password}}).encode()  # fmt: skip
    request = urllib.request.Request(
        f"{lb_url}/web/session/authenticate", payload, {"Content-Type": "application/json"}
    )
    with urllib.request.urlopen(request, timeout=60) as response:
        cookie = response.headers.get("Set-Cookie", "")
    return cookie.split(";", 1)[0]


def contract_page(lb_url, admin, contract):
    token = admin("itsm.contract", "read", [contract], ["access_token"])[0]["access_token"]
    if not token:
        token = str(uuid.uuid4())
        admin("itsm.contract", "write", [contract], {"access_token": token})
    return f"{lb_url}/my/contracts/{contract}?access_token={token}"


def force_crons(admin):
    """The crons of the addon due now, on whichever node's cron worker picks them first."""
    ids = [load_test.xmlid(admin, *name.split(".")) for name in CRONS]
    past = (datetime.now(timezone.utc) - timedelta(hours=1)).strftime("%Y-%m-%d %H:%M:%S")
    admin("ir.cron", "write", ids, {"nextcall": past})
    return ids


def trigger_crons_on_both(nodes, cron_ids):
    """Each cron started by hand on both nodes at the same instant ("Run manually" twice)."""
    outcomes = {"ran": 0, "refused": 0, "failed": []}

    def trigger(node, cron):
        try:
            answer = rpc_at(node.url, "object", "execute_kw", DB, 2, "admin", "ir.cron", "method_direct_trigger",
                            [[cron]], {}, timeout=280)  # fmt: skip
        except (urllib.error.URLError, OSError) as exc:
            outcomes["failed"].append(f"node {node.no}, cron {cron}: {exc}")
            return
        if "error" in answer:
            message = (answer["error"].get("data") or {}).get("message", "")
            if "currently being executed" in message or "cannot be modified right now" in message:
                outcomes["refused"] += 1
            else:
                outcomes["failed"].append(f"node {node.no}, cron {cron}: {message[:200]}")
        else:
            outcomes["ran"] += 1

    with ThreadPoolExecutor(max_workers=2 * len(cron_ids)) as pool:
        for cron in cron_ids:
            for node in nodes:
                pool.submit(trigger, node, cron)
    return outcomes


def wait_first_success(check, bound=180):
    started = time.perf_counter()
    while time.perf_counter() - started < bound:
        try:
            if check():
                return time.perf_counter() - started
        except (urllib.error.URLError, OSError, subprocess.SubprocessError):
            pass
        time.sleep(0.1)
    return None


def run_phase(name, ctx, args, fault=False):
    """One phase: interventions (allow and block), alert storm and portal readers at once, through the LB."""
    admin, fixture, lb = ctx["admin"], ctx["fixture"], ctx["lb"]
    allow = load_test.new_client_company(admin, fixture, f"HA {name} allow", "allow", 10.0)
    block_credit = round(args.clients * args.per_client * 0.3, 2)
    block = load_test.new_client_company(admin, fixture, f"HA {name} block", "block", block_credit)
    readers = Readers(lb.url, args.readers)
    stats_allow, stats_block = load_test.Stats(), load_test.Stats()
    alert_args = argparse.Namespace(rate=args.rate, senders=args.senders, max_minutes=args.max_minutes)
    alerts = {}
    faults = {}
    counters0 = lb.counters()
    commits0 = (xact_commits(ctx["pport"]), xact_commits(ctx["rport"]))
    sampled0 = (ctx["sampler"].primary_active, ctx["sampler"].replica_active, len(ctx["sampler"].lags))
    deadline = time.time() + args.max_minutes * 60
    demand = 2 * args.clients * args.per_client

    def answered():
        return stats_allow.calls + stats_block.calls

    def controller():
        # node 1 SIGKILLed after a third of the interventions, restarted; the replica stopped after two thirds
        while answered() < demand // 3 and time.time() < deadline:
            time.sleep(0.1)
        node = ctx["nodes"][0]
        devctl.say(f"fault: SIGKILL to node {node.no} after {answered()} answered interventions")
        node.kill()
        faults["node_lb_s"] = wait_first_success(
            lambda: "result" in rpc_at(lb.url, "object", "execute_kw", DB, 2, "admin", "res.partner",
                                       "search_count", [[]], {}, timeout=30)
        )  # fmt: skip
        started = time.perf_counter()
        node.start()
        faults["node_back_s"] = time.perf_counter() - started
        devctl.say(f"fault: node {node.no} answering again after {faults['node_back_s']:.1f} s")
        while answered() < 2 * demand // 3 and time.time() < deadline:
            time.sleep(0.1)
        devctl.say(f"fault: replica stopped (immediate) after {answered()} answered interventions")
        pg_stop(REPLICA, "immediate")
        faults["replica_lb_s"] = wait_first_success(
            lambda: get(readers.urls[0], timeout=30, headers={"Cookie": readers.cookie})[0] == 200
        )
        time.sleep(3)
        started = time.perf_counter()
        pg_start(REPLICA, ctx["rport"])
        if wait_first_success(lambda: streaming(ctx["pport"]), bound=120) is not None:
            faults["replica_streaming_s"] = time.perf_counter() - started
        devctl.say(f"fault: replica restarted, streaming again after {faults['replica_streaming_s']} s")

    # the sources and tokens made before the load starts (and before any fault): alerts_load.run takes them
    alert_fixture = alerts_load.fixture(admin, name)

    def alert_storm():
        make_fixture = alerts_load.fixture
        alerts_load.fixture = lambda _admin, _name: alert_fixture
        try:
            alerts["fix"], alerts["stats"], alerts["wall"], _fault = alerts_load.run(None, admin, alert_args, "plain")
        except (load_test.Down, load_test.RpcError) as exc:
            alerts["error"] = str(exc)
        finally:
            alerts_load.fixture = make_fixture

    threads = [
        threading.Thread(target=load_test.run_clients, args=(fixture, allow, args.per_client, stats_allow, deadline)),
        threading.Thread(target=load_test.run_clients, args=(fixture, block, args.per_client, stats_block, deadline)),
        threading.Thread(target=alert_storm),
    ]
    if fault:
        threads.append(threading.Thread(target=controller))
    started = time.perf_counter()
    readers.start()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=args.max_minutes * 60 + 300)
    wall = time.perf_counter() - started
    readers.stop()
    counters1 = lb.counters()
    commits1 = (xact_commits(ctx["pport"]), xact_commits(ctx["rport"]))
    sampler = ctx["sampler"]
    with sampler.lock:
        primary_active = sampler.primary_active - sampled0[0]
        replica_active = sampler.replica_active - sampled0[1]
        lags = sampler.lags[sampled0[2] :]
    admin = load_test.login("admin", "admin")
    problems = []
    for label, company, policy, stats in (
        ("allow", allow, "allow", stats_allow),
        ("block", block, "block", stats_block),
    ):
        found, _lines, _balance = load_test.check_invariants(admin, company, policy, stats)
        problems += [f"interventions {label}: {p}" for p in found]
    if "stats" in alerts:
        found, tickets, _counts = alerts_load.check(
            admin, alerts["fix"], alerts["stats"], "fault" if fault else "plain"
        )
        problems += [f"alerts: {p}" for p in found]
    else:
        problems.append(f"alerts: the storm did not end: {alerts.get('error')}")
        tickets = 0
    if fault:
        for key in ("node_lb_s", "node_back_s", "replica_lb_s", "replica_streaming_s"):
            if faults.get(key) is None:
                problems.append(f"fault: {key} never reached")
    per_node = {
        node: counters1.get(node, (0, 0, 0))[0] - counters0.get(node, (0, 0, 0))[0] for node in ("node1", "node2")
    }
    d_primary = (commits1[0] or 0) - (commits0[0] or 0)
    d_replica = (commits1[1] or 0) - (commits0[1] or 0) if None not in (commits0[1], commits1[1]) else None
    astats = alerts.get("stats")
    latencies = stats_allow.latencies + stats_block.latencies
    requests = stats_allow.calls + stats_block.calls + (astats.answered if astats else 0) + len(readers.latencies)
    return {
        "name": name,
        "interventions": stats_allow.calls + stats_block.calls,
        "refused": len(stats_block.refusals),
        "alerts": astats.answered if astats else 0,
        "tickets": tickets,
        "pages": len(readers.latencies),
        "page_failures": readers.failures,
        "wall": wall,
        "rate": requests / wall if wall else 0.0,
        "p95_line": load_test.percentile(latencies, 0.95) * 1000,
        "p95_alert": load_test.percentile(astats.latencies, 0.95) * 1000 if astats else 0.0,
        "p95_page": load_test.percentile(readers.latencies, 0.95) * 1000,
        "per_node": per_node,
        "commits": (d_primary, d_replica),
        "active": (primary_active, replica_active),
        "lag_max": max(lags) * 1000 if lags else 0.0,
        "lag_p95": load_test.percentile(lags, 0.95) * 1000,
        "faults": faults,
        "problems": problems,
    }


def read_your_writes(ctx, rounds):
    """A ticket and an intervention over JSON-RPC, then at once the contract page through the LB: shown?"""
    admin, fixture, lb = ctx["admin"], ctx["fixture"], ctx["lb"]
    company = load_test.new_client_company(admin, fixture, "HA read-your-writes", "allow", 100.0)
    page = contract_page(lb.url, admin, company["contract"])
    technician = load_test.Client(fixture["tech_uid"], load_test.TECH_PASSWORD)
    seen = {"contract page": 0}
    for no in range(rounds):
        name = f"RYW {no} {uuid.uuid4().hex[:8]}"
        ticket = admin("helpdesk.ticket", "create", {
            "name": name, "description": "Read your writes", "partner_id": company["partner"],
            "team_id": fixture["team"], "project_id": fixture["project"]})  # fmt: skip
        moment = datetime.now(timezone.utc).replace(tzinfo=None) + timedelta(minutes=no)
        technician("account.analytic.line", "create", [{
            "name": name, "ticket_id": ticket, "project_id": fixture["project"],
            "employee_id": fixture["employee"], "date_time": moment.strftime("%Y-%m-%d %H:%M:%S"),
            "unit_amount": 0.5}])  # fmt: skip
        status, body = get(page)
        if status == 200 and name.encode() in body:
            seen["contract page"] += 1
    return seen


def cron_work(admin):
    """The crons' work, per key: more than one is work done twice."""
    problems, counts = [], {}
    statements = admin("itsm.statement", "search_read", [], fields=["contract_id", "period_start"])
    reports = admin("itsm.mco.report", "search_read", [], fields=["contract_id", "period_key"])
    digests = admin(
        "mail.mail", "search_read", [["model", "=", "helpdesk.ticket.team"]], fields=["res_id", "create_date"]
    )
    for label, rows, key in (
        ("statements", statements, lambda r: (r["contract_id"][0], r["period_start"])),
        ("MCO reports", reports, lambda r: (r["contract_id"][0], r["period_key"])),
        ("digests", digests, lambda r: (r["res_id"], r["create_date"][:10])),
    ):
        per_key = {}
        for row in rows:
            per_key[key(row)] = per_key.get(key(row), 0) + 1
        counts[label] = len(rows)
        twice = [k for k, n in per_key.items() if n > 1]
        if twice:
            problems.append(f"{len(twice)} {label} made more than once, e.g. {twice[0]}")
    return counts, problems


def cron_runs(nodes):
    """Cron jobs started per node, read in the nodes' logs."""
    runs = {}
    for node in nodes:
        try:
            with open(node.log, encoding="utf-8", errors="replace") as log:
                runs[node.no] = sum(1 for line in log if "odoo.addons.base.models.ir_cron" in line and (
                    ") starting" in line or "started manually" in line))  # fmt: skip
        except FileNotFoundError:
            runs[node.no] = 0
    return runs


def print_report(args, rows, ctx, extra, failures):
    print()
    print(f"HA load test: 2 Odoo nodes (--workers 2, --max-cron-threads 1) behind HAProxy, PostgreSQL 15 primary "
          f"+ streaming replica, {os.cpu_count()} cores, {time.strftime('%Y-%m-%d %H:%M')}")  # fmt: skip
    print(f"per phase: {args.clients} x 2 clients x {args.per_client} interventions (allow + block contract), "
          f"{alerts_load.FINGERPRINTS} fingerprints x 5 notifications x 2 Alertmanager replicas "
          f"at <= {args.rate:.0f}/s, "
          f"{args.readers} portal readers")  # fmt: skip
    print(f"{'phase':10} {'interv':>6} {'refused':>7} {'alerts':>6} {'pages':>5} {'wall s':>6} {'req/s':>5} "
          f"{'p95 int':>7} {'p95 alrt':>8} {'p95 page':>8} {'node1':>5} {'node2':>5} {'replica tx':>10} "
          f"{'lag p95':>7} {'lag max':>7}")  # fmt: skip
    for row in rows:
        d_primary, d_replica = row["commits"]
        # an immediate stop discards the replica's statistics: its counter starts again from zero
        share = "-"
        if d_replica is not None and d_replica >= 0 and d_primary + d_replica > 0:
            share = f"{100 * d_replica / (d_primary + d_replica):.0f}%"
        print(
            f"{row['name']:10} {row['interventions']:6d} {row['refused']:7d} {row['alerts']:6d} {row['pages']:5d} "
            f"{row['wall']:6.1f} {row['rate']:5.1f} {row['p95_line']:7.0f} {row['p95_alert']:8.0f} "
            f"{row['p95_page']:8.0f} {row['per_node']['node1']:5d} {row['per_node']['node2']:5d} {share:>10} "
            f"{row['lag_p95']:7.1f} {row['lag_max']:7.1f}"
        )
    print("req/s: interventions + alerts + portal pages answered per second; p95 in ms (interventions and alerts from")
    print("the first attempt, retries included); node1/node2: requests HAProxy sent to each; replica tx: share of the")
    print("transactions of the database committed on the replica (pg_stat_database.xact_commit); lag in ms")
    print("(pg_stat_replication.replay_lag sampled every second).")
    for row in rows:
        active_p, active_r = row["active"]
        if active_p + active_r:
            print(f"{row['name']}: sessions seen active (1 s samples) on the replica: "
                  f"{100 * active_r / (active_p + active_r):.0f}% ({active_r} / {active_p + active_r}); "
                  f"portal pages failed: {row['page_failures']}")  # fmt: skip
        f = row["faults"]
        if f:
            print(f"{row['name']}: node 1 SIGKILLed: first answer through the LB after "
                  f"{f.get('node_lb_s') or 0:.2f} s, "
                  f"node 1 restarted and healthy after {f.get('node_back_s') or 0:.1f} s")  # fmt: skip
            print(f"{row['name']}: replica stopped: first portal page through the LB after "
                  f"{f.get('replica_lb_s') or 0:.2f} s (read on the primary), replica streaming again "
                  f"{f.get('replica_streaming_s') or 0:.1f} s after its restart")  # fmt: skip
    print(f"crons started per node (logs): {extra['cron_runs']}; run by hand on both nodes at once: "
          f"{extra['manual']['ran']} ran, {extra['manual']['refused']} refused (already running)")  # fmt: skip
    print(f"cron work: {extra['cron_counts']}")
    print(f"read-your-writes (page right after a ticket and an intervention, {args.ryw} times): {extra['ryw']}")
    if failures:
        print("INVARIANTS FAILED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("INVARIANTS OK")
    return 0


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=3, help="clients per contract (default 3)")
    parser.add_argument("--per-client", type=int, default=12, help="interventions per client (default 12)")
    parser.add_argument("--fingerprints", type=int, default=30, help="alert fingerprints per phase (default 30)")
    parser.add_argument("--rate", type=float, default=15, help="alert requests per second at most (default 15)")
    parser.add_argument("--senders", type=int, default=4, help="concurrent alert senders (default 4)")
    parser.add_argument("--readers", type=int, default=2, help="concurrent portal readers (default 2)")
    parser.add_argument("--ryw", type=int, default=5, help="read-your-writes rounds (default 5)")
    parser.add_argument("--max-minutes", type=float, default=3, help="bound of each phase (default 3)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)
    alerts_load.FINGERPRINTS = args.fingerprints
    total = time.perf_counter()
    code = 1

    odoo_cmd, _src = devctl.find_odoo()
    env = dict(os.environ)
    devctl.ensure_system_packages()
    devctl.ensure_python_requirements(env)
    haproxy = ensure_haproxy()
    os.makedirs(RUN, exist_ok=True)
    os.makedirs(DATA, exist_ok=True)
    devctl.give_to_pg_owner(HA, RUN)
    pport, rport = free_port(), free_port()
    nodes, lb, sampler = [], None, None
    try:
        pg_stop(PRIMARY)  # a cluster left by an interrupted run: restarted on this run's port
        pg_stop(REPLICA, "immediate")
        devctl.initdb(PG_BIN, PRIMARY)
        pg_start(PRIMARY, pport)
        devctl.say(f"PostgreSQL primary on {RUN} port {pport}")
        prepare_database(odoo_cmd, env, pport)
        make_replica(pport, rport)
        devctl.say(f"replica streaming, port {rport}")
        nodes = [Node(no, odoo_cmd, env, pport, rport) for no in (1, 2)]
        lb = Balancer(nodes)
        lb.start(haproxy)
        load_test.URL = lb.url  # every JSON-RPC call and webhook of the load goes through the balancer
        sampler = Sampler(pport, rport)
        sampler.start()
        ctx = {"lb": lb, "nodes": nodes, "pport": pport, "rport": rport, "sampler": sampler}
        nodes[0].start()
        devctl.say(f"node 1 on {nodes[0].port}, HAProxy on {lb.port} (stats {lb.stats}); setting up the fixture")
        if wait_first_success(lambda: get(f"{lb.url}/web/health")[0] == 200, bound=60) is None:
            raise RuntimeError("HAProxy does not see node 1 healthy within 60 s")
        admin = load_test.login("admin", "admin")
        fixture = load_test.build_fixture(admin, args.clients)
        admin("res.users", "write", [fixture["tech_uid"]], {"email": "load.technician@example.com"})
        ctx.update(admin=admin, fixture=fixture)
        cron_ids = force_crons(admin)
        warm = load_test.new_client_company(admin, fixture, "HA warm-up")
        load_test.run_clients(fixture, warm, 2, load_test.Stats(), time.time() + 120)
        rows = []
        devctl.say("phase one node: node 2 stopped")
        rows.append(run_phase("one node", ctx, args))
        nodes[1].start()
        devctl.say(f"node 2 on {nodes[1].port}; phase two nodes")
        wait_first_success(lambda: lb.counters().get("node2") is not None, bound=10)
        time.sleep(1.5)  # HAProxy's health check sees node 2 up
        force_crons(admin)
        manual = {}
        trigger = threading.Thread(target=lambda: manual.update(trigger_crons_on_both(nodes, cron_ids)))
        trigger.start()
        rows.append(run_phase("two nodes", ctx, args))
        trigger.join(timeout=300)
        ctx["admin"] = load_test.login("admin", "admin")
        ryw = read_your_writes(ctx, args.ryw)
        devctl.say("phase faults: node 1 SIGKILLed and restarted, replica stopped and restarted")
        force_crons(ctx["admin"])
        rows.append(run_phase("faults", ctx, args, fault=True))
        time.sleep(2)
        admin = load_test.login("admin", "admin")
        counts, cron_problems = cron_work(admin)
        failures = [f"{row['name']}: {p}" for row in rows for p in row["problems"]] + cron_problems
        failures += [f"cron run by hand: {f}" for f in manual.get("failed", [])]
        extra = {"cron_runs": cron_runs(nodes), "manual": manual or {"ran": 0, "refused": 0}, "cron_counts": counts,
                 "ryw": ryw}  # fmt: skip
        code = print_report(args, rows, ctx, extra, failures)
        print(f"whole run: {time.perf_counter() - total:.0f} s; logs in {HA}")
    finally:
        if sampler:
            sampler.stop_event.set()
        for node in nodes:
            node.stop()
        if lb:
            lb.stop()
        pg_stop(REPLICA, "fast")
        pg_stop(PRIMARY, "fast")
    sys.exit(code)


if __name__ == "__main__":
    main()
