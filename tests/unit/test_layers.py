"""Packages import downward only: the import-linter contracts in pyproject.toml hold,
and they do fail when a lower layer imports a higher one."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
LINT = Path(sys.executable).with_name("lint-imports")


def lint(where: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(where)}
    return subprocess.run([str(LINT), "--no-cache", "--config", str(where / "pyproject.toml")],
                          cwd=where, env=env, capture_output=True, text=True, timeout=120, check=False)


@pytest.fixture
def copy(tmp_path: Path) -> Path:
    """The package's source and the contracts, somewhere a planted import cannot hurt."""
    shutil.copy(ROOT / "pyproject.toml", tmp_path / "pyproject.toml")
    shutil.copytree(ROOT / "workshop", tmp_path / "workshop",
                    ignore=shutil.ignore_patterns("__pycache__", "*.pyc"))
    return tmp_path


def plant(copy: Path, module: str, line: str) -> None:
    path = copy / "workshop" / module
    path.write_text(path.read_text(encoding="utf-8") + f"\n{line}\n", encoding="utf-8")


def test_the_package_keeps_its_layers() -> None:
    found = lint(ROOT)
    assert found.returncode == 0, found.stdout + found.stderr
    assert "0 broken" in found.stdout


def test_the_copy_is_clean_before_anything_is_planted(copy: Path) -> None:
    found = lint(copy)
    assert found.returncode == 0, found.stdout + found.stderr


@pytest.mark.parametrize(("module", "line", "contract"), [
    # the realtime identity reaching into the console's blueprint (as it once did)
    ("realtime/identity.py", "from ..web.facilitator import auth", "web | realtime | export"),
    # an export using the pages' helpers
    ("export/data.py", "from ..web import i18n", "web | realtime | export"),
    # a service reaching up into a socket handler
    ("services/ballots.py", "from ..realtime import rooms", "web | realtime | export"),
    # exports and sockets are siblings: neither imports the other
    ("export/data.py", "from ..realtime import rooms", "web | realtime | export"),
    # the domain knowing the database
    ("domain/text.py", "from ..storage import db", "web | realtime | export"),
    ("domain/text.py", "import flask", "The domain is pure"),
    # a page taking its payload from the socket layer
    ("web/projector/views.py", "from ...realtime import rooms", "Pages do not import the socket layer"),
])
def test_an_upward_import_breaks_a_contract(copy: Path, module: str, line: str, contract: str) -> None:
    plant(copy, module, line)
    found = lint(copy)
    assert found.returncode != 0
    broken = found.stdout.split("Broken contracts")[-1]
    assert contract in broken, found.stdout


def test_a_new_root_module_must_find_its_layer(copy: Path) -> None:
    (copy / "workshop" / "helpers.py").write_text('"""A module in no layer."""\n', encoding="utf-8")
    found = lint(copy)
    assert found.returncode != 0
    assert "helpers" in found.stdout
