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
    asked: list[str] = []  # it signs this browser out of the console: the console asks first
    tablet.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    tablet.get_by_role("button", name="Start a helper kiosk on this device").click()
    tablet.wait_for_url(f"**/j/{code}")
    assert asked and "signed out of the console" in asked[0]

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
    console.once("dialog", lambda dialog: (asked.append(dialog.message), dialog.accept()))
    console.get_by_role("button", name="Stop helper kiosks").click()
    expect(console.locator("body")).to_contain_text("Helper kiosks stopped")
    assert len(asked) == 2 and "Stop every helper kiosk" in asked[1]
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


#: is the focused control visibly marked? (a visually hidden radio shows it on its label's number)
FOCUS_SHOWN = """() => {
  const el = document.activeElement;
  const marked = (node) => {
    const cs = getComputedStyle(node);
    return (cs.outlineStyle !== "none" && parseFloat(cs.outlineWidth) >= 2) || cs.boxShadow !== "none";
  };
  if (marked(el)) return true;
  const label = el.closest("label");
  if (label && marked(label)) return true;
  const shown = el.nextElementSibling;
  return !!shown && marked(shown);
}"""


def tab_to(page: Any, selector: str, limit: int = 120) -> None:
    """Press Tab until the focus is on ``selector``, as a keyboard user would; the focus is shown."""
    for _ in range(limit):
        page.keyboard.press("Tab")
        if page.evaluate("(s) => document.activeElement && document.activeElement.matches(s)", selector):
            assert page.evaluate(FOCUS_SHOWN), f"focus not shown on {selector}"
            return
    raise AssertionError(f"Tab never reached {selector}")


def send_by_keyboard(page: Any, stage: str, key: str = "Enter") -> None:
    tab_to(page, f"#send-{stage}")
    page.keyboard.press(key)
    page.wait_for_selector(f"#ack-{stage}[data-kind=ok]")


def test_every_method_by_keyboard_only(all_methods: Any, live_server: Any, http_api: Any, new_page: Any,
                                       watch: Any) -> None:
    """Tab, Space, Enter and the arrow keys (and typing, where the answer is text or an amount)."""
    workshop = http_api.create_workshop(all_methods())
    wid = workshop["id"]
    for key in ("vision1", "vision", "goals", "phasing", "projects", "budget", "dream"):
        http_api.stage(wid, key, "open")
    page = new_page(360, 740)
    page.goto(live_server.url(f"/j/{workshop['code']}?lang=en"))
    tab_to(page, "input[name=group]")  # the first group; the arrows move through the others
    page.keyboard.press("ArrowDown")
    assert page.evaluate("document.activeElement.value") == "government"
    page.keyboard.press("Space")
    tab_to(page, "form.join-form button[type=submit]")
    page.keyboard.press("Enter")
    page.wait_for_selector("#conn[data-state=online]")
    page.wait_for_selector("#st-dream")

    # single: the arrows choose within the group
    tab_to(page, "#st-vision1 input[type=radio]")
    page.keyboard.press("ArrowDown")
    assert page.locator("#c-vision1-v2").is_checked()
    send_by_keyboard(page, "vision1")
    # approval: Space ticks a box
    tab_to(page, "#c-vision-v1")
    page.keyboard.press("Space")
    tab_to(page, "#c-vision-v3")
    page.keyboard.press("Space")
    send_by_keyboard(page, "vision", "Space")
    # dots: Enter and Space on the + buttons
    tab_to(page, "#p-goals-g2")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")
    tab_to(page, "#p-goals-g4")
    page.keyboard.press("Space")
    assert page.locator("#n-goals-g2").text_content() == "2"
    send_by_keyboard(page, "goals")
    # rank: Add buttons, and Move up
    tab_to(page, "#ra-phasing-w3")
    page.keyboard.press("Enter")
    page.keyboard.press("Enter")  # the focus moved on to the next item's Add: w4
    tab_to(page, "#ru-phasing-w4")
    page.keyboard.press("Enter")
    send_by_keyboard(page, "phasing")
    # score: each criterion a radio group; the arrows give the score
    tab_to(page, "#st-projects input[name=s-projects-p1-importance]")
    for _ in range(3):
        page.keyboard.press("ArrowRight")
    assert page.locator("#s-projects-p1-importance-4").is_checked()
    tab_to(page, "#st-projects input[name=s-projects-p1-feasibility]")
    page.keyboard.press("ArrowRight")
    send_by_keyboard(page, "projects")
    # budget: an amount typed, and "Give its full cost" pressed
    tab_to(page, "#b-budget-b1")
    page.keyboard.type("1000000")
    tab_to(page, "#st-budget button[aria-label$='Drinking water points in schools']")
    page.keyboard.press("Enter")
    send_by_keyboard(page, "budget")
    # words: typed into the boxes
    tab_to(page, "#w-dream-0")
    page.keyboard.type("clean")
    tab_to(page, "#w-dream-1")
    page.keyboard.type("green")
    send_by_keyboard(page, "dream")

    stages = {s["key"]: s for s in http_api.results(wid)["stages"]}
    assert all(stages[k]["ballots"] == 1 for k in stages), {k: s["ballots"] for k, s in stages.items()}

    def values(key: str) -> dict[str, Any]:
        return {i["key"]: i["value"] for i in stages[key]["items"] if i["value"]}

    assert values("vision1") == {"v2": 1}
    assert values("vision") == {"v1": 1, "v3": 1}
    assert values("goals") == {"g2": 2, "g4": 1}
    assert [i["key"] for i in stages["phasing"]["items"][:2]] == ["w4", "w3"]
    assert set(values("projects")) == {"p1"}  # importance 4 (weight 2), feasibility 2 (weight 1)
    assert abs(values("projects")["p1"] - (4 * 2 + 2 * 1) / 3) < 1e-9
    assert values("budget") == {"b1": 1_000_000, "b3": 1_200_000}
    assert set(values("dream")) == {"clean", "green"}
    assert_clean(watch)
