"""Fund settings with start dates: the rule in force on a day applies.

Each row overrides one ``FundRules`` field from ``valid_from_on``. Without a
row, the default of ``FundRules`` (DOMAIN.md's figures) is in force.
"""

from __future__ import annotations

import dataclasses
from bisect import bisect_right
from datetime import date
from typing import Any

from flask import g, has_request_context
from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.db import db, prepared, read
from portal.rules import FundRules

_FIELDS = {f.name: f for f in dataclasses.fields(FundRules)}


class FundSetting(db.Model):
    __tablename__ = "fund_settings"
    __table_args__ = (UniqueConstraint("key", "valid_from_on"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(60))
    # Stored as text: an integer, or an ISO date for the *_on settings.
    value: Mapped[str] = mapped_column(String(60))
    valid_from_on: Mapped[date]


def _parse(key: str, raw: str) -> int | date:
    return date.fromisoformat(raw) if key.endswith("_on") else int(raw)


def rules_on(session: Session, day: date) -> FundRules:
    """The rules in force on ``day``: for each key, the latest row that has started. Within a web request the
    settings are read once, whatever the number of days asked for (``request_book``)."""
    book = request_book(session)
    if book is not None:
        return book.on(day)
    rows = session.execute(
        select(FundSetting.key, FundSetting.value, FundSetting.valid_from_on)
        .where(FundSetting.valid_from_on <= day)
        .order_by(FundSetting.key, FundSetting.valid_from_on)
    ).all()
    overrides: dict[str, int | date] = {}
    for key, value, _ in rows:
        if key in _FIELDS:
            overrides[key] = _parse(key, value)  # later rows win
    return dataclasses.replace(FundRules(), **overrides)


_BOOK_KEY = "_fund_rules_book"


def request_book(session: Session) -> RulesBook | None:
    """This web request's settings, read at the first rule asked for; None outside a request (jobs, commands,
    services called directly), which read the settings each time."""
    if not has_request_context():
        return None
    book = g.get(_BOOK_KEY)
    if book is None:
        book = RulesBook(session)
        setattr(g, _BOOK_KEY, book)
    return book


def rules_book(session: Session) -> RulesBook:
    """The request's settings (``request_book``), or a book of its own outside a request."""
    return request_book(session) or RulesBook(session)


def set_rule(session: Session, key: str, value: int | date, *, valid_from_on: date) -> FundSetting:
    if key not in _FIELDS:
        raise KeyError(f"unknown fund setting {key!r}")
    row = FundSetting(key=key, value=value.isoformat() if isinstance(value, date) else str(int(value)),
                      valid_from_on=valid_from_on)
    session.add(row)
    session.flush()
    if has_request_context():
        g.pop(_BOOK_KEY, None)  # the request's later reads see the new row
    return row


class RulesBook:
    """All settings rows read once, for pages that need the rules of many dates: at the first rule asked for,
    so a page that needs none reads nothing."""

    def __init__(self, session: Session):
        self._session = session
        self._rows: list[Any] | None = None
        self._starts: list[date] = []  # the days on which some rule changes, in order
        self._cache: dict[date, FundRules] = {}
        self._by_period: dict[int, FundRules] = {}  # the same rules from one change to the next

    def on(self, day: date) -> FundRules:
        rules = self._cache.get(day)
        if rules is None:
            if self._rows is None:
                # Made once per process (``prepared``): building the SELECT at each request cost more than running it.
                self._rows = list(read(self._session, prepared("fund_settings_book", lambda: select(
                    FundSetting.key, FundSetting.value, FundSetting.valid_from_on
                ).order_by(FundSetting.key, FundSetting.valid_from_on))).all())
                self._starts = sorted({start for _key, _value, start in self._rows})
            period = bisect_right(self._starts, day)  # how many changes have started by ``day``
            rules = self._by_period.get(period)
            if rules is None:
                overrides = {key: _parse(key, value) for key, value, start in self._rows
                             if start <= day and key in _FIELDS}
                rules = self._by_period[period] = dataclasses.replace(FundRules(), **overrides)
            self._cache[day] = rules
        return rules
