"""Everyone takes part (issue 15) in a real browser: the projector's votes by channel, the
helper kiosk's idle timeout and stop, a phone through a Wi-Fi drop, every method by keyboard.

RUAMKIT_SHOTS=dir keeps the screenshots for people to look at.
"""

from __future__ import annotations

import os
import re
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


def test_a_kiosk_left_alone_starts_again_and_a_stopped_kiosk_votes_no_more(
        all_methods: Any, live_server: Any, http_api: Any, new_page: Any, watch: Any, tmp_path: Path) -> None:
    from tests.e2e.test_live_room import sign_in_console

    workshop = http_api.create_workshop(all_methods())
    wid, code = workshop["id"], workshop["code"]
    http_api.stage(wid, "vision1", "open")
    tablet = new_page(800, 1280)
    tablet.clock.install()  # the kiosk's idle timers run on this clock
    sign_in_console(tablet, live_server)
    tablet.goto(live_server.url(f"/console/w/{wid}?lang=en"))
    tablet.get_by_role("button", name="Start a helper kiosk on this device").click()
    tablet.wait_for_url(f"**/j/{code}")

    def seat_resident() -> None:
        expect(tablet.locator(".kiosk-note")).to_be_visible()
        tablet.get_by_role("radio", name="Residents", exact=True).check()
        tablet.locator("input[name=language][value=en]").check()
        tablet.locator("form.join-form button[type=submit]").click()
        tablet.wait_for_selector("#conn[data-state=online]")

    seat_resident()
    tablet.locator("#st-vision1 input[type=radio]").first.check()
    send_vote(tablet, "vision1")

    # a minute and a half untouched: "Are you still there?"; the resident answers yes
    dialog = tablet.get_by_role("alertdialog")
    tablet.clock.run_for(60_000)
    assert dialog.is_hidden()
    tablet.clock.run_for(31_000)
    expect(dialog).to_be_visible()
    assert tablet.evaluate("document.activeElement.id") == "kiosk-stay"
    tablet.screenshot(path=str(shots_dir(tmp_path) / "kiosk-still-there-en.png"))
    tablet.keyboard.press("Enter")
    expect(dialog).to_be_hidden()
    # ...then walks away: the question again, and 20 s later a fresh, anonymous start
    tablet.clock.run_for(91_000)
    expect(dialog).to_be_visible()
    expect(tablet.locator("#kiosk-idle-left")).to_have_text(re.compile(r"^(1?[0-9]|20)$"))  # counting down
    tablet.clock.run_for(21_000)
    tablet.wait_for_selector("form.join-form")
    expect(tablet.locator(".kiosk-note")).to_be_visible()
    assert tablet.locator("#boot").count() == 0
    entry = next(s for s in http_api.results(wid)["stages"] if s["key"] == "vision1")
    assert entry["ballots"] == 1 and entry["by_channel"]["kiosk"] == 1  # their ballot stays

    # the next resident sits down; the facilitator stops the kiosks from the console
    seat_resident()
    console = new_page(1280, 900)
    sign_in_console(console, live_server)
    console.goto(live_server.url(f"/console/w/{wid}?lang=en"))
    console.get_by_role("button", name="Stop helper kiosks").click()
    expect(console.locator("body")).to_contain_text("Helper kiosks stopped")
    # the tablet leaves kiosk mode by itself and cannot vote on
    expect(tablet.locator("h1")).to_have_text("This helper kiosk has been stopped")
    tablet.goto(live_server.url(f"/j/{code}?lang=en"))
    assert tablet.locator(".kiosk-note").count() == 0
    entry = next(s for s in http_api.results(wid)["stages"] if s["key"] == "vision1")
    assert entry["ballots"] == 1
    # the page reloaded while its WebSocket was open: Chromium reports the cut connection
    assert_clean(watch, allow=re.compile(r"WebSocket connection to .*Invalid frame header"))


def test_resident_page_at_320_px_with_large_text_in_thai(all_methods: Any, live_server: Any, http_api: Any,
                                                          new_page: Any, watch: Any, tmp_path: Path) -> None:
    """Every method as a resident sees it on a small phone with large text, in the phone's own
    Thai font (no web font): a picture to look at, and nothing wider than the screen."""
    workshop = http_api.create_workshop(all_methods())
    for key in ("vision1", "vision", "goals", "phasing", "projects", "budget", "dream"):
        http_api.stage(workshop["id"], key, "open")
    page = new_page(320, 640)
    join(page, live_server, workshop["code"], "ประชาชน", "th")
    page.wait_for_selector("#st-dream")
    page.get_by_role("button", name="ตัวอักษรใหญ่").click()
    assert "text-large" in page.evaluate("() => document.documentElement.className")
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    loaded = page.evaluate("() => performance.getEntriesByType('resource').map(e => e.name).join(' ')")
    assert ".woff" not in loaded
    page.screenshot(path=str(shots_dir(tmp_path) / "phone-th-320-large.png"), full_page=True)
    assert_clean(watch)


@pytest.mark.slow
def test_a_ballot_cast_during_a_30_second_wifi_drop_is_sent_once_when_back(
        all_methods: Any, live_server: Any, http_api: Any, new_page: Any, watch: Any) -> None:
    from tests.e2e.test_live_room import OFFLINE_NOISE

    workshop = http_api.create_workshop(all_methods())
    wid = workshop["id"]
    http_api.stage(wid, "goals", "open")
    phone = new_page(360, 740)
    sent: list[str] = []
    phone.on("websocket", lambda ws: ws.on(
        "framesent", lambda payload: sent.append(payload) if '"ballot"' in str(payload) else None))
    join(phone, live_server, workshop["code"], "Residents", "en")
    phone.wait_for_selector("#st-goals")

    phone.context.set_offline(True)
    phone.wait_for_selector("#conn[data-state=offline]")
    phone.locator("#st-goals .step").nth(1).click()  # a dot on the first goal
    phone.locator("#send-goals").click()
    phone.wait_for_selector("#ack-goals[data-kind=wait]")
    assert "offline" in phone.locator("#ack-goals").text_content()
    phone.wait_for_timeout(30_000)  # the Wi-Fi stays down for 30 s
    assert sent == []
    assert phone.locator("#ack-goals").get_attribute("data-kind") == "wait"

    phone.context.set_offline(False)
    phone.wait_for_selector("#conn[data-state=online]", timeout=30_000)
    phone.wait_for_selector("#ack-goals[data-kind=ok]", timeout=20_000)
    assert "saved" in phone.locator("#ack-goals").text_content()
    phone.wait_for_timeout(1_000)  # room for a second copy, were one to be sent
    assert len(sent) == 1, sent  # the queued ballot went once
    goals = next(s for s in http_api.results(wid)["stages"] if s["key"] == "goals")
    assert goals["ballots"] == 1 and goals["by_channel"]["hall"] == 1  # and was counted once
    assert sum(item["value"] or 0 for item in goals["items"]) == 1
    assert_clean(watch, allow=OFFLINE_NOISE)
