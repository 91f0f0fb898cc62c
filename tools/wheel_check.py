#!/usr/bin/env python3
"""``make wheel-check``: the addon's wheel builds, holds the addon and only it, and installs in Odoo.

1. builds the wheel with the project's ``pyproject.toml`` (``python -m build --wheel``, isolated);
2. checks its files (every file of the addon, nothing of the development set-up nor any cache) and its
   ``Requires-Dist`` (odoo 18.0, the OCA addons of the manifest's ``depends`` in their 18.0 series, the
   Python ``external_dependencies``);
3. installs it with ``pip --no-deps`` in a fresh venv that sees this Python's packages (Odoo, the OCA
   addons) and checks that Odoo finds the module there, in the venv, not in the checkout;
4. installs the module from it in a fresh database of the private PostgreSQL (``tools/devctl.py``), without
   the checkout in the addons path, and fails on any error.

The database and the venv are removed afterwards. Ends with one ``wheel-check OK`` line and its timings.
"""

import ast
import email.parser
import glob
import importlib.metadata
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
import zipfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import devctl

MODULE = devctl.MODULE
ROOT = devctl.ROOT
DB = os.environ.get("ITSM_WHEEL_DB", "itsm_wheel_check")
PREFIX = f"odoo/addons/{MODULE}/"
SERIES = "18.0"
# what of the repository is the development set-up, never packaged
DEV_TOP = {"tools", ".ci", "docs", ".work", "Makefile", ".gitignore", ".pylintrc", "ruff.toml", "pyproject.toml"}
CACHES = {"__pycache__", ".ruff_cache", ".hypothesis", ".pytest_cache", ".git", ".work"}


def fail(msg):
    sys.stderr.write(f"wheel-check FAILED: {msg}\n")
    sys.exit(1)


def run(cmd, what, **kwargs):
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False, **kwargs)
    if proc.returncode != 0:
        sys.stderr.write(proc.stdout[-4000:] + proc.stderr[-4000:])
        fail(f"{what} (exit {proc.returncode}): {' '.join(cmd)}")
    return proc.stdout


def manifest():
    with open(os.path.join(ROOT, "__manifest__.py"), encoding="utf-8") as fh:
        return ast.literal_eval(fh.read())


def is_dev(path):
    top = path.split("/", 1)[0]
    return top in DEV_TOP or (top.startswith("requirements") and top.endswith(".txt"))


# --------------------------------------------------------------- wheel ----
def build_wheel(outdir):
    os.makedirs(outdir)
    run([sys.executable, "-m", "pip", "install", "-q", "-r", os.path.join(ROOT, "requirements-build.txt")], "pip")
    run([sys.executable, "-m", "build", "--wheel", "--outdir", outdir, ROOT], "building the wheel", cwd=outdir)
    wheels = glob.glob(os.path.join(outdir, "*.whl"))
    if len(wheels) != 1:
        fail(f"expected one wheel in {outdir}, found {wheels}")
    name = os.path.basename(wheels[0])
    if not re.fullmatch(rf"odoo_addon_{MODULE}-{re.escape(SERIES)}(\.\d+){{3,4}}-py3-none-any\.whl", name):
        fail(f"unexpected wheel name {name}")
    return wheels[0]


def check_files(wheel, mani):
    with zipfile.ZipFile(wheel) as zf:
        names = [n for n in zf.namelist() if not n.endswith("/")]
    dist_info = [n for n in names if n.split("/", 1)[0].endswith(".dist-info")]
    addon = {n[len(PREFIX) :] for n in names if n.startswith(PREFIX)}
    stray = set(names) - set(dist_info) - {PREFIX + n for n in addon}
    if stray:
        fail(f"files outside {PREFIX} and the .dist-info: {sorted(stray)[:10]}")
    leaked = sorted(n for n in addon if is_dev(n) or set(n.split("/")) & CACHES or n.endswith(".pyc"))
    if leaked:
        fail(f"development or cache files in the wheel: {leaked[:10]}")
    tracked = subprocess.run(["git", "ls-files"], cwd=ROOT, capture_output=True, text=True, check=False)
    if tracked.returncode == 0:
        expected = {n for n in tracked.stdout.splitlines() if n and not is_dev(n)}
        if addon != expected:
            fail(
                f"wheel files differ from the addon's tracked files: missing {sorted(expected - addon)[:10]}, "
                f"extra {sorted(addon - expected)[:10]}"
            )
    needed = {"__init__.py", "__manifest__.py", *mani.get("data", []), *mani.get("demo", [])}
    if needed - addon:
        fail(f"files of the manifest missing from the wheel: {sorted(needed - addon)}")
    return len(addon)


def odoo_addons_folders(env):
    """Odoo's own addons folders: ``odoo/addons`` and the source tree's ``addons``."""
    code = "import odoo, os; p = os.path.dirname(odoo.__file__); print(p); print(os.path.dirname(p))"
    pkg, parent = run([sys.executable, "-c", code], "importing odoo", env=env).split()
    return [os.path.join(pkg, "addons"), os.path.join(parent, "addons")]


def is_packaged(addon):
    try:
        importlib.metadata.distribution(f"odoo-addon-{addon}")
    except importlib.metadata.PackageNotFoundError:
        return False
    return True


def check_requires(wheel, mani, env):
    with zipfile.ZipFile(wheel) as zf:
        meta_name = next(n for n in zf.namelist() if n.endswith(".dist-info/METADATA"))
        meta = email.parser.HeaderParser().parsestr(zf.read(meta_name).decode())
    if meta["Name"] != f"odoo-addon-{MODULE}":
        fail(f"distribution name {meta['Name']!r}")
    requires = sorted(meta.get_all("Requires-Dist") or [])
    folders = odoo_addons_folders(env)
    # an Odoo addon is in Odoo's own folders (and, if Odoo is pip-installed there, no odoo-addon-* provides it)
    oca = [
        dep
        for dep in mani.get("depends", [])
        if is_packaged(dep) or not any(os.path.isfile(os.path.join(f, dep, "__manifest__.py")) for f in folders)
    ]
    python_deps = mani.get("external_dependencies", {}).get("python", [])
    expected = sorted([f"odoo=={SERIES}.*", *(f"odoo-addon-{d}=={SERIES}.*" for d in oca), *python_deps])
    if requires != expected:
        fail(f"Requires-Dist {requires} != expected {expected} (OCA depends {oca}, Odoo addons in {folders})")
    return oca


# ---------------------------------------------------------------- venv ----
def make_venv(tmp, wheel, env):
    venv = os.path.join(tmp, "venv")
    run([sys.executable, "-m", "venv", "--system-site-packages", "--without-pip", venv], "creating the venv")
    python = os.path.join(venv, "bin", "python")
    # the system's pip, seen through --system-site-packages, installs into the venv
    run([python, "-m", "pip", "install", "-q", "--no-deps", wheel], "installing the wheel", env=env)
    code = (
        "import sysconfig, odoo.modules.module as m; "
        f"print(m.get_module_path({MODULE!r}, display_warning=False)); print(sysconfig.get_paths()['purelib'])"
    )
    found, purelib = run([python, "-c", code], "locating the module", env=env, cwd=tmp).split()
    real = os.path.realpath(found)
    if not real.startswith(os.path.realpath(purelib) + os.sep) or real.startswith(os.path.realpath(ROOT) + os.sep):
        fail(f"odoo finds {MODULE} in {found}, not in the venv's site-packages {purelib}")
    return python, found


def install_module(python, found, odoo_cmd, env, bindir, tmp):
    log_path = os.path.join(devctl.WORK, f"wheel-check-{DB}.log")
    cmd = [
        python,
        *odoo_cmd[1:],
        "--data-dir",
        os.path.join(devctl.WORK, "data"),
        "--db_host",
        devctl.PGSOCK,
        "--db_port",
        devctl.PGPORT,
        "--db_user",
        devctl.DB_USER,
        "-d",
        DB,
        "--db-filter",
        f"^{DB}$",
        "-i",
        MODULE,
        # the demo data is loaded and checked by `make test`; here the point is where the module comes from
        "--without-demo",
        "all",
        "--stop-after-init",
        "--no-http",
        "--workers",
        "0",
        "--max-cron-threads",
        "0",
        "--log-level",
        "info",
    ]
    proc = subprocess.run(cmd, env=env, cwd=tmp, capture_output=True, text=True, check=False)
    with open(log_path, "w", encoding="utf-8") as fh:
        fh.write(proc.stdout + proc.stderr)
    lines = (proc.stdout + proc.stderr).splitlines()
    errors = [line for line in lines if devctl.LOG_LEVEL_RE.match(line) or line.startswith("Traceback")]
    if proc.returncode != 0 or errors:
        sys.stderr.write("\n".join(errors[:30]) + "\n")
        fail(
            f"installing {MODULE} from the wheel: Odoo exit {proc.returncode}, {len(errors)} error line(s); "
            f"log in {log_path}"
        )
    paths_line = next((line for line in lines if " addons paths: " in line), None)
    if paths_line is None:
        fail(f"no 'addons paths' line in Odoo's log {log_path}")
    paths = ast.literal_eval(paths_line.split(" addons paths: ", 1)[1].strip())
    holders = [p for p in paths if os.path.isdir(os.path.join(p, MODULE))]
    if [os.path.realpath(p) for p in holders] != [os.path.realpath(os.path.dirname(found))]:
        fail(f"{MODULE} is in the addons paths {holders}, expected only the venv's {os.path.dirname(found)}")
    state = devctl.psql(bindir, f"SELECT state FROM ir_module_module WHERE name = '{MODULE}'", db=DB)
    if state != "installed":
        fail(f"{MODULE} is {state or 'absent'} in {DB} after the install; log in {log_path}")


def main():
    started = time.time()
    mani = manifest()
    odoo_cmd, env, bindir = devctl.setup()
    tmp = tempfile.mkdtemp(prefix="itsm-wheel-check-")
    timings = {}
    try:
        step = time.time()
        wheel = build_wheel(os.path.join(tmp, "dist"))
        nfiles = check_files(wheel, mani)
        oca = check_requires(wheel, mani, env)
        timings["build+checks"] = time.time() - step
        step = time.time()
        python, found = make_venv(tmp, wheel, env)
        timings["venv"] = time.time() - step
        devctl.say(f"{os.path.basename(wheel)}: {nfiles} addon files, requires OCA {oca}; odoo finds it in {found}")
        step = time.time()
        devctl.drop_db(bindir, DB)
        install_module(python, found, odoo_cmd, env, bindir, tmp)
        timings["odoo -i"] = time.time() - step
    finally:
        devctl.drop_db(bindir, DB)
        shutil.rmtree(tmp, ignore_errors=True)
    figures = ", ".join(f"{k} {v:.0f}s" for k, v in timings.items())
    print(f"wheel-check OK: {os.path.basename(wheel)} ({figures}, total {time.time() - started:.0f}s)", flush=True)


if __name__ == "__main__":
    main()
