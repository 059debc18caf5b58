"""`make audit` (tools/audit.py): real pip-audit runs that can fail, and the project's own audit.

Offline: pip-audit against a local stand-in for PyPI serving a recorded answer. Online:
against pypi.org itself; those tests skip locally when pypi.org is unreachable and FAIL
under CI=true, like every backend of tests/conftest.py.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import urllib.request
from pathlib import Path
from typing import Any

import pytest

from tests.conftest import require
from tests.fake_pypi import FakePypi, sample
from tools.audit import ROOT, audit, read_pins, render


def write(tmp_path: Path, *pins: str) -> Path:
    path = tmp_path / "requirements.txt"
    path.write_text("# pins under audit\n" + "\n".join(pins) + "\n", "utf-8")
    return path


def run_audit(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, "-m", "tools.audit", *args], cwd=ROOT, capture_output=True,
                          text=True, timeout=300, check=False)


def rendered(report: Any, path: Path) -> str:
    import io

    out = io.StringIO()
    render(report, [path], out)
    return out.getvalue()


# Offline: the whole chain (shim, pip-audit subprocess, report) against a stand-in for PyPI.

def test_a_vulnerable_latest_release_fails_the_audit(tmp_path: Path) -> None:
    path = write(tmp_path, "pycrypto==2.6.1", "flask==3.0.0")
    flask = {"info": {"version": "3.1.3"}, "vulnerabilities": []}
    with FakePypi({"pycrypto": sample(), "flask": flask}) as pypi:
        report = audit([path], pypi_url=pypi.url)
    text = rendered(report, path)
    assert report.exit_code == 1, text
    assert sorted(v["id"] for _, _, v in report.vulnerabilities) == ["PYSEC-2017-94", "PYSEC-2018-97"]
    assert "Known vulnerabilities: 2" in text and "GHSA-cq27-v7xp-c356" in text
    assert [(o.name, o.latest) for o in report.unverifiable] == [("flask", "3.1.3")]
    assert "flask==3.0.0  latest 3.1.3" in text and "make lock" in text


def test_pins_that_are_not_the_latest_are_listed_but_do_not_fail(tmp_path: Path) -> None:
    path = write(tmp_path, "pycrypto==2.6")
    with FakePypi({"pycrypto": sample()}) as pypi:
        report = audit([path], pypi_url=pypi.url)
    text = rendered(report, path)
    assert report.exit_code == 0, text
    assert "Packages checked: 1" in text and "unverifiable (pin is not the latest release): 1" in text
    assert "pycrypto==2.6  latest 2.6.1" in text


@pytest.mark.parametrize("pypi_down", ["500", "closed port"])
def test_pypi_out_of_reach_fails_the_audit(tmp_path: Path, pypi_down: str) -> None:
    path = write(tmp_path, "pycrypto==2.6.1")
    if pypi_down == "500":
        with FakePypi({"pycrypto": (500, b"", {})}) as pypi:
            report = audit([path], pypi_url=pypi.url)
    else:
        with socket.socket() as closed:
            closed.bind(("127.0.0.1", 0))
            url = f"http://127.0.0.1:{closed.getsockname()[1]}/pypi"
        report = audit([path], pypi_url=url)
    text = rendered(report, path)
    assert report.exit_code == 2, text
    assert "PyPI could not be reached: pycrypto" in text and "FAILED: the audit could not run" in text


def test_pypi_failing_during_pip_audits_run_fails_the_audit(tmp_path: Path, monkeypatch) -> None:
    """Nothing prefetched: the shim asks PyPI when pip-audit asks it, answers 502, pip-audit aborts."""
    import tools.audit

    monkeypatch.setattr(tools.audit, "read_pins", lambda path: {})
    path = write(tmp_path, "pycrypto==2.6.1")
    with FakePypi({"pycrypto": (503, b"", {})}) as pypi:
        report = audit([path], pypi_url=pypi.url)
    text = rendered(report, path)
    assert report.exit_code == 2, text
    assert "PyPI could not be reached: pycrypto" in text and "No known vulnerabilities" not in text


def test_a_package_pypi_answers_404_for_fails_the_audit(tmp_path: Path) -> None:
    """Not "unverifiable": if the project JSON answered 404 for every pin, nothing would be checked."""
    path = write(tmp_path, "pycrypto==2.6.1", "ruamkit-internal==1.0")
    with FakePypi({"pycrypto": sample()}) as pypi:
        report = audit([path], pypi_url=pypi.url)
    assert report.exit_code == 2
    assert [e for e in report.errors if "ruamkit-internal" in e and "HTTP 404" in e]


def test_a_crash_of_the_runner_exits_2_not_1(monkeypatch, capsys) -> None:
    """Exit status 1 means "known vulnerabilities"; a crash must not read as that."""
    import tools.audit

    def crash(requirements: list[Path]) -> None:
        raise RuntimeError("boom")

    monkeypatch.setattr(tools.audit, "audit", crash)
    assert tools.audit.main([]) == 2
    assert "ERROR: the audit crashed: RuntimeError: boom" in capsys.readouterr().out


def test_the_pin_reader_follows_includes(tmp_path: Path) -> None:
    (tmp_path / "base.txt").write_text("Flask==3.1.3  # web\nzope.event==6.2\n", "utf-8")
    lines = ["-r base.txt", "--constraint=base.txt", "PyYAML==6.0.3 ; python_version>'3'"]
    (tmp_path / "all.txt").write_text("\n".join(lines), "utf-8")
    assert read_pins(tmp_path / "all.txt") == {"flask": "3.1.3", "zope-event": "6.2", "pyyaml": "6.0.3"}


# Online: pypi.org itself.

@pytest.fixture(scope="session")
def pypi_pycrypto() -> dict[str, Any] | None:
    try:
        with urllib.request.urlopen("https://pypi.org/pypi/pycrypto/json", timeout=15) as response:
            return dict(json.loads(response.read()))
    except (OSError, ValueError) as exc:
        print(f"pypi.org unreachable: {exc}")
        return None


@pytest.fixture
def pypi(pypi_pycrypto: dict[str, Any] | None) -> dict[str, Any]:
    require(pypi_pycrypto is not None, "https://pypi.org/pypi/<project>/json is not reachable")
    assert pypi_pycrypto is not None
    return pypi_pycrypto


def test_pycrypto_from_pypi_fails_the_audit_with_its_advisories(tmp_path: Path, pypi: dict[str, Any]) -> None:
    """pycrypto's latest release (2.6.1) has PYSEC advisories on PyPI: `make audit` must say so and fail."""
    latest = pypi["info"]["version"]
    done = run_audit("-r", str(write(tmp_path, f"pycrypto=={latest}")))
    assert done.returncode == 1, done.stdout + done.stderr
    for advisory in ("PYSEC-2017-94", "PYSEC-2018-97"):
        assert f"pycrypto=={latest}: {advisory}" in done.stdout
    assert "Known vulnerabilities: 2" in done.stdout and "FAILED: known vulnerabilities" in done.stdout


def test_an_old_pin_from_pypi_is_unverifiable_not_clean(tmp_path: Path, pypi: dict[str, Any]) -> None:
    done = run_audit("-r", str(write(tmp_path, "pycrypto==2.6")))
    assert done.returncode == 0, done.stdout + done.stderr
    assert f"pycrypto==2.6  latest {pypi['info']['version']}" in done.stdout


@pytest.mark.slow
def test_the_projects_pins_have_no_known_vulnerability(pypi: dict[str, Any]) -> None:
    """`make audit` over constraints.txt: every package, 0 known vulnerabilities."""
    done = run_audit()
    assert done.returncode == 0, done.stdout + done.stderr
    pins = read_pins(ROOT / "constraints.txt")
    assert f"Packages checked: {len(pins)}\n" in done.stdout, done.stdout
    assert "Known vulnerabilities: 0\n" in done.stdout and "OK: no known vulnerability" in done.stdout
    print(done.stdout)
