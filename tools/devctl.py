#!/usr/bin/env python3
"""Development set-up of the ``itsm_service_contract`` addon.

One entry point behind ``make run`` and ``make test``:

* finds the Odoo 18.0 it is given (``ODOO_SRC`` names a source tree, or
  ``import odoo`` works) and says so clearly when there is none (exit 2);
* installs what is missing: the pinned Python requirements from PyPI, and
  PostgreSQL / wkhtmltopdf from Debian's packages when run as root;
* keeps a private PostgreSQL cluster in the checkout's ignored ``.work/``
  folder (initdb refuses root: the cluster then belongs to ``postgres``);
* ``run`` creates (once) a demo database and serves Odoo on port 8069;
* ``test`` installs the addon in a fresh database in test mode, runs its
  tests (or the ``--tags`` given) and ends with ``N passed, M failed``.

It never downloads Odoo: the project only uses an Odoo it is given.
"""

import argparse
import glob
import importlib.metadata
import os
import re
import shlex
import shutil
import signal
import socket
import subprocess
import sys
import time

MODULE = "itsm_service_contract"
ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
WORK = os.path.join(ROOT, ".work")
PGDATA = os.path.join(WORK, "pg", "data")
PGSOCK = os.path.join(WORK, "pg", "run")
PGLOG = os.path.join(WORK, "pg", "postgresql.log")
PGPORT = os.environ.get("ITSM_PGPORT", "54329")
DB_USER = "odoo"
DEMO_DB = os.environ.get("ITSM_DB", "itsm_demo")
TEST_DB = os.environ.get("ITSM_TEST_DB", "itsm_test")
HTTP_PORT = os.environ.get("ITSM_HTTP_PORT", "8069")
IS_ROOT = hasattr(os, "geteuid") and os.geteuid() == 0
PYTHON = sys.executable

NO_ODOO = """\
Odoo 18.0 was not found.
This project uses an Odoo it is given and downloads none. Provide it either way:
  * make Odoo importable by this Python ({python}): `{python} -c "import odoo"` must work
    (for example `pip install -e /path/to/odoo-18.0` from an Odoo 18.0 source tree), or
  * name an Odoo 18.0 source tree (the folder holding `odoo-bin`):
        make run ODOO_SRC=/path/to/odoo-18.0
Odoo's own Python requirements must be installed for that Python too.
"""


def say(msg):
    print(f"[itsm] {msg}", flush=True)


def die(msg, code=2):
    sys.stderr.write(msg.rstrip() + "\n")
    sys.exit(code)


# ---------------------------------------------------------------- Odoo ----
def find_odoo():
    """Return (command prefix, extra PYTHONPATH) to start Odoo, or exit 2."""
    src = os.environ.get("ODOO_SRC")
    if src:
        src = os.path.abspath(os.path.expanduser(src))
        odoo_bin = os.path.join(src, "odoo-bin")
        if not (os.path.isfile(odoo_bin) and os.path.isfile(os.path.join(src, "odoo", "__init__.py"))):
            die(NO_ODOO.format(python=PYTHON) + f"\nODOO_SRC={src} holds no `odoo-bin` and `odoo/` package.")
        return [PYTHON, odoo_bin], src
    probe = subprocess.run(
        [PYTHON, "-c", "import odoo.release as r; print(r.version_info[0])"],
        capture_output=True,
        text=True,
        check=False,
    )
    if probe.returncode != 0:
        die(NO_ODOO.format(python=PYTHON))
    if probe.stdout.strip() != "18":
        die(NO_ODOO.format(python=PYTHON) + f"\nThe importable odoo is version {probe.stdout.strip()}, not 18.")
    # not ``python -m odoo``: Odoo restarts itself by running its start script again when a limit is hit
    return [PYTHON, os.path.join(ROOT, "tools", "odoo_run.py")], None


# ------------------------------------------------------------ packages ----
def _requirements(path):
    reqs = []
    with open(path, encoding="utf-8") as fh:
        for line in fh:
            line = line.split("#", 1)[0].strip()
            if line:
                reqs.append(line)
    return reqs


def _missing(reqs):
    missing = []
    for req in reqs:
        name, _, version = req.partition("==")
        try:
            installed = importlib.metadata.version(name.strip())
        except importlib.metadata.PackageNotFoundError:
            missing.append(req)
            continue
        if version and installed != version.strip():
            missing.append(req)
    return missing


def ensure_python_requirements(env):
    # OCA addons: installed without dependencies, since pip may not know the
    # Odoo it is given (a source tree) and must never fetch one.
    addons = _missing(_requirements(os.path.join(ROOT, "requirements.txt")))
    if addons:
        say("installing the OCA addons from PyPI: " + ", ".join(addons))
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", "--no-deps", *addons], check=True, env=env)
    tools = _missing(_requirements(os.path.join(ROOT, "requirements-dev.txt")))
    if tools:
        say("installing test tools from PyPI: " + ", ".join(tools))
        subprocess.run([PYTHON, "-m", "pip", "install", "-q", *tools], check=True, env=env)


def _pg_bindir():
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/pg_ctl"), key=lambda p: int(p.split("/")[4]))
    if found:
        return os.path.dirname(found[-1])
    pg_ctl = shutil.which("pg_ctl")
    return os.path.dirname(pg_ctl) if pg_ctl else None


def ensure_system_packages():
    wanted = []
    if not _pg_bindir():
        wanted.append("postgresql")
    if not shutil.which("wkhtmltopdf"):
        wanted.append("wkhtmltopdf")
    if not shutil.which("pdftotext"):
        wanted.append("poppler-utils")  # the report tests read the text of the rendered PDFs
    if not any(shutil.which(name) for name in ("chromium", "chromium-browser", "google-chrome")):
        wanted.append("chromium")  # the portal tour runs in a headless browser
    if not wanted:
        return
    if not IS_ROOT:
        die("Missing system packages: {0}.\nInstall them with: sudo apt-get install -y {0}".format(" ".join(wanted)))
    say("installing Debian packages: " + " ".join(wanted))
    env = dict(os.environ, DEBIAN_FRONTEND="noninteractive")
    subprocess.run(["apt-get", "update", "-qq"], check=True, env=env)
    subprocess.run(["apt-get", "install", "-y", "-qq", *wanted], check=True, env=env, stdout=subprocess.DEVNULL)


# ---------------------------------------------------------- PostgreSQL ----
def _runuser():
    for candidate in (shutil.which("runuser"), "/usr/sbin/runuser", "/sbin/runuser"):
        if candidate and os.path.isfile(candidate):
            return candidate
    return None


def _as_pg_owner(cmd):
    """initdb and postgres refuse root: run them as the ``postgres`` user."""
    if not IS_ROOT:
        return cmd
    runuser = _runuser()
    if runuser:
        return [runuser, "-u", "postgres", "--", *cmd]
    return ["su", "-s", "/bin/sh", "postgres", "-c", " ".join(shlex.quote(part) for part in cmd)]


def _pg_can_reach(path):
    """Whether the ``postgres`` user can traverse to ``path`` (a checkout under /root cannot)."""
    if not IS_ROOT:
        return True
    probe = subprocess.run(_as_pg_owner(["test", "-x", path]), capture_output=True, check=False)
    return probe.returncode == 0


def _relocate_cluster_if_unreachable():
    """Keep the cluster in .work/pg; if ``postgres`` cannot reach it, link it to a place it can."""
    global PGDATA, PGSOCK, PGLOG
    os.makedirs(WORK, exist_ok=True)
    if _pg_can_reach(WORK):
        return
    import hashlib  # noqa: PLC0415

    outside = os.path.join("/var/tmp", "itsm-pg-" + hashlib.sha1(ROOT.encode()).hexdigest()[:12])
    os.makedirs(outside, exist_ok=True)
    shutil.chown(outside, "postgres", "postgres")
    link = os.path.join(WORK, "pg")
    if not os.path.islink(link):
        if os.path.isdir(link):
            shutil.rmtree(link)
        os.symlink(outside, link)
    say(f"the postgres user cannot reach {WORK}: the cluster lives in {outside} (linked from .work/pg)")
    PGDATA, PGSOCK, PGLOG = (
        os.path.join(outside, "data"),
        os.path.join(outside, "run"),
        os.path.join(outside, "postgresql.log"),
    )


def ensure_postgres():
    _relocate_cluster_if_unreachable()
    bindir = _pg_bindir()
    pg_ctl = os.path.join(bindir, "pg_ctl")
    os.makedirs(PGSOCK, exist_ok=True)
    if not os.path.isfile(os.path.join(PGDATA, "PG_VERSION")):
        say(f"creating a private PostgreSQL cluster in {PGDATA}")
        os.makedirs(os.path.dirname(PGDATA), exist_ok=True)
        if IS_ROOT:
            shutil.chown(os.path.dirname(PGDATA), "postgres", "postgres")  # initdb creates PGDATA in it
        initdb(bindir, PGDATA)
    if IS_ROOT:
        shutil.chown(PGSOCK, "postgres", "postgres")
    status = subprocess.run(_as_pg_owner([pg_ctl, "-D", PGDATA, "status"]), capture_output=True, check=False)
    if status.returncode != 0:
        say(f"starting PostgreSQL (socket {PGSOCK}, port {PGPORT})")
        opts = f"-k {PGSOCK} -p {PGPORT} -c listen_addresses='' -c fsync=off -c max_connections=200"
        subprocess.run(
            _as_pg_owner([pg_ctl, "-D", PGDATA, "-l", PGLOG, "-o", opts, "-w", "start"]),
            check=True,
            stdout=subprocess.DEVNULL,
        )
    return bindir


def give_to_pg_owner(home, *paths):
    """The folders of a cluster of a script's own (``home`` and those in it), for the ``postgres`` user when run as
    root; stops with a clear message when that user cannot reach them."""
    if IS_ROOT:
        for path in (home, *paths):
            shutil.chown(path, "postgres", "postgres")
        if not _pg_can_reach(home):
            die(f"the postgres user cannot reach {home}: use a checkout outside /root")


def initdb(bindir, datadir):
    """A new cluster in ``datadir`` (what an interrupted initdb left removed first), unless one is there."""
    if os.path.isfile(os.path.join(datadir, "PG_VERSION")):
        return
    shutil.rmtree(datadir, ignore_errors=True)
    cmd = [os.path.join(bindir, "initdb"), "-D", datadir, "-U", DB_USER, "--auth=trust", "-E", "UTF8"]
    subprocess.run(_as_pg_owner([*cmd, "--locale=C.UTF-8"]), check=True, stdout=subprocess.DEVNULL)


def psql(bindir, sql, db="postgres"):
    out = subprocess.run(
        [os.path.join(bindir, "psql"), "-h", PGSOCK, "-p", PGPORT, "-U", DB_USER, "-d", db, "-tAc", sql],
        capture_output=True,
        text=True,
        check=True,
    )
    return out.stdout.strip()


def db_exists(bindir, name):
    return psql(bindir, f"SELECT 1 FROM pg_database WHERE datname = '{name}'") == "1"


def drop_db(bindir, name):
    subprocess.run(
        [os.path.join(bindir, "dropdb"), "-h", PGSOCK, "-p", PGPORT, "-U", DB_USER, "--if-exists", "--force", name],
        check=True,
    )
    shutil.rmtree(os.path.join(WORK, "data", "filestore", name), ignore_errors=True)


# ---------------------------------------------------------------- Odoo ----
def addons_path():
    """The checkout is the addon: expose it under its technical name.

    A folder of links to the checkout's entries rather than one link to the
    checkout, so that Odoo's walks of the module never enter ``.work/``.
    """
    holder = os.path.join(WORK, "addons")
    module_dir = os.path.join(holder, MODULE)
    if os.path.islink(module_dir):
        os.unlink(module_dir)
    os.makedirs(module_dir, exist_ok=True)
    wanted = {name for name in os.listdir(ROOT) if name not in (".work", ".git")}
    for name in os.listdir(module_dir):
        link = os.path.join(module_dir, name)
        if name not in wanted or os.readlink(link) != os.path.join(ROOT, name):
            os.unlink(link)
    for name in wanted:
        link = os.path.join(module_dir, name)
        if not os.path.lexists(link):
            os.symlink(os.path.join(ROOT, name), link)
    return holder


def port_is_free(port, host="127.0.0.1"):
    """Nothing listens on ``port``: binding it succeeds (the socket is closed at once). SO_REUSEADDR, as the
    server sets it: the connections a killed server leaves in TIME_WAIT do not make its port look taken."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            sock.bind((host, port))
        except OSError:
            return False
    return True


def free_port(exclude=(), host="127.0.0.1"):
    """A TCP port nothing listens on, chosen by the system (bind to port 0), not in ``exclude``."""
    for _attempt in range(20):
        with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
            sock.bind((host, 0))
            port = sock.getsockname()[1]
        if port not in exclude:
            return port
    die("no free TCP port found on 127.0.0.1")


def kill_group(proc):
    """SIGKILL to a server started in its own process group and all its workers (a crash, an OOM kill)."""
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGKILL)
        proc.wait(timeout=30)


def stop_group(proc):
    """SIGTERM to a server started in its own process group, SIGKILL after 30 s."""
    if proc and proc.poll() is None:
        os.killpg(proc.pid, signal.SIGTERM)
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            kill_group(proc)


def listening_pids(port):
    """The processes holding a socket that listens on TCP ``port`` (Linux /proc), or None where /proc does not
    tell."""
    inodes = set()
    try:
        for table in ("/proc/net/tcp", "/proc/net/tcp6"):
            if not os.path.exists(table):
                continue
            with open(table, encoding="ascii") as rows:
                next(rows)
                for row in rows:
                    fields = row.split()
                    if fields[3] == "0A" and int(fields[1].rsplit(":", 1)[1], 16) == port:  # 0A: LISTEN
                        inodes.add(fields[9])
    except OSError:
        return None
    targets = {f"socket:[{inode}]" for inode in inodes}
    pids = set()
    for pid in filter(str.isdigit, os.listdir("/proc")):
        try:
            for fd in os.listdir(f"/proc/{pid}/fd"):
                if os.readlink(f"/proc/{pid}/fd/{fd}") in targets:
                    pids.add(int(pid))
                    break
        except OSError:
            continue
    return pids


def process_group(pid):
    try:
        return os.getpgid(pid)
    except OSError:
        return None


def odoo_args(db):
    return [
        "--addons-path",
        addons_path(),
        "--data-dir",
        os.path.join(WORK, "data"),
        "--db_host",
        PGSOCK,
        "--db_port",
        PGPORT,
        "--db_user",
        DB_USER,
        "-d",
        db,
        "--db-filter",
        f"^{db}$",
    ]


def setup():
    odoo_cmd, odoo_src = find_odoo()
    env = dict(os.environ)
    if odoo_src:
        env["PYTHONPATH"] = os.pathsep.join(p for p in (odoo_src, env.get("PYTHONPATH")) if p)
    ensure_system_packages()
    ensure_python_requirements(env)
    bindir = ensure_postgres()
    return odoo_cmd, env, bindir


def create_demo_db(odoo_cmd, env, bindir, db):
    """The demo database: the addon with its demo data, French loaded (the demo's clients are in Lyon)."""
    say(f"creating database {db} with {MODULE} and its demo data (a few minutes)")
    rc = subprocess.run(
        [
            *odoo_cmd,
            *odoo_args(db),
            "-i",
            MODULE,
            "--load-language",
            "fr_FR",
            "--stop-after-init",
            "--log-level",
            "warn",
        ],
        env=env,
        check=False,
    ).returncode
    if rc != 0:
        drop_db(bindir, db)
        die(f"Installing {MODULE} failed (exit {rc}); see the log above.", 1)


def cmd_run(args):
    odoo_cmd, env, bindir = setup()
    if not db_exists(bindir, DEMO_DB):
        create_demo_db(odoo_cmd, env, bindir, DEMO_DB)
    say(f"serving Odoo on http://localhost:{HTTP_PORT} -- database {DEMO_DB}, login admin / password admin")
    os.execvpe(odoo_cmd[0], [*odoo_cmd, *odoo_args(DEMO_DB), "--http-port", HTTP_PORT, *args.odoo_args], env)


RESULT_RE = re.compile(r"(\d+) failed, (\d+) error\(s\) of (\d+) tests when loading database")
TEST_FAIL_RE = re.compile(r" (?:ERROR|CRITICAL) \S+ (\S+): (?:FAIL|ERROR): ")
LOG_LEVEL_RE = re.compile(r"^\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d+ \d+ (ERROR|CRITICAL) ")
# a line of the detailed tests report (odoo.tests.stats at DEBUG): "\t<module>.<file>.<Class>.<method>: 1.2s 45 queries"
STAT_RE = re.compile(r"^\t(\S+): ([\d.]+)s (\d+) queries$")


def cmd_test(args):
    odoo_cmd, env, bindir = setup()
    db = args.db or TEST_DB
    drop_db(bindir, db)
    modules = args.modules or MODULE
    tags = args.tags or f"/{MODULE}"
    os.makedirs(WORK, exist_ok=True)
    logfile = os.path.join(WORK, f"test-{db}.log")
    say(f"fresh database {db}: installing {modules} in test mode, tests {tags}; log in {logfile}")
    cmd = [
        *odoo_cmd,
        *odoo_args(db),
        "-i",
        modules,
        "--test-enable",
        "--test-tags",
        tags,
        "--stop-after-init",
        "--log-level",
        "test",
        # per test (and per class set-up) time and queries, for the ten slowest printed at the end
        "--log-handler",
        "odoo.tests.stats:DEBUG",
        "--http-port",
        args.http_port,
        "--workers",
        "0",
        "--max-cron-threads",
        "0",
    ]
    started = time.time()
    tests = failed = 0
    other_errors = []
    test_failures = 0
    timings = {}
    with (
        open(logfile, "w", encoding="utf-8") as log,
        subprocess.Popen(
            cmd,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            text=True,
            bufsize=1,
        ) as proc,
    ):
        for line in proc.stdout:
            log.write(line)
            if (
                args.verbose
                or LOG_LEVEL_RE.match(line)
                or " odoo.tests.stats: " in line
                or line.startswith(("Traceback", "  File", "AssertionError", "odoo."))
            ):
                sys.stdout.write(line)
            stat = STAT_RE.match(line)
            if stat:
                # methods only (the report also sums per class and per module), set-ups of classes included
                if stat.group(1).count(".") >= 3:
                    timings[stat.group(1)] = (float(stat.group(2)), int(stat.group(3)))
                continue
            match = RESULT_RE.search(line)
            if match:
                failed = int(match.group(1)) + int(match.group(2))
                tests = int(match.group(3))
            elif TEST_FAIL_RE.search(line):
                test_failures += 1
            elif (
                LOG_LEVEL_RE.match(line)
                and " odoo.tests.result: " not in line
                and "At least one test failed" not in line
                and "Module " not in line
            ):
                other_errors.append(line.strip())
        rc = proc.wait()
    failed = max(failed, test_failures)
    if not args.keep:
        drop_db(bindir, db)
    # An install error or an error logged outside a test is a failure too.
    if (rc != 0 or other_errors) and failed == 0:
        failed = 1
    passed = max(tests - failed, 0)
    print_slowest(timings)
    say(
        f"{tests} tests run in {time.time() - started:.0f}s, Odoo exit code {rc}, "
        f"{len(other_errors)} error line(s) logged outside tests"
    )
    print(f"{passed} passed, {failed} failed", flush=True)
    if tests == 0 and not args.allow_empty:
        say("no test ran: that counts as a failure")
        sys.exit(1)
    sys.exit(1 if failed or rc != 0 else 0)


def print_slowest(timings, count=10, limit=30.0):
    """Print the ``count`` slowest tests (a class's set-up counts as one) and those over ``limit`` seconds."""
    if not timings:
        return
    say(f"the {min(count, len(timings))} slowest tests (of {len(timings)}, class set-ups included):")
    slowest = sorted(timings.items(), key=lambda item: item[1][0], reverse=True)
    for name, (seconds, queries) in slowest[:count]:
        print(f"  {seconds:7.2f} s {queries:7d} queries  {name.split('.', 2)[-1]}", flush=True)
    over = [name for name, (seconds, _queries) in slowest if seconds > limit]
    if over:
        say(f"{len(over)} test(s) over {limit:.0f} s: " + ", ".join(name.split(".", 2)[-1] for name in over))


def cmd_pot(_args):
    """Regenerate i18n/<module>.pot from a fresh install (and merge it into fr.po)."""
    odoo_cmd, env, bindir = setup()
    db = "itsm_pot"
    drop_db(bindir, db)
    subprocess.run(
        [*odoo_cmd, *odoo_args(db), "-i", MODULE, "--stop-after-init", "--log-level", "warn"], env=env, check=True
    )
    pot = os.path.join(ROOT, "i18n", f"{MODULE}.pot")
    subprocess.run(
        [*odoo_cmd, *odoo_args(db), "--i18n-export", pot, "--modules", MODULE, "--log-level", "warn"],
        env=env,
        check=True,
    )
    drop_db(bindir, db)
    po = os.path.join(ROOT, "i18n", "fr.po")
    if os.path.isfile(po) and shutil.which("msgmerge"):
        subprocess.run(
            ["msgmerge", "--quiet", "--update", "--backup=none", "--no-fuzzy-matching", "--width=120", po, pot],
            check=True,
        )
    say(f"wrote {pot}")


# Prepended to every benchmark's shell code: one definition of what they all use.
BENCH_PRELUDE = r"""
import gc, time
import odoo

def queries():
    return odoo.sql_db.sql_counter

# what a benchmark measures is the work of the records, not the chatter's tracking messages
env = env(context=dict(env.context, tracking_disable=True, mail_notrack=True, mail_create_nolog=True,
                       mail_create_nosubscribe=True))

def analyze(*tables):
    # Every bench run is rolled back (or its database dropped): after autovacuum PostgreSQL believes the tables
    # empty and may plan the foreign-key checks of a big insert as sequential scans over the rows the run
    # itself inserted (the moves of a batch of 5 000 went from 0.2 s to 10 s over four measures). A production
    # database has real statistics: the fixture is analysed before it is measured.
    env.flush_all()
    env.cr.execute("ANALYZE " + ", ".join(tables))

def bench_support():
    # project, helpdesk team with timesheets and technician the benchmarks log their interventions with
    project = env["project.project"].create({"name": "Bench support", "allow_timesheets": True})
    team = env["helpdesk.ticket.team"].create(
        {"name": "Bench", "allow_timesheet": True, "default_project_id": project.id})
    employee = env["hr.employee"].create({"name": "Bench technician"})
    return project, team, employee

def portal_browser(user):
    # werkzeug's test client on Odoo's WSGI application with a logged-in session of ``user``, as
    # HttpCase.authenticate makes it (committed: the requests read with their own cursors); returns
    # (client, session), the session to delete at the end
    from odoo.service import security
    from werkzeug.test import Client
    session = odoo.http.root.session_store.new()
    session.update(odoo.http.get_default_session(), db=env.cr.dbname)
    user_env = env(user=user.id)
    session.uid, session.login = user.id, user.login
    session.session_token = security.compute_session_token(session, user_env)
    session.context = dict(user_env["res.users"].context_get())
    odoo.http.root.session_store.save(session)
    env.cr.commit()
    client = Client(odoo.http.root)
    client.set_cookie("localhost", "session_id", session.sid)
    return client, session

def prepaid_contract(client, date_start, credit_date, hours=100000):
    # a running prepaid contract with a purchase large enough for any benchmark
    contract = env["itsm.contract"].create({"partner_id": client.id, "state": "active", "overdraft_policy": "allow",
                                            "date_start": date_start})
    env["itsm.credit.move"].with_context(itsm_ledger_post=True).create(
        {"contract_id": contract.id, "move_type": "purchase", "hours": hours, "name": "Bench credit",
         "date": credit_date})
    return contract
"""


def ensure_bench_db(odoo_cmd, env, bindir, db, modules=()):
    """The benchmark database ``db``: created once with the addon and ``modules``, without demo data; else the
    addon updated in it (the benchmarks measure the checkout's code)."""
    if not db_exists(bindir, db):
        say(f"creating database {db} (addon without demo data)")
        install = ["-i", ",".join((MODULE, *modules)), "--without-demo", "all"]
    else:
        install = ["-u", MODULE]
    subprocess.run(
        [*odoo_cmd, *odoo_args(db), *install, "--stop-after-init", "--log-level", "warn"], env=env, check=True
    )


def run_bench_shell(code, label, scratch=False, db=None, modules=()):
    """Run ``code`` in an Odoo shell on the benchmark database (created once without demo, else updated).

    The code gets ``BENCH_PRELUDE``'s helpers. With ``scratch``, it runs on a copy of that database, dropped
    afterwards: for benchmarks that commit (one transaction per request, as a server does). ``db`` and
    ``modules``: another benchmark database, with these modules installed next to the addon.
    """
    odoo_cmd, env, bindir = setup()
    db = db or os.environ.get("ITSM_BENCH_DB", "itsm_bench")
    ensure_bench_db(odoo_cmd, env, bindir, db, modules)
    run_db = db
    if scratch:
        run_db = f"{db}_scratch_{os.getpid()}"  # two benchmarks at once each drop only their own copy
        drop_db(bindir, run_db)
        psql(bindir, f'CREATE DATABASE "{run_db}" TEMPLATE "{db}"')
    say(f"{label} on {run_db} ({os.cpu_count()} cores)")
    try:
        subprocess.run(
            [*odoo_cmd, "shell", *odoo_args(run_db), "--log-level", "warn", "--no-http"],
            input=BENCH_PRELUDE + code,
            text=True,
            env=env,
            check=True,
        )
    finally:
        if scratch:
            drop_db(bindir, run_db)


def cmd_stop(_args):
    _relocate_cluster_if_unreachable()
    bindir = _pg_bindir()
    if bindir and os.path.isdir(PGDATA):
        subprocess.run(_as_pg_owner([os.path.join(bindir, "pg_ctl"), "-D", PGDATA, "-m", "fast", "stop"]), check=False)


def cmd_env(_args):
    """Print shell exports to use this set-up from other scripts (benchmarks)."""
    odoo_cmd, _env, _bindir = setup()
    print(f"ODOO_CMD='{' '.join(odoo_cmd)}'")
    print(
        f"ODOO_ARGS='--addons-path {addons_path()} --data-dir {os.path.join(WORK, 'data')} "
        f"--db_host {PGSOCK} --db_port {PGPORT} --db_user {DB_USER}'"
    )


def main():
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    sub = parser.add_subparsers(dest="command", required=True)
    run = sub.add_parser("run", help="create the demo database once and serve Odoo on :8069")
    run.add_argument("odoo_args", nargs=argparse.REMAINDER, help="extra arguments for odoo")
    run.set_defaults(func=cmd_run)
    test = sub.add_parser("test", help="run the tests in a fresh database")
    test.add_argument("--tags", help=f"Odoo --test-tags (default: /{MODULE})")
    test.add_argument("--modules", help=f"modules to install (default: {MODULE})")
    test.add_argument("--db", help=f"database name (default: {TEST_DB})")
    test.add_argument("--http-port", default=os.environ.get("ITSM_TEST_HTTP_PORT", "8169"))
    test.add_argument("--keep", action="store_true", help="keep the test database")
    test.add_argument("--allow-empty", action="store_true")
    test.add_argument("-v", "--verbose", action="store_true", help="echo the whole Odoo log")
    test.set_defaults(func=cmd_test)
    sub.add_parser("pot", help="regenerate the .pot and merge fr.po").set_defaults(func=cmd_pot)
    sub.add_parser("stop", help="stop the private PostgreSQL").set_defaults(func=cmd_stop)
    sub.add_parser("env", help="print the set-up as shell variables").set_defaults(func=cmd_env)
    args = parser.parse_args()
    args.func(args)


if __name__ == "__main__":
    main()
