"""Money, days and times in the reader's language, each way of writing prepared once per process.

Babel parses a locale's pattern and walks its data on every call (15 µs for an amount, 7 µs for a day); a list
page writes hundreds of them. Here each language's way of writing an amount is learnt once from Babel itself
(and checked against it), and a day or a time of day already written in a language is written again from memory.
The results are Babel's, character for character (``tests/portal/test_formats.py``).

Also the request's catalogue for the templates' ``_()``: flask-babel finds it through several context lookups on
each call; ``reader_gettext`` finds it once per page.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from datetime import date, time
from decimal import Decimal
from functools import lru_cache
from typing import Any

from babel import Locale
from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from babel.numbers import format_currency as babel_format_currency
from flask_babel import get_locale, get_translations
from jinja2 import pass_context
from markupsafe import Markup

# Written by Babel to learn a language's way of writing amounts: each group of digits is told apart.
_SAMPLE = Decimal("1234567.89")
_SAMPLE_SHAPE = re.compile(r"(\D*)1(\D+)234(\D+)567(\D+)89(\D*)")
#: Amounts every learnt way of writing is checked on before it is used.
_CHECKED_CENTS = (0, 1, 9, 10, 99, 100, 101, 999, 1000, 12345, 99999, 100000, 180000, 123456789, 10**12)


@lru_cache(maxsize=64)
def money_writer(locale: Locale | str, currency: str) -> Callable[[int], str]:
    """How ``locale`` writes an amount of ``currency`` given in cents: learnt from Babel and checked on
    ``_CHECKED_CENTS`` (and their negatives); Babel itself for a way of writing this does not cover."""

    def by_babel(cents: int) -> str:
        return babel_format_currency(Decimal(cents) / 100, currency, locale=locale)

    positive = _SAMPLE_SHAPE.fullmatch(babel_format_currency(_SAMPLE, currency, locale=locale))
    negative = _SAMPLE_SHAPE.fullmatch(babel_format_currency(-_SAMPLE, currency, locale=locale))
    if positive is None or negative is None or positive.group(2) != positive.group(3):
        return by_babel
    group, decimal = positive.group(2), positive.group(4)
    signs = {False: (positive.group(1), positive.group(5)), True: (negative.group(1), negative.group(5))}

    def learnt(cents: int) -> str:
        whole, fraction = divmod(abs(cents), 100)
        before, after = signs[cents < 0]
        return f"{before}{f'{whole:,}'.replace(',', group)}{decimal}{fraction:02d}{after}"

    for cents in _CHECKED_CENTS + tuple(-c for c in _CHECKED_CENTS):
        if learnt(cents) != by_babel(cents):
            return by_babel
    return learnt


@lru_cache(maxsize=8192)
def day_text(locale: Locale | str, value: date, form: str) -> str:
    """A calendar day as Babel writes it in ``form`` ("long", "full", "EEEE d MMM"...), remembered."""
    return babel_format_date(value, form, locale=locale)


@lru_cache(maxsize=4096)
def time_text(locale: Locale | str, value: time, form: str = "short") -> str:
    """A time of day (wall clock, no zone) as Babel writes it, remembered."""
    return babel_format_time(value, form, locale=locale)


def _newstyle(translate: Callable[[str], str]) -> Any:
    """``_()`` as Jinja's i18n extension makes it (``newstyle``): translated, marked safe under autoescape
    (the variables are escaped by ``%``), then filled in."""

    @pass_context
    def gettext(context: Any, string: str, **variables: Any) -> str:
        translated = translate(string)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables if variables else translated

    return gettext


def _newstyle_plural(translate: Callable[[str, str, int], str]) -> Any:
    @pass_context
    def ngettext(context: Any, singular: str, plural: str, num: int, **variables: Any) -> str:
        variables.setdefault("num", num)
        translated = translate(singular, plural, num)
        if context.eval_ctx.autoescape:
            translated = Markup(translated)
        return translated % variables

    return ngettext


def reader_gettext() -> dict[str, Any]:
    """A context processor: the page's ``_``, ``gettext`` and ``ngettext`` bound to the catalogue of the language
    it is rendered in (found once, also under ``force_locale``), instead of a search for it on every string; and
    that language (``reader_locale``), for the helpers that write amounts and dates (``i18n.in_page_language``)."""
    translations = get_translations()
    gettext = _newstyle(translations.ugettext)
    return {"_": gettext, "gettext": gettext, "ngettext": _newstyle_plural(translations.ungettext),
            "reader_locale": get_locale()}
