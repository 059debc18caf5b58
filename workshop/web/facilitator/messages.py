"""The console's words for messages that come from below it, in English.

The ballot rules (``domain.methods``) and the workshop file checks
(``workshop.schema``) explain each mistake in one short plain-English line,
which the API passes on as is. The console shows those lines to a facilitator
in Thai or English, so the known shapes are matched here and said again with
the console's catalog; anything not foreseen is shown as it came, marked as
English (``Problem.lang``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

from flask_babel import gettext as _
from flask_babel import ngettext

from ..i18n import baht

_Q = r"(?P<q>['\"])(?P<key>.*?)(?P=q)"  # a key as Python's repr() quotes it
_N = r"-?\d[\d,]*(?:\.\d+)?"  # a number, maybe grouped ("1,000")


@dataclass(frozen=True)
class Problem:
    """One message to show: its text, and ``"en"`` if it could not be translated."""

    text: str
    lang: str | None = None


def _number(raw: str) -> str:
    """A number from an English message, grouped for reading: 10000000 -> 10,000,000."""
    digits = raw.replace(",", "")
    try:
        value = float(digits)
    except ValueError:
        return raw
    return f"{value:,.0f}" if value.is_integer() else f"{value:,}"


def _count(raw: str) -> int:
    return int(raw.replace(",", ""))


Rule = tuple[re.Pattern[str], Callable[[re.Match[str]], str]]


def _rules(pairs: list[tuple[str, Callable[[re.Match[str]], str]]]) -> list[Rule]:
    return [(re.compile(f"^{pattern}$"), say) for pattern, say in pairs]


# ---------------------------------------------------------------------------
# Ballot rules (domain.methods.BallotRejected), as the paper-ballot page lists them

_BALLOT = _rules([
    (rf"unknown item {_Q}", lambda m: _("unknown item '%(key)s'", key=m["key"])),
    (rf"{_Q} appears twice in the order", lambda m: _("'%(key)s' appears twice in the order", key=m["key"])),
    (rf"{_Q} appears twice", lambda m: _("'%(key)s' appears twice", key=m["key"])),
    (r"choose at least one item", lambda m: _("choose at least one item")),
    (r"at most (?P<n>\d+) choices?",
     lambda m: ngettext("at most %(num)d choice", "at most %(num)d choices", int(m["n"]))),
    (rf"(?P<count>\d+) dots? on {_Q}, at most (?P<max>\d+) per item",
     lambda m: _("%(count)s dots on '%(key)s', at most %(max)s on one item",
                 count=m["count"], key=m["key"], max=m["max"])),
    (r"(?P<count>\d+) dots? given, (?P<max>\d+) allowed",
     lambda m: _("%(count)s dots given, %(max)s allowed", count=m["count"], max=m["max"])),
    (r"give at least one dot", lambda m: _("give at least one dot")),
    (rf"dots for {_Q} must be a whole number", lambda m: _("the dots for '%(key)s' must be a whole number",
                                                           key=m["key"])),
    (rf"dots for {_Q} must not be negative", lambda m: _("the dots for '%(key)s' must not be negative",
                                                         key=m["key"])),
    (r"rank at least one item", lambda m: _("rank at least one item")),
    (rf"unknown criterion {_Q}", lambda m: _("unknown criterion '%(key)s'", key=m["key"])),
    (r"score for (?P<item>[^/\s]+)/(?P<criterion>\S+) must be a whole number",
     lambda m: _("the score for %(item)s.%(criterion)s must be a whole number",
                 item=m["item"], criterion=m["criterion"])),
    (rf"score (?P<score>{_N}) for (?P<item>[^/\s]+)/(?P<criterion>\S+)"
     r" is outside (?P<low>-?\d+)-(?P<high>-?\d+)",
     lambda m: _("score %(score)s for %(item)s.%(criterion)s is outside the scale %(low)s–%(high)s",
                 score=m["score"], item=m["item"], criterion=m["criterion"], low=m["low"], high=m["high"])),
    (r"give at least one score", lambda m: _("give at least one score")),
    (rf"budget (?P<total>{_N}) exceeds (?P<limit>{_N})",
     lambda m: _("the amounts add up to %(total)s, more than the budget of %(limit)s",
                 total=baht(_count(m["total"])), limit=baht(_count(m["limit"])))),
    (r"give an amount to at least one item", lambda m: _("give an amount to at least one item")),
    (rf"amount for {_Q} must be a whole number",
     lambda m: _("the amount for '%(key)s' must be a whole number", key=m["key"])),
    (rf"amount for {_Q} must not be negative",
     lambda m: _("the amount for '%(key)s' must not be negative", key=m["key"])),
    (r"give at least one word", lambda m: _("give at least one word")),
    (r"at most (?P<n>\d+) words?",
     lambda m: ngettext("at most %(num)d word", "at most %(num)d words", int(m["n"]))),
    (r"word (?P<n>\d+) is empty", lambda m: _("word %(n)s is empty", n=m["n"])),
    (r"word (?P<n>\d+) is longer than (?P<max>\d+) characters",
     lambda m: _("word %(n)s is longer than %(max)s characters", n=m["n"], max=m["max"])),
])


# ---------------------------------------------------------------------------
# Workshop file checks (workshop.schema), as the new-workshop form lists them

def _duplicate(what: str) -> Callable[[re.Match[str]], str]:
    says = {
        "language": lambda key: _("duplicate language '%(key)s'", key=key),
        "group key": lambda key: _("duplicate group key '%(key)s'", key=key),
        "stage key": lambda key: _("duplicate stage key '%(key)s'", key=key),
        "item key": lambda key: _("duplicate item key '%(key)s'", key=key),
        "SDG": lambda key: _("duplicate SDG '%(key)s'", key=key),
        "criterion key": lambda key: _("duplicate criterion key '%(key)s'", key=key),
        "key": lambda key: _("duplicate key '%(key)s'", key=key),
    }
    return lambda m: says[what](m["key"])


_DEFINITION = _rules([
    (r"field required", lambda m: _("required")),
    (r"required for method (?P<method>\w+)",
     lambda m: _("required for method %(method)s", method=m["method"])),
    (r"not allowed for method (?P<method>\w+)",
     lambda m: _("not allowed for method %(method)s", method=m["method"])),
    (rf"unknown field {_Q}", lambda m: _("unknown field '%(key)s'", key=m["key"])),
    (r"must be one of (?P<choices>.+)", lambda m: _("must be one of %(choices)s", choices=m["choices"])),
    (r"must be at most (?P<n>\d+) characters",
     lambda m: _("must be at most %(n)s characters", n=_number(m["n"]))),
    (r"must have at least (?P<n>\d+) entr(?:y|ies)",
     lambda m: ngettext("must have at least %(num)d entry", "must have at least %(num)d entries",
                        int(m["n"]))),
    (r"must have at most (?P<n>\d+) entr(?:y|ies)",
     lambda m: ngettext("must have at most %(num)d entry", "must have at most %(num)d entries",
                        int(m["n"]))),
    (rf"must be between (?P<low>{_N}) and (?P<high>{_N}) \(dots\)",
     lambda m: _("must be between %(low)s and %(high)s (the stage's dots)", low=m["low"], high=m["high"])),
    (rf"must be between (?P<low>{_N}) and (?P<high>{_N})",
     lambda m: _("must be between %(low)s and %(high)s", low=m["low"], high=m["high"])),
    (rf"must be greater than (?P<bound>{_N})",
     lambda m: _("must be greater than %(bound)s", bound=m["bound"])),
    (rf"must be at least (?P<bound>{_N})", lambda m: _("must be at least %(bound)s", bound=m["bound"])),
    (rf"must be less than (?P<bound>{_N})", lambda m: _("must be less than %(bound)s", bound=m["bound"])),
    (rf"must be at most (?P<bound>{_N})", lambda m: _("must be at most %(bound)s", bound=m["bound"])),
    (r"must be a number", lambda m: _("must be a number")),
    (r"must be a string", lambda m: _("must be a text")),
    (r"must be a whole number", lambda m: _("must be a whole number")),
    (r"must be true or false", lambda m: _("must be true or false")),
    (r"must be a list", lambda m: _("must be a list")),
    (r"must be a mapping", lambda m: _("must be a mapping (keys with values)")),
    (r"must not be empty", lambda m: _("must not be empty")),
    (r"must match (?P<pattern>\S+)",
     lambda m: _("must be 1 to 32 small letters a–z, digits, - or _ (%(pattern)s)", pattern=m["pattern"])),
    (r"is not one of the allowed forms", lambda m: _("is not one of the allowed forms")),
    (r"must be a text or a map from language to text",
     lambda m: _("must be a text, or a text for each language (th: …, en: …)")),
    (rf"language {_Q} is not in languages",
     lambda m: _("language '%(key)s' is not in languages", key=m["key"])),
    (r"must be a date and time like 2026-12-05T18:00",
     lambda m: _("must be a date and time like 2026-12-05T18:00 (year AD, month, day, hour, minute)")),
    (r"must be after opens_at",
     lambda m: _("must be after opens_at (the voting window ends after it begins)")),
    (r"must be a date like 2026-12-05", lambda m: _("must be a date like 2026-12-05 (year AD, month, day)")),
    (r"must be an SDG goal 1-17 or target like 11.2 or 6.b",
     lambda m: _("must be an SDG goal 1–17 or a target like 11.2 or 6.b")),
    (rf"duplicate (?P<what>language|group key|stage key|item key|SDG|criterion key) {_Q}",
     lambda m: _duplicate(m["what"])(m)),
    (rf"duplicate key {_Q} \(line (?P<line>\d+)\)",
     lambda m: _("duplicate key '%(key)s' (line %(line)s)", key=m["key"], line=m["line"])),
    (rf"duplicate key {_Q}", lambda m: _duplicate("key")(m)),
    (rf"unknown goal {_Q} \(no goals stage has this item\)",
     lambda m: _("unknown goal '%(key)s' (no goals stage has this item)", key=m["key"])),
    (r"a words stage lists no items", lambda m: _("a words stage lists no items")),
    (r"must list at least one item, unless allow_ideas is true",
     lambda m: _("must list at least one item, unless allow_ideas is true")),
    (r"min must be less than max", lambda m: _("min must be less than max")),
    (r"a workshop must be a mapping \(title, groups, stages, \.\.\.\)",
     lambda m: _("a workshop must be a mapping (title, groups, stages, …)")),
    (r"and (?P<n>\d+) more errors", lambda m: _("and %(n)s more problems", n=_number(m["n"]))),
    (r"file is larger than 1 MB", lambda m: _("the file is larger than 1 MB")),
    (r"the workshop file is larger than 1 MB", lambda m: _("the file is larger than 1 MB")),
    (r"file is not UTF-8 text", lambda m: _("the file is not UTF-8 text")),
    (r"file is nested too deeply", lambda m: _("the file is nested too deeply")),
    (r"a number has too many digits", lambda m: _("a number has too many digits")),
])

#: the hints schema.py appends to a message about a value's type
_SUFFIXES = (
    (" (yes, no, on, off, true and false need quotes in YAML)",
     lambda: _("(yes, no, on, off, true and false need quotes in YAML)")),
    (" (write it without quotes)", lambda: _("(write it without quotes)")),
)

#: what PyYAML says when it cannot read a file (the most frequent ones)
_YAML = _rules([
    (r"mapping values are not allowed here",
     lambda m: _("a colon (:) cannot stand here; put a text that holds “: ” in quotes")),
    (r"expected (?P<expected>.+?), but (?:got|found) (?P<found>.+)",
     lambda m: _("expected %(expected)s, but found %(found)s", expected=m["expected"], found=m["found"])),
    (r"found character (?P<char>.+) that cannot start any token",
     lambda m: _("the character %(char)s cannot start a value (indent with spaces, not tabs)",
                 char=m["char"])),
    (r"could not find expected ':'", lambda m: _("a colon (:) is missing")),
    (r"found unexpected end of stream",
     lambda m: _("the text ends too early (a quote or bracket is not closed)")),
    (r"found undefined alias.*", lambda m: _("an alias (*name) points to no anchor (&name)")),
])
_YAML_PLACE = re.compile(r"^(?P<problem>.+) \(column (?P<column>\d+)\)$")


def _say(rules: list[Rule], message: str) -> str | None:
    for pattern, say in rules:
        found = pattern.match(message)
        if found:
            return say(found)
    return None


def ballot_problem(message: str) -> Problem:
    """A ballot rule's message (``BallotRejected``) in the page's language."""
    said = _say(_BALLOT, message)
    return Problem(said) if said is not None else Problem(message, "en")


def definition_problem(loc: str, message: str) -> Problem:
    """A workshop file check's message in the page's language."""
    suffix = ""
    for english, say in _SUFFIXES:
        if message.endswith(english):
            message, suffix = message[: -len(english)], " " + say()
            break
    said = _say(_DEFINITION, message)
    if said is None and loc.startswith("line "):
        place = _YAML_PLACE.match(message)
        problem = place["problem"] if place else message
        said = _say(_YAML, problem)
        if said is not None and place:
            said = _("%(problem)s (column %(column)s)", problem=said, column=place["column"])
    if said is None:
        return Problem(message + suffix, "en")
    return Problem(said + suffix)
