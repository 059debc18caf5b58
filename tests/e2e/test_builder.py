"""The workshop builder in a real browser: a facilitator builds a bilingual five-stage
workshop from blank without typing YAML, previews it, opens a stage, fixes a typo while
three phones are connected, and the phones show the fix without reloading.

Set SCREENSHOTS=DIR to keep pictures of every builder page (Thai and English, 1366 px
and 390 px) for a visual review.
"""

from __future__ import annotations

import os
import re
from pathlib import Path
from typing import Any

from tests.e2e.test_live_room import assert_clean, describe, join, run_axe, sign_in_console

SHOTS = os.environ.get("SCREENSHOTS")


def sign_in(page: Any, live: Any) -> None:
    sign_in_console(page, live)


def add_stage(page: Any, th: str, en: str, method: str) -> str:
    """Add a stage on the builder's overview; returns its key (from the page it lands on)."""
    page.fill("#new-stage-th", th)
    page.fill("#new-stage-en", en)
    page.locator(f"input[name=method][value={method}]").check()
    page.get_by_role("button", name="Add the stage").click()
    page.wait_for_url(re.compile(r"/build/s/[a-z0-9_-]+$"))
    return str(page.url.rsplit("/", 1)[1])


def flashed(page: Any, message: str) -> None:
    """Wait for the page (swapped in place by builder.js, or loaded) to say ``message``."""
    page.locator(".flash--success", has_text=message).wait_for()


def add_item(page: Any, th: str, en: str) -> None:
    page.fill("#new-item-th", th)
    page.fill("#new-item-en", en)
    page.get_by_role("button", name="Add the item").click()
    flashed(page, "The item is added.")


def test_build_preview_open_and_fix_a_typo_live(live_server: Any, http_api: Any, new_page: Any,
                                               watch: Any) -> None:
    page = new_page(1366, 900, bypass_csp=True)  # bypass: axe is injected as a script
    sign_in(page, live_server)

    # -- from blank, bilingual ---------------------------------------------------------
    page.goto(live_server.url("/console/new?lang=en"))
    assert not run_axe(page), describe(run_axe(page))
    page.check("#lang-en")
    page.fill("#title-th", "เวทีเมืองน่าอยู่ทดสอบ")
    page.fill("#title-en", "Livable town test")
    page.get_by_role("button", name="Create a blank workshop").click()
    page.wait_for_url(re.compile(r"/console/w/\d+/build$"))
    workshop_id = int(page.url.split("/")[-2])
    build = page.url
    found = run_axe(page)
    assert not found, describe(found)

    # the blank's warm-up words stage is stage 1: retitle it
    page.goto(live_server.url(f"/console/w/{workshop_id}/build/s/warmup"))
    page.fill("#title-th", "เมืองในฝันในคำเดียว")
    page.fill("#title-en", "Your dream town in one word")
    page.get_by_role("button", name="Save the stage").last.click()
    flashed(page, "The stage is saved.")

    page.goto(build)
    vision = add_stage(page, "วิสัยทัศน์", "Vision", "approval")
    add_item(page, "ขุดลอกคลอ", "Clean canls")  # typos, fixed later during voting
    page.fill("#max_choices", "๒")  # Thai digits
    page.get_by_role("button", name="Save the stage").last.click()
    flashed(page, "The stage is saved.")
    found = run_axe(page)
    assert not found, describe(found)

    page.goto(build)
    goals = add_stage(page, "เป้าหมาย", "Goals", "dots")
    add_item(page, "เมืองสะอาด", "A clean town")

    page.goto(build)
    projects = add_stage(page, "ให้คะแนนโครงการ", "Score the projects", "score")
    add_item(page, "ทางเดินริมน้ำ", "Riverside walk")
    item_path = f"/console/w/{workshop_id}/build/s/{projects}/i/p2"
    page.goto(live_server.url(item_path))
    page.select_option("#goal", "g1")
    page.select_option("#horizon", "short")
    page.fill("#budget", "๒,๕๐๐,๐๐๐")
    page.check("#sdg-11")
    page.locator("details.sdg-targets").nth(10).locator("summary").click()
    page.check("#sdg-11-2")
    found = run_axe(page)
    assert not found, describe(found)
    page.get_by_role("button", name="Save the item").click()
    flashed(page, "The item is saved.")

    page.goto(build)
    budget = add_stage(page, "งบประมาณแบบมีส่วนร่วม", "Participatory budget", "budget")
    add_item(page, "ไฟถนน", "Street lights")
    page.fill("#budget", "500,000")
    page.get_by_role("button", name="Save the stage").last.click()
    flashed(page, "The stage is saved.")

    made = http_api.ok("GET", f"/api/v1/workshops/{workshop_id}")
    assert made["languages"] == ["th", "en"]
    assert [(s["key"], s["method"]) for s in made["stages"]] == [
        ("warmup", "words"), (vision, "approval"), (goals, "dots"), (projects, "score"), (budget, "budget")]
    by_key = {s["key"]: s for s in made["stages"]}
    assert by_key[vision]["max_choices"] == 2
    assert len(by_key[projects]["criteria"]) == 2
    assert by_key[budget]["budget"] == 500_000
    assert by_key[projects]["items"][1]["budget"] == 2_500_000
    assert by_key[projects]["items"][1]["sdgs"] == ["11", "11.2"]

    # -- preview: the resident component, nothing stored --------------------------------
    page.goto(live_server.url(f"/console/w/{workshop_id}/build/s/{vision}/preview"))
    found = run_axe(page)
    assert not found, describe(found)
    phone = page.frame_locator("iframe").last  # the English phone
    phone.locator(f"#st-{vision} .item-title", has_text="Clean canls").wait_for()
    phone.locator(f"#st-{vision} input[type=checkbox]").last.check()
    phone.locator(f"#send-{vision}").click()
    phone.locator(f"#ack-{vision}[data-kind=ok]").wait_for()
    assert "not stored" in phone.locator(f"#ack-{vision}").inner_text()
    results = http_api.ok("GET", f"/api/v1/workshops/{workshop_id}/results")
    assert next(s for s in results["stages"] if s["key"] == vision)["ballots"] == 0

    # -- open the stage from the run sheet; three phones join ----------------------------
    page.goto(live_server.url(f"/console/w/{workshop_id}"))
    assert page.locator("#checklist").count() == 1  # the test server's address is a loopback one
    page.locator(f"#stage-{vision} button[data-action=open]").click()
    page.wait_for_selector(".flash--success")
    code = made["code"]
    phones = []
    for group, language in (("Residents", "en"), ("Government", "en"), ("ภาคเอกชน", "th")):
        resident = new_page()
        join(resident, live_server, code, group, language)
        typo = "Clean canls" if language == "en" else "ขุดลอกคลอ"
        resident.locator(f"#st-{vision} .item-title", has_text=typo).first.wait_for()
        phones.append((resident, language))
    first = phones[0][0]
    first.locator(f"#st-{vision} input[type=checkbox]").first.check()
    first.locator(f"#send-{vision}").click()
    first.wait_for_selector(f"#ack-{vision}[data-kind=ok]")

    # -- fix the typo while the phones are connected ---------------------------------------
    page.goto(live_server.url(f"/console/w/{workshop_id}/build/s/{vision}"))
    assert "This stage has 1 ballot" in page.inner_text("main")
    page.locator(f"#item-{'v2'} a").first.click()
    page.fill("#title-th", "ขุดลอกคลอง")
    page.fill("#title-en", "Clean canals")
    page.get_by_role("button", name="Save the item").click()
    flashed(page, "The item is saved.")
    for resident, language in phones:
        fixed = "Clean canals" if language == "en" else "ขุดลอกคลอง"
        resident.locator(f"#st-{vision} .item-title", has_text=fixed).wait_for(timeout=10_000)
        assert resident.locator("#conn").get_attribute("data-state") == "online"  # no reload
    # the ballot stayed
    results = http_api.ok("GET", f"/api/v1/workshops/{workshop_id}/results")
    assert next(s for s in results["stages"] if s["key"] == vision)["ballots"] == 1
    assert_clean(watch)


def test_builder_pages_in_both_languages_at_two_widths(live_server: Any, http_api: Any, new_page: Any,
                                                      all_methods: Any) -> None:
    """Every builder page: no serious or critical axe finding, and (SCREENSHOTS=DIR) pictures."""
    created = http_api.create_workshop(all_methods())
    wid = created["id"]
    pages = {
        "new": "/console/new",
        "overview": f"/console/w/{wid}/build",
        "stage-score": f"/console/w/{wid}/build/s/projects",
        "stage-dots": f"/console/w/{wid}/build/s/goals",
        "item": f"/console/w/{wid}/build/s/projects/i/p1",
        "preview": f"/console/w/{wid}/build/s/vision/preview",
        "runsheet": f"/console/w/{wid}",
    }
    for width in (1366, 390):
        page = new_page(width, 900, bypass_csp=True)
        sign_in(page, live_server)
        for lang in ("th", "en"):
            for name, path in pages.items():
                page.goto(live_server.url(f"{path}?lang={lang}"))
                if name == "preview":
                    page.frame_locator("iframe").first.locator("#st-vision").wait_for()
                if width == 1366:
                    found = run_axe(page)
                    assert not found, (name, lang, describe(found))
                else:  # nothing (the join address message for the IT officer) widens a phone's page
                    assert page.evaluate("document.documentElement.scrollWidth") <= width, (name, lang)
                if SHOTS:
                    Path(SHOTS).mkdir(parents=True, exist_ok=True)
                    page.screenshot(path=str(Path(SHOTS) / f"{name}-{lang}-{width}.png"), full_page=True)


def test_the_live_status_says_nothing_until_the_socket_connects(live_server: Any, http_api: Any,
                                                                new_page: Any, all_methods: Any) -> None:
    """Before (or without) a connection the status is hidden, not a grey dot with no words."""
    wid = http_api.create_workshop(all_methods())["id"]
    page = new_page(1366, 900)
    sign_in(page, live_server)
    page.route("**/socket.io/**", lambda route: route.abort())
    page.goto(live_server.url(f"/console/w/{wid}?lang=en"))
    status = page.locator("[data-live=connection]")
    if status.get_attribute("hidden") is not None:
        assert not status.is_visible()
    else:  # the failed connection is said in words
        assert status.inner_text().strip() == "Reconnecting…"
    page.unroute("**/socket.io/**")
    page.reload()
    page.locator("[data-live=connection][data-connected=true]", has_text="Live").wait_for()


def test_voiding_a_paper_batch_asks_first(live_server: Any, http_api: Any, new_page: Any,
                                          all_methods: Any) -> None:
    """A void batch cannot be counted again: the Void button asks (console.js, data-confirm);
    Cancel keeps the ballots counted, OK voids them."""
    wid = http_api.create_workshop(all_methods())["id"]
    http_api.stage(wid, "dream", "open")
    page = new_page(1366, 900, bypass_csp=True)  # bypass: axe is injected as a script
    sign_in(page, live_server)
    page.goto(live_server.url(f"/console/w/{wid}/paper/dream?lang=en"))
    page.locator("textarea").fill("clean\ngreen")
    page.get_by_role("button", name="Count these ballots").click()
    page.wait_for_selector(".flash--success")
    page.goto(live_server.url(f"/console/w/{wid}/paper/dream?lang=th"))  # the list of batches, in Thai
    found = run_axe(page)  # the Void button's name starts with its visible word (ยกเลิก ชุดที่ 1 ...)
    assert not found, describe(found)
    page.goto(live_server.url(f"/console/w/{wid}/paper/dream?lang=en"))
    asked: list[str] = []

    def answer(accept: bool) -> Any:
        return lambda dialog: (asked.append(dialog.message), dialog.accept() if accept else dialog.dismiss())

    page.once("dialog", answer(False))
    page.get_by_role("button", name=re.compile(r"^Void batch")).click()
    assert asked and "cannot be counted again" in asked[0]
    assert page.locator(".is-void").count() == 0
    page.once("dialog", answer(True))
    page.get_by_role("button", name=re.compile(r"^Void batch")).click()
    page.locator(".is-void").wait_for()
    assert len(asked) == 2
