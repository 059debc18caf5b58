"""Was every acknowledged ballot counted once, and only those?

The generator's records say what the server acknowledged. They are compared with:

1. the database, read directly (SQLite file or PostgreSQL URL): tables ``ballots``
   (stage_id, participant_id, choices, version) joined with ``participants``
   (token_hash = sha256 of the phone's token) and ``stages``; and ``ballot_receipts``
   (for the reference server: its ``/ballots`` dump, same shape);
2. the results API (``GET /api/v1/workshops/{id}/results``): each stage's ``ballots``
   and each item's ``value``, recomputed here from the acknowledged ballots;
3. the projector: its last ``results`` event of each stage.

Definitions (per participant and stage, "last acknowledged" = highest acknowledged version):

- lost: acknowledged, but the database has no ballot or an older version;
- double-counted: more than one current ballot row, a version higher than any
  acknowledged (a ballot applied more often than acknowledged, e.g. a retry counted
  again), a ballot_id stored twice, or a retry/duplicate acknowledged with another version;
- mismatched: same version but other choices;
- unacknowledged stored: a ballot in the database that no acknowledgement explains
  (only possible after a client timeout; reported, not counted as lost).
"""

from __future__ import annotations

import hashlib
import json
import math
import sqlite3
from collections import Counter
from typing import Any

#: a record of phones.Generator: (phone, stage, ballot_id, kind, t_sched, t_send, t_ack, ok, version, code)
Record = tuple[Any, ...]


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def _choices(value: Any) -> Any:
    return json.loads(value) if isinstance(value, str | bytes) else value


def normalize(choices: Any) -> str:
    """Order-free form for comparing choices (approval lists are sets)."""
    if isinstance(choices, dict) and isinstance(choices.get("items"), list):
        choices = {**choices, "items": sorted(choices["items"])}
    return json.dumps(choices, sort_keys=True, separators=(",", ":"))


def db_ballots(database_url: str, workshop_id: int, receipts: bool = True) -> dict[str, Any]:
    """Current ballots and receipts of a workshop, read from the database itself (without
    the receipts: ``receipts`` None, for a soak, whose receipts :func:`compact_receipts` reads)."""
    ballots_sql = (
        "SELECT s.key, p.token_hash, b.choices, b.version, b.source FROM ballots b "
        "JOIN stages s ON s.id = b.stage_id LEFT JOIN participants p ON p.id = b.participant_id "
        "WHERE s.workshop_id = {ph}")
    receipts_sql = (
        "SELECT s.key, p.token_hash, r.ballot_id, r.version FROM ballot_receipts r "
        "JOIN stages s ON s.id = r.stage_id JOIN participants p ON p.id = r.participant_id "
        "WHERE s.workshop_id = {ph}")
    participants_sql = "SELECT COUNT(*) FROM participants WHERE workshop_id = {ph}"
    if database_url.startswith("sqlite"):
        path = database_url.split("///", 1)[1]
        conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, timeout=30)
        try:
            rows = conn.execute(ballots_sql.format(ph="?"), (workshop_id,)).fetchall()
            found = conn.execute(receipts_sql.format(ph="?"), (workshop_id,)).fetchall() if receipts else None
            joined = conn.execute(participants_sql.format(ph="?"), (workshop_id,)).fetchone()[0]
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(database_url) as conn:
            rows = conn.execute(ballots_sql.format(ph="%s"), (workshop_id,)).fetchall()
            found = (conn.execute(receipts_sql.format(ph="%s"), (workshop_id,)).fetchall() if receipts
                     else None)
            joined = conn.execute(participants_sql.format(ph="%s"), (workshop_id,)).fetchone()[0]
    return {
        "ballots": [(k, h, _choices(c), int(v), src) for k, h, c, v, src in rows],
        "receipts": None if found is None else [(k, h, b, int(v)) for k, h, b, v in found],
        "participants": int(joined),
    }


def compact_receipts(database_url: str, workshop_id: int, prefixes: list[int],
                     acked: list[list[bytes]]) -> dict[str, int]:
    """A soak's receipts against its acknowledged ballots, one row at a time.

    ``prefixes[i]`` is the ballot id prefix of the i-th compact phase, ``acked[i][w]`` the
    bitmap of generator w's acknowledged sequence numbers in it (bench/load/ballots.py).
    Returns receipts stored twice, acknowledged ballots without a receipt, and receipts of
    ballots no acknowledgement explains (possible only after a client timeout).
    """
    from .ballots import bits, parse_compact_id, set_bit

    stored = [[bytearray(len(b)) for b in phase] for phase in acked]
    duplicates = unexplained = 0
    sql = ("SELECT r.ballot_id FROM ballot_receipts r JOIN stages s ON s.id = r.stage_id "
           "WHERE s.workshop_id = {ph}")

    def one(ballot_id: str) -> None:
        nonlocal duplicates, unexplained
        for i, prefix in enumerate(prefixes):
            found = parse_compact_id(ballot_id, prefix)
            if found is None:
                continue
            worker, seq = found
            if worker >= len(stored[i]) or seq >= 8 * len(stored[i][worker]):
                break
            if set_bit(stored[i][worker], seq):
                duplicates += 1
            elif not acked[i][worker][seq // 8] >> (seq % 8) & 1:
                unexplained += 1
            return
        unexplained += 1

    if database_url.startswith("sqlite"):
        conn = sqlite3.connect(f"file:{database_url.split('///', 1)[1]}?mode=ro", uri=True, timeout=30)
        try:
            for (ballot_id,) in conn.execute(sql.format(ph="?"), (workshop_id,)):
                one(ballot_id)
        finally:
            conn.close()
    else:
        import psycopg

        with psycopg.connect(database_url) as conn, conn.cursor(name="soak_receipts") as cur:
            cur.execute(sql.format(ph="%s"), (workshop_id,))
            for (ballot_id,) in cur:
                one(ballot_id)
    missing = 0
    for phase_acked, phase_stored in zip(acked, stored):
        for a, st in zip(phase_acked, phase_stored):
            missing += bits(bytes(x & ~y & 0xFF for x, y in zip(a, st)))
    return {"receipt_duplicates": duplicates, "acked_without_receipt": missing,
            "unexplained_receipts": unexplained}


def merge_compact(result: dict[str, Any], receipts: dict[str, int], checks: dict[str, int]) -> None:
    """Add a soak's receipt and version checks to the audit's result (in place)."""
    result["receipt_duplicates"] = receipts["receipt_duplicates"]
    result["acked_ballot_ids_without_receipt"] = receipts["acked_without_receipt"]
    result["unexplained_receipts"] = receipts["unexplained_receipts"]
    result["double_counted"] += receipts["receipt_duplicates"]
    result["retry_version_mismatch"] += checks["retry"]
    result["duplicate_version_mismatch"] += checks["duplicate"]
    result["client_timeouts"] += checks["timeouts"]
    result["ok"] = bool(result["ok"] and not receipts["receipt_duplicates"]
                        and not receipts["acked_without_receipt"] and not checks["retry"]
                        and not checks["duplicate"])


def reference_ballots(dump: list[dict[str, Any]]) -> dict[str, Any]:
    return {"ballots": [(r["stage"], r["token_hash"], r["choices"], int(r["version"]), "phone")
                        for r in dump], "receipts": None, "participants": None}


# -- tallies, recomputed from acknowledged ballots (contract, methods table) -------------
def expected_values(stage: dict[str, Any], ballots: list[Any]) -> dict[str, float | None]:
    keys = [item["key"] for item in stage.get("items") or []]
    if stage["method"] == "approval":
        values: dict[str, float | None] = dict.fromkeys(keys, 0)
        for b in ballots:
            for k in b["items"]:
                values[k] = (values[k] or 0) + 1
        return values
    if stage["method"] == "score":
        weights = {c["key"]: c.get("weight", 1) for c in stage["criteria"]}
        low, high = stage.get("scale", {"min": 1, "max": 5}).values()
        given: dict[str, dict[str, list[int]]] = {k: {} for k in keys}
        for b in ballots:
            for item, scores in b["scores"].items():
                for c, v in scores.items():
                    given[item].setdefault(c, []).append(v)
        out: dict[str, float | None] = {}
        for item, by_c in given.items():
            means = {c: sum(by_c[c]) / len(by_c[c]) for c in weights if c in by_c}
            if not means:
                out[item] = None
                continue
            total = sum(weights[c] for c in means)
            value = (sum(weights[c] * m for c, m in means.items()) / total if total
                     else sum(means.values()) / len(means))
            out[item] = min(max(value, low), high)
        return out
    raise ValueError(f"the audit knows approval and score, not {stage['method']}")


def _close(a: Any, b: Any) -> bool:
    if a is None or b is None:
        return a is b
    return math.isclose(float(a), float(b), rel_tol=1e-9, abs_tol=1e-9)


def compare_entry(entry: dict[str, Any], expected_count: int, expected: dict[str, Any]) -> list[str]:
    problems = []
    if entry.get("ballots") != expected_count:
        problems.append(f"{entry.get('key')}: ballots {entry.get('ballots')} != "
                        f"{expected_count} acknowledged")
    if entry.get("paper_ballots", 0) != 0:
        problems.append(f"{entry.get('key')}: paper_ballots {entry.get('paper_ballots')} != 0")
    got = {item["key"]: item.get("value") for item in entry.get("items", [])}
    for key, value in expected.items():
        if not _close(got.get(key), value):
            problems.append(f"{entry.get('key')}.{key}: value {got.get(key)} != {value}")
    return problems


# -- the audit ---------------------------------------------------------------------------
def acknowledged(
        records: list[Record]) -> tuple[dict[tuple[int, str], tuple[int, str]], dict[str, Any], int]:
    """What the server acknowledged: the current ballot of each (phone, stage), and checks.

    A ballot (one ballot_id) may be acknowledged several times (a retry, a duplicate):
    its version is that of its first acknowledgement, and every other acknowledgement of
    it must give the same version. The current ballot of a (phone, stage) is its
    acknowledged ballot of highest version. Returns (current, {"retry": n, "duplicate": n,
    "versions": {ballot_id: version}}, client timeouts).
    """
    versions: dict[str, int] = {}
    where: dict[str, tuple[int, str]] = {}
    mismatch = {"retry": 0, "duplicate": 0}
    timeouts = 0
    for phone, stage, bid, kind, _ts, _tsend, _t_ack, ok, version, code in sorted(
            records, key=lambda r: (r[3] != "normal", r[6] or 0.0)):
        if not ok:
            if code and code.startswith("client:"):
                timeouts += 1
            continue
        if bid not in versions:
            versions[bid] = version
            where[bid] = (phone, stage)
        elif versions[bid] != version:
            mismatch["retry" if kind == "retry" else "duplicate"] += 1
    current: dict[tuple[int, str], tuple[int, str]] = {}
    for bid, version in versions.items():
        key = where[bid]
        if key not in current or version > current[key][0]:
            current[key] = (version, bid)
    return current, {**mismatch, "versions": versions}, timeouts


def audit(records: list[Record], tokens: dict[int, str], definition: dict[str, Any],
          plan_choices: dict[str, Any], stored: dict[str, Any], api_results: dict[str, Any] | None,
          projector_last: dict[str, dict[str, Any]], joined: int) -> dict[str, Any]:
    stages = {s["key"]: s for s in definition["stages"]}
    hash_of = {i: token_hash(t) for i, t in tokens.items()}

    current, mismatches, timeouts = acknowledged(records)
    retry_mismatch, duplicate_mismatch = mismatches["retry"], mismatches["duplicate"]
    first_version = dict(mismatches["versions"])
    acked: dict[tuple[str, str], tuple[int, str, Any]] = {
        (hash_of[phone], stage): (version, bid, None) for (phone, stage), (version, bid) in current.items()}
    # what each ballot said comes from the plan the harness made, by ballot_id
    for key, (version, ballot_id, _c) in list(acked.items()):
        acked[key] = (version, ballot_id, plan_choices.get(ballot_id))

    rows: dict[tuple[str, str], list[tuple[Any, int]]] = {}
    paper = 0
    for stage, h, choices, version, source in stored["ballots"]:
        if source != "phone" or h is None:
            paper += 1
            continue
        rows.setdefault((h, stage), []).append((choices, version))

    lost = double = mismatched = 0
    examples: list[str] = []
    for key, (version, ballot_id, choices) in acked.items():
        found = rows.get(key)
        if not found:
            lost += 1
            examples.append(f"lost: {key[1]} ballot {ballot_id} v{version}: no row")
            continue
        if len(found) > 1:
            double += len(found) - 1
            examples.append(f"double: {key[1]} ballot {ballot_id}: {len(found)} rows")
        db_choices, db_version = found[0]
        if db_version < version:
            lost += 1
            examples.append(f"lost: {key[1]} ballot {ballot_id}: db v{db_version} < acked v{version}")
        elif db_version > version:
            double += 1
            examples.append(f"double: {key[1]} ballot {ballot_id}: db v{db_version} > acked v{version}")
        elif choices is not None and normalize(db_choices) != normalize(choices):
            mismatched += 1
            examples.append(f"mismatch: {key[1]} ballot {ballot_id}: db {db_choices} != sent {choices}")
    unacked_stored = sum(1 for key in rows if key not in acked)

    receipt_dupes = None
    if stored.get("receipts") is not None:
        counts = Counter((h, b) for _s, h, b, _v in stored["receipts"])
        receipt_dupes = sum(n - 1 for n in counts.values() if n > 1)
        double += receipt_dupes
        acked_ids = set(first_version)
        stored_ids = {b for _s, _h, b, _v in stored["receipts"]}
        missing_receipts = len(acked_ids - stored_ids)
    else:
        missing_receipts = None

    # results API and projector against a tally recomputed from the acknowledged ballots
    per_stage: dict[str, list[Any]] = {}
    for (_h, stage), (_v, _b, choices) in acked.items():
        per_stage.setdefault(stage, []).append(choices)
    api_problems: list[str] = []
    projector_problems: list[str] = []
    for key, stage in stages.items():
        ballots = per_stage.get(key, [])
        if any(b is None for b in ballots):
            api_problems.append(f"{key}: choices of some acknowledged ballots are unknown")
            continue
        expected = expected_values(stage, ballots)
        if api_results is not None:
            entry = next((e for e in api_results.get("stages", []) if e.get("key") == key), None)
            if entry is None:
                api_problems.append(f"{key}: missing from the results API")
            else:
                api_problems += compare_entry(entry, len(ballots), expected)
        if ballots:
            last = projector_last.get(key)
            if last is None:
                projector_problems.append(f"{key}: the projector got no results event")
            else:
                projector_problems += compare_entry(last, len(ballots), expected)
    if api_results is not None and api_results.get("participants", {}).get("total") != joined:
        api_problems.append(f"participants.total {api_results.get('participants')} != {joined} joined")
    if stored.get("participants") is not None and stored["participants"] != joined:
        api_problems.append(f"database participants {stored['participants']} != {joined} joined")

    return {
        "acknowledged_current": len(acked),
        "db_phone_ballots": sum(len(v) for v in rows.values()),
        "db_paper_ballots": paper,
        "lost": lost,
        "double_counted": double,
        "mismatched": mismatched,
        "unacknowledged_stored": unacked_stored,
        "client_timeouts": timeouts,
        "retry_version_mismatch": retry_mismatch,
        "duplicate_version_mismatch": duplicate_mismatch,
        "receipt_duplicates": receipt_dupes,
        "acked_ballot_ids_without_receipt": missing_receipts,
        "results_api_problems": api_problems[:20],
        "projector_problems": projector_problems[:20],
        "examples": examples[:20],
        "ok": (lost == 0 and double == 0 and mismatched == 0 and retry_mismatch == 0
               and duplicate_mismatch == 0 and not api_problems and not projector_problems
               and not missing_receipts),
    }
