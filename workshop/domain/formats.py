"""Dates and amounts as Thai and English readers write them (pages and exports alike)."""

from __future__ import annotations

from datetime import date, datetime

#: the venue's time zone when the workshop file names none (its optional ``timezone``)
DEFAULT_TIMEZONE = "Asia/Bangkok"
THAI_MONTHS = ("มกราคม", "กุมภาพันธ์", "มีนาคม", "เมษายน", "พฤษภาคม", "มิถุนายน", "กรกฎาคม",
               "สิงหาคม", "กันยายน", "ตุลาคม", "พฤศจิกายน", "ธันวาคม")
EN_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
             "September", "October", "November", "December")


def long_date(value: date | datetime | str | None, lang: str) -> str:
    """5 ธันวาคม 2569 (Buddhist era) in Thai; 5 December 2026 in English."""
    if value is None or value == "":
        return ""
    if isinstance(value, str):
        value = date.fromisoformat(value[:10])
    if lang == "th":
        return f"{value.day} {THAI_MONTHS[value.month - 1]} {value.year + 543}"
    return f"{value.day} {EN_MONTHS[value.month - 1]} {value.year}"


def baht(value: float | int | None, lang: str) -> str:
    """1,500 บาท in Thai; 1,500 baht in English (two decimals only when there are any)."""
    if value is None:
        return ""
    amount = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.2f}"
    return f"{amount} บาท" if lang == "th" else f"{amount} baht"
