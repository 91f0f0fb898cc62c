"""What a batch of interventions costs, counted in instructions: plain lines vs ours vs Odoo's prepaid hours.

Run with ``make bench-instructions`` (part of ``make bench``). It prints figures, it asserts nothing.

``bench_interventions.py`` times the batches; on this virtual machine the same code measures 0.05 to 0.1x apart
from one run to the next (the machine's speed drifts, other processes take the cores). Instructions do not drift:
``valgrind --tool=callgrind`` counts those the CPU executes, whatever else the machine does. This script counts,
for one ``create`` of ``ITSM_BENCH_LINES`` lines (2 000 by default) of each kind of ``bench_interventions.py``
(plain timesheet lines, ours on a contract that allows overdrafts and on one that refuses them, Odoo's own
prepaid hours), the instructions of the Odoo process and of its PostgreSQL backend, from the call to its flush:

* the Odoo shell runs under callgrind with the instrumentation off; it switches it on for the batch only
  (``callgrind_control -i on``, then ``-d``: a dump per batch);
* PostgreSQL runs under callgrind in a cluster of this script's own, on a free port (``.work/callgrind``), with
  a copy of the benchmark database ``itsm_bench_st``: entering ``pg_sleep`` zeroes a backend's counters and
  entering ``pg_postmaster_start_time`` dumps them, two functions neither Odoo nor the addon calls; the script
  calls the first before the batch and the second after.

The kinds are counted on fresh tickets each round (``ITSM_BENCH_ROUNDS``, 2 by default, the order turned); an
empty measure shows what the switches themselves count. Instructions are not time: a cache miss costs more than
an add, and what the kernel does for a process (its system calls) is not counted. They are the CPU work each
kind asks for, the same from one run to the next. ``ITSM_BENCH_KEEP=1`` keeps the dumps, for
``callgrind_annotate`` (where the instructions go, function by function).
"""

import glob
import os
import re
import shutil
import subprocess
import sys
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import bench_interventions
import devctl

BENCH_DB = os.environ.get("ITSM_BENCH_ST_DB", "itsm_bench_st")
HOME = os.path.join(devctl.WORK, "callgrind")
PGDATA = os.path.join(HOME, "pg")
SOCK = os.path.join(HOME, "run")
KINDS = ("plain", "contract", "block", "odoo")
LINES = int(os.environ.get("ITSM_BENCH_LINES") or 2000)
ROUNDS = int(os.environ.get("ITSM_BENCH_ROUNDS") or 2)
TITLES = {"plain": "plain", "contract": "ours allow", "block": "ours block", "odoo": "Odoo prepaid"}

# run after SETUP_CODE, with COUNTED, N and ROUNDS set by main() (this script's KINDS, LINES and ROUNDS)
COUNT_CODE = r"""
import subprocess

PY_PID = os.getpid()
env.cr.execute("SELECT pg_backend_pid()")
PG_PID = env.cr.fetchone()[0]
print(f"ITSM-PIDS {PY_PID} {PG_PID}", flush=True)

def callgrind(*args):
    subprocess.run(["callgrind_control", *args, str(PY_PID)], check=True, stdout=subprocess.DEVNULL)

def count(label, work):
    # the instructions of ``work`` in this process and in its backend, dumped under ``label``
    env.flush_all()
    same_start()
    env.cr.execute("SELECT pg_sleep(0)")  # the backend's counters zeroed (--zero-before=pg_sleep)
    q0 = queries()
    callgrind("-z")
    callgrind("-i", "on")
    work()
    callgrind("-i", "off")
    spent = queries() - q0
    env.cr.execute("SELECT pg_postmaster_start_time()")  # the backend's counters dumped (--dump-before)
    callgrind("-d", label)
    print(f"ITSM-COUNT {label} {spent}", flush=True)

def batch(kind, n):
    payload = [vals(kind, i) for i in range(n)]
    def work():
        Line.create(payload)
        env.flush_all()
    return work

fresh_tickets()
for kind in COUNTED:  # warm-up, not counted: the statements' plans, the lazy imports
    batch(kind, 200)()
count("empty", lambda: None)
for round_ in range(ROUNDS):
    fresh_tickets()
    order = COUNTED[round_ % len(COUNTED):] + COUNTED[:round_ % len(COUNTED)]
    for kind in order:
        count(f"{kind}-{round_ + 1}", batch(kind, N))
env.cr.rollback()
"""


def pg_ctl(bindir, *args):
    return subprocess.run(
        devctl._as_pg_owner([os.path.join(bindir, "pg_ctl"), "-D", PGDATA, *args]),
        check=False,
        capture_output=True,
        text=True,
    )


def prepare_cluster(bindir, port):
    """A cluster of this script's own holding a fresh copy of the benchmark database, stopped."""
    os.makedirs(SOCK, exist_ok=True)
    devctl.give_to_pg_owner(HOME, SOCK)
    pg_ctl(bindir, "-m", "immediate", "stop")  # left by an interrupted run
    devctl.initdb(bindir, PGDATA)
    started = pg_ctl(bindir, "-w", "-l", os.path.join(HOME, "postgresql.log"), "-o", options(port), "start")
    if started.returncode:
        devctl.die(f"the callgrind cluster did not start: {started.stderr.strip()}")
    client = ["-h", SOCK, "-p", str(port), "-U", devctl.DB_USER]
    subprocess.run([os.path.join(bindir, "dropdb"), *client, "--if-exists", BENCH_DB], check=True)
    subprocess.run([os.path.join(bindir, "createdb"), *client, BENCH_DB], check=True)
    source = ["-h", devctl.PGSOCK, "-p", devctl.PGPORT, "-U", devctl.DB_USER]
    dump = subprocess.Popen([os.path.join(bindir, "pg_dump"), *source, "-Fc", BENCH_DB], stdout=subprocess.PIPE)
    restore = [os.path.join(bindir, "pg_restore"), *client, "--no-owner", "-d", BENCH_DB]
    subprocess.run(restore, stdin=dump.stdout, check=True)
    dump.stdout.close()
    if dump.wait():
        devctl.die(f"pg_dump of {BENCH_DB} failed")
    subprocess.run([os.path.join(bindir, "psql"), *client, "-d", BENCH_DB, "-qc", "ANALYZE"], check=True)
    pg_ctl(bindir, "-m", "fast", "-w", "stop")


def options(port):
    return f"-k {SOCK} -p {port} -c listen_addresses='' -c fsync=off -c autovacuum=off"


def start_under_callgrind(bindir, port, out):
    """PostgreSQL under callgrind: every process instrumented, a backend's counters zeroed when it enters
    ``pg_sleep`` and dumped when it enters ``pg_postmaster_start_time``."""
    log = open(os.path.join(out, "postgresql.log"), "w")  # noqa: SIM115 (the server's, closed with it)
    cmd = [
        "valgrind", "--tool=callgrind", "--zero-before=pg_sleep", "--dump-before=pg_postmaster_start_time",
        f"--callgrind-out-file={out}/pg.%p.out", os.path.join(bindir, "postgres"), "-D", PGDATA,
        *options(port).replace("''", "").split(),
    ]  # fmt: skip
    server = subprocess.Popen(devctl._as_pg_owner(cmd), stdout=log, stderr=subprocess.STDOUT)
    for _ in range(600):
        ready = subprocess.run(
            [os.path.join(bindir, "pg_isready"), "-h", SOCK, "-p", str(port)], capture_output=True, check=False
        )
        if ready.returncode == 0:
            return server
        if server.poll() is not None:
            devctl.die(f"PostgreSQL under callgrind stopped at start: see {out}/postgresql.log")
        time.sleep(1)
    devctl.die("PostgreSQL under callgrind not ready within 10 minutes")


def totals(pattern):
    """(number, label, instructions) of each of callgrind's dump files matching ``pattern``, in their order."""
    found = []
    for path in glob.glob(pattern):
        with open(path) as dump:
            text = dump.read()
        label = re.search(r"^desc: Trigger: (.*)$", text, re.M).group(1)
        total = re.search(r"^totals: (\d+)", text, re.M)  # at the end (the header's summary reads 0)
        part = path.rsplit(".", 1)[1]
        found.append((int(part) if part.isdigit() else 0, label, int(total.group(1))))
    return sorted(found)


def main():
    odoo_cmd, env, bindir = devctl.setup()
    if not shutil.which("valgrind"):
        if not devctl.IS_ROOT:
            devctl.die("valgrind is missing: sudo apt-get install -y valgrind")
        subprocess.run(["apt-get", "install", "-y", "-qq", "valgrind"], check=True, stdout=subprocess.DEVNULL)
    devctl.ensure_bench_db(odoo_cmd, env, bindir, BENCH_DB, ("sale_timesheet",))
    os.makedirs(HOME, exist_ok=True)
    port = devctl.free_port()
    devctl.say(f"copying {BENCH_DB} into a cluster of this script's own ({HOME}, port {port})")
    prepare_cluster(bindir, port)
    out = os.path.join(HOME, f"out-{os.getpid()}")
    shutil.rmtree(out, ignore_errors=True)
    os.makedirs(out)
    devctl.give_to_pg_owner(out)
    server = start_under_callgrind(bindir, port, out)
    started = time.perf_counter()
    try:
        args = [
            "--addons-path", devctl.addons_path(), "--data-dir", os.path.join(devctl.WORK, "data"),
            "--db_host", SOCK, "--db_port", str(port), "--db_user", devctl.DB_USER, "-d", BENCH_DB,
            "--db-filter", f"^{BENCH_DB}$", "--log-level", "warn", "--no-http",
        ]  # fmt: skip
        devctl.say(f"counting batches under callgrind ({os.cpu_count()} cores; some minutes a batch)")
        callgrind = ["valgrind", "--tool=callgrind", "--instr-atstart=no", f"--callgrind-out-file={out}/py.%p.out"]
        shell = subprocess.run(
            [*callgrind, *odoo_cmd, "shell", *args],
            input=devctl.BENCH_PRELUDE
            + bench_interventions.SETUP_CODE
            + f"COUNTED, N, ROUNDS = {KINDS!r}, {LINES}, {ROUNDS}\n"
            + COUNT_CODE,
            text=True,
            env=dict(env, PYTHONHASHSEED="0"),
            capture_output=True,
            check=False,
        )
    finally:
        pg_ctl(bindir, "-m", "fast", "-w", "stop")
        server.wait(timeout=300)
    if shell.returncode:
        sys.stderr.write(shell.stdout[-5000:] + shell.stderr[-5000:])
        devctl.die("the counting shell failed", 1)
    py_pid, pg_pid = re.search(r"^ITSM-PIDS (\d+) (\d+)$", shell.stdout, re.M).groups()
    spent = dict(re.findall(r"^ITSM-COUNT (\S+) (\d+)$", shell.stdout, re.M))
    labels = list(spent)
    python = {label.split(" ", 1)[1]: total for _n, label, total in totals(f"{out}/py.{py_pid}.out.*")
              if label.startswith("dump ")}  # fmt: skip
    backend = [total for _n, label, total in totals(f"{out}/pg.{pg_pid}.out.*") if "--dump-before" in label]
    if len(backend) != len(labels) or set(python) != set(labels):
        devctl.die(f"dumps do not match the counts: {labels} / {sorted(python)} / {len(backend)} backend dumps", 1)
    pg = dict(zip(labels, backend, strict=True))
    print(f"batch create, instructions (millions), one batch of {LINES} lines; counted in "
          f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    print(f"{'':22} {'Odoo':>9} {'PostgreSQL':>11} {'total':>9} {'vs plain':>9} {'queries':>8}")
    print(f"{'switches (empty)':22} {python['empty'] / 1e6:9.1f} {pg['empty'] / 1e6:11.1f} "
          f"{(python['empty'] + pg['empty']) / 1e6:9.1f}")  # fmt: skip
    ratios = {kind: [] for kind in KINDS}
    for round_ in range(1, ROUNDS + 1):
        plain = python[f"plain-{round_}"] + pg[f"plain-{round_}"]
        for kind in KINDS:
            label = f"{kind}-{round_}"
            total = python[label] + pg[label]
            ratios[kind].append(total / plain)
            extra = int(spent[label]) - int(spent[f"plain-{round_}"])
            name = f"round {round_} {TITLES[kind]}"
            print(f"{name:22} {python[label] / 1e6:9.1f} {pg[label] / 1e6:11.1f} {total / 1e6:9.1f} "
                  f"{total / plain:8.3f}x {extra:+8d}")  # fmt: skip
    print("ratio to plain, each round: " + "; ".join(
        f"{TITLES[kind]} " + " ".join(f"{r:.3f}" for r in ratios[kind]) for kind in KINDS[1:]))  # fmt: skip
    if os.environ.get("ITSM_BENCH_KEEP"):
        print(f"dumps kept for callgrind_annotate: {out}/py.{py_pid}.out.* and {out}/pg.{pg_pid}.out.*")
    else:
        shutil.rmtree(out, ignore_errors=True)


if __name__ == "__main__":
    main()
