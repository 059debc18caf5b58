"""The command line's own decisions (no server started)."""

from __future__ import annotations


def test_printed_links_follow_where_the_server_listens() -> None:
    from workshop.cli import public_url_for

    assert public_url_for("https://ranong.example", "0.0.0.0", 5000) == "https://ranong.example"
    assert public_url_for(None, "0.0.0.0", 5000) is None  # the LAN address, found at run time
    assert public_url_for(None, "127.0.0.1", 5097) == "http://127.0.0.1:5097"
    assert public_url_for(None, "::1", 80) == "http://[::1]:80"


def test_the_terminal_language_is_read_as_gettext_reads_it() -> None:
    from workshop.cli import terminal_language

    assert terminal_language({"LANG": "th_TH.UTF-8"}) == "th"
    assert terminal_language({"LANG": "C.UTF-8"}) == "en"
    assert terminal_language({"LC_ALL": "en_US.UTF-8", "LANG": "th_TH.UTF-8"}) == "en"  # LC_ALL first
    assert terminal_language({"LANGUAGE": "th", "LC_ALL": "C"}) == "th"
    assert terminal_language({"LANG": ""}) == "en"
    assert terminal_language({}) == "en"
