"""Trust, round two (issue 14): no single resident or request can freeze the room.

Each test is a finding of the outside review, against a real server process.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from tests.factories import workshop_object
from tests.security.conftest import Live, wait_until

pytestmark = pytest.mark.slow

BUDGET = 16 * 1024


def _size(message: Any) -> int:
    """Bytes of a message as the server encodes it (JSON, ASCII escapes: the worst case)."""
    return len(json.dumps(message, separators=(",", ":")))


def _letters(number: int) -> str:
    """A number as letters only (a segmenter splits digits off a word)."""
    return "".join("abcdefghij"[int(d)] for d in f"{number:05d}")


def _words_workshop(live: Live) -> dict[str, Any]:
    definition = workshop_object()
    definition["stages"].append({"key": "cloud", "kind": "other", "title": "Cloud", "method": "words",
                                 "max_words": 10, "show_results": "live"})
    created = live.workshop(**{k: v for k, v in definition.items()})
    assert live.api("POST", f"/api/v1/workshops/{created['id']}/stages/cloud/open")[0] == 200
    return created


def test_a_word_cloud_flooded_with_distinct_answers_keeps_results_under_16_kb(live: Live) -> None:
    """40 phones, 4 groups, each re-sending within its allowance ballots of 10 distinct
    answers: 400 current entries (2,000 given). Every `results` message a projector and a
    resident receive stays under 16 KB, carrying the top entries and how many there are."""
    created = _words_workshop(live)
    projector = live.phone({"projector": created["projector_url"].rsplit("/", 1)[1]})
    watcher = live.phone({"participant": live.join(created["code"])})
    groups = ("resident", "government", "private", "civil")
    phones = [live.phone({"participant": live.join(created["code"], groups[n % 4])}) for n in range(40)]
    for round_ in range(5):
        for n, phone in enumerate(phones):
            words = [f"greenparkbytheriver{_letters(n * 100 + round_ * 10 + w)}" for w in range(10)]
            ack = phone.call("ballot", {"stage": "cloud", "choices": {"words": words}})
            assert ack["ok"], ack

    def final(phone: Any) -> bool:
        with phone.lock:
            got = [data for event, data in phone.events if event == "results" and data["key"] == "cloud"]
        return bool(got) and got[-1]["ballots"] == 40 and got[-1]["items_total"] == 400

    assert wait_until(lambda: final(projector) and final(watcher), timeout=20)
    for phone in (projector, watcher):
        messages = [data for event, data in phone.events if event == "results"]
        assert messages
        sizes = [_size(m) for m in messages]
        assert max(sizes) < BUDGET, sizes
        last = messages[-1]
        assert 0 < len(last["items"]) <= 100
        ranks = [item["rank"] for item in last["items"]]
        assert ranks == sorted(ranks)  # the top of the cloud, in rank order
    # the API still gives every entry
    status, body = live.api("GET", f"/api/v1/workshops/{created['id']}/results")
    entry = next(s for s in body["stages"] if s["key"] == "cloud")
    assert status == 200 and len(entry["items"]) == 400
    # and sync (what a phone draws from when it comes back) is bounded the same way
    synced = watcher.call("sync", {})
    assert _size(synced["results"]["cloud"]) < BUDGET
    assert synced["results"]["cloud"]["items_total"] == 400
