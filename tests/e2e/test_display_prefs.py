"""Easier to read (issue 15, item 4): large text and high contrast on the resident page,
remembered on the phone; every control at least 48 px; axe clean with both on."""

from __future__ import annotations

from typing import Any

import pytest

from tests.e2e.test_live_room import describe, join, run_axe

pytestmark = pytest.mark.browser

#: what a finger presses on the resident page
CONTROLS = ("#stages button, #stages label.choice, #stages label.scale-opt span, #stages summary, "
            "#stages input.money, .langs a, .pref")


def test_large_text_and_high_contrast_are_remembered_and_accessible(
        all_methods: Any, live_server: Any, http_api: Any, new_page: Any) -> None:
    workshop = http_api.create_workshop(all_methods())
    for key in ("vision1", "vision", "goals", "phasing", "projects", "budget", "dream"):
        http_api.stage(workshop["id"], key, "open")
    page = new_page(320, 740, bypass_csp=True)
    join(page, live_server, workshop["code"], "ภาคประชาสังคม", "th")
    page.wait_for_selector("#st-dream")
    base_size = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")

    large = page.get_by_role("button", name="ตัวอักษรใหญ่")
    contrast = page.get_by_role("button", name="สีตัดกันชัด")
    assert large.get_attribute("aria-pressed") == "false"
    large.click()
    contrast.click()
    assert large.get_attribute("aria-pressed") == "true"
    classes = page.evaluate("() => document.documentElement.className")
    assert "text-large" in classes and "contrast-high" in classes
    big_size = page.evaluate("() => parseFloat(getComputedStyle(document.documentElement).fontSize)")
    assert big_size >= base_size * 1.2

    # remembered on this phone: a reload keeps both, before the page is drawn
    page.reload()
    page.wait_for_selector("#st-dream")
    classes = page.evaluate("() => document.documentElement.className")
    assert "text-large" in classes and "contrast-high" in classes
    assert page.get_by_role("button", name="ตัวอักษรใหญ่").get_attribute("aria-pressed") == "true"

    # nothing wider than the phone, every control a finger's size, axe clean
    assert page.evaluate("() => document.documentElement.scrollWidth") <= 320
    small = page.evaluate(
        """(selector) => Array.from(document.querySelectorAll(selector))
             .map(el => [el.className || el.tagName, el.getBoundingClientRect()])
             .filter(([, r]) => r.width > 0 && r.height > 0 && r.height < 47.5)
             .map(([name, r]) => name + ' ' + Math.round(r.height))""", CONTROLS)
    assert not small, small
    found = run_axe(page)
    assert not found, describe(found)

    # and off again
    page.get_by_role("button", name="ตัวอักษรใหญ่").click()
    assert "text-large" not in page.evaluate("() => document.documentElement.className")
