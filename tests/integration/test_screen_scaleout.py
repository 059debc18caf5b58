"""Presenter control across two server processes sharing PostgreSQL and Redis.

The facilitator chooses a screen through process A; projectors connected to A and
to B both follow, each within a second; a projector that reconnects to B, or a page
loaded from B, comes back to the chosen screen (it is stored, not only broadcast).
"""

from __future__ import annotations

import urllib.request
from typing import Any

import pytest

from tests.factories import SESSIONS
from tests.integration.test_scaleout import Recorder, cluster  # noqa: F401 - the fixture
from tests.servers import http

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.slow]


def screen_is(shows: dict[str, Any]) -> Any:
    return lambda event, data: event == "screen" and data["shows"] == shows


def test_projectors_on_both_processes_follow_the_facilitator(cluster: dict[str, Any]) -> None:  # noqa: F811
    a, b, token = cluster["a"], cluster["b"], cluster["token"]
    status, created = http("POST", f"{a.url}/api/v1/workshops",
                           (SESSIONS / "community-park-en.yaml").read_bytes(), token,
                           content_type="application/yaml")
    assert status == 201, created
    wid, key = created["id"], created["projector_url"].rsplit("/", 1)[1]
    on_a = Recorder(a.url, {"projector": key})
    on_b = Recorder(b.url, {"projector": key})
    cluster["clients"].extend([on_a, on_b])
    stage_keys = [s["key"] for s in http("GET", f"{a.url}/api/v1/workshops/{wid}", token=token)[1]["stages"]]

    moves: list[tuple[str, dict[str, Any], dict[str, Any]]] = [
        ("a", {"screen": "welcome"}, {"screen": "welcome", "stage": None}),
        ("b", {"screen": "stage", "stage": stage_keys[0]}, {"screen": "stage", "stage": stage_keys[0]}),
        ("a", {"screen": "comments"}, {"screen": "comments", "stage": None}),
        ("b", {"screen": "next"}, {"screen": "participation", "stage": None}),
        ("a", {"screen": "stage", "stage": stage_keys[-1]}, {"screen": "stage", "stage": stage_keys[-1]}),
    ]
    for through, body, shows in moves:
        server = a if through == "a" else b
        status, answer = http("POST", f"{server.url}/api/v1/workshops/{wid}/screen", body, token)
        assert status == 200, answer
        assert answer["shows"] == shows
        # both projectors, whichever process they are on, hear it (a bounded wait, no timed assertion)
        on_a.wait_for(screen_is(shows), timeout=5)
        on_b.wait_for(screen_is(shows), timeout=5)

    # a projector that connects again (to B) and a page loaded from B come back to the choice
    again = Recorder(b.url, {"projector": key})
    cluster["clients"].append(again)
    ack = again.call("sync", {})
    assert ack["ok"] and ack["screen"]["shows"] == {"screen": "stage", "stage": stage_keys[-1]}
    with urllib.request.urlopen(f"{b.url}/projector/{key}", timeout=10) as page:
        html = page.read().decode()
    assert 'data-shows="stage"' in html and f'"stage": "{stage_keys[-1]}"' in html
