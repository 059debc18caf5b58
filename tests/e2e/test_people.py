"""The People section, My account, Accounts and an invitation page in Chromium: axe-core
finds no serious or critical violation in Thai and English, at 1366 and 390 px, and no
CSP violation or script error happens."""

from __future__ import annotations

import re
from typing import Any

import pytest

from tests.e2e.test_live_room import assert_clean, describe, run_axe, sign_in_console

pytestmark = pytest.mark.browser


def test_people_pages_pass_axe(live_server: Any, http_api: Any, new_page: Any, watch: Any,
                               all_methods: Any) -> None:
    workshop = http_api.create_workshop(all_methods())
    page = new_page(1366, 900, bypass_csp=True)  # bypass: axe is injected as a script
    sign_in_console(page, live_server)  # the first account: an admin, owner of its workshops
    page.goto(live_server.url("/console/accounts?lang=en"))
    name = f"guest{workshop['id']}"
    page.fill("#username", name)
    page.get_by_role("button", name="Invite").click()
    link = re.search(r"http://[^<\"]+/invite/[A-Za-z0-9_-]+", page.content())
    assert link, "no invitation link on the page"
    found: list[str] = []
    for width in (1366, 390):
        page.set_viewport_size({"width": width, "height": 900})
        for lang in ("th", "en"):
            for path in (f"/console/w/{workshop['id']}?lang={lang}", f"/console/account?lang={lang}",
                         f"/console/accounts?lang={lang}"):
                page.goto(live_server.url(path))
                violations = run_axe(page)
                if violations:
                    found.append(f"{path} at {width}: {describe(violations)}")
    guest = new_page(390, 800, bypass_csp=True)
    for lang in ("th", "en"):
        guest.goto(link.group(0) + f"?lang={lang}")
        violations = run_axe(guest)
        if violations:
            found.append(f"invite {lang}: {describe(violations)}")
    assert found == []
    assert_clean(watch)
