"""Language choice and locale-aware formatting of money and dates."""

from __future__ import annotations

from datetime import date, datetime
from decimal import Decimal

from flask import current_app, request, session
from flask_babel import format_currency, format_date, format_datetime
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
}


def status_label(status: str | None) -> str:
    return str(_STATUS_LABELS.get(status or "", status or ""))


def role_label(role: str) -> str:
    return str(_ROLE_LABELS.get(role, role))
