"""tools/osv_pypi.py: PyPI's project JSON turned into OSV answers pip-audit accepts (no network)."""

from __future__ import annotations

import json
import socket
import urllib.error
import urllib.request
from pathlib import Path
from typing import Any

import pytest
from packaging.version import Version

from tests.fake_pypi import FakePypi, sample
from tools.osv_pypi import OsvShim, PypiAdvisories, PypiError, answer, merge_duplicates, to_osv

PYSEC = ["PYSEC-2017-94", "PYSEC-2018-97"]


def post(url: str, body: Any) -> tuple[int, Any]:
    data = body if isinstance(body, bytes) else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, method="POST")
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, json.loads(response.read())
    except urllib.error.HTTPError as exc:
        return exc.code, json.loads(exc.read())


def query(name: str, version: str) -> dict[str, Any]:
    return {"package": {"name": name, "ecosystem": "PyPI"}, "version": version}


class Recorded(PypiAdvisories):
    """PypiAdvisories answering from given project JSON instead of fetching."""

    def __init__(self, **projects: dict[str, Any]) -> None:
        super().__init__()
        self.recorded = projects

    def _fetch(self, name: str) -> Any:
        from tools.osv_pypi import _as_project

        if name not in self.recorded:
            raise PypiError(f"{name}: HTTP 404")
        return _as_project(name, self.recorded[name])


def test_the_latest_release_gets_pypis_advisories_as_osv_records() -> None:
    body, outcome = answer(Recorded(pycrypto=sample()), "pycrypto", "2.6.1")
    assert outcome.status == "verified" and outcome.latest == "2.6.1"
    assert [v["id"] for v in body["vulns"]] == PYSEC == list(outcome.ids)  # GHSA twins merged in
    first = body["vulns"][0]
    assert first["aliases"] == ["CVE-2013-7459", "GHSA-cq27-v7xp-c356"]
    assert first["details"].startswith("Heap-based buffer overflow in the ALGnew function")
    assert "summary" not in first  # PyPI's is null: pip-audit falls back to details
    assert first["affected"] == [{"package": {"ecosystem": "PyPI", "name": "pycrypto"},
                                  "ranges": [{"type": "ECOSYSTEM", "events": [{"introduced": "0"}]}],
                                  "versions": ["2.6.1"]}]
    assert first["references"] == [{"type": "ADVISORY", "url": "https://osv.dev/vulnerability/PYSEC-2017-94"}]
    assert "withdrawn" not in first


def test_an_older_release_is_unverifiable_and_answered_empty() -> None:
    body, outcome = answer(Recorded(pycrypto=sample()), "pycrypto", "2.6")
    assert body == {}
    assert (outcome.status, outcome.latest) == ("unverifiable", "2.6.1")
    assert "latest release only" in outcome.reason


def test_a_project_pypi_does_not_know_is_an_error_not_a_clean_bill() -> None:
    """Every pin was installed from PyPI: a 404 means the JSON API does not answer, so fail."""
    with FakePypi({}) as pypi, pytest.raises(PypiError, match="HTTP 404"):
        answer(PypiAdvisories(pypi.url), "no-such-project", "1.0")


def test_versions_compare_as_versions_and_names_as_canonical_names() -> None:
    data = sample()
    data["info"]["version"] = "2.6.1.0"
    body, outcome = answer(Recorded(pycrypto=data), "PyCrypto", "2.6.1")
    assert outcome.status == "verified" and len(body["vulns"]) == 2


def test_withdrawn_advisories_are_dropped_and_fixed_in_becomes_fixed_events() -> None:
    data = sample()
    entries = data["vulnerabilities"]
    entries[0]["withdrawn"] = "2024-01-01T00:00:00Z"  # PYSEC-2017-94; its GHSA twin stays
    for entry in entries:
        if "PYSEC-2018-97" in [entry["id"], *entry["aliases"]]:
            entry["fixed_in"] = ["3.0.1", "2.6.2", "not a version"]
    body, _ = answer(Recorded(pycrypto=data), "pycrypto", "2.6.1")
    by_id = {v["id"]: v for v in body["vulns"]}
    assert set(by_id) == {"GHSA-cq27-v7xp-c356", "PYSEC-2018-97"}
    assert by_id["PYSEC-2018-97"]["affected"][0]["ranges"] == [
        {"type": "ECOSYSTEM", "events": [{"introduced": "0"}, {"fixed": "2.6.2"}, {"fixed": "3.0.1"}]}]
    assert to_osv("pycrypto", "2.6.1", {"id": "X-1", "withdrawn": "2024-01-01T00:00:00Z"}) is None


def test_a_latest_release_without_advisories_is_answered_empty() -> None:
    data = sample()
    data["vulnerabilities"] = []
    body, outcome = answer(Recorded(pycrypto=data), "pycrypto", "2.6.1")
    assert body == {} and outcome.status == "verified" and outcome.ids == ()


def test_duplicates_merge_through_chains_of_aliases() -> None:
    merged = merge_duplicates([{"id": "GHSA-a", "aliases": ["CVE-1"]}, {"id": "OSV-b", "aliases": []},
                               {"id": "PYSEC-c", "aliases": ["CVE-1", "GHSA-d"]},
                               {"id": "GHSA-d", "aliases": ["OSV-b"], "fixed_in": ["2.0"]}])
    assert merged == [{"id": "PYSEC-c", "aliases": ["CVE-1", "GHSA-a", "GHSA-d", "OSV-b"],
                       "fixed_in": ["2.0"]}]


@pytest.mark.parametrize("broken", [{"info": {"version": "1"}}, {"vulnerabilities": []},
                                    {"info": {"version": "1"}, "vulnerabilities": [{"details": "no id"}]},
                                    b"<html>maintenance</html>"])
def test_an_answer_we_cannot_read_is_an_error_not_a_clean_bill(broken: Any) -> None:
    with FakePypi({"pycrypto": (200, broken, {})}) as pypi, pytest.raises(PypiError):
        PypiAdvisories(pypi.url).project("pycrypto")


def test_an_answer_beyond_the_size_cap_is_an_error(monkeypatch) -> None:
    import tools.osv_pypi

    monkeypatch.setattr(tools.osv_pypi, "MAX_PROJECT_BYTES", 1000)
    with FakePypi({"pycrypto": sample()}) as pypi, pytest.raises(PypiError, match="larger than 1000"):
        PypiAdvisories(pypi.url, attempts=1).project("pycrypto")


def test_answers_and_failures_are_fetched_once_per_run() -> None:
    with FakePypi({"pycrypto": sample(), "broken": (503, b"", {})}) as pypi:
        advisories = PypiAdvisories(pypi.url, attempts=2)
        assert advisories.prefetch(["pycrypto", "PyCrypto", "broken"]) != []
        for _ in range(3):
            assert advisories.project("pycrypto").latest == "2.6.1"
            with pytest.raises(PypiError, match="HTTP 503"):
                advisories.project("broken")
        assert sorted(pypi.requests) == ["/pypi/broken/json"] * 2 + ["/pypi/pycrypto/json"]


def test_redirects_off_the_index_are_refused() -> None:
    with FakePypi({"pycrypto": (301, b"", {"Location": "http://example.invalid/pypi/pycrypto/json"}),
                   "renamed": (301, b"", {"Location": "/pypi/pycrypto2/json"}),
                   "pycrypto2": sample()}) as pypi:
        advisories = PypiAdvisories(pypi.url)
        with pytest.raises(PypiError, match="refused a redirect"):
            advisories.project("pycrypto")
        assert advisories.project("renamed").latest == "2.6.1"


def test_an_unreachable_index_is_an_error_within_the_timeout() -> None:
    with socket.socket() as closed:
        closed.bind(("127.0.0.1", 0))
        port = closed.getsockname()[1]
    with pytest.raises(PypiError, match="pycrypto"):
        PypiAdvisories(f"http://127.0.0.1:{port}/pypi", timeout=2, attempts=1).project("pycrypto")
    with pytest.raises(ValueError):
        PypiAdvisories("file:///etc")


def test_the_shim_serves_v1_query_and_records_every_outcome() -> None:
    with FakePypi({"pycrypto": sample(), "down": (500, b"", {})}) as pypi, \
            OsvShim(PypiAdvisories(pypi.url, attempts=1)) as shim:
        assert shim.url.startswith("http://127.0.0.1:")
        status, body = post(shim.url, query("pycrypto", "2.6.1"))
        assert status == 200 and [v["id"] for v in body["vulns"]] == PYSEC
        assert post(shim.url, query("pycrypto", "2.5")) == (200, {})
        assert post(shim.url, query("down", "1.0"))[0] == 502
        assert post(shim.url, {"package": {"name": "x", "ecosystem": "npm"}, "version": "1"})[0] == 400
        assert post(shim.url, b"not json")[0] == 400
        assert post(shim.url.replace("/v1/query", "/v1/querybatch"), {"queries": []})[0] == 404
    assert [(o.name, o.version, o.status) for o in shim.outcomes] == [
        ("pycrypto", "2.6.1", "verified"), ("pycrypto", "2.5", "unverifiable"), ("down", "1.0", "error")]


def test_pip_audits_own_osv_client_reads_the_answers(tmp_path: Path) -> None:
    """pip-audit's OsvService (the code `-s osv` runs) sees 2.6.1 as affected, 2.6 as clean."""
    from pip_audit._service.interface import ResolvedDependency
    from pip_audit._service.osv import OsvService

    data = sample()
    for entry in data["vulnerabilities"]:
        if entry["id"] == "PYSEC-2018-97":
            entry["fixed_in"] = ["2.7"]
    with FakePypi({"pycrypto": data}) as pypi, OsvShim(PypiAdvisories(pypi.url)) as shim:
        service = OsvService(cache_dir=tmp_path, timeout=10, osv_url=shim.url)
        _, found = service.query(ResolvedDependency(name="pycrypto", version=Version("2.6.1")))
        _, older = service.query(ResolvedDependency(name="pycrypto", version=Version("2.6")))
    assert sorted((v.id, sorted(v.aliases), v.fix_versions) for v in found) == [
        ("PYSEC-2017-94", ["CVE-2013-7459", "GHSA-cq27-v7xp-c356"], []),
        ("PYSEC-2018-97", ["CVE-2018-6594", "GHSA-6528-wvf6-f6qg"], [Version("2.7")])]
    assert older == []
