"""Errors as data: a code, its parameters, and the one table of their texts.

Every mistake a workshop file (``workshop_file``), a ballot (``methods``) or a
paper-ballot line (``paper``) can hold is a :class:`Problem`: a code from
:data:`TEXTS` (or :data:`PLURALS`) and the values its text needs. The texts are
English message ids marked with ``N_`` for translation; the console's catalog
holds their Thai (``translations/console``; Flask-Babel merges the catalogs, so
every page can say them). :func:`render` says a problem with the caller's
``gettext``: the API and sockets call it without one (English), each page with
its catalog (the page's language). Nothing matches English text to translate it.

Pure: no Flask here, the translation functions are passed in.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from typing import Any


def N_(text: str) -> str:
    """Mark ``text`` for the catalog without translating it here."""
    return text


def Np_(singular: str, plural: str) -> tuple[str, str]:
    """Mark a text with a plural form for the catalog."""
    return singular, plural


#: code -> English text (the catalog's message id), with %(name)s parameters.
TEXTS: dict[str, str] = {
    # -- workshop files: shapes (pydantic's error types, and ours) --------------
    "workshop_type": N_("a workshop must be a mapping (title, groups, stages, ...)"),
    "missing": N_("field required"),
    "required_for_method": N_("required for method %(method)s"),
    "not_allowed_for_method": N_("not allowed for method %(method)s"),
    "unknown_field": N_("unknown field '%(name)s'"),
    "one_of": N_("must be one of %(choices)s"),
    "text_too_long": N_("must be at most %(max)s characters"),
    "not_empty": N_("must not be empty"),
    "string_type": N_("must be a string"),
    "int_type": N_("must be a whole number"),
    "number_type": N_("must be a number"),
    "bool_type": N_("must be true or false"),
    "list_type": N_("must be a list"),
    "mapping_type": N_("must be a mapping"),
    "text_type": N_("must be a text or a map from language to text"),
    "key_pattern": N_("must match %(pattern)s"),
    "form": N_("is not one of the allowed forms"),
    "language": N_("language '%(code)s' is not in languages"),
    "int_range": N_("must be between %(low)s and %(high)s"),
    "number_above": N_("must be greater than %(bound)s"),
    "number_at_least": N_("must be at least %(bound)s"),
    "number_below": N_("must be less than %(bound)s"),
    "number_at_most": N_("must be at most %(bound)s"),
    "date_format": N_("must be a date like 2026-12-05"),
    "sdg_format": N_("must be an SDG goal 1-17 or target like 11.2 or 6.b"),
    "invalid_value": N_("is not a valid value (%(kind)s)"),
    "timezone": N_("must be a time zone name such as Asia/Bangkok"),
    "datetime_format": N_("must be a date and time like 2026-12-05T18:00"),
    "budget_year": N_("must be a Buddhist-era year like 2570"),
    "closes_after_opens": N_("must be after opens_at"),
    # -- workshop files: relations between fields -------------------------------
    "duplicate_language": N_("duplicate language '%(key)s'"),
    "duplicate_group": N_("duplicate group key '%(key)s'"),
    "duplicate_stage": N_("duplicate stage key '%(key)s'"),
    "duplicate_item": N_("duplicate item key '%(key)s'"),
    "duplicate_sdg": N_("duplicate SDG '%(key)s'"),
    "duplicate_criterion": N_("duplicate criterion key '%(key)s'"),
    "unknown_goal": N_("unknown goal '%(key)s' (no goals stage has this item)"),
    "words_no_items": N_("a words stage lists no items"),
    "needs_items": N_("must list at least one item, unless allow_ideas is true"),
    "dots_range": N_("must be between %(low)s and %(high)s (dots)"),
    "scale_order": N_("min must be less than max"),
    "more_errors": N_("and %(count)s more errors"),
    # -- workshop files: reading the text ----------------------------------------
    "duplicate_key": N_("duplicate key '%(key)s'"),
    "duplicate_key_line": N_("duplicate key '%(key)s' (line %(line)s)"),
    "file_too_large": N_("file is larger than 1 MB"),
    "not_utf8": N_("file is not UTF-8 text"),
    "too_deep": N_("file is nested too deeply"),
    "too_many_digits": N_("a number has too many digits"),
    "unreadable_value": N_("a value cannot be read"),
    "yaml_alias_loop": N_("an alias refers to a value that contains it"),
    "yaml_alias_bomb": N_("file expands to too many values (check its aliases)"),
    "yaml_second_document": N_("found a second document; a file holds one workshop"),
    "yaml_tab": N_("found a tab; indent with spaces"),
    # YAML syntax, in plain words (PyYAML's own English is never shown: workshop_file maps it)
    "yaml_colon": N_("a colon (:) cannot come here; put a text that contains “: ” in quotes"),
    "yaml_indent": N_("this line's indentation does not match the lines above it (indent with spaces)"),
    "yaml_unclosed_list": N_("a list in [ ] is not closed with ], or its entries lack commas between them"),
    "yaml_unclosed_map": N_("a mapping in { } is not closed with }, or its entries lack commas between them"),
    "yaml_bad_character": N_("a value cannot start with %(char)s; put the value in quotes"),
    "yaml_missing_colon": N_("a colon (:) is missing; each line of a mapping is a name, a colon and a value"),
    "yaml_early_end": N_("the file ends before a quote or a bracket is closed"),
    "yaml_undefined_alias": N_("*%(name)s refers to no anchor &%(name)s above it"),
    "yaml_duplicate_anchor": N_("the anchor &%(name)s is defined twice"),
    "yaml_block_indicator": N_("after | or > only +, - or a digit from 1 to 9 may follow on the same line"),
    "yaml_anchor_name": N_("a name after & or * is made of letters, digits, - and _ only"),
    "yaml_line_end": N_("there is more on this line after its value; put the whole value in quotes"),
    "yaml_escape": N_("unknown escape after a backslash in double quotes; use single quotes instead"),
    "yaml_tag": N_("the tag %(tag)s is not allowed in a workshop file"),
    "yaml_tag_syntax": N_("a value cannot start with !; put the value in quotes"),
    "yaml_version": N_("the %%YAML line at the top is not supported; delete it"),
    "yaml_control_character": N_("the file holds a character that is not text (%(code)s); delete it"),
    "yaml_syntax": N_("the file cannot be read from here on: check indentation, quotes and brackets"),
    "yaml_invalid": N_("the file is not valid YAML"),
    # -- ballots (domain.methods) -------------------------------------------------
    "choices_type": N_("choices must be an object with the key '%(field)s'"),
    "unexpected_key": N_("unexpected key %(key)s in choices"),
    "choices_missing": N_("choices must have the key '%(field)s'"),
    "unknown_item": N_("unknown item %(key)s"),
    "item_type": N_("'item' must be an item key"),
    "key_list_type": N_("'%(field)s' must be a list of item keys"),
    "appears_twice": N_("%(key)s appears twice"),
    "appears_twice_in_order": N_("%(key)s appears twice in the order"),
    "choose_one": N_("choose at least one item"),
    "amounts_type": N_("'%(field)s' must be an object of item keys to whole numbers"),
    "dots_not_whole": N_("dots for %(key)s must be a whole number"),
    "dots_negative": N_("dots for %(key)s must not be negative"),
    "no_dots": N_("give at least one dot"),
    "rank_one": N_("rank at least one item"),
    "scores_type": N_("'scores' must be an object of item keys to scores"),
    "item_scores_type": N_("scores for %(key)s must be an object of criteria to scores"),
    "unknown_criterion": N_("unknown criterion %(key)s"),
    "score_not_whole": N_("score for %(item)s/%(criterion)s must be a whole number"),
    "score_outside": N_("score %(score)s for %(item)s/%(criterion)s is outside %(low)s-%(high)s"),
    "no_scores": N_("give at least one score"),
    "amount_not_whole": N_("amount for %(key)s must be a whole number"),
    "amount_negative": N_("amount for %(key)s must not be negative"),
    "over_budget": N_("budget %(total)s exceeds %(limit)s"),
    "no_amount": N_("give an amount to at least one item"),
    "over_cost": N_("amount %(amount)s for %(key)s exceeds its cost %(cost)s"),
    "words_type": N_("'words' must be a list of strings"),
    "no_words": N_("give at least one word"),
    "word_type": N_("word %(number)s must be a string"),
    "word_empty": N_("word %(number)s is empty"),
    "word_too_long": N_("word %(number)s is longer than %(max)s characters"),
    # -- paper-ballot lines (domain.paper) ------------------------------------------
    "paper_one_item": N_("a single-choice ballot names one item, found %(count)s"),
    "paper_bad_key": N_("'%(token)s' is not an item key"),
    "paper_bad_criterion": N_("'%(token)s' is not a criterion key"),
    "paper_expected_pair": N_("expected KEY=NUMBER, found '%(token)s'"),
    "paper_expected_score": N_("expected ITEM.CRITERION=NUMBER, found '%(token)s'"),
    "paper_duplicate": N_("'%(key)s' appears twice"),
    "paper_empty": N_("the line holds no entry"),
}

#: code -> ((singular, plural), the parameter that counts): texts that depend on a number.
PLURALS: dict[str, tuple[tuple[str, str], str]] = {
    "too_few": (Np_("must have at least %(num)d entry", "must have at least %(num)d entries"), "num"),
    "too_many": (Np_("must have at most %(num)d entry", "must have at most %(num)d entries"), "num"),
    "too_many_choices": (Np_("at most %(num)d choice", "at most %(num)d choices"), "num"),
    "too_many_words": (Np_("at most %(num)d word", "at most %(num)d words"), "num"),
    "dots_on_item": (
        Np_("%(num)d dot on %(key)s, at most %(max)s per item",
            "%(num)d dots on %(key)s, at most %(max)s per item"),
        "num",
    ),
    "dots_total": (Np_("%(num)d dot given, %(max)s allowed", "%(num)d dots given, %(max)s allowed"), "num"),
}

#: hint code -> text, said in brackets after a problem (``params["hint"]``).
HINTS: dict[str, str] = {
    "yaml_words": N_("yes, no, on, off, true and false need quotes in YAML"),
    "unquote": N_("write it without quotes"),
}
#: said after a YAML problem that has a place in its line (``params["column"]``).
COLUMN = N_("(column %(column)s)")
#: the place of a problem in a file's text (``loc`` = ``"line N"``), said in the reader's language
LINE = N_("Line %(n)d")
_LINE_PLACE = re.compile(r"line (\d+)")

CODES = frozenset(TEXTS) | frozenset(PLURALS)
assert not set(TEXTS) & set(PLURALS)


@dataclass(frozen=True)
class Problem:
    """One mistake: its code, the values its text needs, and where it is (``""``: the whole)."""

    code: str
    params: Mapping[str, Any] = field(default_factory=dict)
    loc: str = ""

    def __post_init__(self) -> None:
        if self.code not in CODES:
            raise ValueError(f"problem code {self.code!r} has no text in domain.problems")

    @property
    def message(self) -> str:
        """In English (the message ids are the English texts)."""
        return render(self)

    def __str__(self) -> str:
        return f"{self.loc}: {self.message}" if self.loc else self.message


Gettext = Callable[[str], str]
Ngettext = Callable[[str, str, int], str]


def _english_plural(singular: str, plural: str, count: int) -> str:
    return singular if count == 1 else plural


def render(problem: Problem, gettext: Gettext = N_, ngettext: Ngettext = _english_plural) -> str:
    """``problem`` said with ``gettext`` / ``ngettext`` (English without them)."""
    params = dict(problem.params)
    if problem.code in PLURALS:
        (singular, plural), counter = PLURALS[problem.code]
        text = ngettext(singular, plural, int(params[counter])) % params
    else:
        text = gettext(TEXTS[problem.code]) % params
    if "column" in params:
        text = f"{text} {gettext(COLUMN) % params}"
    if params.get("hint") in HINTS:
        text = f"{text} ({gettext(HINTS[params['hint']])})"
    return text


def render_place(loc: str, gettext: Gettext = N_) -> str:
    """A problem's place said with ``gettext``: ``line 2`` is บรรทัดที่ 2 in Thai; a field's path
    (``stages[0].title``) stays as it is, the file's own names."""
    line = _LINE_PLACE.fullmatch(loc)
    return gettext(LINE) % {"n": int(line[1])} if line else loc


_PLACEHOLDER = re.compile(r"%\((\w+)\)[sd]")


def placeholders(code: str) -> set[str]:
    """The parameters the texts of ``code`` need."""
    texts = PLURALS[code][0] if code in PLURALS else (TEXTS[code],)
    return {name for text in texts for name in _PLACEHOLDER.findall(text)}
