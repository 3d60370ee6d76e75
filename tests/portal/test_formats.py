"""Amounts, days and words prepared once (portal/formats.py, portal/i18n.py) write exactly what Babel and the
catalogues write, in the language in force at each call; the fund's settings are read once per request."""

from __future__ import annotations

import random
from datetime import UTC, date, datetime, time
from decimal import Decimal

import pytest
from babel.dates import format_date, format_time
from babel.numbers import format_currency
from flask import render_template_string
from flask_babel import force_locale

from portal.formats import day_text, money_writer, time_text

LANGUAGES = ("fr", "nl", "de", "en", "fr_BE", "nl_BE")


@pytest.mark.parametrize("language", LANGUAGES)
def test_amounts_are_written_as_babel_writes_them(language):
    rng = random.Random(language)
    write = money_writer(language, "EUR")
    amounts = [0, 5, -5, 180000, -180000, 10**14, -(10**14)] + [rng.randint(-10**12, 10**12) for _ in range(500)]
    for cents in amounts:
        assert write(cents) == format_currency(Decimal(cents) / 100, "EUR", locale=language), cents


@pytest.mark.parametrize("language", LANGUAGES)
def test_days_and_times_are_written_as_babel_writes_them(language):
    for day in (date(2026, 1, 1), date(2026, 12, 31), date(2027, 3, 28)):
        for form in ("long", "full", "medium", "EEEE d MMM"):
            assert day_text(language, day, form) == format_date(day, form, locale=language)
    for moment in (time(0, 0), time(9, 5), time(23, 59)):
        assert time_text(language, moment) == format_time(moment, "short", locale=language)


def test_templates_write_in_the_language_in_force(app):
    """The page's catalogue and language are found once per render, so a render under ``force_locale`` (an e-mail
    written during someone else's request) is in the forced language, words, amounts and days alike."""
    template = "{{ _('Approved') }}|{{ 180000|money }}|{{ day|long_date }}|{{ status_label('approved') }}"
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        english = render_template_string(template, day=date(2026, 3, 4))
        with force_locale("nl"):
            dutch = render_template_string(template, day=date(2026, 3, 4))
        again = render_template_string(template, day=date(2026, 3, 4))
    assert english == again == "Approved|€1,800.00|March 4, 2026|Approved"
    word, amount, day, label = dutch.split("|")
    assert word == label != "Approved" and amount == "€\xa01.800,00" and day == "4 maart 2026"


def test_local_times_follow_the_zone_and_the_language(app):
    from portal.i18n import local_datetime, local_time

    summer = datetime(2026, 7, 1, 7, 30, tzinfo=UTC)
    with app.test_request_context("/", headers={"Accept-Language": "en"}):
        assert local_time(summer) == "9:30\u202fAM"  # Brussels is two hours ahead in summer
        assert local_time(summer, "Europe/London") == "8:30\u202fAM"
        assert local_datetime(summer) == "Jul 1, 2026 at 9:30\u202fAM"


def test_the_funds_settings_are_read_once_per_request(app, db_session):
    from sqlalchemy import event

    from portal.db import db
    from portal.fund_settings import rules_on, set_rule

    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if "fund_settings" in statement and statement.lstrip().upper().startswith("SELECT"):
            seen.append(statement)

    with app.test_request_context("/"):
        event.listen(db.engine, "before_cursor_execute", note)
        try:
            first = rules_on(db_session, date(2026, 1, 1))
            assert rules_on(db_session, date(2025, 6, 1)) == rules_on(db_session, date(2027, 1, 1)) == first
            assert len(seen) == 1
            set_rule(db_session, "decision_days", first.decision_days + 5, valid_from_on=date(2026, 6, 1))
            assert rules_on(db_session, date(2026, 7, 1)).decision_days == first.decision_days + 5  # read again
            assert rules_on(db_session, date(2026, 1, 1)).decision_days == first.decision_days
            assert len(seen) == 2
        finally:
            event.remove(db.engine, "before_cursor_execute", note)
