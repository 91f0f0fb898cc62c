#!/usr/bin/env python3
"""Load and fault test of the credit ledger against a real Odoo server (``make load``).

It installs the addon in a fresh database (``itsm_load``, no demo data), starts Odoo from the project's set-up
with ``--workers 4`` on 127.0.0.1 and drives it over JSON-RPC with N concurrent clients (threads of this
process), each logging M interventions on its own ticket of the same prepaid contract. Scenarios:

* ``plain``: the same lines on tickets of a client with no contract (the baseline);
* ``allow``: a contract that allows overdrafts;
* ``block``: a contract that refuses them, with less credit than the demand;
* ``fault``: like ``allow``, but the server is killed (SIGKILL, whole process group) after a third of the
  calls and restarted; the clients retry until it answers again.

After each scenario it checks what the database committed (over JSON-RPC): every call answered as saved has
its line, found by its unique name; no refused call left a line; no line is there twice (except in ``fault``,
for a call whose answer was lost in the crash); one live consumption move per line on the contract, with the
line's credit hours, and none without its line; the balance equals the initial credit minus the credit hours
of the lines, and the sum of the moves; with ``block`` the running sum of the ledger (moves in the order they
were posted, inside the contract lock) never goes below zero and every refused call got the addon's message
naming the contract. It prints throughput and the p50 / p95 / p99 latency of a logging call, side by side with
the plain baseline, how many requests Odoo replayed (serialization failures, deadlocks: counted in its log),
then ``INVARIANTS OK`` (exit 0) or what failed (exit 1). Every loop is bounded in count and time; the server it
started is stopped in any case (SIGTERM included); all traffic stays on 127.0.0.1, on ``ITSM_HTTP_PORT``.
"""

import argparse
import itertools
import json
import os
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

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

DB = os.environ.get("ITSM_LOAD_DB", "itsm_load")
# Ports of the load test's own server: free ports the system gives (never 8069, where `make run`'s demo server
# may be answering), or those named by ITSM_LOAD_PORT / ITSM_LOAD_GEVENT_PORT. Server.start checks they are
# still free and that the server answering is the one it started.
PORT = int(os.environ.get("ITSM_LOAD_PORT") or devctl.free_port())
GEVENT_PORT = int(os.environ.get("ITSM_LOAD_GEVENT_PORT") or devctl.free_port(exclude={PORT}))
URL = f"http://127.0.0.1:{PORT}"
TECH_LOGIN, TECH_PASSWORD = "load.technician", "load-technician"
SERVER_LOG = os.path.join(devctl.WORK, "load-server.log")
CALL_TIMEOUT = 60  # seconds for one JSON-RPC call
DOWN_PATIENCE = 120  # seconds a client keeps retrying while the server is down
MAX_RETRIES = 8  # serialization conflicts retried per call
START = datetime(2026, 11, 16, 8, 0)
CONFLICT_MARKERS = ("could not serialize", "concurrent update", "deadlock detected", "lock not available")
OVERDRAW_MARKER = "would overdraw it"


class RpcError(Exception):
    def __init__(self, name, message):
        super().__init__(f"{name}: {message}")
        self.name = name
        self.message = message


class Down(Exception):
    """The server did not answer (refused connection, reset, timeout)."""


_ids = itertools.count(1)


def rpc(service, method, *args, timeout=CALL_TIMEOUT):
    payload = json.dumps(
        {
            "jsonrpc": "2.0",
            "method": "call",
            "id": next(_ids),
            "params": {"service": service, "method": method, "args": args},
        }
    ).encode()
    request = urllib.request.Request(f"{URL}/jsonrpc", payload, {"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            answer = json.loads(response.read())
    except (urllib.error.URLError, ConnectionError, TimeoutError, OSError) as exc:
        raise Down(str(exc)) from exc
    if "error" in answer:
        data = answer["error"].get("data") or {}
        raise RpcError(data.get("name", "error"), data.get("message") or answer["error"].get("message", ""))
    return answer.get("result")  # Odoo leaves the key out when the method returns None


class Client:
    def __init__(self, uid, password):
        self.uid, self.password = uid, password

    def __call__(self, model, method, *args, **kwargs):
        return rpc("object", "execute_kw", DB, self.uid, self.password, model, method, list(args), kwargs)


def login(user, password):
    return Client(rpc("common", "login", DB, user, password), password)


# ---------------------------------------------------------------- server ----
def check_ports_free(patience=30.0):
    """Stop, with a clear message, when the server's ports are taken: the load test talks to no other server.

    Waits ``patience`` seconds first: after a SIGKILL, the killed workers hold the listening socket until
    the kernel has reaped them."""
    deadline = time.time() + patience
    for port in (PORT, GEVENT_PORT):
        while not devctl.port_is_free(port) and time.time() < deadline:
            time.sleep(0.5)
        if not devctl.port_is_free(port):
            raise SystemExit(
                f"Port {port} of 127.0.0.1 is already taken by another process: the load test runs its own "
                "server and talks to no other. Free it, or leave ITSM_LOAD_PORT / ITSM_LOAD_GEVENT_PORT unset "
                "(free ports are then chosen)."
            )


class Server:
    def __init__(self, odoo_cmd, env):
        self.cmd = [
            *odoo_cmd,
            *devctl.odoo_args(DB),
            "--workers", "4",
            "--max-cron-threads", "0",
            "--http-interface", "127.0.0.1",
            "--http-port", str(PORT),
            "--gevent-port", str(GEVENT_PORT),
            "--limit-time-real", "300",
            "--limit-time-cpu", "240",
            "--log-level", "warn",
            # Odoo logs each replay of a request after a serialization failure or a deadlock at INFO
            "--log-handler", "odoo.service.model:INFO",
            "--logfile", SERVER_LOG,
        ]  # fmt: skip
        self.env = env
        self.proc = None

    def start(self):
        """Start the server on its own ports; stop with a clear message rather than talk to another server."""
        check_ports_free()
        self.proc = subprocess.Popen(self.cmd, env=self.env, start_new_session=True)
        deadline = time.time() + 120
        while time.time() < deadline:
            if self.proc.poll() is not None:
                raise SystemExit(f"Odoo exited with code {self.proc.returncode}; see {SERVER_LOG}")
            try:
                with urllib.request.urlopen(f"{URL}/web/health", timeout=5) as response:
                    if response.status == 200:
                        self.check_identity()
                        return
            except (urllib.error.URLError, ConnectionError, OSError):
                pass
            time.sleep(0.5)
        raise SystemExit("Odoo did not answer on /web/health within 120 s")

    def check_identity(self):
        """The server answering is ours: our process is alive and the socket listening on the port belongs to
        its process group (Odoo's workers share the listening socket of the process started here)."""
        if self.proc.poll() is not None:
            raise SystemExit(
                f"The server started on port {PORT} exited (code {self.proc.returncode}), yet something answers "
                f"there: another server. Stopping; see {SERVER_LOG}"
            )
        owners = devctl.listening_pids(PORT)
        if owners is not None and not any(devctl.process_group(pid) == self.proc.pid for pid in owners):
            raise SystemExit(
                f"Port {PORT} is answered by process(es) {sorted(owners)}, not by the server started here "
                f"(process group {self.proc.pid}): another server. Stopping."
            )

    def kill(self):
        """SIGKILL to the server and all its workers, like a crash or an OOM kill."""
        devctl.kill_group(self.proc)

    def stop(self):
        devctl.stop_group(self.proc)


# --------------------------------------------------------------- fixture ----
def xmlid(admin, module, name):
    found = admin("ir.model.data", "search_read", [["module", "=", module], ["name", "=", name]], fields=["res_id"])
    return found[0]["res_id"]


def build_fixture(admin, clients):
    tech_group = xmlid(admin, "itsm_service_contract", "group_itsm_technician")
    tech_uid = admin(
        "res.users",
        "create",
        {
            "name": "Load technician",
            "login": TECH_LOGIN,
            "password": TECH_PASSWORD,
            "groups_id": [[6, 0, [tech_group]]],
        },
    )
    employee = admin("hr.employee", "create", {"name": "Load technician", "user_id": tech_uid})
    project = admin("project.project", "create", {"name": "Load support", "allow_timesheets": True})
    team = admin(
        "helpdesk.ticket.team",
        "create",
        {"name": "Load team", "allow_timesheet": True, "default_project_id": project, "user_ids": [[6, 0, [tech_uid]]]},
    )
    return {"tech_uid": tech_uid, "employee": employee, "project": project, "team": team, "clients": clients}


def new_client_company(admin, fixture, name, policy=None, credit=0.0):
    """A client company, its tickets (one per load client) and, with a policy, its contract and credit."""
    partner = admin("res.partner", "create", {"name": name, "is_company": True})
    contract = None
    if policy:
        contract = admin(
            "itsm.contract",
            "create",
            {"partner_id": partner, "overdraft_policy": policy, "date_start": "2026-11-02", "title": name},
        )
        admin("itsm.contract", "action_activate", [contract])
        admin(
            "itsm.credit.move",
            "create",
            {
                "contract_id": contract,
                "move_type": "adjustment",
                "hours": credit,
                "name": "Initial credit of the load test",
                "reason": "Load test",
                "date": "2026-11-02",
            },
        )
    tickets = [
        admin(
            "helpdesk.ticket",
            "create",
            {
                "name": f"{name} ticket {i}",
                "description": "Load test",
                "partner_id": partner,
                "team_id": fixture["team"],
                "project_id": fixture["project"],
                "itsm_request_date": "2026-11-02 08:00:00",
            },
        )
        for i in range(fixture["clients"])
    ]
    return {"partner": partner, "contract": contract, "tickets": tickets, "credit": credit}


# ------------------------------------------------------------- scenarios ----
class Stats:
    """What the clients saw. Latencies run from the first attempt of a call to its final answer."""

    def __init__(self):
        self.lock = threading.Lock()
        self.latencies, self.refused_latencies, self.refusals, self.errors = [], [], [], []
        self.ok_names, self.refused_names, self.down_names = set(), set(), set()
        self.ok = self.retries = self.down_retries = self.calls = 0


def line_values(fixture, ticket, client_no, call_no):
    # Different durations and start times: quarter-hour rounding, evenings (non-working hours), various costs.
    minutes = 10 + (client_no * 7 + call_no * 13) % 110
    start = START + timedelta(days=call_no % 10, hours=(client_no + call_no) % 12, minutes=call_no % 4 * 15)
    return {
        "name": f"Load c{client_no} #{call_no}",  # unique: the checks find each call's line by its name
        "ticket_id": ticket,
        "project_id": fixture["project"],
        "employee_id": fixture["employee"],
        "date_time": start.strftime("%Y-%m-%d %H:%M:%S"),
        "unit_amount": round(minutes / 60, 4),
    }


def run_clients(fixture, company, per_client, stats, deadline, on_progress=None):
    """N threads, each logging its M interventions one call at a time, as the technician."""
    technician = Client(fixture["tech_uid"], TECH_PASSWORD)

    def one_client(client_no):
        ticket = company["tickets"][client_no]
        for call_no in range(per_client):
            if time.time() >= deadline:
                with stats.lock:
                    stats.errors.append(f"client {client_no}: scenario time bound reached at call {call_no}")
                return
            values = line_values(fixture, ticket, client_no, call_no)
            attempt, down_since, started = 0, None, time.perf_counter()
            while True:
                if time.time() >= deadline:
                    with stats.lock:
                        stats.errors.append(f"{values['name']}: scenario time bound reached")
                    return
                try:
                    technician("account.analytic.line", "create", [values])
                except Down:
                    # The call may or may not have been committed: the checks allow this one line twice.
                    down_since = down_since or time.time()
                    with stats.lock:
                        stats.down_retries += 1
                        stats.down_names.add(values["name"])
                    if time.time() - down_since > DOWN_PATIENCE:
                        with stats.lock:
                            stats.errors.append(f"{values['name']}: server down for more than {DOWN_PATIENCE} s")
                        return
                    time.sleep(0.5)
                    continue
                except RpcError as exc:
                    if any(marker in exc.message.lower() for marker in CONFLICT_MARKERS) and attempt < MAX_RETRIES:
                        # Odoo already replayed it 5 times: retry the call, bounded, with a growing pause.
                        attempt += 1
                        with stats.lock:
                            stats.retries += 1
                        time.sleep(0.05 * attempt)
                        continue
                    with stats.lock:
                        stats.calls += 1
                        if exc.name.endswith(("UserError", "ValidationError")):
                            stats.refusals.append(exc.message)
                            stats.refused_names.add(values["name"])
                            stats.refused_latencies.append(time.perf_counter() - started)
                        else:
                            stats.errors.append(f"{values['name']}: {exc}")
                    break
                with stats.lock:
                    stats.calls += 1
                    stats.ok += 1
                    stats.ok_names.add(values["name"])
                    stats.latencies.append(time.perf_counter() - started)
                if on_progress:
                    on_progress()
                break

    with ThreadPoolExecutor(max_workers=fixture["clients"]) as pool:
        list(pool.map(one_client, range(fixture["clients"])))


def check_lines(lines, stats):
    """Nothing the clients were told was saved is lost, nothing refused was saved, nothing is there twice."""
    problems = []
    counts = {}
    for line in lines:
        counts[line["name"]] = counts.get(line["name"], 0) + 1
    lost = stats.ok_names - set(counts)
    if lost:
        problems.append(f"{len(lost)} interventions answered as saved are missing, e.g. {sorted(lost)[0]}")
    saved_refused = stats.refused_names & set(counts)
    if saved_refused:
        problems.append(f"{len(saved_refused)} refused interventions were saved, e.g. {sorted(saved_refused)[0]}")
    unknown = set(counts) - stats.ok_names - stats.down_names
    if unknown:
        problems.append(
            f"{len(unknown)} interventions saved that no call sent or that failed, e.g. {sorted(unknown)[0]}"
        )
    # A call whose answer was lost when the server died may have been committed, then sent again.
    twice = [name for name, count in counts.items() if count > 1 and (count > 2 or name not in stats.down_names)]
    if twice:
        problems.append(f"{len(twice)} interventions saved more than once, e.g. {twice[0]}")
    return problems


def check_invariants(admin, company, policy, stats):
    """What was committed, read back over JSON-RPC: returns the violations (empty when all hold)."""
    lines = admin(
        "account.analytic.line",
        "search_read",
        [["ticket_id", "in", company["tickets"]]],
        fields=["name", "itsm_contract_id", "itsm_credit_hours"],
    )
    problems = check_lines(lines, stats)
    if stats.errors:
        problems.append(f"{len(stats.errors)} unexpected errors, e.g. {stats.errors[0][:300]}")
    contract = company["contract"]
    if not policy:
        drawing = [line["id"] for line in lines if line["itsm_contract_id"]]
        if drawing:
            problems.append(f"{len(drawing)} interventions of the client without contract draw on a contract")
        return problems, len(lines), None
    strays = [line["id"] for line in lines if not line["itsm_contract_id"] or line["itsm_contract_id"][0] != contract]
    if strays:
        problems.append(f"{len(strays)} interventions do not draw on the contract, e.g. line {strays[0]}")
    lines = [line for line in lines if line["itsm_contract_id"]]
    moves = admin(
        "itsm.credit.move",
        "search_read",
        [["contract_id", "=", contract]],
        fields=["move_type", "hours", "timesheet_id", "reversal_move_id", "reversed_move_id"],
        order="id",
    )
    live = [
        m for m in moves if m["move_type"] == "consumption" and not m["reversal_move_id"] and not m["reversed_move_id"]
    ]
    by_line = {}
    for move in live:
        if not move["timesheet_id"]:
            problems.append(f"consumption move {move['id']} has no intervention")
            continue
        by_line.setdefault(move["timesheet_id"][0], []).append(move)
    for line in lines:
        found = by_line.pop(line["id"], [])
        if len(found) != 1:
            problems.append(f"line {line['id']} ({line['name']}) has {len(found)} consumption moves")
        elif abs(-found[0]["hours"] - line["itsm_credit_hours"]) > 0.005:
            problems.append(f"line {line['id']}: move {found[0]['hours']} h for {line['itsm_credit_hours']} h")
    for line_id in by_line:
        problems.append(f"consumption move for intervention {line_id}, which does not exist")
    contract_data = admin("itsm.contract", "read", [contract], ["name", "balance_hours"])[0]
    balance = contract_data["balance_hours"]
    drawn = sum(line["itsm_credit_hours"] for line in lines)
    if abs(balance - (company["credit"] - drawn)) > 0.01:
        problems.append(f"balance {balance:.2f} h != credit {company['credit']:.2f} - drawn {drawn:.2f}")
    if abs(balance - sum(m["hours"] for m in moves)) > 0.01:
        problems.append(f"balance {balance:.2f} h != sum of the moves {sum(m['hours'] for m in moves):.2f}")
    if policy == "block":
        # The moves are numbered inside the contract lock, in the order they were committed: their running
        # sum is the balance after each draw, which must never have gone below zero.
        running, lowest = 0.0, 0.0
        for move in moves:
            running += move["hours"]
            lowest = min(lowest, running)
        if lowest < -0.005:
            problems.append(f"the balance went down to {lowest:.2f} h with the block policy")
        unclear = [
            message
            for message in stats.refusals
            if OVERDRAW_MARKER not in message or contract_data["name"] not in message or "Traceback" in message
        ]
        if unclear:
            problems.append(f"{len(unclear)} refusals without the addon's overdraft message, e.g. {unclear[0][:200]}")
        if not stats.refusals:
            problems.append("no call was refused although the demand exceeds the credit")
    return problems, len(lines), balance


def server_replays(offset):
    """Requests Odoo replayed since ``offset`` of its log: (serialization failures, deadlocks), and the new offset."""
    try:
        with open(SERVER_LOG, encoding="utf-8", errors="replace") as log:
            log.seek(offset)
            text = log.read()
            offset = log.tell()
    except FileNotFoundError:
        return 0, 0, offset
    replays = [
        line for line in text.splitlines() if "tries left, try again" in line or "maximum number of tries" in line
    ]
    deadlocks = sum(1 for line in replays if "deadlock" in line.lower())
    return len(replays) - deadlocks, deadlocks, offset


def percentile(values, share):
    if not values:
        return 0.0
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(share * (len(ordered) - 1)))]


def run_scenario(server, admin, fixture, args, name, policy, credit, log_offset):
    company = new_client_company(admin, fixture, f"Load client {name}", policy, credit)
    stats = Stats()
    demand = args.clients * args.per_client
    fault = {"answered": 0, "due": threading.Event(), "killed_after": None, "down_s": 0.0}
    on_progress = None
    controller = None
    if name == "fault":

        def on_progress():
            with stats.lock:
                fault["answered"] += 1
                if fault["answered"] == demand // 3:
                    fault["due"].set()

        def crash_and_restart():
            # From its own thread, so that every client keeps calling (and failing) while the server is down.
            if not fault["due"].wait(timeout=args.max_minutes * 60):
                return
            fault["killed_after"] = fault["answered"]
            devctl.say(f"fault: SIGKILL to the server's process group after {fault['killed_after']} answered calls")
            killed = time.perf_counter()
            server.kill()
            try:
                server.start()
            except SystemExit as exc:  # a thread's SystemExit is silent: say why the server is not back
                devctl.say(f"fault: the server could not be restarted: {exc}")
                raise
            fault["down_s"] = time.perf_counter() - killed
            devctl.say(f"fault: server restarted, answering again after {fault['down_s']:.1f} s")

        controller = threading.Thread(target=crash_and_restart, daemon=True)
        controller.start()
    started = time.perf_counter()
    run_clients(fixture, company, args.per_client, stats, time.time() + args.max_minutes * 60, on_progress)
    wall = time.perf_counter() - started
    if controller:
        fault["due"].set()  # the clients ended before the kill (a tiny run): do not wait for it
        controller.join(timeout=180)
        if fault["killed_after"] is None:
            stats.errors.append("the server was never killed")
    serialization, deadlocks, log_offset = server_replays(log_offset)
    admin = login("admin", "admin")
    problems, lines, balance = check_invariants(admin, company, policy, stats)
    devctl.say(f"{name}: {stats.ok} logged, {len(stats.refusals)} refused, {len(problems)} problem(s)")
    row = {
        "name": name,
        "calls": stats.calls,
        "ok": stats.ok,
        "refused": len(stats.refusals),
        "retries": stats.retries,
        "replays": serialization,
        "deadlocks": deadlocks,
        "down": stats.down_retries,
        "lines": lines,
        "balance": balance,
        "wall": wall,
        "rate": stats.calls / wall if wall else 0.0,
        "p50": percentile(stats.latencies, 0.50) * 1000,
        "p95": percentile(stats.latencies, 0.95) * 1000,
        "p99": percentile(stats.latencies, 0.99) * 1000,
        "refused_p50": percentile(stats.refused_latencies, 0.50) * 1000,
        "fault": fault if name == "fault" else None,
    }
    return row, problems, log_offset


def print_report(args, results, failures):
    plain = results[0]
    print()
    print(
        f"Load test: {args.clients} clients x {args.per_client} interventions, Odoo --workers 4, "
        f"{os.cpu_count()} cores, {time.strftime('%Y-%m-%d')}"
    )
    print(
        f"{'scenario':8} {'calls':>5} {'ok':>5} {'refused':>7} {'retries':>7} {'replays':>7} {'deadlk':>6} "
        f"{'down':>4} {'lines':>5} {'balance h':>9} {'wall s':>6} {'per s':>5} {'p50 ms':>6} {'p95 ms':>6} "
        f"{'p99 ms':>6} {'vs plain':>8}"
    )
    for row in results:
        ratio = f"{plain['rate'] / row['rate']:.2f}x" if row["rate"] and row is not plain else "-"
        balance = f"{row['balance']:.2f}" if row["balance"] is not None else "-"
        print(
            f"{row['name']:8} {row['calls']:5d} {row['ok']:5d} {row['refused']:7d} {row['retries']:7d} "
            f"{row['replays']:7d} {row['deadlocks']:6d} {row['down']:4d} {row['lines']:5d} {balance:>9} "
            f"{row['wall']:6.1f} {row['rate']:5.1f} {row['p50']:6.0f} {row['p95']:6.0f} {row['p99']:6.0f} {ratio:>8}"
        )
    print("per s: calls answered (saved or refused) per second; p50/p95/p99: latency of a saved intervention, from")
    print("its first attempt to its answer; vs plain: plain per s / this per s (how many times slower).")
    print("retries: calls the client sent again after Odoo's 5 replays; replays: requests Odoo replayed after a")
    print("serialization failure; deadlk: after a deadlock; down: calls sent again while the server was down.")
    for row in results:
        if row["refused"]:
            print(f"{row['name']}: a refused call is answered in {row['refused_p50']:.0f} ms (p50)")
        if row["fault"] and row["fault"]["killed_after"] is not None:
            print(
                f"{row['name']}: SIGKILL after {row['fault']['killed_after']} answered calls, server answering again "
                f"after {row['fault']['down_s']:.1f} s"
            )
    if failures:
        print("INVARIANTS VIOLATED:")
        for failure in failures:
            print(f"  - {failure}")
        return 1
    print("INVARIANTS OK")
    return 0


def _terminate(signum, _frame):
    raise SystemExit(128 + signum)  # runs the finally blocks: the server is stopped


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--clients", type=int, default=8, help="concurrent clients (default 8)")
    parser.add_argument("--per-client", type=int, default=200, help="interventions per client (default 200)")
    parser.add_argument("--skip-fault", action="store_true", help="leave out the SIGKILL scenario")
    parser.add_argument("--keep", action="store_true", help="keep the database afterwards")
    parser.add_argument("--max-minutes", type=float, default=10, help="bound of each scenario (default 10)")
    args = parser.parse_args()
    signal.signal(signal.SIGTERM, _terminate)

    check_ports_free(patience=0)  # before the install, which takes minutes
    odoo_cmd, env, bindir = devctl.setup()
    devctl.drop_db(bindir, DB)
    devctl.say(f"fresh database {DB}: installing {devctl.MODULE} without demo data")
    subprocess.run(
        [*odoo_cmd, *devctl.odoo_args(DB), "-i", devctl.MODULE, "--without-demo", "all", "--stop-after-init",
         "--log-level", "warn", "--no-http"],
        env=env,
        check=True,
        timeout=2400,  # a noisy machine installs slowly
    )  # fmt: skip
    if os.path.exists(SERVER_LOG):
        os.remove(SERVER_LOG)
    server = Server(odoo_cmd, env)
    results, failures = [], []
    try:
        server.start()
        devctl.say(f"Odoo serving {URL} (its own ports) with 4 workers; {args.clients} clients x "
                   f"{args.per_client} interventions")  # fmt: skip
        admin = login("admin", "admin")
        fixture = build_fixture(admin, args.clients)
        # warm-up, not measured: every worker loads the registry and its caches
        warm = new_client_company(admin, fixture, "Load warm-up")
        run_clients(fixture, warm, 5, Stats(), time.time() + 300)
        _replays, _deadlocks, log_offset = server_replays(0)
        # block: 0.3 h of credit per call, for lines of 10 to 120 minutes counted 0.25 to 3 h: the credit runs out
        # after about a fifth of the calls, and the rest are refused
        block_credit = round(args.clients * args.per_client * 0.3, 2)
        scenarios = [("plain", None, 0.0), ("allow", "allow", 10.0), ("block", "block", block_credit)]
        if not args.skip_fault:
            scenarios.append(("fault", "allow", 10.0))
        for name, policy, credit in scenarios:
            row, problems, log_offset = run_scenario(server, admin, fixture, args, name, policy, credit, log_offset)
            results.append(row)
            failures += [f"{name}: {problem}" for problem in problems]
    finally:
        server.stop()
        if not args.keep:
            devctl.drop_db(bindir, DB)
    sys.exit(print_report(args, results, failures))


if __name__ == "__main__":
    main()
