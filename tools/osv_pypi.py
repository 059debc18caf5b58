"""An OSV ``/v1/query`` service on 127.0.0.1, answered from PyPI's project JSON.

Why it exists: our build machines reach package registries only. pip-audit's own
PyPI service asks ``https://pypi.org/pypi/<project>/<version>/json``, which answers
404 there, and osv.dev is not reachable. ``https://pypi.org/pypi/<project>/json``
does answer, with the advisories of the project's LATEST release (OSV records cut
down to id, aliases, summary, details, fixed_in, link, withdrawn). This module turns
that into the OSV API pip-audit speaks (``pip-audit -s osv --osv-url URL``), so the
audit is pip-audit's own, run on PyPI's data. ``tools/audit.py`` (``make audit``)
starts it, runs pip-audit and reports.

What a query ``{"package": {"name", "ecosystem": "PyPI"}, "version"}`` gets:

- version is the latest release: PyPI's advisories as OSV records, withdrawn ones
  dropped, one record per vulnerability (see ``merge_duplicates``). Each record lists
  the queried version in ``affected[].versions``, and its first ECOSYSTEM range
  carries ``fixed_in`` as ``fixed`` events: that range is where pip-audit reads fix
  versions from.
- version is not the latest: PyPI cannot tell us about it. The answer is ``{}`` and
  the query is recorded as "unverifiable", for the runner to report. Not an HTTP
  error: pip-audit 2.10.1 does not turn an HTTP error of the OSV service into a
  skipped dependency, it aborts the whole audit with a traceback.
- PyPI could not be asked (network, timeout, an HTTP error, an answer we cannot read):
  502, and the error is recorded; pip-audit then aborts, so it never reports such a
  package as clean, and the runner says why. A 404 for the project is such an error
  too: every pin was installed from PyPI, so a 404 means the API does not answer here,
  not "no advisory".

Only ``https://pypi.org`` is contacted (redirects elsewhere are refused); each request
has a timeout, a whole answer must arrive within 30 s, and it is tried twice. Answers
(and failures) are cached per run, keeping only the latest version and its advisories.
pip-audit 2.10.1 sends one ``/v1/query`` per package and never ``/v1/querybatch``, so
only the former is served.

Run alone for debugging: ``python -m tools.osv_pypi --port 8765``.
"""

from __future__ import annotations

import argparse
import json
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
from collections.abc import Iterable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from packaging.utils import canonicalize_name
from packaging.version import InvalidVersion, Version

PYPI_URL = "https://pypi.org/pypi"
TIMEOUT = 15.0  # seconds: per socket operation; a whole answer gets twice that
ATTEMPTS = 2
MAX_PROJECT_BYTES = 64 * 1024 * 1024  # the largest project JSON we audit is ~13 MB
MAX_QUERY_BYTES = 64 * 1024
_NAME = re.compile(r"^[a-z0-9]([a-z0-9-]*[a-z0-9])?$")  # a canonicalized project name


class PypiError(Exception):
    """PyPI could not be reached, or answered something we cannot read."""


@dataclass(frozen=True)
class Project:
    """What PyPI's project JSON says, reduced to what the audit needs."""

    name: str
    latest: str
    vulnerabilities: tuple[dict[str, Any], ...] = ()


@dataclass(frozen=True)
class Outcome:
    """One query answered: verified, unverifiable or error."""

    name: str
    version: str
    status: str  # "verified" | "unverifiable" | "error"
    latest: str | None = None
    ids: tuple[str, ...] = ()  # OSV ids answered (verified only)
    reason: str = ""


def same_version(a: str, b: str) -> bool:
    try:
        return Version(a) == Version(b)
    except InvalidVersion:
        return a == b


def _as_project(name: str, data: Any) -> Project:
    """Fail closed: an answer without a readable latest version and advisory list is an error."""
    try:
        latest = data["info"]["version"]
        vulnerabilities = data["vulnerabilities"]
    except (KeyError, TypeError) as exc:
        raise PypiError(f"{name}: PyPI's project JSON lacks {exc}") from None
    if not isinstance(latest, str) or not isinstance(vulnerabilities, list):
        raise PypiError(f"{name}: PyPI's project JSON has an unexpected shape")
    for entry in vulnerabilities:
        if not isinstance(entry, dict) or not isinstance(entry.get("id"), str):
            raise PypiError(f"{name}: an advisory in PyPI's project JSON has no id: {entry!r:.200}")
    return Project(name, latest, tuple(vulnerabilities))


class _SameOriginRedirects(urllib.request.HTTPRedirectHandler):
    def __init__(self, base: str) -> None:
        origin = urllib.parse.urlsplit(base)
        self.origin = (origin.scheme, origin.netloc)

    def redirect_request(self, req: Any, fp: Any, code: int, msg: str, headers: Any,
                         newurl: str) -> Any:
        target = urllib.parse.urlsplit(newurl)
        if (target.scheme, target.netloc) != self.origin:
            raise PypiError(f"refused a redirect off {self.origin[1]}: {newurl}")
        return super().redirect_request(req, fp, code, msg, headers, newurl)


class PypiAdvisories:
    """PyPI's project JSON, fetched once per project and run (failures are cached too)."""

    def __init__(self, base: str = PYPI_URL, timeout: float = TIMEOUT, attempts: int = ATTEMPTS) -> None:
        if urllib.parse.urlsplit(base).scheme not in ("https", "http"):  # http: a local stand-in in tests
            raise ValueError(f"not an http(s) URL: {base}")
        self.base = base.rstrip("/")
        self.timeout = timeout
        self.attempts = attempts
        self._opener = urllib.request.build_opener(_SameOriginRedirects(self.base))
        self._cache: dict[str, Future[Project]] = {}
        self._lock = threading.Lock()

    def project(self, name: str) -> Project:
        name = canonicalize_name(name)
        if not _NAME.match(name):
            raise ValueError(f"not a project name: {name!r}")
        with self._lock:
            future = self._cache.get(name)
            mine = future is None
            if future is None:
                future = self._cache[name] = Future()
        if mine:
            try:
                future.set_result(self._fetch(name))
            except Exception as exc:  # cached too, and never left unresolved for other threads
                future.set_exception(exc)
        return future.result()

    def prefetch(self, names: Iterable[str], workers: int = 4) -> list[PypiError]:
        """Fetch several projects at once; returns the failures (also kept in the cache)."""
        errors: list[PypiError] = []

        def one(name: str) -> None:
            try:
                self.project(name)
            except PypiError as exc:
                errors.append(exc)

        with ThreadPoolExecutor(max_workers=workers) as pool:
            list(pool.map(one, sorted({canonicalize_name(n) for n in names})))
        return errors

    def _fetch(self, name: str) -> Project:
        url = f"{self.base}/{urllib.parse.quote(name)}/json"
        headers = {"Accept": "application/json", "User-Agent": "ruamkit-audit (tools/osv_pypi.py)"}
        request = urllib.request.Request(url, headers=headers)  # noqa: S310 - scheme checked in __init__
        problem = ""
        for attempt in range(self.attempts):
            if attempt:
                time.sleep(1.0)
            try:
                body = self._read(request)
            except urllib.error.HTTPError as exc:
                problem = f"HTTP {exc.code}"
                if exc.code == 404:  # every pin came from PyPI: this is the API failing, not a verdict
                    problem += " (no such project on PyPI, or its JSON API does not answer here)"
                if exc.code < 500 and exc.code != 429:
                    break
                continue
            except (OSError, ValueError) as exc:  # URLError, timeouts, resets; ValueError: bad URL
                problem = str(getattr(exc, "reason", exc)) or type(exc).__name__
                continue
            try:
                return _as_project(name, json.loads(body))
            except ValueError as exc:
                raise PypiError(f"{name}: PyPI's answer is not JSON ({exc})") from None
        raise PypiError(f"{name}: {url}: {problem}")

    def _read(self, request: urllib.request.Request) -> bytes:
        deadline = time.monotonic() + 2 * self.timeout
        chunks, size = [], 0
        with self._opener.open(request, timeout=self.timeout) as response:
            while chunk := response.read(1024 * 1024):
                chunks.append(chunk)
                size += len(chunk)
                if size > MAX_PROJECT_BYTES:
                    raise ValueError(f"answer larger than {MAX_PROJECT_BYTES} bytes")
                if time.monotonic() > deadline:
                    raise TimeoutError(f"answer took more than {2 * self.timeout:.0f} s")
        return b"".join(chunks)


def to_osv(name: str, version: str, entry: dict[str, Any]) -> dict[str, Any] | None:
    """One advisory of PyPI's project JSON as an OSV record affecting ``version``; None if withdrawn."""
    if entry.get("withdrawn"):
        return None
    fixed = []
    for value in entry.get("fixed_in") or []:
        try:
            fixed.append((Version(str(value)), str(value)))
        except InvalidVersion:
            continue  # pip-audit parses every fix version; an unparsable one would crash it
    events: list[dict[str, str]] = [{"introduced": "0"}]
    events += [{"fixed": text} for _, text in sorted(set(fixed))]
    record: dict[str, Any] = {
        "schema_version": "1.6.0",
        "id": entry["id"],
        "aliases": [str(a) for a in entry.get("aliases") or []],
        "affected": [{
            "package": {"ecosystem": "PyPI", "name": canonicalize_name(name)},
            "ranges": [{"type": "ECOSYSTEM", "events": events}],
            "versions": [version],
        }],
        "database_specific": {"source": "pypi.org project JSON", "upstream": entry.get("source")},
    }
    for key in ("summary", "details"):
        if entry.get(key):
            record[key] = str(entry[key])
    if entry.get("link"):
        record["references"] = [{"type": "ADVISORY", "url": str(entry["link"])}]
    return record


def merge_duplicates(entries: Iterable[dict[str, Any]]) -> list[dict[str, Any]]:
    """PyPI's advisories with those naming each other (by id or alias) merged into one, PYSEC id first.

    PyPI lists one vulnerability under several databases (PYSEC-2017-94 and GHSA-cq27-v7xp-c356,
    each an alias of the other). pip-audit 2.10.1 names each result by its PYSEC id when it has one,
    and never merges two PYSEC-named results, so it would count the vulnerability twice.
    """
    groups: list[list[dict[str, Any]]] = []
    for entry in entries:
        names = {entry["id"], *(entry.get("aliases") or [])}
        joined = [g for g in groups if names & {n for e in g for n in (e["id"], *(e.get("aliases") or []))}]
        merged = [entry]
        for group in joined:
            groups.remove(group)
            merged = group + merged
        groups.append(merged)
    out = []
    for group in groups:
        primary = next((e for e in group if e["id"].startswith("PYSEC-")), group[0])
        names = {n for e in group for n in (e["id"], *(e.get("aliases") or []))}
        out.append({**primary, "aliases": sorted(names - {primary["id"]}),
                    "fixed_in": sorted({str(f) for e in group for f in e.get("fixed_in") or []})})
    return sorted(out, key=lambda e: e["id"])


def answer(advisories: PypiAdvisories, name: str, version: str) -> tuple[dict[str, Any], Outcome]:
    """The OSV answer to a query and its outcome; raises PypiError if PyPI could not be asked."""
    project = advisories.project(name)
    if not same_version(version, project.latest):
        return {}, Outcome(project.name, version, "unverifiable", project.latest,
                           reason="PyPI lists advisories for the latest release only")
    current = [e for e in project.vulnerabilities if not e.get("withdrawn")]
    records = [r for r in (to_osv(project.name, version, e) for e in merge_duplicates(current)) if r]
    outcome = Outcome(project.name, version, "verified", project.latest, tuple(r["id"] for r in records))
    return ({"vulns": records} if records else {}), outcome


@dataclass
class OsvShim:
    """The OSV service on 127.0.0.1 (a free port unless given); use as a context manager."""

    advisories: PypiAdvisories = field(default_factory=PypiAdvisories)
    port: int = 0
    outcomes: list[Outcome] = field(default_factory=list)

    def __post_init__(self) -> None:
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", self.port), self._handler())
        self._server.daemon_threads = True
        self.port = self._server.server_address[1]
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), name="osv-pypi",
                                        daemon=True)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1/query"

    def record(self, outcome: Outcome) -> None:
        with self._lock:
            self.outcomes.append(outcome)

    def start(self) -> OsvShim:
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> OsvShim:
        return self.start()

    def __exit__(self, *exc: object) -> None:
        self.stop()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        shim = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                if self.path.split("?")[0] != "/v1/query":
                    return self._send(404, {"message": "only /v1/query is served"})
                try:
                    length = int(self.headers.get("Content-Length") or 0)
                    if not 0 < length <= MAX_QUERY_BYTES:
                        raise ValueError("bad Content-Length")
                    query = json.loads(self.rfile.read(length))
                    package, version = query["package"], query["version"]
                    if package.get("ecosystem") != "PyPI":
                        raise ValueError("only the PyPI ecosystem is served")
                    name = str(package["name"])
                    if not isinstance(version, str):
                        raise TypeError("version must be a string")
                except (ValueError, KeyError, TypeError, AttributeError) as exc:
                    return self._send(400, {"message": f"unsupported query: {exc}"})
                try:
                    body, outcome = answer(shim.advisories, name, version)
                except ValueError as exc:  # not a project name
                    shim.record(Outcome(name, version, "error", reason=str(exc)))
                    return self._send(400, {"message": str(exc)})
                except PypiError as exc:
                    shim.record(Outcome(canonicalize_name(name), version, "error", reason=str(exc)))
                    return self._send(502, {"message": f"PyPI could not be asked: {exc}"})
                shim.record(outcome)
                return self._send(200, body)

            def _send(self, status: int, body: dict[str, Any]) -> None:
                data = json.dumps(body).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def log_message(self, format: str, *args: Any) -> None:  # quiet: the runner reports
                pass

        return Handler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8765)
    port = parser.parse_args(argv).port
    shim = OsvShim(port=port)
    print(f"OSV service at {shim.url}, answered from {PYPI_URL}/<project>/json (Ctrl-C stops)")
    try:
        shim._server.serve_forever()
    except KeyboardInterrupt:
        pass
    finally:
        shim._server.server_close()
        for o in shim.outcomes:
            print(o.status, o.name, o.version, o.latest or "", " ".join(o.ids), o.reason)


if __name__ == "__main__":
    main()
