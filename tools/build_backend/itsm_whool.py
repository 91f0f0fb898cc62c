"""PEP 517 build backend of the addon: whool, given the addon's name and only the addon's files.

whool (https://github.com/sbidoul/whool) packages the directory it is run in as the addon named after that
directory, with every git-tracked file. This repository is the addon *and* its development set-up, and it is
cloned under any folder name (CI clones it as ``main``). So this backend, declared in ``pyproject.toml``:

* copies the addon's files into ``<tmp>/itsm_service_contract/`` (git-tracked files, or every file of an
  sdist), leaving out the development set-up (``tools/``, ``.ci/``, ``docs/``, Makefile, requirements files,
  linters' configuration) and any cache;
* writes there a ``PKG-INFO`` holding the distribution name and version: whool's documented way of taking
  them as given (as when it builds from an sdist) instead of from the folder's name and git. The version is
  the one whool computes in the checkout (manifest version and git post-version, ``[tool.whool]`` options);
* hands that folder to whool, which writes the metadata (Requires-Dist from the manifest) and the archive.

No editable install: contributors run the checkout itself (``make run``).
"""

import contextlib
import email.parser
import os
import shutil
import subprocess
import tempfile
from pathlib import Path

from manifestoo_core.metadata import metadata_from_addon_dir
from whool import buildapi as whool
from whool.utils import load_pyproject_toml

ADDON = "itsm_service_contract"
# the development set-up: never in a wheel
DEV_ONLY = ("tools/", ".ci/", "docs/", ".gitignore", ".pylintrc", "Makefile", "ruff.toml", "requirements")
# kept in an sdist, so that the wheel can be built from it
SDIST_KEEPS = ("tools/build_backend/",)
CACHES = {"__pycache__", ".ruff_cache", ".hypothesis", ".work", ".git", "build", "dist", ".pytest_cache"}


def _source_files(source):
    """Relative paths of the source's files: git-tracked ones in a checkout, all of them in an sdist."""
    if not (source / "PKG-INFO").is_file():
        with contextlib.suppress(OSError, subprocess.CalledProcessError):
            listed = subprocess.run(
                ["git", "ls-files", "-z"], cwd=source, capture_output=True, check=True
            ).stdout.decode()
            return [name for name in listed.split("\0") if name]
    files = []
    for folder, dirs, names in os.walk(source):
        dirs[:] = [name for name in dirs if name not in CACHES]
        files.extend(os.path.relpath(os.path.join(folder, name), source) for name in names)
    return files


def _wanted(path, sdist):
    parts = path.split("/")
    if any(part in CACHES or part.endswith((".egg-info", ".pyc")) for part in parts):
        return False
    if path == "PKG-INFO" or (path.endswith(".whl") and len(parts) == 1):
        return False
    if sdist and path.startswith(SDIST_KEEPS):
        return True
    return not path.startswith(DEV_ONLY)


def _name_and_version(source, tmp):
    """(Name, Version) as whool computes them, for a folder named after the addon."""
    if (source / "PKG-INFO").is_file():  # an sdist: they are given
        with open(source / "PKG-INFO", encoding="utf-8") as fh:
            given = email.parser.HeaderParser().parse(fh)
        return given["Name"], given["Version"]
    options = load_pyproject_toml(source).get("tool", {}).get("whool", {})
    if os.environ.get("WHOOL_POST_VERSION_STRATEGY_OVERRIDE"):
        options["post_version_strategy_override"] = os.environ["WHOOL_POST_VERSION_STRATEGY_OVERRIDE"]
    # a link named after the addon: the name from the link, the git post-version from the checkout it points to
    named = Path(tmp) / "named" / ADDON
    named.parent.mkdir()
    named.symlink_to(source.resolve(), target_is_directory=True)
    meta = metadata_from_addon_dir(named, options)
    return meta["Name"], meta["Version"]


@contextlib.contextmanager
def _staged(sdist):
    """Work in ``<tmp>/stage/itsm_service_contract``: the addon's files and the ``PKG-INFO`` naming it.

    With a ``PKG-INFO``, whool takes the name and version from it and packages the folder as it is.
    """
    source = Path.cwd()
    with tempfile.TemporaryDirectory(prefix="itsm-whool-") as tmp:
        stage = Path(tmp) / "stage" / ADDON
        for rel in _source_files(source):
            if _wanted(rel, sdist):
                target = stage / rel
                target.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(source / rel, target)
        shutil.copy2(source / "pyproject.toml", stage / "pyproject.toml")  # whool's options; not in the wheel
        name, version = _name_and_version(source, tmp)
        (stage / "PKG-INFO").write_text(f"Metadata-Version: 2.1\nName: {name}\nVersion: {version}\n", "utf-8")
        os.chdir(stage)
        try:
            yield
        finally:
            os.chdir(source)


def build_wheel(wheel_directory, config_settings=None, metadata_directory=None):
    wheel_directory = os.path.abspath(wheel_directory)
    with _staged(sdist=False):
        return whool.build_wheel(wheel_directory, config_settings)


def build_sdist(sdist_directory, config_settings=None):
    sdist_directory = os.path.abspath(sdist_directory)
    with _staged(sdist=True):
        return whool.build_sdist(sdist_directory, config_settings)


def prepare_metadata_for_build_wheel(metadata_directory, config_settings=None):
    metadata_directory = os.path.abspath(metadata_directory)
    with _staged(sdist=False):
        return whool.prepare_metadata_for_build_wheel(metadata_directory, config_settings)
