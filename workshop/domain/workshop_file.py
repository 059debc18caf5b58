"""Workshop files: reading and checking them (contract section 1).

A workshop file (``sessions/*.yaml``, or the same object as JSON for the API)
is checked in one go and either accepted whole or refused whole with every
problem found, each named by its place: ``stages[2].items[0].horizon: must be
one of short, medium, long``.

Public API: :func:`parse_workshop`, :func:`load_workshop_text`,
:class:`DefinitionError` and :data:`LIMITS`.

How it is checked:

* pydantic models (``extra="forbid"``, strict types: no ``true`` for a number,
  no ``"5"`` for 5) check the shape of every field. A stage is a union tagged
  by its ``method``, so an option of another method is refused ("not allowed
  for method single") and a required one is asked for ("required for method
  dots"), both by pydantic.
* :func:`_check_relations` then checks what relates fields to each other:
  unique keys, goal references, ``max_choices`` against the items, and so on.
  It reads the raw data, so it reports its errors even when some fields are
  malformed.

Where the contract is silent, this module decides:

* ``languages`` is optional and defaults to ``[th]``; codes come from
  ``th`` and ``en``, without repeats.
* ``moderation`` (our extension): ``pre`` (default) holds comments until a
  facilitator approves them, ``post`` publishes them at once.
* Texts are stripped of surrounding whitespace and must not be empty. A text
  map needs at least one entry, and only languages of ``languages``; it need
  not cover them all (readers fall back to the default language).
* A ``words`` stage lists no items and takes no ideas (its words become its
  items). Every other stage lists at least one item unless ``allow_ideas`` is
  true (approved ideas become its items).
* Item and criterion keys are unique within their stage, stage and group
  keys within the workshop. An item's ``goal`` names an item of any stage of
  kind ``goals``.
* An option of another method that is null (or ``criteria: []``) counts as
  absent, so the normalized output can be parsed again unchanged.
* Numbers have sane upper bounds (see :data:`LIMITS`), so that every value
  fits a database integer.
* At most ``LIMITS["errors_reported"]`` errors are reported; a last entry says
  how many more there were.

The result is the typed :class:`~workshop.domain.definition.WorkshopDefinition`
(its ``to_json()`` is the API's form: dates as ``"YYYY-MM-DD"``, every optional
field present, every stage with all option keys).
"""

from __future__ import annotations

import heapq
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, TypeGuard

import yaml
from pydantic import ValidationError
from pydantic_core import ErrorDetails

__all__ = ["LIMITS", "DefinitionError", "load_workshop_text", "parse_workshop"]

from .definition import (
    DEFAULT_LANGUAGES,
    KEY_PATTERN,
    KEY_RE,
    LIMITS,
    METHODS,
    OPTIONS,
    SUPPORTED_LANGUAGES,
    TAGS,
    WorkshopDefinition,
    sdg_text,
    shown,
)
from .problems import Problem

Loc = tuple[str | int, ...]
#: One problem while checking: where, its code (domain.problems), its parameters (hashable).
_Error = tuple[Loc, str, tuple[tuple[str, Any], ...]]


def _error(loc: Loc, code: str, **params: Any) -> _Error:
    return loc, code, tuple(sorted(params.items()))


class DefinitionError(ValueError):
    """A workshop file that cannot be used, with every problem found.

    ``problems`` lists each :class:`~workshop.domain.problems.Problem` (a code, its
    parameters and its place, ``stages[2].items[0].horizon``) in document order;
    the place is ``""`` for the file as a whole and ``"line N"`` for a YAML syntax
    problem. ``errors`` says them in English: ``{"loc", "message"}``.
    """

    def __init__(self, problems: list[Problem], *, filename: str = "") -> None:
        super().__init__(problems)
        self.problems = problems
        #: The file the errors are about, when known (for the command line).
        self.filename = filename

    @property
    def errors(self) -> list[dict[str, str]]:
        return [{"loc": problem.loc, "message": problem.message} for problem in self.problems]

    def __str__(self) -> str:
        return "\n".join(str(problem) for problem in self.problems)


#: pydantic errors read into problems at most (ten times the errors reported; in pydantic's
#: order, which follows the document's); the rest are only counted
CONSIDERED_ERRORS = 10 * LIMITS["errors_reported"]


# ---------------------------------------------------------------------------
# Public functions
# ---------------------------------------------------------------------------


def parse_workshop(data: object) -> WorkshopDefinition:
    """Validate a workshop object (from JSON or YAML) and return it typed.

    Raises :class:`DefinitionError` listing every problem found.
    """
    errors: list[_Error] = []
    workshop: WorkshopDefinition | None = None
    unread = 0
    try:
        workshop = WorkshopDefinition.model_validate(data, context={"languages": _declared_languages(data)})
    except ValidationError as exc:
        found = exc.errors(include_url=False)
        # a hopeless body (16,000 unknown fields) is not worth reading whole: the report names
        # the first errors_reported and counts the rest
        errors.extend(_convert(error, data) for error in found[:CONSIDERED_ERRORS])
        unread = max(0, len(found) - CONSIDERED_ERRORS)
    errors.extend(_check_relations(data))
    if errors or workshop is None:
        raise DefinitionError(_report(errors, data, unread))
    return workshop


def load_workshop_text(text: str | bytes, *, filename: str = "") -> WorkshopDefinition:
    """Read a workshop file (YAML, or JSON, which is YAML too) and parse it.

    Duplicate mapping keys are refused. ``filename`` is kept on the error for
    the caller's messages.
    """
    try:
        return parse_workshop(_load_yaml(text))
    except DefinitionError as exc:
        exc.filename = filename
        raise


# ---------------------------------------------------------------------------
# Relations between fields
# ---------------------------------------------------------------------------


def _check_relations(data: object) -> list[_Error]:
    """Checks that relate fields to each other, on the raw data.

    Each check skips values whose shape is wrong: pydantic reports those.
    """
    if not isinstance(data, dict):
        return []
    errors: list[_Error] = []

    languages = data.get("languages")
    if isinstance(languages, list):
        errors += _duplicates(languages, ("languages",), "duplicate_language", field=None)
    groups = data.get("groups")
    if isinstance(groups, list):
        errors += _duplicates(groups, ("groups",), "duplicate_group")
    stages = data.get("stages")
    if not isinstance(stages, list):
        return errors
    errors += _duplicates(stages, ("stages",), "duplicate_stage")

    goals = {
        item["key"]
        for stage in stages
        if isinstance(stage, dict) and stage.get("kind") == "goals"
        for item in _list(stage.get("items"))
        if isinstance(item, dict) and isinstance(item.get("key"), str)
    }
    for s, stage in enumerate(stages):
        if isinstance(stage, dict):
            errors += _check_stage(stage, ("stages", s), goals)
            errors += _check_window(stage, ("stages", s), data.get("timezone"))
    return errors


def _check_window(stage: dict[Any, Any], loc: Loc, zone: object) -> list[_Error]:
    """``closes_at`` after ``opens_at``, both read in the workshop's time zone."""
    from pydantic_core import PydanticCustomError

    from .definition import check_datetime, check_timezone
    from .schedule import moment

    if stage.get("opens_at") is None or stage.get("closes_at") is None:
        return []
    try:
        tz = check_timezone(zone) if zone is not None else None
        opens, closes = (moment(check_datetime(stage.get(name)), tz) for name in ("opens_at", "closes_at"))
    except (PydanticCustomError, ValueError):
        return []  # a missing or malformed time or zone gets its own error
    if opens is not None and closes is not None and closes <= opens:
        return [_error((*loc, "closes_at"), "closes_after_opens")]
    return []


def _check_stage(stage: dict[Any, Any], loc: Loc, goals: set[str]) -> list[_Error]:
    errors: list[_Error] = []
    method = stage.get("method")
    items = stage.get("items", [])

    if isinstance(items, list):
        errors += _duplicates(items, (*loc, "items"), "duplicate_item")
        for i, item in enumerate(items):
            if not isinstance(item, dict):
                continue
            goal = item.get("goal")
            if isinstance(goal, str) and goal not in goals:
                errors.append(_error((*loc, "items", i, "goal"), "unknown_goal", key=shown(goal)))
            sdgs = item.get("sdgs")
            if isinstance(sdgs, list):
                sdgs = [sdg_text(sdg) for sdg in sdgs]
                errors += _duplicates(sdgs, (*loc, "items", i, "sdgs"), "duplicate_sdg", field=None)
    criteria = stage.get("criteria")
    if method == "score" and isinstance(criteria, list):
        errors += _duplicates(criteria, (*loc, "criteria"), "duplicate_criterion")

    if method == "words":
        if isinstance(items, list) and items:
            errors.append(_error((*loc, "items"), "words_no_items"))
        if stage.get("allow_ideas") is True:
            errors.append(_error((*loc, "allow_ideas"), "not_allowed_for_method", method="words"))
    elif method in METHODS and isinstance(items, list) and not items and stage.get("allow_ideas") is not True:
        errors.append(_error((*loc, "items"), "needs_items"))

    if method == "approval" and isinstance(items, list) and items:
        max_choices = stage.get("max_choices")
        if _is_int(max_choices) and max_choices > len(items):
            errors.append(_error((*loc, "max_choices"), "int_range", low="1", high=str(len(items))))
    if method == "dots":
        dots, per_item = stage.get("dots"), stage.get("max_per_item")
        if _is_int(dots) and _is_int(per_item) and 1 <= dots < per_item:
            errors.append(_error((*loc, "max_per_item"), "dots_range", low="1", high=str(dots)))
    if method == "score":
        scale = stage.get("scale")
        low, high = (scale.get("min"), scale.get("max")) if isinstance(scale, dict) else (None, None)
        if _is_int(low) and _is_int(high) and low >= high:
            errors.append(_error((*loc, "scale"), "scale_order"))
    return errors


def _duplicates(entries: list[Any], loc: Loc, code: str, *, field: str | None = "key") -> list[_Error]:
    """Errors for repeated keys (or repeated plain values when ``field`` is None)."""
    errors: list[_Error] = []
    seen: set[str] = set()
    for index, entry in enumerate(entries):
        value = entry if field is None else (entry.get(field) if isinstance(entry, dict) else None)
        if field is not None and not (isinstance(value, str) and KEY_RE.fullmatch(value)):
            continue  # a malformed key gets its own error
        if not isinstance(value, str):
            continue
        if value in seen:
            where = (*loc, index) if field is None else (*loc, index, field)
            errors.append(_error(where, code, key=value))
        seen.add(value)
    return errors


def _declared_languages(data: object) -> list[str] | None:
    """The workshop's languages when they are valid, for checking text maps."""
    if not isinstance(data, dict):
        return None
    languages = data.get("languages", list(DEFAULT_LANGUAGES))
    if (
        isinstance(languages, list)
        and languages
        and all(isinstance(code, str) and code in SUPPORTED_LANGUAGES for code in languages)
    ):
        return languages
    return None


def _is_int(value: object) -> TypeGuard[int]:
    return isinstance(value, int) and not isinstance(value, bool)


def _list(value: object) -> list[Any]:
    return value if isinstance(value, list) else []


# ---------------------------------------------------------------------------
# Error messages
# ---------------------------------------------------------------------------

#: pydantic's own gt/ge/lt/le (should a field use them): our code, and the bound's name in ctx
_BOUNDS: dict[str, tuple[str, str]] = {
    "greater_than": ("number_above", "gt"),
    "greater_than_equal": ("number_at_least", "ge"),
    "less_than": ("number_below", "lt"),
    "less_than_equal": ("number_at_most", "le"),
}
#: pydantic error types (and ours) said by a code without parameters
_CODES: dict[str, str] = {
    "missing": "missing",
    "string_type": "string_type",
    "int_type": "int_type",
    "bool_type": "bool_type",
    "list_type": "list_type",
    "dict_type": "mapping_type",
    "model_type": "mapping_type",
    "model_attributes_type": "mapping_type",
    "string_too_short": "not_empty",
    "union_tag_invalid": "form",
    "union_tag_not_found": "form",
    "number_type": "number_type",
    "text_type": "text_type",
    "date_format": "date_format",
    "sdg_format": "sdg_format",
    "timezone": "timezone",
    "datetime_format": "datetime_format",
    "budget_year": "budget_year",
}
#: our PydanticCustomErrors with parameters: their ctx is the problem's parameters
_OWN = ("language", "int_range", "number_above", "number_at_least", "number_at_most")


def _convert(error: ErrorDetails, data: object) -> _Error:
    """One pydantic error as (location, code, parameters)."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = _clean_loc(error["loc"], key_error=kind == "invalid_key")
    name = loc[-1] if loc else None
    option_method = _option_method(loc, data)
    params: dict[str, Any] = {}

    if kind == "model_type" and not loc:
        code = "workshop_type"
    elif kind == "missing" and option_method:
        code, params = "required_for_method", {"method": OPTIONS[str(name)]}
    elif kind == "extra_forbidden" and option_method:
        code, params = "not_allowed_for_method", {"method": option_method}
    elif kind in ("extra_forbidden", "invalid_key"):
        code, params = "unknown_field", {"name": shown(name)}
    elif kind == "literal_error":
        choices = re.findall(r"'([^']*)'", str(ctx.get("expected", "")))
        code, params = "one_of", {"choices": ", ".join(choices)}
    elif kind == "string_too_long":
        code, params = "text_too_long", {"max": ctx["max_length"]}
    elif kind == "too_short" and ctx.get("field_type") == "Dictionary":
        code = "not_empty"
    elif kind == "too_short":
        code, params = "too_few", {"num": ctx["min_length"]}
    elif kind == "too_long":
        code, params = "too_many", {"num": ctx["max_length"]}
    elif kind in _BOUNDS:
        code, bound = _BOUNDS[kind]
        params = {"bound": ctx.get(bound)}
    elif kind == "string_pattern_mismatch":
        code, params = "key_pattern", {"pattern": KEY_PATTERN}
    elif kind in _CODES:
        code = _CODES[kind]
    elif kind in _OWN:
        code, params = kind, dict(ctx)
    else:  # not foreseen: named by pydantic's type, said by a generic text
        code, params = "invalid_value", {"kind": kind}

    if isinstance(value, bool) and kind in ("string_type", "text_type"):
        params["hint"] = "yaml_words"
    elif isinstance(value, str) and kind in ("int_type", "number_type"):
        params["hint"] = "unquote"
    return loc, code, tuple(sorted(params.items()))


def _clean_loc(loc: Sequence[str | int], *, key_error: bool = False) -> Loc:
    """Drop pydantic's union tags and dict-key markers from a location.

    A mapping key that is a number stays a name (``title.5``, not ``title[5]``).
    """
    parts = list(loc)
    if parts and (key_error or parts[-1] == "[key]"):
        parts = parts[:-1] if parts[-1] == "[key]" else parts
        parts[-1] = str(parts[-1])
    return tuple(part for part in parts if part not in TAGS)


def _option_method(loc: Loc, data: object) -> str | None:
    """The stage's method when ``loc`` is a method option of a stage (``stages[1].dots``)."""
    if len(loc) != 3 or loc[0] != "stages" or not isinstance(loc[1], int) or loc[2] not in OPTIONS:
        return None
    stages = data.get("stages") if isinstance(data, dict) else None
    stage = stages[loc[1]] if isinstance(stages, list) and loc[1] < len(stages) else None
    method = stage.get("method") if isinstance(stage, dict) else None
    return method if isinstance(method, str) and method in METHODS else None


class _KeyedPairs(dict):  # type: ignore[type-arg]
    """A JSON object as decoded, remembering the keys it held more than once."""

    repeated: list[str]


def _keep_repeats(pairs: list[tuple[str, Any]]) -> _KeyedPairs:
    found = _KeyedPairs()
    found.repeated = []
    for key, value in pairs:
        if key in found:
            found.repeated.append(key)
        found[key] = value
    return found


def _json_repeats(value: object, path: Loc, errors: list[Problem]) -> None:
    if isinstance(value, dict):
        for key in getattr(value, "repeated", ()):
            errors.append(Problem("duplicate_key", {"key": shown(key)}, _format_loc(path)))
        for key, inner in value.items():
            _json_repeats(inner, (*path, key), errors)
    elif isinstance(value, list):
        for index, inner in enumerate(value):
            _json_repeats(inner, (*path, index), errors)


def load_json_text(raw: str | bytes) -> object:
    """JSON as Python values; a key given twice in one object is an error with its place
    (plain ``json.loads`` keeps the last one silently). Raises ValueError for malformed
    JSON and DefinitionError for repeated keys."""
    data = json.loads(raw, object_pairs_hook=_keep_repeats)
    errors: list[Problem] = []
    _json_repeats(data, (), errors)
    if errors:
        raise DefinitionError(errors[: LIMITS["errors_reported"]])
    return data


def _format_loc(loc: Loc) -> str:
    text = ""
    for part in loc:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else str(part))
    return text


def _report(errors: list[_Error], data: object, unread: int = 0) -> list[Problem]:
    """Errors without repeats, in document order, capped, as problems.

    Linear in the number of errors: each mapping's keys are indexed once
    (:class:`_Positions`), and only the first ``errors_reported`` are picked in
    order (a heap of that size), not the whole list sorted.
    """
    unique = list(dict.fromkeys(errors))
    limit = LIMITS["errors_reported"]
    positions = _Positions(data)
    first = heapq.nsmallest(limit, unique, key=lambda error: positions.of(error[0]))
    report = [Problem(code, dict(params), _format_loc(loc)) for loc, code, params in first]
    if len(unique) + unread > limit:
        report.append(Problem("more_errors", {"count": len(unique) + unread - limit}))
    return report


_ABSENT = object()


class _Positions:
    """Where a location is in the document, each mapping's keys indexed once."""

    def __init__(self, data: object) -> None:
        self.data = data
        #: per mapping: each key's position, and the keys that are not strings by their names
        self._indexes: dict[int, tuple[dict[object, int], dict[str, object]]] = {}
        #: How many mappings were indexed (a test checks it stays one per mapping).
        self.indexed = 0

    def _index(self, node: Mapping[Any, Any]) -> tuple[dict[object, int], dict[str, object]]:
        found = self._indexes.get(id(node))
        if found is None:
            # plain ints, no tuples: 16,000 unknown fields index in about a millisecond
            positions: dict[object, int] = dict(zip(node, range(len(node)), strict=True))
            # a number key shows as its name in a location
            names = {str(key): key for key in node if not isinstance(key, str)}
            found = self._indexes[id(node)] = (positions, names)
            self.indexed += 1
        return found

    def of(self, loc: Loc) -> tuple[int, ...]:
        """The position of ``loc``: a missing field sorts after its mapping's fields."""
        position: list[int] = []
        node: object = self.data
        for part in loc:
            if isinstance(node, Mapping):
                positions, names = self._index(node)
                key = part if part in positions else names.get(str(part), _ABSENT)
                if key is _ABSENT:
                    index, node = len(node), None
                else:
                    index, node = positions[key], node[key]
            elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
                index, node = part, node[part]
            else:
                index, node = 0, None
            position.append(index)
        return tuple(position)


# ---------------------------------------------------------------------------
# YAML
# ---------------------------------------------------------------------------


class _Loader(yaml.SafeLoader):
    """Safe YAML loading; an impossible date such as 2026-13-45 stays a string."""

    def construct_date_or_text(self, node: yaml.ScalarNode) -> object:
        try:
            return self.construct_yaml_timestamp(node)
        except ValueError:
            return self.construct_scalar(node)


_Loader.add_constructor("tag:yaml.org,2002:timestamp", _Loader.construct_date_or_text)

#: Most values a file may expand to through YAML aliases (a "billion laughs" guard).
_MAX_NODES = 1_000_000


class _YamlProblem(Exception):
    def __init__(self, mark: yaml.Mark | None, code: str) -> None:
        super().__init__(code)
        self.mark, self.code = mark, code


def _load_yaml(text: str | bytes) -> object:
    size = len(text.encode("utf-8") if isinstance(text, str) else text)
    if size > LIMITS["file_bytes"]:
        raise DefinitionError([Problem("file_too_large")])
    if isinstance(text, bytes):
        try:
            text = text.decode("utf-8-sig")
        except UnicodeDecodeError:
            raise DefinitionError([Problem("not_utf8")]) from None

    try:
        loader = _Loader(text)  # refuses a character no text file holds (a control character)
    except yaml.reader.ReaderError as exc:
        raise DefinitionError([_reader_problem(exc, text)]) from None
    try:
        root = loader.get_single_node()
        if root is None:
            return None
        duplicates: list[Problem] = []
        _scan_nodes(root, (), duplicates, {}, set())
        if duplicates:
            raise DefinitionError(duplicates)
        return loader.construct_document(root)
    except DefinitionError:
        raise
    except yaml.MarkedYAMLError as exc:
        params: dict[str, Any] = {}
        if isinstance(exc, yaml.composer.ComposerError) and "single document" in str(exc.context):
            code = "yaml_second_document"
        elif isinstance(exc, yaml.composer.ComposerError) and "duplicate anchor" in str(exc.context):
            anchor = re.search(r"anchor (.+); first", str(exc.context))
            code, params = "yaml_duplicate_anchor", {"name": _unquoted(anchor[1] if anchor else "")}
        else:
            code, params = _yaml_code(exc.problem or "")
        raise DefinitionError([_yaml_error(exc.problem_mark, code, params)]) from None
    except _YamlProblem as exc:
        raise DefinitionError([_yaml_error(exc.mark, exc.code, {})]) from None
    except yaml.reader.ReaderError as exc:
        raise DefinitionError([_reader_problem(exc, text)]) from None
    except yaml.YAMLError:
        raise DefinitionError([Problem("yaml_invalid")]) from None
    except RecursionError:
        raise DefinitionError([Problem("too_deep")]) from None
    except ValueError as exc:  # int() refuses numbers of more than 4300 digits
        found = Problem("too_many_digits") if "digits" in str(exc) else Problem("unreadable_value")
        raise DefinitionError([found]) from None
    finally:
        loader.dispose()


#: What PyYAML says (its own English, the one text we cannot get as a code) -> our code, said in
#: plain words in the reader's language; PyYAML's words never reach a page, only what the file holds
#: (a character, an alias name, a tag) goes into the parameters.
_YAML_PROBLEMS: tuple[tuple[re.Pattern[str], str], ...] = (
    (re.compile(r"found character '\\t' .*|found a tab character.*"), "yaml_tab"),
    (re.compile(r"mapping values are not allowed here|found unexpected ':'"), "yaml_colon"),
    (re.compile(r"expected <block end>, but found .*"), "yaml_indent"),
    (re.compile(r"expected ',' or '\]', but got .*"), "yaml_unclosed_list"),
    (re.compile(r"expected ',' or '}', but got .*"), "yaml_unclosed_map"),
    (re.compile(r"found character (?P<char>.+) that cannot start any token"), "yaml_bad_character"),
    (re.compile(r"could not find expected ':'"), "yaml_missing_colon"),
    (re.compile(r"found unexpected end of stream"), "yaml_early_end"),
    (re.compile(r"found undefined alias (?P<name>.+)"), "yaml_undefined_alias"),
    (re.compile(r"expected (chomping or )?indentation indicator.*"), "yaml_block_indicator"),
    (re.compile(r"expected alphabetic or numeric character, but found .*"), "yaml_anchor_name"),
    (re.compile(r"expected a comment or a line break, but found .*"), "yaml_line_end"),
    (re.compile(r"expected '<document start>', but found .*|found unexpected document separator"),
     "yaml_second_document"),
    (re.compile(r"found unknown escape character .*|expected escape sequence .*"), "yaml_escape"),
    (re.compile(r"could not determine a constructor for the tag (?P<tag>.+)"), "yaml_tag"),
    (re.compile(r"found undefined tag handle .*|found non-specific tag .*|expected '!', .*|"
                r"expected URI.*|expected non-empty name appended to the tag|expected ' ', .*"),
     "yaml_tag_syntax"),
    (re.compile(r"found incompatible YAML document.*|found duplicate YAML directive"), "yaml_version"),
)
#: YAML's own tags as a file spells them (``!!python/object``, not ``tag:yaml.org,2002:python/object``)
_YAML_TAG_PREFIX = "tag:yaml.org,2002:"


def _reader_problem(exc: yaml.reader.ReaderError, text: str) -> Problem:
    """A character no text file holds, by its line and its code point (U+0007)."""
    line = text.count("\n", 0, exc.position) + 1
    found = exc.character if isinstance(exc.character, int) else 0
    return Problem("yaml_control_character", {"code": f"U+{found:04X}"}, f"line {line}")


def _unquoted(text: str) -> str:
    """PyYAML quotes what it found (``'nope'``); the file's own text, shortened for a message."""
    text = text.strip()
    if len(text) >= 2 and text[0] == text[-1] and text[0] in "'\"":
        text = text[1:-1]
    return shown(text)


def _yaml_code(problem: str) -> tuple[str, dict[str, Any]]:
    """A YAML syntax problem as a code and parameters; an unforeseen one gets the general code."""
    for pattern, code in _YAML_PROBLEMS:
        found = pattern.fullmatch(problem)
        if found:
            groups = found.groupdict()
            if code == "yaml_tag" and groups["tag"].strip("'\"").startswith(_YAML_TAG_PREFIX):
                groups["tag"] = "!!" + groups["tag"].strip("'\"")[len(_YAML_TAG_PREFIX) :]
            params = {name: _unquoted(value) for name, value in groups.items()}
            if code == "yaml_bad_character":
                params["char"] = f"“{params['char']}”"
            return code, params
    return "yaml_syntax", {}


def _yaml_error(mark: yaml.Mark | None, code: str, params: dict[str, Any]) -> Problem:
    if mark is None:
        return Problem(code, params)
    return Problem(code, {**params, "column": mark.column + 1}, f"line {mark.line + 1}")


def _scan_nodes(
    node: yaml.Node,
    path: Loc,
    duplicates: list[Problem],
    sizes: dict[int, int],
    open_nodes: set[int],
) -> int:
    """Find duplicate mapping keys; refuse alias loops and alias bombs.

    Returns how many values ``node`` expands to. Each node is scanned once,
    however many aliases point at it.
    """
    if id(node) in sizes:
        return sizes[id(node)]
    if id(node) in open_nodes:
        raise _YamlProblem(node.start_mark, "yaml_alias_loop")
    open_nodes.add(id(node))
    size = 1
    if isinstance(node, yaml.MappingNode):
        seen: set[str] = set()
        for key_node, value_node in node.value:
            key = key_node.value if isinstance(key_node, yaml.ScalarNode) else None
            if key is not None and key in seen:
                line = key_node.start_mark.line + 1
                duplicates.append(
                    Problem("duplicate_key_line", {"key": shown(key), "line": line}, _format_loc(path))
                    if path
                    else Problem("duplicate_key", {"key": shown(key)}, f"line {line}")
                )
            if key is not None:
                seen.add(key)
            size += _scan_nodes(key_node, path, duplicates, sizes, open_nodes)
            size += _scan_nodes(value_node, (*path, key or "?"), duplicates, sizes, open_nodes)
    elif isinstance(node, yaml.SequenceNode):
        for index, child in enumerate(node.value):
            size += _scan_nodes(child, (*path, index), duplicates, sizes, open_nodes)
    open_nodes.discard(id(node))
    if size > _MAX_NODES:
        raise _YamlProblem(node.start_mark, "yaml_alias_bomb")
    sizes[id(node)] = size
    return size
