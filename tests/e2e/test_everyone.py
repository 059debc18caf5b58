"""Everyone takes part (issue 15) in a real browser: the projector's votes by channel, the
helper kiosk's idle timeout and stop, a phone through a Wi-Fi drop, every method by keyboard.

RUAMKIT_SHOTS=dir keeps the screenshots for people to look at.
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.test_live_room import assert_clean, join, send_vote

pytestmark = pytest.mark.browser


def shots_dir(tmp_path: Path) -> Path:
    shots = Path(os.environ.get("RUAMKIT_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    return shots


def test_the_projector_says_where_the_votes_were_cast(all_methods: Any, live_server: Any, http_api: Any,
                                                     new_page: Any, watch: Any, tmp_path: Path) -> None:
    workshop = http_api.create_workshop(all_methods())
    wid, code = workshop["id"], workshop["code"]
    http_api.stage(wid, "vision", "open")
    projector = new_page(1920, 1080)
    projector.goto(workshop["projector_url"])
    projector.wait_for_selector("#pj-total")
    http_api.ok("POST", f"/api/v1/workshops/{wid}/screen", {"screen": "stage", "stage": "vision"})
    expect(projector.locator("#pj-stage-title")).to_have_text("วิสัยทัศน์เมืองระนอง")
    assert projector.locator("#pj-channels").is_hidden()  # no votes yet: no channel named

    phone = new_page()
    join(phone, live_server, code, "ประชาชน", "th")
    phone.locator("#st-vision input[type=checkbox]").first.check()
    send_vote(phone, "vision")
    http_api.ok("POST", f"/api/v1/workshops/{wid}/stages/vision/paper",
                {"group": "resident", "ballots": [{"items": ["v2"]}, {"items": ["v3"]}]})

    channels = projector.locator("#pj-channels li")
    expect(channels).to_have_count(2)  # only the channels that occurred: the hall and paper
    assert channels.all_text_contents() == ["ในห้องประชุม 1", "กระดาษ 2"]
    assert [c.get_attribute("data-channel") for c in channels.all()] == ["hall", "paper"]
    # readable from the back of the hall: at 1080p, 24 px or more
    size = projector.evaluate(
        "() => parseFloat(getComputedStyle(document.querySelector('.pj-channel')).fontSize)")
    assert size >= 24, size
    assert projector.evaluate("() => document.documentElement.scrollHeight <= innerHeight")
    projector.wait_for_timeout(1200)  # the bars finish growing
    projector.screenshot(path=str(shots_dir(tmp_path) / "projector-th-channels.png"))
    assert_clean(watch)
