"""Sharing beyond the hall: the LINE message and the A4 poster (issue 15, item 2)."""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import unquote

from tests.factories import workshop_object
from tests.integration.test_console import console, create  # noqa: F401  (fixture)


def _page(client: Any, path: str) -> str:
    response = client.get(path)
    assert response.status_code == 200, response.status_code
    return html.unescape(response.get_data(as_text=True))


def test_line_message_in_each_language_with_link_code_and_groups(app: Any, console: Any) -> None:  # noqa: F811
    workshop_id, code = create(app)
    page = _page(console, f"/console/w/{workshop_id}/share?lang=th")
    join_url = f"http://ruamkit.test/j/{code}"
    messages = re.findall(r'<textarea[^>]*lang="(\w+)"[^>]*>(.*?)</textarea>', page, re.S)
    assert [lang for lang, _ in messages] == ["th", "en"]
    thai, english = messages[0][1], messages[1][1]
    assert "แผนพัฒนาเมืองทดสอบ" in thai and join_url in thai and f"รหัสเข้าร่วม: {code}" in thai
    assert "ประชาชน, หน่วยงานรัฐ, ภาคเอกชน, ภาคประชาสังคม" in thai
    assert "5 ธันวาคม 2569" in thai  # Buddhist era
    assert "Test city plan" in english and "Residents, Government, Private sector, Civil society" in english
    assert "5 December 2026" in english
    # LINE's own share screen, with the whole message
    links = re.findall(r'href="(https://line\.me/R/share\?text=[^"]+)"', page)
    assert len(links) == 2
    assert unquote(links[0].split("text=", 1)[1]) == thai
    # the page loads nothing from outside the server
    assert not re.search(r'(src|href)="https?://(?!ruamkit\.test|line\.me/R/share)', page)


def test_poster_is_an_a4_page_in_the_workshops_language(app: Any, console: Any) -> None:  # noqa: F811
    workshop_id, code = create(app)
    page = _page(console, f"/console/w/{workshop_id}/poster?lang=en")
    assert '<article class="poster" lang="th"' in page
    assert "ร่วมคิด ร่วมวางแผนเมืองของเรา" in page and "แผนพัฒนาเมืองทดสอบ" in page
    assert f"http://ruamkit.test/j/{code}" in page and code in page
    assert '<svg' in page and 'class="qr"' in page
    assert "poster.css" in page
    # a way back to the share page (in the toolbar, which does not print), in the workshop's language
    assert f'href="/console/w/{workshop_id}/share">กลับไปหน้าแบ่งปัน</a>' in page
    response = app.test_client().get("/static/css/poster.css")
    try:
        assert "size: A4 portrait" in response.get_data(as_text=True)
    finally:
        response.close()


def test_tokens_workshop_share_says_the_link_needs_a_card(app: Any, console: Any) -> None:  # noqa: F811
    workshop_id, code = create(app, workshop_object(join="tokens"))
    page = _page(console, f"/console/w/{workshop_id}/share?lang=en")
    assert "the link alone does not let anyone in" in page
    assert f"Join code: {code}" not in page
    poster = _page(console, f"/console/w/{workshop_id}/poster")
    assert "บัตร" in poster


def test_run_sheet_links_to_sharing(app: Any, console: Any) -> None:  # noqa: F811
    workshop_id, _code = create(app)
    page = _page(console, f"/console/w/{workshop_id}?lang=en")
    assert f'/console/w/{workshop_id}/share"' in page and "LINE message and poster" in page


def test_a_link_residents_at_home_cannot_open_is_said_only_then(app: Any, console: Any) -> None:  # noqa: F811
    """The share page is where the public address matters: a LAN address works in the hall but
    not from home, so the officer gets a message for whoever installed RuamKit; a public one, nothing."""
    workshop_id, _code = create(app)
    path = f"/console/w/{workshop_id}/share"
    assert "Residents at home cannot open this link" not in _page(console, path + "?lang=en")  # ruamkit.test
    app.config["PUBLIC_URL"] = "http://192.168.1.20:5000"
    english = _page(console, path + "?lang=en")
    assert "Residents at home cannot open this link yet" in english and 'id="home-message"' in english
    assert "RuamKit's address is http://192.168.1.20:5000/j/" in english
    assert "deploy/install.sh --public-url" in english
    thai = _page(console, path + "?lang=th")
    assert "ประชาชนที่อยู่บ้านยังเปิดลิงก์นี้ไม่ได้" in thai and "กรุณาทำให้เข้าถึง RuamKit ได้จากอินเทอร์เน็ต" in thai
    app.config["PUBLIC_URL"] = "http://127.0.0.1:5000"
    loopback = _page(console, path + "?lang=en")
    assert "not even in the hall" in loopback and f"/console/w/{workshop_id}/build#join-address" in loopback
    assert 'id="home-message"' not in loopback
    app.config["PUBLIC_URL"] = "https://ruamkit.example.go.th"
    assert "cannot open this link" not in _page(console, path + "?lang=en")
