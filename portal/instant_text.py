"""Instants written as ``flask_babel.format_datetime`` writes them (the ``|long_date`` filter of an instant), prepared
once per language: a list of 50 claims writes 50 of them.

Babel finds the language's patterns and walks them on every call (about 20 µs). Here the date is written by
``portal.formats.day_text`` (remembered per day) and the time of day by a writer learnt from the language's
pattern (``HH:mm:ss``, ``h:mm:ss a``...) and checked against Babel on sample times before it is used; a pattern it
does not know is left to Babel. The results are Babel's, character for character (``tests/portal/test_filters.py``).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import datetime, time, tzinfo
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel import Locale
from babel.dates import format_time, get_datetime_format, get_time_format

from portal.formats import day_text

_TOKENS = re.compile(r"HH|H|hh|h|mm|ss|a|'[^']*'|[^Hhmsa']+")
_CHECKED = tuple(time(h, m, s) for h, m, s in ((0, 0, 0), (0, 59, 59), (1, 2, 3), (9, 30, 0), (11, 59, 59),
                                                  (12, 0, 0), (12, 30, 45), (13, 4, 5), (19, 45, 9), (23, 59, 59)))


@lru_cache(maxsize=64)
def time_writer(locale: Locale | str, form: str) -> Callable[[time], str]:
    """How ``locale`` writes a time of day in ``form``, learnt from its pattern and checked against Babel."""

    def by_babel(value: time) -> str:
        return format_time(value, form, locale=locale)

    parsed = Locale.parse(locale)
    parts: list[Callable[[time], str]] = []
    for token in _TOKENS.findall(get_time_format(form, locale=parsed).pattern):
        parts.append(_part(token, parsed))
    if any(part is None for part in parts):
        return by_babel

    def learnt(value: time) -> str:
        return "".join(part(value) for part in parts)

    return learnt if all(learnt(sample) == by_babel(sample) for sample in _CHECKED) else by_babel


def _part(token: str, locale: Locale) -> Any:
    if token == "HH":
        return lambda t: f"{t.hour:02d}"
    if token == "H":
        return lambda t: str(t.hour)
    if token in ("hh", "h"):
        return (lambda t: f"{(t.hour % 12) or 12:02d}") if token == "hh" else (lambda t: str((t.hour % 12) or 12))
    if token == "mm":
        return lambda t: f"{t.minute:02d}"
    if token == "ss":
        return lambda t: f"{t.second:02d}"
    if token == "a":
        periods = locale.day_periods.get("format", {}).get("abbreviated", {})
        am, pm = periods.get("am"), periods.get("pm")
        return None if am is None or pm is None else (lambda t: am if t.hour < 12 else pm)
    if token.startswith("'"):
        text = token[1:-1] or "'"
        return lambda t: text
    return lambda t: token


def instant_writer(locale: Locale | str, zone: tzinfo | str, form: str = "medium") -> Callable[[datetime], str]:
    """``write(instant)`` as ``flask_babel.format_datetime(instant, form)`` in ``locale`` for a reader in ``zone``
    (flask-babel's own ``get_timezone()``, so that the local time is the one it finds, or a zone's name)."""
    tz = ZoneInfo(zone) if isinstance(zone, str) else zone
    pattern = get_datetime_format(form, locale=locale).replace("'", "")
    write_time = time_writer(locale, form)

    def write(value: datetime) -> str:
        local = value.astimezone(tz)
        return (pattern.replace("{0}", write_time(local.time().replace(microsecond=0)))
                .replace("{1}", day_text(locale, local.date(), form)))

    return write
