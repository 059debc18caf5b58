"""Numbers and dates as people type them into a form (pure).

A Thai facilitator may type Thai digits (``๒๕๖๙``), thousands commas
(``2,500,000``) and a Buddhist-era year (``5/12/2569``); these turn them into
the plain values of a workshop file, or say what is wrong with a code.
"""

from __future__ import annotations

import re
from datetime import date

#: Buddhist era = Common era + 543; a year from this one on is taken as Buddhist era.
BE_OFFSET = 543
BE_FROM = 2400

_THAI_DIGITS = str.maketrans("๐๑๒๓๔๕๖๗๘๙", "0123456789")
_GROUPED = re.compile(r"[+-]?[0-9]{1,3}(?:,[0-9]{3})+(?:\.[0-9]+)?")
_PLAIN = re.compile(r"[+-]?[0-9]+(?:\.[0-9]+)?")


class EntryError(ValueError):
    """What was typed cannot be read; ``code`` says why (``number``, ``whole_number``, ``date``,
    ``year``)."""

    def __init__(self, code: str) -> None:
        super().__init__(code)
        self.code = code


def ascii_digits(text: str) -> str:
    """Thai digits as 0-9; full-width spaces and surrounding spaces gone."""
    return text.translate(_THAI_DIGITS).replace("\u3000", " ").strip()


def parse_number(text: str | None, *, whole: bool = False) -> int | float | None:
    """``"2,500,000"``, ``"๒๕๐๐"``, ``" 1.5 "`` -> a number; ``""`` -> None.

    Commas must group thousands (``1,5`` is refused, it may be a decimal comma).
    ``whole``: only whole numbers (``3.0`` is 3).
    """
    typed = ascii_digits(text or "").replace(" ", "").replace("\u00a0", "")
    typed = typed.removesuffix("บาท").removesuffix("baht")
    if not typed:
        return None
    if not (_GROUPED.fullmatch(typed) or _PLAIN.fullmatch(typed)) or len(typed) > 24:
        raise EntryError("whole_number" if whole else "number")
    value = float(typed.replace(",", ""))
    if value.is_integer():
        return int(value)
    if whole:
        raise EntryError("whole_number")
    return value


def parse_date(text: str | None) -> str | None:
    """A date as ``YYYY-MM-DD`` from ``2026-12-05``, ``2569-12-05``, ``5/12/2569``,
    ``5/12/2026`` or ``5.12.2569`` (day first, as Thai and British forms write it);
    ``""`` -> None. A year from 2400 on is Buddhist era."""
    typed = ascii_digits(text or "")
    if not typed:
        return None
    iso = re.fullmatch(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})", typed)
    day_first = re.fullmatch(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})", typed)
    if iso:
        year, month, day = (int(part) for part in iso.groups())
    elif day_first:
        day, month, year = (int(part) for part in day_first.groups())
    else:
        raise EntryError("date")
    if year >= BE_FROM:
        year -= BE_OFFSET
    try:
        return date(year, month, day).isoformat()
    except ValueError:
        raise EntryError("date") from None


def parse_year(text: str | None) -> str | None:
    """A Buddhist-era year as a plan writes it (``"2570"``) from ``2570``, ``๒๕๗๐`` or the
    common-era ``2027`` (a year from 2400 on is Buddhist era, as in :func:`parse_date`);
    ``""`` -> None. Refused (``year``): anything but a year of the 2500s or 2600s B.E."""
    typed = ascii_digits(text or "").replace(" ", "")
    typed = re.sub(r"^(พ\.ศ\.|B\.?E\.?)", "", typed, flags=re.I)
    if not typed:
        return None
    if not re.fullmatch(r"[0-9]{4}", typed):
        raise EntryError("year")
    year = int(typed)
    if year < BE_FROM:
        year += BE_OFFSET
    if not 2500 <= year <= 2699:
        raise EntryError("year")
    return str(year)


def thai_date(iso: str | None) -> str:
    """``2026-12-05`` -> ``5/12/2569``, how a Thai form shows it back."""
    if not iso:
        return ""
    value = date.fromisoformat(iso)
    return f"{value.day}/{value.month}/{value.year + BE_OFFSET}"
