"""The facilitator steers the projector from the run sheet while phones vote (real browser).

The projector follows each choice (a bounded wait for what it shows, never a timed
assertion), comes back to the chosen screen after a reload, and stays free of
serious or critical accessibility violations on every screen; phones show an
item's details, the comments published before they joined, and fold closed stages.
"""

from __future__ import annotations

from itertools import pairwise
from typing import Any

import pytest
from playwright.sync_api import expect

from tests.e2e.conftest import FACILITATOR
from tests.e2e.test_live_room import assert_clean, describe, join, run_axe, send_vote

pytestmark = pytest.mark.browser

#: how long the projector may take to follow before the test fails (it follows within a second)
FOLLOW_MS = 5_000


def sign_in_console(page: Any, live: Any, workshop_id: int) -> None:
    page.goto(live.url("/login?lang=en"))
    page.fill("input[name=username]", FACILITATOR[0])
    page.fill("input[name=password]", FACILITATOR[1])
    page.locator("form [type=submit]").click()
    page.goto(live.url(f"/console/w/{workshop_id}?lang=en"))
    page.wait_for_selector("[data-live=connection][data-connected=true]")


def comment(page: Any, stage: str, summary: str, text: str, item: str | None = None) -> None:
    """Write a comment as a resident does (the page's first sync may have redrawn the stage)."""
    if not page.locator(f"#ct-{stage}").is_visible():
        page.locator(f"#st-{stage} summary", has_text=summary).click()
    if item:
        page.locator(f"#ca-{stage}").select_option(item)
    page.locator(f"#ct-{stage}").fill(text)
    page.locator(f"#st-{stage} form.talk button[type=submit]").click()


def shows(projector: Any, screen: str, stage: str = "") -> None:
    """Wait (bounded) until the projector has ``screen`` (and ``stage``) up."""
    root = projector.locator("#pj")
    expect(root).to_have_attribute("data-shows", screen, timeout=FOLLOW_MS)
    if stage:
        expect(root).to_have_attribute("data-stage", stage, timeout=FOLLOW_MS)


def test_facilitator_moves_the_projector_while_phones_vote(all_methods: Any, live_server: Any,
                                                           http_api: Any, new_page: Any, watch: Any) -> None:
    workshop = http_api.create_workshop(all_methods())
    wid, code = workshop["id"], workshop["code"]
    for key in ("vision1", "vision", "goals"):
        http_api.stage(wid, key, "open")
    projector = new_page(1920, 1080)
    projector.goto(workshop["projector_url"] + "?lang=en")
    # nothing chosen: today's automatic choice, the last open stage
    shows(projector, "stage", "goals")

    console = new_page(1366, 900)
    sign_in_console(console, live_server, wid)
    phones = [new_page(), new_page()]
    join(phones[0], live_server, code, "Residents", "en")
    join(phones[1], live_server, code, "ภาคเอกชน", "th")

    # welcome: the QR code and the join code, large
    console.locator("#projector button[data-screen=welcome]").click()
    shows(projector, "welcome")
    expect(projector.locator(".pj-qr svg")).to_be_visible()
    expect(projector.locator("#pj-code")).to_have_text(code)
    expect(console.locator("[data-live=screen-now]")).to_have_text("Welcome and join")
    assert console.locator("#projector button[data-screen=welcome]").get_attribute("aria-pressed") == "true"
    found = run_axe_on(new_page, projector)
    assert not found, describe(found)

    # stage 1, while the phones vote on it: its live bars follow
    console.locator("#stage-vision1 button[data-screen=stage]").click()
    shows(projector, "stage", "vision1")
    expect(projector.locator("#pj-stage-title")).to_have_text("Your favourite vision")
    for phone, nth in zip(phones, (0, 0), strict=True):
        phone.locator("#st-vision1 input[type=radio]").nth(nth).check()
        send_vote(phone, "vision1")
    expect(projector.locator(".pj-bar[data-key=v1] .pj-bar-score")).to_contain_text("100.0%",
                                                                                 timeout=FOLLOW_MS)

    # comments: a resident comments, the wall shows it with its item
    comment(phones[0], "vision", "Comments", "Keep the mangroves green", item="v3")
    console.locator("#projector button[data-screen=comments]").click()
    shows(projector, "comments")
    entry = projector.locator("#pj-wall-list .pj-wall-entry").first
    expect(entry.locator(".pj-wall-text")).to_have_text("Keep the mangroves green", timeout=FOLLOW_MS)
    expect(entry.locator(".pj-wall-item")).to_have_text("A green city by the mangroves")
    # a comment published while the wall is up comes in at the top
    comment(phones[1], "vision", "ความคิดเห็น", "ทางเดินริมคลอง")
    expect(projector.locator("#pj-wall-list .pj-wall-entry").first.locator(".pj-wall-text")).to_have_text(
        "ทางเดินริมคลอง", timeout=FOLLOW_MS)
    # calm: what else the room does (a stage opens) leaves the wall's entries as they are,
    # no fading in again
    shown = projector.locator("#pj-wall-list .pj-wall-entry").first.element_handle()
    http_api.stage(wid, "phasing", "open")
    projector.wait_for_function(
        "() => ruamkit.view.workshop.stages.some(s => s.key === 'phasing' && s.state === 'open')",
        timeout=FOLLOW_MS)
    assert shown.evaluate("e => e.isConnected")
    found = run_axe_on(new_page, projector)
    assert not found, describe(found)

    # stage 3 with the keyboard: Shift+Left from comments steps back through the stages
    console.locator("#stage-goals button[data-screen=stage]").click()
    shows(projector, "stage", "goals")
    console.locator("body").press("Shift+ArrowRight")
    shows(projector, "stage", "phasing")
    console.locator("body").press("Shift+ArrowLeft")
    shows(projector, "stage", "goals")
    expect(console.locator("[data-live=screen-now]")).to_have_text("Stage 3: Development goals")
    # voting on stage 3 does not move the projector; closing another stage does not either
    phones[0].locator("#p-goals-g1").click()
    send_vote(phones[0], "goals")
    http_api.stage(wid, "vision1", "close")
    projector.wait_for_timeout(500)
    assert projector.locator("#pj").get_attribute("data-stage") == "goals"

    # a reloaded projector comes back to the chosen screen
    projector.reload()
    shows(projector, "stage", "goals")
    expect(projector.locator("#pj-stage-title")).to_have_text("Development goals")

    # the other screens, then automatic again
    for screen in ("ideas", "participation"):
        console.locator(f"#projector button[data-screen={screen}]").click()
        shows(projector, screen)
        found = run_axe_on(new_page, projector)
        assert not found, describe(found)
    expect(projector.locator("#pj-part-n")).to_have_text("2")
    console.locator("#projector button[data-screen=auto]").click()
    shows(projector, "stage", "phasing")  # the last open stage
    assert http_api.ok("GET", f"/api/v1/workshops/{wid}/screen")["screen"] == "auto"
    assert_clean(watch)


def run_axe_on(new_page: Any, projector: Any) -> list[dict[str, Any]]:
    """axe on the projector's current screen, in a page that lets the inline axe script run."""
    page = new_page(1920, 1080, bypass_csp=True)
    page.goto(projector.url)
    wanted = projector.locator("#pj").get_attribute("data-shows")
    expect(page.locator("#pj")).to_have_attribute("data-shows", wanted, timeout=FOLLOW_MS)
    # the wall's entries arrive after the screen itself (run_axe then waits for their fade-in)
    entries = projector.locator(".pj-wall-entry").count()
    expect(page.locator(".pj-wall-entry")).to_have_count(entries, timeout=FOLLOW_MS)
    found = run_axe(page)
    page.close()
    return found


def test_phone_details_comments_and_folded_stages(all_methods: Any, live_server: Any, http_api: Any,
                                                  new_page: Any, watch: Any) -> None:
    obj = all_methods()
    projects = next(s for s in obj["stages"] if s["key"] == "projects")
    projects["items"][0].update(budget=12_500_000, sdgs=["11.5", "13.1"],
                                indicator={"th": "พื้นที่น้ำท่วมขังลดลงครึ่งหนึ่ง", "en": "Flooded area halved"})
    workshop = http_api.create_workshop(obj)
    wid, code = workshop["id"], workshop["code"]
    for key in ("vision1", "projects"):
        http_api.stage(wid, key, "open")
    writers = [new_page(320, 640), new_page(320, 640)]  # at most 5 comments at once per resident
    for writer in writers:
        join(writer, live_server, code, "Residents", "en")
    for n in range(7):
        writer = writers[n % 2]
        comment(writer, "vision1", "Comments", f"comment {n}")
        expect(writer.locator("#cm-vision1 .comment-text").first).to_have_text(f"comment {n}")

    # a resident who joins late sees the published comments, newest first, five then "more"
    late = new_page(320, 640, bypass_csp=True)
    join(late, live_server, code, "Government", "en")
    texts = late.locator("#cm-vision1 .comment-text")
    expect(texts).to_have_count(5)
    assert texts.all_text_contents() == [f"comment {n}" for n in range(6, 1, -1)]
    late.locator("#cmore-vision1").click()
    expect(texts).to_have_count(7)
    # ...and so after a reload
    late.reload()
    late.wait_for_selector("#conn[data-state=online]")
    expect(late.locator("#cm-vision1 .comment-text").first).to_have_text("comment 6")

    # the hint does not repeat a prompt that says the same; details behind a disclosure
    http_api.stage(wid, "vision1", "close")
    details = late.locator("#st-projects details.item-more").first
    expect(details).to_be_visible()
    assert not details.locator("dl").is_visible()
    details.locator("summary").click()
    facts = details.locator("dl").inner_text()
    for fact in ("Cost", "12,500,000\u00a0baht", "Time frame", "Short term", "Goal", "Safe from floods",
                 "SDG 11.5, SDG 13.1", "Indicator", "Flooded area halved"):
        assert fact in facts, (fact, facts)
    assert late.evaluate("document.documentElement.scrollWidth <= window.innerWidth")

    # saved: the button says so; a change makes it an update again
    late.locator("label.scale-opt:has(#s-projects-p1-importance-4)").click()
    send_vote(late, "projects")
    expect(late.locator("#send-projects")).to_have_text("Vote saved")
    late.locator("label.scale-opt:has(#s-projects-p1-importance-5)").click()
    expect(late.locator("#send-projects")).to_have_text("Update my vote")

    # the closed stage folds into one line with its leader; a tap opens it
    fold = late.locator("#fold-vision1")
    expect(fold).to_have_attribute("aria-expanded", "false")
    assert not late.locator("#st-vision1 .ballot-box").is_visible()
    found = run_axe(late)
    assert not found, describe(found)
    fold.click()
    expect(late.locator("#st-vision1 .ballot-box")).to_be_visible()
    assert late.locator("#st-vision1 .fold").evaluate("e => e.getBoundingClientRect().height") < 130
    assert_clean(watch)


def test_a_shown_stage_folds_with_its_winner(all_methods: Any, live_server: Any, http_api: Any,
                                             new_page: Any) -> None:
    workshop = http_api.create_workshop(all_methods())
    wid, code = workshop["id"], workshop["code"]
    for key in ("vision1", "vision", "goals"):
        http_api.stage(wid, key, "open")
    phone = new_page(360, 740)
    join(phone, live_server, code, "ประชาชน", "th")
    # the prompt "เลือก 1 ข้อ" says what the hint would: it is said once
    expect(phone.locator("#st-vision1 legend")).to_have_text("เลือก 1 ข้อ")
    assert phone.locator("#hint-vision1").count() == 0
    # ... and so does "... ไม่เกิน 2 ข้อ" for "เลือกได้ไม่เกิน 2 ข้อ"; a prompt without the
    # numbers keeps its hint ("ท่านมี 5 แต้ม วางได้ข้อละไม่เกิน 3 แต้ม")
    expect(phone.locator("#st-vision legend")).to_have_text("เลือกวิสัยทัศน์ที่ท่านเห็นด้วย ไม่เกิน 2 ข้อ")
    assert phone.locator("#hint-vision").count() == 0
    expect(phone.locator("#hint-goals")).to_have_text("ท่านมี 5 แต้ม วางได้ข้อละไม่เกิน 3 แต้ม")
    phone.locator("#st-vision1 input[type=radio]").nth(2).check()
    send_vote(phone, "vision1")
    expect(phone.locator("#send-vision1")).to_have_text("บันทึกคะแนนแล้ว")
    http_api.stage(wid, "vision1", "close")
    expect(phone.locator("#win-vision1")).to_have_text("อันดับ 1: เมืองสีเขียวริมป่าชายเลน")
    # reloaded, the page has the closed stage folded (no items: payloads.resident_workshop);
    # its leader still has its title, and a tap brings the stage whole, with this phone's vote
    phone.reload()
    expect(phone.locator("#win-vision1")).to_have_text("อันดับ 1: เมืองสีเขียวริมป่าชายเลน")
    phone.locator("#fold-vision1").click()
    chosen = phone.locator("#st-vision1 .ballot-box input[type=radio]").nth(2)
    expect(chosen).to_be_checked()
    expect(phone.locator("#st-vision1 .ballot-box")).to_contain_text("เมืองสีเขียวริมป่าชายเลน")


def join_column(projector: Any) -> list[Any]:
    """The welcome screen's join column: each visible line's class, top and bottom."""
    found: list[Any] = projector.evaluate("""() => [...document.querySelectorAll('.pj-join > *')]
        .filter(e => e.offsetParent && !e.matches('.pj-qr, .pj-card'))
        .map(e => [e.className, e.getBoundingClientRect().top, e.getBoundingClientRect().bottom])""")
    return found


def test_welcome_screen_with_a_long_thai_title_and_a_paused_join(all_methods: Any, live_server: Any,
                                                                  http_api: Any, new_page: Any) -> None:
    """The welcome screen's lines stack without overlapping when the title takes three lines;
    pausing joining takes the QR code and the join code off the screen at once, and resuming
    puts them back."""
    title = "แผนพัฒนาเมืองในอนาคตให้น่าอยู่อย่างยั่งยืน เทศบาลเมืองระนอง จังหวัดระนอง"
    workshop = http_api.create_workshop(all_methods(title=title))
    wid = workshop["id"]
    http_api.ok("POST", f"/api/v1/workshops/{wid}/screen", {"screen": "welcome"})
    projector = new_page(1920, 1080)
    projector.goto(workshop["projector_url"])
    shows(projector, "welcome")
    projector.evaluate("document.fonts.ready")
    lines = join_column(projector)
    assert [c for c, _, _ in lines][:3] == ["pj-brand", "pj-title", "pj-city"], lines
    for (above, _, bottom), (below, top, _) in pairwise(lines):
        assert bottom <= top + 1, (above, below, lines)
    expect(projector.locator(".pj-qr svg")).to_be_visible()
    http_api.ok("POST", f"/api/v1/workshops/{wid}/join/pause")
    expect(projector.locator(".pj-paused")).to_have_text("ขณะนี้หยุดรับผู้เข้าร่วมชั่วคราว", timeout=FOLLOW_MS)
    expect(projector.locator(".pj-qr")).to_be_hidden()
    expect(projector.locator("#pj-code")).to_be_hidden()
    found = run_axe_on(new_page, projector)
    assert not found, describe(found)
    http_api.ok("POST", f"/api/v1/workshops/{wid}/join/resume")
    expect(projector.locator(".pj-qr svg")).to_be_visible(timeout=FOLLOW_MS)
    expect(projector.locator(".pj-paused")).to_be_hidden()
