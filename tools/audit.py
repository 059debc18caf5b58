"""``make audit``: pip-audit over every pin, against PyPI's advisories, from a registry-only machine.

``python -m tools.audit [-r constraints.txt ...]`` starts ``tools/osv_pypi.py`` (an OSV
service on a free 127.0.0.1 port, answered from PyPI's project JSON), runs

    pip-audit --strict -s osv --osv-url http://127.0.0.1:PORT/v1/query --no-deps --disable-pip
              --progress-spinner off -f json -r constraints.txt

and prints: packages checked, known vulnerabilities (with their ids and fix versions)
and "unverifiable" pins, those that are not their project's latest release. PyPI
publishes advisories for the latest release only, so for those pins nobody here can
say; they are listed with the latest version and how to move to it.

Exit status: 0 no known vulnerability; 1 known vulnerabilities; 2 the audit could not
run (PyPI not reached, pip-audit failed, or a package pip-audit did not ask about).
Unverifiable pins do not fail the audit: see SECURITY.md, "Dependencies".
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field
from importlib.metadata import version as installed_version
from pathlib import Path
from typing import Any, TextIO

from packaging.utils import canonicalize_name

from tools.osv_pypi import PYPI_URL, OsvShim, Outcome, PypiAdvisories

ROOT = Path(__file__).resolve().parent.parent
DIRECT = ("requirements.txt", "requirements-dev.txt")
PIP_AUDIT_TIMEOUT = 90  # seconds per request to the shim (which waits at most ~61 s on PyPI)
RUN_TIMEOUT = 600
_PIN = re.compile(r"^\s*([A-Za-z0-9][A-Za-z0-9._-]*)\s*(?:\[[^\]]*\])?\s*===?\s*([^\s;#]+)")
_INCLUDE = re.compile(r"^\s*(?:-r|--requirement|-c|--constraint)[\s=]+(\S+)")


def read_pins(path: Path, seen: set[Path] | None = None) -> dict[str, str]:
    """name -> version of the ``==`` pins in a requirements file (following -r/-c), for prefetching."""
    seen = seen if seen is not None else set()
    path = path.resolve()
    if path in seen or not path.is_file():
        return {}
    seen.add(path)
    pins: dict[str, str] = {}
    for line in path.read_text("utf-8").splitlines():
        if include := _INCLUDE.match(line):
            pins.update(read_pins(path.parent / include.group(1), seen))
        elif pin := _PIN.match(line):
            pins[canonicalize_name(pin.group(1))] = pin.group(2)
    return pins


def direct_dependencies(root: Path = ROOT) -> dict[str, str]:
    """name -> the requirements file that names it directly."""
    names: dict[str, str] = {}
    for filename in DIRECT:
        for line in (root / filename).read_text("utf-8").splitlines() if (root / filename).is_file() else []:
            if pin := _PIN.match(line):
                names.setdefault(canonicalize_name(pin.group(1)), filename)
    return names


@dataclass
class Report:
    checked: list[dict[str, Any]] = field(default_factory=list)  # pip-audit's "dependencies"
    vulnerabilities: list[tuple[str, str, dict[str, Any]]] = field(default_factory=list)
    unverifiable: list[Outcome] = field(default_factory=list)
    verified: list[Outcome] = field(default_factory=list)
    errors: list[str] = field(default_factory=list)
    pip_audit_output: str = ""

    @property
    def exit_code(self) -> int:
        if self.errors:
            return 2
        return 1 if self.vulnerabilities else 0


def _pip_audit(requirements: list[Path], url: str, workdir: Path) -> tuple[int, str, Path]:
    output = workdir / "pip-audit.json"
    command = [sys.executable, "-m", "pip_audit", "--strict", "-s", "osv", "--osv-url", url,
               "--no-deps", "--disable-pip", "--progress-spinner", "off", "--timeout", str(PIP_AUDIT_TIMEOUT),
               "--cache-dir", str(workdir / "cache"), "-f", "json", "--aliases", "on", "--desc", "off",
               "-o", str(output)]
    for path in requirements:
        command += ["-r", str(path)]
    env = dict(os.environ)
    for key in ("NO_PROXY", "no_proxy"):  # the shim is local: never through a proxy
        env[key] = ",".join(filter(None, ["127.0.0.1", env.get(key)]))
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=RUN_TIMEOUT,  # noqa: S603
                              env=env, check=False)  # (our own command: this Python, pip_audit, paths)
    except subprocess.TimeoutExpired:
        return -1, f"pip-audit did not finish within {RUN_TIMEOUT} s", output
    return done.returncode, (done.stdout + done.stderr).strip(), output


def audit(requirements: list[Path], pypi_url: str = PYPI_URL) -> Report:
    """Run the audit; ``pypi_url`` is for tests (a local stand-in for PyPI), the CLI has no such option."""
    report = Report()
    pins: dict[str, str] = {}
    for path in requirements:
        if not path.is_file():
            report.errors.append(f"{path}: no such file")
        pins.update(read_pins(path))
    if report.errors:
        return report
    with OsvShim(PypiAdvisories(pypi_url)) as shim, tempfile.TemporaryDirectory() as tmp:
        failures = shim.advisories.prefetch(pins)
        if failures:
            report.errors += [f"PyPI could not be reached: {exc}" for exc in failures]
            return report
        status, text, output = _pip_audit(requirements, shim.url, Path(tmp))
        report.pip_audit_output = text
        outcomes = {(o.name, o.version): o for o in shim.outcomes}
        report.errors += [f"PyPI could not be reached: {o.reason}"
                          for o in shim.outcomes if o.status == "error"]
        try:
            result = json.loads(output.read_text("utf-8"))
        except (OSError, ValueError):
            report.errors.append(f"pip-audit failed (exit status {status}) without a JSON report")
            return report
    if status not in (0, 1):
        report.errors.append(f"pip-audit failed (exit status {status})")
    report.checked = result.get("dependencies", [])
    for dep in report.checked:
        name = canonicalize_name(dep["name"])
        if "skip_reason" in dep:
            report.errors.append(f"pip-audit skipped {name}: {dep['skip_reason']}")
            continue
        outcome = outcomes.get((name, dep["version"]))
        if outcome is None:
            report.errors.append(f"pip-audit did not ask about {name}=={dep['version']}")
        elif outcome.status == "unverifiable":
            report.unverifiable.append(outcome)
        elif outcome.status == "verified":
            report.verified.append(outcome)
        for vuln in dep.get("vulns", []):
            report.vulnerabilities.append((name, dep["version"], vuln))
    reported = {canonicalize_name(dep["name"]) for dep in report.checked}
    report.errors += [f"pip-audit did not report {name}=={pins[name]}"
                      for name in sorted(set(pins) - reported)]
    if not report.checked:
        report.errors.append("pip-audit checked no package")
    if status == 1 and not report.vulnerabilities:
        report.errors.append("pip-audit exited 1 but reported no vulnerability")
    return report


def render(report: Report, requirements: list[Path], out: TextIO) -> None:
    def say(line: str) -> None:
        print(line, file=out)

    files = ", ".join(str(p) for p in requirements)
    say(f"pip-audit {installed_version('pip-audit')} over {files}: OSV service on 127.0.0.1 answered from "
        f"{PYPI_URL}/<project>/json")
    if report.pip_audit_output:
        say("pip-audit says: " + report.pip_audit_output.replace("\n", "\n  "))
    if report.checked:
        _figures(report, say)
    for error in report.errors:
        say(f"ERROR: {error}")
    verdict = {0: "OK: no known vulnerability", 1: "FAILED: known vulnerabilities",
               2: "FAILED: the audit could not run"}[report.exit_code]
    say(verdict)


def _figures(report: Report, say: Callable[[str], None]) -> None:
    say(f"Packages checked: {len(report.checked)}")
    say(f"  verified (pin is the latest release, PyPI lists its advisories): {len(report.verified)}")
    say(f"  unverifiable (pin is not the latest release): {len(report.unverifiable)}")
    say(f"Known vulnerabilities: {len(report.vulnerabilities)}")
    for name, version, vuln in report.vulnerabilities:
        aliases = ", ".join(vuln.get("aliases") or [])
        fixes = ", ".join(vuln.get("fix_versions") or []) or "none published"
        named = f"{vuln['id']} ({aliases})" if aliases else vuln["id"]
        say(f"  {name}=={version}: {named}; fixed in: {fixes}")
    if report.unverifiable:
        direct = direct_dependencies()
        say("Unverifiable pins: PyPI publishes advisories for each project's latest release only.")
        width = max(len(f"{o.name}=={o.version}") for o in report.unverifiable)
        for o in sorted(report.unverifiable, key=lambda o: o.name):
            where = f"direct, {direct[o.name]}" if o.name in direct else "indirect"
            latest = f"latest {o.latest}" if o.latest else o.reason
            say(f"  {f'{o.name}=={o.version}':<{width}}  {latest}  ({where})")
        say("  To verify one: move it to the latest release (bump a direct pin in its requirements file; "
            "for an indirect one `.venv/bin/pip install -U NAME`), run `make test`, then `make lock`.")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("-r", "--requirement", action="append", type=Path,
                        help="a requirements file of == pins (default: constraints.txt)")
    args = parser.parse_args(argv)
    requirements = args.requirement or [ROOT / "constraints.txt"]
    try:
        report = audit(requirements)
    except Exception as exc:  # exit 1 means "known vulnerabilities": a crash must not look like one
        report = Report(errors=[f"the audit crashed: {type(exc).__name__}: {exc}"])
    render(report, requirements, sys.stdout)
    return report.exit_code


if __name__ == "__main__":
    sys.exit(main())
