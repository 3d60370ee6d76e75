"""Language choice and locale-aware formatting of money and dates."""

from __future__ import annotations

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal
from functools import lru_cache
from typing import Any
from zoneinfo import ZoneInfo

from babel.numbers import format_decimal
from flask import current_app, has_request_context, request, session
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    get_locale,
    gettext,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user
from jinja2 import pass_context

from portal.formats import day_text, money_writer, time_text
from portal.plain.reading import plain_reading

# A visitor's choice before logging in (see portal.views.set_visitor_language): a year, then the browser decides.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


def select_locale() -> str:
    """The person's explicit choice wins, then their account, then the browser."""
    if not has_request_context():  # a job or a command: no reader, unless it forces one (force_locale)
        return current_app.config["BABEL_DEFAULT_LOCALE"]
    available = current_app.config["UI_LANGUAGES"]
    chosen = session.get("lang") if _has_request_session() else None
    if chosen in available:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.language in available:
        return current_user.language
    if request.cookies.get(LANGUAGE_COOKIE) in available:
        return request.cookies[LANGUAGE_COOKIE]
    return request.accept_languages.best_match(available) or current_app.config["BABEL_DEFAULT_LOCALE"]


def reading_language() -> str:
    """The language the person reads the portal in now: what a new account's language starts as."""
    locale = get_locale()
    return str(locale) if locale is not None else current_app.config["BABEL_DEFAULT_LOCALE"]


def _has_request_session() -> bool:
    # API bearer calls must not touch (and so create) a server-side session.
    return not request.path.startswith("/api/") or "Authorization" not in request.headers


def money(cents: int | None, locale: str | None = None, currency: str = "EUR") -> str:
    """1 800,00 € in French, € 1.800,00 in Dutch: always from integer cents."""
    if cents is None:
        return ""
    reader = locale or get_locale()
    if reader is None:  # outside a request: flask-babel's default language
        return format_currency(Decimal(cents) / 100, currency)
    return money_writer(reader, currency)(cents)


@pass_context
def money_filter(_context: Any, cents: int | None, locale: str | None = None, currency: str = "EUR") -> str:
    """``|money`` in templates. Taking the context stops Jinja from formatting ``180000|money`` once, when it
    compiles the template, in whatever language that first request had: it must follow each page's language."""
    return money(cents, locale or _context.get("reader_locale"), currency)


def long_date(value: date | datetime | None, locale: Any = None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    reader = locale or get_locale()
    return day_text(reader, value, "long") if reader is not None else format_date(value, "long")


_STATUS_LABELS = {
    "draft": _l("Not sent yet"),
    "submitted": _l("Waiting for the fund's decision"),
    "info_requested": _l("Information requested"),
    "approved": _l("Approved"),
    "waitlisted": _l("On the waiting list"),
    "rejected": _l("Refused"),
    "withdrawn": _l("Withdrawn"),
    "in_progress": _l("Coaching under way"),
    "completed": _l("Completed"),
    "expired": _l("Expired"),
}

_ROLE_LABELS = {
    "beneficiary": _l("beneficiary"),
    "employer": _l("employer"),
    "provider_admin": _l("provider administrator"),
    "coach": _l("coach"),
    "fund_admin": _l("fund administrator"),
    "coordinator": _l("return-to-work coordinator"),
}


def labeller(labels: dict[str, Any]) -> Callable[..., str]:
    """``label(key, locale=None)``: ``labels[key]`` (lazy texts) in the reader's language, each translated once per
    language (a list shows one per row). Unknown keys are shown as they are."""

    # ``locale`` is the language in force at the call, so what is translated at the first call is the one to keep;
    # ``plain``: whether the reader reads easy words (portal.plain), which have labels of their own.
    @lru_cache(maxsize=512)
    def translated(key: str, locale: Any, plain: bool) -> str:
        return str(labels.get(key, key))

    def label(key: str | None, locale: Any = None) -> str:
        return translated(key or "", locale or get_locale(), plain_reading())

    return label


_TRANSLATED: dict[tuple[int, Any, bool], dict[str, str]] = {}


def labels_in(labels: dict[str, Any], locale: Any = None) -> dict[str, str]:
    """A table of labels (lazy texts) as plain texts in the reader's language, translated once per language: a page
    that shows one per row looks each up in a dict. For the module-level tables only (kept by their identity)."""
    locale = locale or get_locale()
    key = (id(labels), locale, plain_reading())
    translated = _TRANSLATED.get(key)
    if translated is None:
        translated = _TRANSLATED[key] = {code: str(text) for code, text in labels.items()}
    return translated


status_label = labeller(_STATUS_LABELS)
role_label = labeller(_ROLE_LABELS)


def local_datetime(value: datetime | None, tz: str = "Europe/Brussels", fmt: str = "medium",
                   locale: Any = None) -> str:
    """An instant as a person reads it in ``tz`` (the coach's zone, or Belgium's for beneficiaries)."""
    if value is None:
        return ""
    local = value.astimezone(ZoneInfo(tz))
    locale = locale or get_locale()
    return gettext("%(day)s at %(time)s", day=day_text(locale, local.date(), fmt), time=_wall_time(local, locale))


def local_time(value: datetime, tz: str = "Europe/Brussels", locale: Any = None) -> str:
    return _wall_time(value.astimezone(ZoneInfo(tz)), locale or get_locale())


def _wall_time(local: datetime, locale: Any) -> str:
    """The hour and minute of a local instant: written once per language ("short" shows no seconds)."""
    return time_text(locale, local.time().replace(second=0, microsecond=0))


def local_day(value: date, fmt: str = "full", locale: Any = None) -> str:
    return day_text(locale or get_locale(), value, fmt)


def in_page_language(function: Callable[..., str]) -> Callable[..., str]:
    """A helper for templates that writes in the page's language, which ``portal.formats.reader_gettext`` put in
    the template's context once (``reader_locale``): no look-up of the language on every value written."""

    @pass_context
    def written(context: Any, *args: Any, **kwargs: Any) -> str:
        return function(*args, locale=context.get("reader_locale"), **kwargs)

    return written


def hours(minutes: int) -> str:
    """90 -> "1,5" in French or Dutch and "1.5" in English, 120 -> "2": hours for people, from integer minutes."""
    whole, rest = divmod(minutes, 60)
    if not rest:
        return str(whole)
    locale = get_locale()
    if locale is None:  # outside the application: no language to follow
        return f"{minutes / 60:g}"
    return format_decimal(Decimal(minutes) / 60, format="#,##0.##", locale=locale)


def person_name(user: Any) -> str:
    """A user's name as shown to others, or nothing for a missing user."""
    return user.display_name if user is not None else ""
