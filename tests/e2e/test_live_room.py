"""The live room in a real browser: residents' phones, the projector, the facilitator's API.

One server process (tests/e2e/conftest.py) and headless Chromium; every page is
watched for CSP violations, console errors and uncaught exceptions.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import FACILITATOR

pytestmark = pytest.mark.browser

ROOT = Path(__file__).resolve().parents[2]
AXE = ROOT / "static" / "vendor" / "axe-core" / "axe.min.js"
FIRST_LOAD_LIMIT = 60 * 1024  # issue 15.5; bench/phone.py measures it throttled
#: console noise a browser prints by itself while its network is switched off
OFFLINE_NOISE = re.compile(
    r"ERR_INTERNET_DISCONNECTED|WebSocket connection to|Failed to load resource: net::")


# ------------------------------------------------------------------ helpers


def stage_entry(results: dict[str, Any], key: str) -> dict[str, Any]:
    return next(entry for entry in results["stages"] if entry["key"] == key)


def join(page: Any, live: Any, code: str, group: str, language: str) -> None:
    """Join through the join form, as a resident would, and wait for the live room."""
    page.goto(live.url(f"/j/{code}?lang={language}"))
    page.get_by_role("radio", name=group, exact=True).check()
    page.locator(f"input[name=language][value={language}]").check()
    page.locator("form.join-form button[type=submit]").click()
    page.wait_for_selector("#conn[data-state=online]")


def send_vote(page: Any, stage: str) -> None:
    section = page.locator(f"#st-{stage}")
    section.locator(f"#send-{stage}").click()
    page.wait_for_selector(f"#ack-{stage}[data-kind=ok]")


def score(page: Any, stage: str, item: str, criterion: str, value: int) -> None:
    page.locator(f"label.scale-opt:has(#s-{stage}-{item}-{criterion}-{value})").click()


def assert_clean(watch: Any, allow: re.Pattern[str] | None = None) -> None:
    problems = [p for p in watch.problems if not (allow and allow.search(p))]
    assert not problems, problems


#: waits for the fonts, then (at most 3 s) for the finite CSS animations and transitions: axe
#: measures colours as drawn, and an entry fading in is not yet the contrast the room will read
SETTLE_ANIMATIONS = """async () => {
  await document.fonts.ready;  // a page may draw again with its web font
  const finite = document.getAnimations().filter(a => a.effect
      && a.effect.getComputedTiming().endTime !== Infinity);
  await Promise.race([Promise.all(finite.map(a => a.finished.catch(() => null))),
                      new Promise(done => setTimeout(done, 3000))]);
}"""


def run_axe(page: Any) -> list[dict[str, Any]]:
    page.evaluate(SETTLE_ANIMATIONS)
    page.add_script_tag(path=str(AXE))
    result: dict[str, Any] = page.evaluate("async () => await axe.run(document)")
    return [v for v in result["violations"] if v["impact"] in ("serious", "critical")]


def shoot_element(page: Any, selector: str, path: Path) -> None:
    """A picture of one element as laid out on the whole page (sticky parts where they rest)."""
    page.evaluate("() => window.scrollTo(0, 0)")
    box = page.locator(selector).bounding_box()
    assert box is not None, selector
    page.screenshot(path=str(path), full_page=True,
                    clip={"x": 0, "y": box["y"] - 8, "width": page.viewport_size["width"],
                          "height": box["height"] + 16})


def describe(violations: list[dict[str, Any]]) -> str:
    return "\n".join(f"{v['id']} ({v['impact']}): {v['help']} - "
                     f"{[n['target'] for n in v['nodes']][:5]}" for v in violations)


# -------------------------------------------------------------------- tests


def test_workshop_from_join_to_closed_stage(all_methods: Any, live_server: Any, http_api: Any,
                                             new_page: Any, watch: Any) -> None:
    workshop = http_api.create_workshop(all_methods())
    wid, code = workshop["id"], workshop["code"]

    projector = new_page(1920, 1080)
    projector.goto(workshop["projector_url"])
    projector.wait_for_selector("#pj-total")

    # The facilitator opens the vision stage (approval, results shown live).
    http_api.stage(wid, "vision", "open")

    anong = new_page()    # a resident, in Thai
    bob = new_page()      # government, in English
    chai = new_page()     # private sector, in Thai
    join(anong, live_server, code, "ประชาชน", "th")
    join(bob, live_server, code, "Government", "en")
    join(chai, live_server, code, "ภาคเอกชน", "th")

    # The projector counts who joined, by group.
    expect(projector.locator("#pj-total")).to_have_text("3")
    counts = {g: projector.locator(f"#pj-groups li[data-group={g}] .pj-group-n").text_content()
              for g in ("resident", "government", "private", "civil")}
    assert counts == {"resident": "1", "government": "1", "private": "1", "civil": "0"}

    # Approval: at most two, the third box is disabled once two are chosen.
    anong.get_by_role("checkbox", name=re.compile("เมืองสุขภาพดี")).check()
    anong.get_by_role("checkbox", name=re.compile("ประตูการค้า")).check()
    assert anong.get_by_role("checkbox", name=re.compile("เมืองสีเขียว")).is_disabled()
    send_vote(anong, "vision")
    assert "บันทึกคะแนนของท่านแล้ว" in anong.locator("#ack-vision").text_content()
    bob.get_by_role("checkbox", name=re.compile("hot springs")).check()
    send_vote(bob, "vision")
    assert "Your vote is saved" in bob.locator("#ack-vision").text_content()
    chai.get_by_role("checkbox", name=re.compile("เมืองสุขภาพดี")).check()
    chai.get_by_role("checkbox", name=re.compile("เมืองสีเขียว")).check()
    send_vote(chai, "vision")

    # Live results on the projector: v1 first with 3 of 3 ballots.
    projector.wait_for_selector(".pj-bar[data-key=v1][data-rank='1']")
    expect(projector.locator(".pj-bar[data-key=v1] .pj-bar-score")).to_contain_text("100.0%")
    assert projector.locator(".pj-bar").count() == 3
    assert "เมืองสุขภาพดี" in projector.locator(".pj-bar").first.text_content()
    # ...and on the phones too (show_results: live).
    anong.wait_for_selector("#st-vision .bar-row")

    # Next stages: dots, rank and score, results after close.
    http_api.stage(wid, "vision", "close")
    for key in ("goals", "phasing", "projects"):
        http_api.stage(wid, key, "open")
    expect(projector.locator("#pj-stage-title")).to_have_text("ให้คะแนนโครงการ")
    assert "ผลคะแนนจะแสดง" in projector.locator("#pj-results").text_content()

    anong.wait_for_selector("#st-goals")
    add_dot = anong.get_by_role("button", name="เพิ่มแต้มให้ ปลอดภัยจากน้ำท่วม")
    for _ in range(3):
        add_dot.click()
    add_dot.click(force=True)  # refused: at most 3 on one goal
    assert anong.locator("#n-goals-g1").text_content() == "3"
    assert add_dot.get_attribute("aria-disabled") == "true"
    anong.get_by_role("button", name="เพิ่มแต้มให้ ป่าชายเลนสมบูรณ์").click()
    assert "เหลือ 1 แต้ม" in anong.locator("#st-goals .counter").text_content()
    send_vote(anong, "goals")

    bob.wait_for_selector("#st-phasing")
    bob.get_by_role("button", name="Add to my ranking: Riverside plaza").click()
    bob.get_by_role("button", name="Add to my ranking: Lighting and safe paths").click()
    bob.get_by_role("button", name="Move up: Lighting and safe paths").click()
    titles = bob.locator("#st-phasing .rank-list .rank-title").all_text_contents()
    assert titles == ["Lighting and safe paths", "Riverside plaza"]
    send_vote(bob, "phasing")

    chai.wait_for_selector("#st-projects")
    score(chai, "projects", "p1", "importance", 5)
    score(chai, "projects", "p1", "feasibility", 4)
    score(chai, "projects", "p2", "importance", 2)
    send_vote(chai, "projects")

    results = http_api.results(wid)
    assert results["participants"]["total"] == 3
    ballots = [stage_entry(results, k)["ballots"] for k in ("vision", "goals", "phasing", "projects")]
    assert ballots == [3, 1, 1, 1]
    goals = {i["key"]: i["value"] for i in stage_entry(results, "goals")["items"]}
    assert goals == {"g1": 3, "g2": 0, "g3": 0, "g4": 1}

    # Reloading is the same participant: the ballot is still there, nothing is counted twice.
    anong.reload()
    anong.wait_for_selector("#conn[data-state=online]")
    assert anong.locator("#n-goals-g1").text_content() == "3"
    assert anong.locator("#n-goals-g4").text_content() == "1"
    anong.locator("#fold-vision").click()  # closed, folded into one line: a tap opens it
    assert anong.get_by_role("checkbox", name=re.compile("เมืองสุขภาพดี")).is_checked()
    # saved and unchanged: the button says so (not "send the edited vote")
    assert anong.locator("#send-goals").text_content() == "บันทึกคะแนนแล้ว"
    again = http_api.results(wid)
    assert again["participants"] == results["participants"]
    assert stage_entry(again, "goals")["ballots"] == 1

    # Bob loses the Wi-Fi, changes his ranking and presses Update: the vote waits in a queue...
    bob.context.set_offline(True)
    bob.wait_for_selector("#conn[data-state=offline]")
    bob.get_by_role("button", name="Move up: Riverside plaza").click()
    bob.locator("#send-phasing").click()
    bob.wait_for_selector("#ack-phasing[data-kind=wait]")
    assert "offline" in bob.locator("#ack-phasing").text_content()
    # ...the facilitator closes the stage meanwhile; back online, the server refuses it.
    http_api.stage(wid, "phasing", "close")
    bob.context.set_offline(False)
    bob.wait_for_selector("#ack-phasing[data-kind=error]", timeout=20_000)
    assert "closed" in bob.locator("#ack-phasing").text_content()
    assert "Voting closed" in bob.locator("#st-phasing .pill").text_content()
    closed = http_api.results(wid)
    phasing = stage_entry(closed, "phasing")
    assert phasing["ballots"] == 1
    assert phasing["items"][0]["key"] == "w1"  # the ranking sent before, not the refused one
    # A closed stage folds into one line, but not one whose vote was just refused: it stays
    # open with the refusal and Bob's counted ballot, read-only.
    expect(bob.locator("#fold-phasing")).to_have_attribute("aria-expanded", "true")
    assert bob.locator("#st-phasing .rank-list").is_visible()
    assert bob.locator("#st-phasing .rank-list .rank-title").all_text_contents() == [
        "Lighting and safe paths", "Riverside plaza"]
    assert bob.locator("#st-phasing .ballot-box button").count() == 0

    # Closing the other stages: after_close shows the last one's results on the projector.
    http_api.stage(wid, "goals", "close")
    http_api.stage(wid, "projects", "close")
    projector.wait_for_selector(".pj-bar[data-key=p1][data-rank='1']")
    assert projector.locator("#pj-state").text_content() == "ปิดลงคะแนนแล้ว"
    chai.locator("#fold-projects").click()
    chai.wait_for_selector("#st-projects .bar-row")
    assert chai.locator("#st-projects input:checked").count() == 3
    assert chai.locator("#st-projects input:not([disabled])").count() == 0

    for page in (projector, anong, chai):
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert_clean(watch, allow=OFFLINE_NOISE)
    assert not [p for p in watch.problems if "CSP" in p]


def test_resident_first_load_is_under_60_kb(all_methods: Any, live_server: Any, http_api: Any,
                                             new_page: Any, watch: Any) -> None:
    workshop = http_api.create_workshop(all_methods())
    http_api.stage(workshop["id"], "goals", "open")
    page = new_page()
    sizes: dict[str, int] = {}
    urls: dict[str, str] = {}
    cdp = page.context.new_cdp_session(page)
    cdp.send("Network.enable")
    cdp.send("Network.setCacheDisabled", {"cacheDisabled": True})
    cdp.on("Network.requestWillBeSent", lambda e: urls.__setitem__(e["requestId"], e["request"]["url"]))
    cdp.on("Network.loadingFinished", lambda e: sizes.__setitem__(e["requestId"], e["encodedDataLength"]))

    def first_load(path: str) -> dict[str, int]:
        sizes.clear()
        urls.clear()
        page.goto(live_server.url(path), wait_until="networkidle")
        return {urls.get(rid, rid): size for rid, size in sizes.items()}

    joining = first_load(f"/j/{workshop['code']}?lang=th")
    page.get_by_role("radio", name="ประชาชน").check()
    page.locator("form.join-form button[type=submit]").click()
    page.wait_for_selector("#conn[data-state=online]")
    room = first_load(f"/j/{workshop['code']}")
    page.wait_for_selector("#conn[data-state=online]")
    page.wait_for_selector("#st-goals")

    for loaded in (joining, room):
        total = sum(loaded.values())
        report = "\n".join(f"{size:>7} {url}" for url, size in sorted(loaded.items(), key=lambda x: -x[1]))
        print(f"first load: {total} bytes\n{report}")
        assert total < FIRST_LOAD_LIMIT, report
    names = " ".join(room)
    for needed in ("live.css", "resident.js", "socket.io.min.js"):
        assert needed in names
    assert ".woff" not in names  # the phone's own font: no web font to download
    assert "axe" not in names
    assert_clean(watch)


def test_accessibility_of_join_room_and_projector(all_methods: Any, live_server: Any, http_api: Any,
                                                  new_page: Any) -> None:
    workshop = http_api.create_workshop(all_methods())
    wid = workshop["id"]
    for key in ("vision1", "vision", "goals", "phasing", "projects", "budget", "dream"):
        http_api.stage(wid, key, "open")
    # axe is injected as an inline script, which the page's CSP would rightly block.
    page = new_page(bypass_csp=True)
    page.goto(live_server.url(f"/j/{workshop['code']}"))
    found = run_axe(page)
    assert not found, describe(found)

    page.get_by_role("radio", name="ภาคประชาสังคม").check()
    page.locator("form.join-form button[type=submit]").click()
    page.wait_for_selector("#conn[data-state=online]")
    page.wait_for_selector("#st-dream")
    # Some state worth checking: choices made, a dot given, one item ranked.
    page.locator("#st-vision input[type=checkbox]").first.check()
    page.locator("#st-goals .step").nth(1).click()
    page.locator("#st-phasing .rank-pool button").first.click()
    found = run_axe(page)
    assert not found, describe(found)

    english = new_page(bypass_csp=True)
    english.goto(live_server.url(f"/j/{workshop['code']}?lang=en"))
    found = run_axe(english)
    assert not found, describe(found)

    http_api.stage(wid, "dream", "close")
    http_api.stage(wid, "budget", "close")
    projector = new_page(1920, 1080, bypass_csp=True)
    projector.goto(workshop["projector_url"])
    projector.wait_for_selector("#pj-total")
    found = run_axe(projector)
    assert not found, describe(found)


def test_keyboard_only_ranking_and_dots(all_methods: Any, live_server: Any, http_api: Any,
                                        new_page: Any, watch: Any) -> None:
    workshop = http_api.create_workshop(all_methods())
    http_api.stage(workshop["id"], "phasing", "open")
    page = new_page(320, 640)
    join(page, live_server, workshop["code"], "Residents", "en")
    page.wait_for_selector("#st-phasing")
    page.locator("#ra-phasing-w3").focus()
    page.keyboard.press("Enter")            # add "Playground"; focus moves to the next item's Add
    page.keyboard.press("Enter")            # add "Riverside plaza"
    page.locator("#ru-phasing-w4").focus()
    page.keyboard.press("Enter")            # move it up; focus stays on its Move up button
    assert page.evaluate("document.activeElement.id") == "ru-phasing-w4"
    titles = page.locator("#st-phasing .rank-list .rank-title").all_text_contents()
    assert titles == ["Riverside plaza", "Playground and toilets"]
    page.keyboard.press("Space")             # already first: nothing moves
    assert page.locator("#st-phasing .rank-list .rank-title").all_text_contents() == titles
    page.locator("#send-phasing").focus()
    page.keyboard.press("Enter")
    page.wait_for_selector("#ack-phasing[data-kind=ok]")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    order = http_api.results(workshop["id"])
    assert stage_entry(order, "phasing")["items"][0]["key"] == "w4"
    assert_clean(watch)


def test_comments_and_ideas(all_methods: Any, live_server: Any, http_api: Any, new_page: Any,
                            watch: Any) -> None:
    workshop = http_api.create_workshop(all_methods(moderation="pre"))
    wid = workshop["id"]
    http_api.stage(wid, "goals", "open")
    writer, reader = new_page(), new_page()
    join(writer, live_server, workshop["code"], "Residents", "en")
    join(reader, live_server, workshop["code"], "ภาคเอกชน", "th")

    writer.locator("#st-goals summary", has_text="Comments").click()
    writer.locator("#ca-goals").select_option("g4")
    writer.get_by_label("Your comment").fill("Plant mangroves with the schools <b>now</b>")
    writer.get_by_role("button", name="Send comment").click()
    expect(writer.locator("#st-goals .talk .ack").first).to_have_text(
        "Sent. It will be shown after a facilitator has read it.")

    writer.locator("#st-goals summary", has_text="Suggest an idea").click()
    writer.get_by_label("Your idea, in a few words").fill("Night market by the river")
    writer.get_by_role("button", name="Send idea").click()
    expect(writer.locator("#st-goals .talk .ack").nth(1)).to_contain_text("Thank you")
    status, ideas = http_api.call("GET", f"/api/v1/workshops/{wid}/ideas?status=pending")
    assert status == 200 and [i["title"] for i in ideas] == ["Night market by the river"]

    status, pending = http_api.call("GET", f"/api/v1/workshops/{wid}/comments?status=pending")
    assert status == 200 and len(pending) == 1 and pending[0]["item"] == "g4"
    http_api.ok("POST", f"/api/v1/comments/{pending[0]['id']}/approve")
    shown = reader.locator("#cm-goals .comment-list li")
    expect(shown).to_have_count(1)
    assert "Plant mangroves with the schools <b>now</b>" in shown.text_content()  # text, not HTML
    assert "ป่าชายเลนสมบูรณ์" in shown.text_content()  # the item it is about, in Thai
    assert reader.locator("#cm-goals b").count() == 0
    assert_clean(watch)


#: a console row as a tree of tags, attributes and texts (whitespace, the "new" highlight and the
#: CSRF token's signature aside)
ROW_SHAPE = """(selector) => {
  function shape(node) {
    if (node.nodeType === 3) {
      var text = node.textContent.trim();
      return text ? JSON.stringify(text) : null;
    }
    if (node.nodeType !== 1) {
      return null;
    }
    var attrs = Array.prototype.map.call(node.attributes, function (a) {
      var value = a.name !== "class" ? a.value
        : a.value.split(/\\s+/).filter(function (c) { return c && c !== "entry--new"; }).join(" ");
      if (a.name === "value" && node.name === "csrf_token") {
        value = a.value ? "TOKEN" : "";  // signed anew for every page
      }
      return a.name + "=" + value;
    }).sort();
    var kids = Array.prototype.map.call(node.childNodes, shape).filter(function (k) { return k !== null; });
    return node.tagName.toLowerCase() + "[" + attrs.join(" ") + "](" + kids.join(" ") + ")";
  }
  var found = document.querySelector(selector);
  return found ? shape(found) : null;
}"""


def sign_in_console(page: Any, live: Any) -> None:
    page.goto(live.url("/login?lang=en"))
    page.fill("#username", FACILITATOR[0])
    page.fill("#password", FACILITATOR[1])
    page.locator("form.stack [type=submit]").click()
    page.wait_for_url("**/console")


def test_moderation_queue_fills_live(all_methods: Any, live_server: Any, http_api: Any, new_page: Any,
                                     watch: Any) -> None:
    """A resident's comment and idea appear on the console's waiting tab without a reload,
    as the rows the server renders, and their Publish button works."""
    workshop = http_api.create_workshop(all_methods(moderation="pre"))
    wid = workshop["id"]
    http_api.stage(wid, "goals", "open")
    console = new_page(1280, 900)
    sign_in_console(console, live_server)
    console.goto(live_server.url(f"/console/w/{wid}/moderation?lang=en"))
    console.wait_for_selector("[data-live=connection][data-connected=true]")
    expect(console.locator("[data-entries=comment] p.empty")).to_have_text("No comments are waiting.")

    phone = new_page()
    join(phone, live_server, workshop["code"], "Residents", "en")
    # the page redraws its stages once its first sync is answered: wait for that, by a sync of our own
    phone.evaluate("() => new Promise((done) => window.ruamkit.socket.emit('sync', {}, done))")
    phone.locator("#st-goals summary", has_text="Comments").click()
    texts = ["Plant mangroves with the schools <b>now</b>", "Lights on the river path"]
    for n, words in enumerate(texts):
        phone.locator("#ca-goals").select_option("g4" if n == 0 else "")
        phone.get_by_label("Your comment").fill(words)
        phone.get_by_role("button", name="Send comment").click()
        expect(phone.locator("#st-goals .talk .ack[data-kind=ok]")).to_have_count(1)
        phone.evaluate("document.querySelector('#st-goals .talk .ack').setAttribute('data-kind', '')")
    phone.locator("#st-goals summary", has_text="Suggest an idea").click()
    phone.get_by_label("Your idea, in a few words").fill("Night market by the river")
    phone.get_by_role("button", name="Send idea").click()

    rows = console.locator("[data-entries=comment] li.entry")
    expect(rows).to_have_count(2)
    expect(rows.locator(".entry__text")).to_have_text(texts)  # text, not HTML
    assert console.locator("[data-entries=comment] b").count() == 0
    first = rows.nth(0)
    expect(first.locator(".entry__meta")).to_contain_text("Development goals")
    expect(first.locator(".entry__meta")).to_contain_text("Healthy mangroves")  # the item it is about
    expect(first.locator(".entry__meta .tag")).to_have_text("Residents")
    expect(first.locator("time")).to_have_text(re.compile(r"^\d\d:\d\d$"))
    expect(console.locator("[data-entries=comment] [data-live=entries-count]")).to_have_text("2")
    ideas = console.locator("[data-entries=idea] li.entry")
    expect(ideas).to_have_count(1)
    expect(ideas.locator(".entry__title")).to_have_text("Night market by the river")
    expect(ideas.get_by_role("button", name="Approve as item")).to_be_visible()
    expect(console.locator("[data-live=pending-total]").first).to_have_text("3")
    expect(console.locator("[data-live=banner]")).to_be_hidden()  # shown, so nothing to refresh for
    assert console.locator("[data-entries=comment] p.empty").count() == 0

    comments = http_api.ok("GET", f"/api/v1/workshops/{wid}/comments?status=pending")
    [idea] = http_api.ok("GET", f"/api/v1/workshops/{wid}/ideas?status=pending")
    second, idea_id = comments[1]["id"], idea["id"]
    live_shapes = [console.evaluate(ROW_SHAPE, f"#comment-{second}"),
                   console.evaluate(ROW_SHAPE, f"#idea-{idea_id}")]

    # Publish the first comment with its live row's form: the page's CSRF token goes with it.
    first.get_by_role("button", name="Publish").click()
    expect(console.locator(".flash--success")).to_have_text("The comment is published.")
    statuses = {c["id"]: c["status"] for c in http_api.ok("GET", f"/api/v1/workshops/{wid}/comments")}
    assert statuses == {comments[0]["id"]: "published", second: "pending"}
    # the rows now rendered by the server are the ones the script made
    assert [console.evaluate(ROW_SHAPE, f"#comment-{second}"),
            console.evaluate(ROW_SHAPE, f"#idea-{idea_id}")] == live_shapes
    assert_clean(watch)


def test_screenshots_of_every_method_and_the_projector(all_methods: Any, live_server: Any, http_api: Any,
                                                       new_page: Any, watch: Any,
                                                       tmp_path: Path) -> None:
    """Pictures for people to look at (RUAMKIT_SHOTS=dir keeps them); layout checks for the tests."""
    shots = Path(os.environ.get("RUAMKIT_SHOTS") or tmp_path)
    shots.mkdir(parents=True, exist_ok=True)
    workshop = http_api.create_workshop(all_methods())
    wid, code = workshop["id"], workshop["code"]
    stages = ("vision1", "vision", "goals", "phasing", "projects", "budget", "dream")

    projectors = {}
    for lang in ("th", "en"):
        projectors[lang] = new_page(1920, 1080)
        projectors[lang].goto(workshop["projector_url"] + f"?lang={lang}")
        projectors[lang].wait_for_selector("#pj-total")
        projectors[lang].screenshot(path=str(shots / f"projector-{lang}-0-waiting.png"))

    phones = {}
    for lang, group in (("th", "หน่วยงานรัฐ"), ("en", "Civil society")):
        phone = new_page(360, 740)
        phone.goto(live_server.url(f"/j/{code}?lang={lang}"))
        phone.screenshot(path=str(shots / f"phone-{lang}-join.png"), full_page=True)
        join(phone, live_server, code, group, lang)
        phones[lang] = phone
    phones["th"].screenshot(path=str(shots / "phone-th-waiting.png"))
    # A few more residents, so the projector has something to count.
    for group in ("ประชาชน", "ประชาชน", "ภาคเอกชน"):
        join(new_page(), live_server, code, group, "th")

    for key in stages:
        http_api.stage(wid, key, "open")
    for phone in phones.values():
        phone.wait_for_selector("#st-dream")

    # Make choices on the Thai phone, so the pictures show selected states.
    th = phones["th"]
    th.locator("#st-vision1 input[type=radio]").nth(1).check()
    send_vote(th, "vision1")
    th.locator("#st-vision input[type=checkbox]").nth(0).check()
    th.locator("#st-vision input[type=checkbox]").nth(2).check()
    th.locator("#p-goals-g1").click()
    th.locator("#p-goals-g1").click()
    th.locator("#p-goals-g3").click()
    th.locator("#ra-phasing-w2").click()
    th.locator("#ra-phasing-w1").click()
    score(th, "projects", "p1", "importance", 4)
    score(th, "projects", "p1", "feasibility", 3)
    th.locator("#st-budget .budget-row button").first.click()
    th.locator("#b-budget-b3").fill("800000")
    th.locator("#b-budget-b3").dispatch_event("change")
    th.locator("#w-dream-0").fill("สะอาด")
    th.locator("#w-dream-1").fill("ร่มรื่น")
    for key in ("vision", "goals", "phasing", "projects", "budget", "dream"):
        send_vote(th, key)
    en = phones["en"]
    en.locator("#st-vision input[type=checkbox]").nth(0).check()
    en.locator("#p-goals-g2").click()
    en.locator("#ra-phasing-w4").click()
    en.locator("#w-dream-0").fill("green")
    en.locator("#w-dream-1").fill("clean")

    for lang, phone in phones.items():
        for key in stages:
            shoot_element(phone, f"#st-{key}", shots / f"phone-{lang}-{key}.png")
        phone.evaluate("() => window.scrollTo(0, 0)")
        phone.screenshot(path=str(shots / f"phone-{lang}-top.png"))
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), lang
        phone.set_viewport_size({"width": 320, "height": 640})
        assert phone.evaluate("document.documentElement.scrollWidth <= window.innerWidth"), (lang, 320)
        phone.set_viewport_size({"width": 360, "height": 740})

    for lang, projector in projectors.items():
        projector.wait_for_selector("#pj-results .pj-cloud")  # words, shown live
        projector.screenshot(path=str(shots / f"projector-{lang}-1-words.png"))
    # Close all but the goals stage, whose results are shown after it closes.
    for key in ("vision1", "vision", "dream", "budget", "projects", "phasing"):
        http_api.stage(wid, key, "close")
    for lang, projector in projectors.items():
        projector.wait_for_selector("#pj-results[data-mode=hidden]")
        projector.wait_for_timeout(300)
        projector.screenshot(path=str(shots / f"projector-{lang}-2-before-reveal.png"))
    http_api.stage(wid, "goals", "close")
    for lang, projector in projectors.items():
        projector.wait_for_selector(".pj-bar[data-rank='1']")
        projector.wait_for_timeout(1200)  # let the bars finish growing
        projector.screenshot(path=str(shots / f"projector-{lang}-3-after-reveal.png"))
        assert projector.evaluate("() => document.documentElement.scrollHeight <= innerHeight"
                                  " && document.documentElement.scrollWidth <= innerWidth")
    th.wait_for_selector("#fold-goals")
    shoot_element(th, "#st-goals", shots / "phone-th-goals-closed-folded.png")
    th.locator("#fold-goals").click()
    th.wait_for_selector("#st-goals .bar-row")
    shoot_element(th, "#st-goals", shots / "phone-th-goals-closed-results.png")
    assert_clean(watch)
