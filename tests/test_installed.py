"""An installed (non-editable) copy of siganalyze: its cache follows the code it runs."""

from __future__ import annotations

import importlib.util
import os
import re
import site
import subprocess
import sys
from pathlib import Path

from tests.conftest import make_repo

ROOT = Path(__file__).resolve().parent.parent
WORK = re.compile(r"from the cache (\d+), parsed (\d+); whole reports from the cache (\d+)")


def install_copy(venv: Path) -> Path:
    """Install the checkout, not editable, into a new virtualenv; return its site-packages.

    The venv sees this interpreter's packages through a .pth file (the dependencies, and
    hatchling for a build without isolation when it is there), but not the checkout: a .pth
    file of that folder, such as an editable install's, is not read.
    """
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    purelib = subprocess.run(
        [python, "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    (Path(purelib) / "_parent_env.pth").write_text("\n".join(site.getsitepackages()) + "\n")
    fast = ["--no-build-isolation"] if importlib.util.find_spec("hatchling") else []
    subprocess.run(
        [sys.executable, "-m", "pip", "--python", str(python), "install", "-q", "--no-deps", *fast, str(ROOT)],
        check=True,
        capture_output=True,
    )
    return Path(purelib)


def history_work(venv: Path, repo: Path, cache_home: Path) -> tuple[int, int, int]:
    """Run the installed `siganalyze history`; (file results from the cache, parsed, whole reports from the cache)."""
    env = {**os.environ, "XDG_CACHE_HOME": str(cache_home), "NO_PROGRESS": "1"}
    env.pop("SIGANALYZE_NO_CACHE", None)
    env.pop("PYTHONPATH", None)
    run = subprocess.run(
        [venv / "bin" / "siganalyze", "history", "--tags", "v-r*"],
        cwd=repo,
        env=env,
        capture_output=True,
        text=True,
        check=False,
    )
    assert run.returncode == 0, run.stderr
    match = WORK.search(run.stderr)
    assert match, run.stderr
    cached, parsed, reports = map(int, match.groups())
    return cached, parsed, reports


def test_editing_an_installed_module_invalidates_the_cache(tmp_path: Path) -> None:
    venv = tmp_path / "venv"
    packages = install_copy(venv)
    installed = packages / "analyzer"
    located = subprocess.run(
        [venv / "bin" / "python", "-c", "import analyzer; print(analyzer.__file__)"],
        cwd=tmp_path,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert Path(located) == installed / "__init__.py"  # the copy runs, not the checkout
    repo, cache_home = make_repo(tmp_path, "kernel"), tmp_path / "xdg"

    cached, parsed, reports = history_work(venv, repo, cache_home)
    assert (cached, reports) == (0, 0) and parsed > 0
    assert history_work(venv, repo, cache_home) == (0, 0, 3)  # all three releases from the cache

    # A change to the code, not to the queries or the version: results may differ, so none is reused.
    with (installed / "parse.py").open("a") as module:
        module.write("# edited in place\n")
    assert history_work(venv, repo, cache_home) == (0, parsed, 0)
