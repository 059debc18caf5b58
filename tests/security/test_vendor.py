"""The vendored front-end files are exactly what the npm registry publishes.

socket.io-client, Sarabun and axe-core are committed under static/vendor (a venue
may have no internet). `tools/vendor.sh --check` packs each package again at its
pinned version and compares every file byte for byte: a file changed by hand or
by a compromised commit is found.
"""

from __future__ import annotations

import shutil
import subprocess
import urllib.request
from pathlib import Path

import pytest

from tests.conftest import require

ROOT = Path(__file__).resolve().parents[2]


def _registry_reachable() -> bool:
    try:
        with urllib.request.urlopen("https://registry.npmjs.org/socket.io-client", timeout=10) as answer:
            return bool(answer.status == 200)
    except OSError:
        return False


@pytest.mark.slow
def test_vendored_files_match_the_npm_registry() -> None:
    require(shutil.which("npm") is not None, "npm is not installed")
    require(_registry_reachable(), "the npm registry is not reachable")
    done = subprocess.run([str(ROOT / "tools" / "vendor.sh"), "--check"], capture_output=True, text=True,
                          timeout=300, check=False)
    assert done.returncode == 0, done.stdout + done.stderr
    assert "static/vendor matches the npm registry" in done.stdout
