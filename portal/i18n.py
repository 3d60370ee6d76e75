"""Language choice and locale-aware formatting of money and dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal
from typing import Any
from zoneinfo import ZoneInfo

from babel.dates import format_date as babel_format_date
from babel.dates import format_time as babel_format_time
from flask import current_app, request, session
from flask_babel import (
    format_currency,
    format_date,
    format_datetime,
    get_locale,
    gettext,
)
from flask_babel import lazy_gettext as _l
from flask_login import current_user

# A visitor's choice before logging in (see portal.views.set_visitor_language): a year, then the browser decides.
LANGUAGE_COOKIE = "lang"
LANGUAGE_COOKIE_SECONDS = 365 * 24 * 3600

LANGUAGE_NAMES = {"fr": "Français", "nl": "Nederlands", "de": "Deutsch", "en": "English"}


def select_locale() -> str:
    """The person's explicit choice wins, then their account, then the browser."""
    available = current_app.config["UI_LANGUAGES"]
    chosen = session.get("lang") if _has_request_session() else None
    if chosen in available:
        return chosen
    if getattr(current_user, "is_authenticated", False) and current_user.language in available:
        return current_user.language
    if request.cookies.get(LANGUAGE_COOKIE) in available:
        return request.cookies[LANGUAGE_COOKIE]
    return request.accept_languages.best_match(available) or current_app.config["BABEL_DEFAULT_LOCALE"]


def _has_request_session() -> bool:
    # API bearer calls must not touch (and so create) a server-side session.
    return not request.path.startswith("/api/") or "Authorization" not in request.headers


def money(cents: int | None, locale: str | None = None) -> str:
    """1 800,00 € in French, € 1.800,00 in Dutch: always from integer cents."""
    if cents is None:
        return ""
    amount = Decimal(cents) / 100
    if locale:
        from babel.numbers import format_currency as babel_currency

        return babel_currency(amount, "EUR", locale=locale)
    return format_currency(amount, "EUR")


def long_date(value: date | datetime | None) -> str:
    if value is None:
        return ""
    if isinstance(value, datetime):
        return format_datetime(value, "medium")
    return format_date(value, "long")


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


def status_label(status: str | None) -> str:
    return str(_STATUS_LABELS.get(status or "", status or ""))


def role_label(role: str) -> str:
    return str(_ROLE_LABELS.get(role, role))


def local_datetime(value: datetime | None, tz: str = "Europe/Brussels", fmt: str = "medium") -> str:
    """An instant as a person reads it in ``tz`` (the coach's zone, or Belgium's for beneficiaries)."""
    if value is None:
        return ""
    zone = ZoneInfo(tz)
    local = value.astimezone(zone)
    locale = str(get_locale())
    return gettext("%(day)s at %(time)s", day=babel_format_date(local.date(), fmt, locale=locale),
             time=babel_format_time(local, "short", tzinfo=zone, locale=locale))


def local_time(value: datetime, tz: str = "Europe/Brussels") -> str:
    return babel_format_time(value, "short", tzinfo=ZoneInfo(tz), locale=str(get_locale()))


def local_day(value: date, fmt: str = "full") -> str:
    return babel_format_date(value, fmt, locale=str(get_locale()))


def hours(minutes: int) -> str:
    """90 -> "1.5", 120 -> "2": hours for people, from integer minutes."""
    whole, rest = divmod(minutes, 60)
    return str(whole) if not rest else f"{minutes / 60:g}"


def person_name(user: Any) -> str:
    """A user's name as shown to others, or nothing for a missing user."""
    return user.display_name if user is not None else ""
