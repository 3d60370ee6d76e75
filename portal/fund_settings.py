"""Fund settings with start dates: the rule in force on a day applies.

Each row overrides one ``FundRules`` field from ``valid_from_on``. Without a
row, the default of ``FundRules`` (DOMAIN.md's figures) is in force.
"""

from __future__ import annotations

import dataclasses
from datetime import date

from sqlalchemy import String, UniqueConstraint, select
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal.db import db
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
    """The rules in force on ``day``: for each key, the latest row that has started."""
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


def set_rule(session: Session, key: str, value: int | date, *, valid_from_on: date) -> FundSetting:
    if key not in _FIELDS:
        raise KeyError(f"unknown fund setting {key!r}")
    row = FundSetting(key=key, value=value.isoformat() if isinstance(value, date) else str(int(value)),
                      valid_from_on=valid_from_on)
    session.add(row)
    session.flush()
    return row


class RulesBook:
    """All settings rows read once, for pages that need the rules of many dates."""

    def __init__(self, session: Session):
        self._rows = session.execute(
            select(FundSetting.key, FundSetting.value, FundSetting.valid_from_on)
            .order_by(FundSetting.key, FundSetting.valid_from_on)
        ).all()
        self._cache: dict[date, FundRules] = {}

    def on(self, day: date) -> FundRules:
        rules = self._cache.get(day)
        if rules is None:
            overrides = {key: _parse(key, value) for key, value, start in self._rows
                         if start <= day and key in _FIELDS}
            rules = self._cache[day] = dataclasses.replace(FundRules(), **overrides)
        return rules
