"""What the phones vote, shared by the harness (plans made in advance) and the generator
processes (a soak's ballots, made as they are sent).

A soak runs for half an hour at 300 ballots a second: 540,000 ballots whose plan and
records would grow the generator and the harness by hundreds of MB. So its ballot ids
are not random: :func:`compact_id` packs (phase prefix, generator, sequence number) into
a version-4 UUID, the generator keeps one bit per acknowledged ballot, and the audit
reads the server's receipts back into the same bitmap (:func:`parse_compact_id`).
"""

from __future__ import annotations

import random
import uuid
from typing import Any


def random_choices(stage: dict[str, Any], rng: random.Random) -> dict[str, Any]:
    keys = [item["key"] for item in stage["items"]]
    if stage["method"] == "approval":
        k = rng.randint(1, stage.get("max_choices") or len(keys))
        chosen = set(rng.sample(keys, k))
        return {"items": [key for key in keys if key in chosen]}
    if stage["method"] == "score":
        low, high = stage["scale"]["min"], stage["scale"]["max"]
        criteria = [c["key"] for c in stage["criteria"]]
        scores: dict[str, dict[str, int]] = {}
        for key in keys:
            if rng.random() < 0.75:
                given = {c: rng.randint(low, high) for c in criteria if rng.random() < 0.9}
                if given:
                    scores[key] = given
        if not scores:
            scores[keys[0]] = {criteria[0]: rng.randint(low, high)}
        return {"scores": scores}
    raise ValueError(f"bench phones vote approval and score, not {stage['method']}")


def _high(prefix: int) -> int:
    """The upper 64 bits of a compact id with this prefix (the version nibble set)."""
    return uuid.UUID(int=(prefix & (2**64 - 1)) << 64, version=4).int >> 64


def compact_id(prefix: int, worker: int, seq: int) -> str:
    """A version-4 UUID holding a 64-bit phase prefix, the generator (16 bits) and a
    sequence number (32 bits); bits 48-63 stay clear of the variant bits."""
    if not (0 <= worker < 2**16 and 0 <= seq < 2**32):
        raise ValueError("worker < 65536, seq < 2**32")
    return str(uuid.UUID(int=((prefix & (2**64 - 1)) << 64) | (worker << 32) | seq, version=4))


def parse_compact_id(ballot_id: str, prefix: int) -> tuple[int, int] | None:
    """(worker, seq) of a compact id of this prefix; None for any other string."""
    try:
        n = uuid.UUID(ballot_id).int
    except (ValueError, AttributeError, TypeError):
        return None
    if n >> 64 != _high(prefix) or (n >> 48) & 0x3FFF:
        return None
    return (n >> 32) & 0xFFFF, n & 0xFFFFFFFF


def set_bit(bitmap: bytearray, n: int) -> bool:
    """Set bit n; whether it was set already."""
    byte, bit = divmod(n, 8)
    was = bool(bitmap[byte] >> bit & 1)
    bitmap[byte] |= 1 << bit
    return was


def bits(bitmap: bytes | bytearray) -> int:
    return sum(int(b).bit_count() for b in bitmap)
