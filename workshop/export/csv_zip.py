"""The raw data as CSV files in one ZIP: ballots, comments, ideas, participation, results.

Every file is UTF-8 with a byte order mark (Excel then reads Thai right) and
CRLF line ends. Text cells that a spreadsheet would run as a formula (they
begin with = + - @, a tab or a carriage return) get a leading single quote
(OWASP "CSV injection"); numbers are written as numbers and left alone.
"""

from __future__ import annotations

import csv
import io
import time
import zipfile
from collections.abc import Iterable, Iterator, Mapping, Sequence
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from ..domain.formats import DEFAULT_TIMEZONE
from ..domain.text import localize
from .data import ExportData

BOM = "\ufeff"
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")

BALLOT_COLUMNS = [
    "stage",
    "method",
    "ballot_id",
    "source",
    "channel",
    "group",
    "item",
    "item_title",
    "criterion",
    "position",
    "value",
    "version",
    "time",
]


def neutralize(value: object) -> object:
    """A cell as written: text that would start a formula gets a leading quote."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return "" if value is None else value


def csv_bytes(header: Sequence[str], rows: Iterable[Sequence[object]]) -> bytes:
    buffer = io.StringIO()
    buffer.write(BOM)
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow(header)
    for row in rows:
        writer.writerow([neutralize(cell) for cell in row])
    return buffer.getvalue().encode("utf-8", "replace")  # a lone surrogate stored before the check: "?"


#: scores and spreads in results.csv are rounded to this many decimals
SCORE_DECIMALS = 4


def score_cell(value: float | None) -> float | None:
    return None if value is None else round(value, SCORE_DECIMALS)


def local_time(value: str | None, zone: ZoneInfo) -> str | None:
    """An ISO time (UTC) as the venue's local time, ISO with its offset: 2026-12-05T14:05:00+07:00."""
    if not value:
        return value
    return datetime.fromisoformat(value).astimezone(zone).isoformat(timespec="seconds")


def ballot_rows(
    ballot: Mapping[str, Any], titles: Mapping[tuple[str, str], str], n_items: int,
    zone: ZoneInfo | None = None,
) -> Iterator[list[object]]:
    """One row per choice of one ballot (see BALLOT_COLUMNS).

    value: 1 for single and approval; dots; Borda points for rank (with the
    1-based position, N = ``n_items``); the score for score (with its
    criterion); the amount for budget; the word as given for words.
    """
    stage, method, choices = ballot["stage"], ballot["method"], ballot["choices"]
    common = (stage, method, ballot["id"], ballot["source"], ballot.get("channel", ""), ballot["group"])
    when = local_time(ballot["updated_at"], zone) if zone is not None else ballot["updated_at"]
    tail = (ballot["version"], when)

    def row(item: str, criterion: str = "", position: object = "", value: object = "") -> list[object]:
        return [*common, item, titles.get((stage, item), ""), criterion, position, value, *tail]

    if method == "single":
        yield row(choices["item"], value=1)
    elif method == "approval":
        for item in choices["items"]:
            yield row(item, value=1)
    elif method in ("dots", "budget"):
        for item, amount in choices[method].items():
            yield row(item, value=amount)
    elif method == "rank":
        for position, item in enumerate(choices["order"]):
            yield row(item, position=position + 1, value=n_items - position)
    elif method == "score":
        for item, scores in choices["scores"].items():
            for criterion, score in scores.items():
                yield row(item, criterion=criterion, value=score)
    elif method == "words":
        for word in choices["words"]:
            yield row("", value=word)


def build_zip(data: ExportData) -> bytes:
    languages = data.definition.languages
    zone = ZoneInfo(data.definition.timezone or DEFAULT_TIMEZONE)

    def at(value: str | None) -> str | None:
        return local_time(value, zone)

    def tr(text: Any) -> str:
        return localize(text, data.lang, languages)

    titles = {
        (stage.key, item.key): tr(item.title) for stage in data.definition.stages for item in stage.items
    }
    groups = {g.key: tr(g.label) for g in data.definition.groups}
    n_items = {stage.key: len(stage.items) for stage in data.definition.stages}

    ballots = csv_bytes(
        BALLOT_COLUMNS,
        (row for ballot in data.ballots
         for row in ballot_rows(ballot, titles, n_items[ballot["stage"]], zone)),
    )
    comments = csv_bytes(
        ["comment_id", "stage", "item", "item_title", "group", "status", "text", "time"],
        (
            [
                c["id"],
                c["stage"],
                c["item"],
                titles.get((c["stage"], c["item"] or ""), ""),
                c["group"],
                c["status"],
                c["text"],
                at(c["created_at"]),
            ]
            for c in data.comments
        ),
    )
    ideas = csv_bytes(
        ["idea_id", "stage", "group", "status", "title", "description", "item", "time"],
        (
            [
                i["id"],
                i["stage"],
                i["group"],
                i["status"],
                i["title"],
                i["description"],
                i["item"],
                at(i["created_at"]),
            ]
            for i in data.ideas
        ),
    )

    paper: dict[str, int] = {}
    phone: dict[str, int] = {}
    for per_group in data.counts["ballots"].values():
        for group, counted in per_group.items():
            paper[group] = paper.get(group, 0) + counted["paper"]
            phone[group] = phone.get(group, 0) + counted["phone"]
    by_group = data.counts["participants"]["by_group"]
    participation = csv_bytes(
        ["group", "label", "participants", "phone_ballots", "paper_ballots"],
        (
            [key, label, by_group.get(key, 0), phone.get(key, 0), paper.get(key, 0)]
            for key, label in groups.items()
        ),
    )

    group_keys = list(groups)
    results = csv_bytes(
        [
            "stage",
            "method",
            "rank",
            "item",
            "title",
            "value",
            "score",
            "spread",
            "ballots",
            "paper_ballots",
            *(f"score_{g}" for g in group_keys),
        ],
        (
            [
                entry["key"],
                entry["method"],
                item["rank"],
                item["key"],
                tr(item["title"]),
                item["value"],
                score_cell(item["score"]),
                score_cell(item["spread"]),
                entry["ballots"],
                entry["paper_ballots"],
                *(score_cell((item["by_group"].get(g) or {}).get("score")) for g in group_keys),
            ]
            for entry in data.results["stages"]
            for item in entry["items"]
        ),
    )

    batches = csv_bytes(
        ["batch_id", "stage", "group", "ballots", "time", "by", "confirmed_duplicate", "voided",
         "voided_time", "voided_by"],
        (
            [b["id"], b["stage"], b["group"], b["count"], at(b["created_at"]), b["created_by"],
             int(b["confirmed_duplicate"]), int(b["voided"]), at(b["voided_at"]), b["voided_by"]]
            for b in data.paper_batches
        ),
    )
    word_merges = csv_bytes(
        ["merge_id", "stage", "from", "into", "time", "by", "undone", "undone_time", "undone_by"],
        (
            [m["id"], m["stage"], " | ".join(m["from"]), m["into_label"], at(m["created_at"]),
             m["created_by"], int(m["undone"]), at(m["undone_at"]), m["undone_by"]]
            for m in data.word_merges
        ),
    )

    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", compression=zipfile.ZIP_DEFLATED) as archive:
        for name, content in (
            ("ballots.csv", ballots),
            ("comments.csv", comments),
            ("ideas.csv", ideas),
            ("participants_by_group.csv", participation),
            ("results.csv", results),
            ("paper_batches.csv", batches),
            ("word_merges.csv", word_merges),
        ):
            entry = zipfile.ZipInfo(name, date_time=time.localtime()[:6])
            entry.compress_type = zipfile.ZIP_DEFLATED
            archive.writestr(entry, content)
    return out.getvalue()
