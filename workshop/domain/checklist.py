"""The checklist before the event (pure): what to fix before residents arrive.

Each finding is a :class:`Finding` with a code, the place to fix it (a stage,
an item, a group or the workshop's settings) and parameters; the run sheet
renders it in its language with a link to the builder page that fixes it.

=====================  ===============================================================
code                   when
=====================  ===============================================================
``no_items``           a stage other than words has no items (``ideas``: it takes ideas,
                       so items may still come, but there is nothing to vote on at first)
``never_shown``        a stage's results are never shown to residents (``show_results:
                       never``): fine for a private question, a surprise otherwise
``missing_text``       a workshop of two languages has a text in one of them only
``loopback_url``       the join address printed and put in the QR code is a loopback
                       address (127.0.0.1, localhost, ::1): phones cannot reach it. No
                       console setting changes it: ``cause`` says what whoever installed
                       RuamKit must change (``listen``: the server listens on this computer
                       only; ``setting``: WORKSHOP_PUBLIC_URL names it), and the console
                       gives the officer the exact words to pass on
=====================  ===============================================================
"""

from __future__ import annotations

import ipaddress
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any
from urllib.parse import urlsplit

from .builder import text_places


@dataclass(frozen=True)
class Finding:
    code: str
    #: what to open to fix it: {"stage": key, "item": key} / {"group": key} / {} (settings)
    where: dict[str, str] = field(default_factory=dict)
    params: dict[str, Any] = field(default_factory=dict)


def check(definition: Mapping[str, Any], join_url: str, *, listen_host: str | None = None) -> list[Finding]:
    """Every finding about ``definition`` and the address phones will be sent to.

    ``listen_host``: the address the server listens on (``serve --host``), when known."""
    findings: list[Finding] = []
    if is_loopback(join_url):
        findings.append(Finding("loopback_url", {}, {"url": join_url, "cause": loopback_cause(listen_host)}))
    for stage in definition.get("stages") or ():
        where = {"stage": stage["key"]}
        if stage.get("method") != "words" and not stage.get("items"):
            findings.append(Finding("no_items", where, {"ideas": bool(stage.get("allow_ideas"))}))
        if stage.get("show_results") == "never":
            findings.append(Finding("never_shown", where))
    languages = list(definition.get("languages") or ())
    if len(languages) > 1:
        for loc, value, where in text_places(definition):
            missing = missing_languages(value, languages)
            if missing:
                findings.append(Finding("missing_text", where, {"loc": loc, "languages": missing}))
    return findings


def missing_languages(value: Any, languages: list[str]) -> list[str]:
    """The languages a text lacks (a plain string counts as the first language only).
    An absent optional text (None) lacks nothing."""
    if value is None:
        return []
    if isinstance(value, str):
        return languages[1:]
    return [code for code in languages if not value.get(code)]


def loopback_cause(listen_host: str | None) -> str:
    """Why the join address is this computer's only, i.e. what the IT officer must change.

    ``listen``: the server listens on a loopback address (``serve --host 127.0.0.1``):
    restart it on all addresses (``--host 0.0.0.0``, the default), and RuamKit puts this
    computer's LAN address in the QR codes by itself. ``setting``: it listens on the network
    (or we do not know), so WORKSHOP_PUBLIC_URL names this computer only: remove it or set it
    to the LAN address."""
    if listen_host is not None and is_loopback(f"http://{_bracketed(listen_host)}/"):
        return "listen"
    return "setting"


def _bracketed(host: str) -> str:
    return f"[{host}]" if ":" in host and not host.startswith("[") else host


#: host names that only a local network knows (RFC 6762, RFC 8375, common intranet suffixes)
LOCAL_SUFFIXES = (".local", ".lan", ".home.arpa", ".internal", ".localdomain")


def is_local_only(url: str) -> bool:
    """Whether ``url`` works only on this building's network (or this computer): a loopback,
    private or link-local address, or a host name with no dot or a local suffix. Residents
    at home cannot open such a link (a LINE message, a poster)."""
    host = (urlsplit(url).hostname or "").lower().rstrip(".")
    if not host:
        return True
    try:
        address = ipaddress.ip_address(host)
    except ValueError:
        return "." not in host or host.endswith(LOCAL_SUFFIXES) or is_loopback(url)
    return address.is_private or address.is_loopback or address.is_link_local


def is_loopback(url: str) -> bool:
    """Whether ``url`` points at this machine only (phones on the Wi-Fi cannot open it)."""
    host = (urlsplit(url).hostname or "").lower()
    if host == "localhost" or host.endswith(".localhost"):
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False
