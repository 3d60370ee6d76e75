"""Closing a month while entries are being written into it, on PostgreSQL, with separate connections that commit
for real (then every table is wiped): a closer waits for the entries in flight, so its closing holds them; a reader
does not wait for them, and sums the entries instead; an entry written after a closing reopens the month."""

from __future__ import annotations

import threading
import time
from datetime import date

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from tests.support.committed import wipe_all
from vouchers.ledger.domain import Period
from vouchers.ledger.models import LedgerClosingTotal, LedgerPeriodClosing
from vouchers.ledger.services import closings
from vouchers.ledger.services import entries as ledger

TODAY = date(2026, 4, 11)
JANUARY = date(2026, 1, 1)
PERIOD = Period(date(2026, 1, 1), date(2026, 3, 31))


@pytest.fixture
def engine(app):
    from portal.db import db

    with app.app_context():
        engine = db.engine
    if engine.dialect.name != "postgresql":
        pytest.skip("SQLite runs one writing transaction at a time (BEGIN IMMEDIATE): no race to test; set "
                    "DATABASE_URL to a PostgreSQL database to run these tests")
    try:
        yield engine
    finally:
        wipe_all(engine)


def _fund(session: Session, cents: int, booked_on: date = date(2026, 1, 20)) -> None:
    ledger.record_funding(session, amount_cents=cents, booked_on=booked_on, memo="race")
    session.flush()


def _january_funding(engine) -> tuple[int, int] | None:
    with Session(engine) as session:
        row = session.execute(select(LedgerClosingTotal.entry_count, LedgerClosingTotal.amount_cents)
                              .join(LedgerPeriodClosing, LedgerPeriodClosing.month_on == LedgerClosingTotal.month_on)
                              .where(LedgerClosingTotal.month_on == JANUARY, LedgerClosingTotal.kind == "funding")
                              ).one_or_none()
        return None if row is None else (row[0], row[1])


def test_a_closer_waits_for_the_entries_in_flight_and_its_closing_holds_them(engine):
    with Session(engine) as setup:
        _fund(setup, 100)
        setup.commit()
    writer = Session(engine)
    _fund(writer, 11)  # written, not committed yet: a request still under way
    done: dict[str, object] = {}

    def close() -> None:
        with Session(engine) as closer:
            done["closed"] = closings.close_months(closer, today=TODAY)
            closer.commit()

    thread = threading.Thread(target=close)
    thread.start()
    thread.join(1.0)
    waited = thread.is_alive()  # waiting for the writer's lock, not summing without its entry
    writer.commit()
    writer.close()
    thread.join(20)
    assert waited
    assert done["closed"] == 3
    assert _january_funding(engine) == (2, 111)
    with Session(engine) as session:
        assert closings.closing_problems(session) == []


def test_a_reader_does_not_wait_for_a_writer_and_its_sums_are_still_right(engine):
    with Session(engine) as setup:
        _fund(setup, 100)
        setup.commit()
    writer = Session(engine)
    _fund(writer, 11)
    try:
        with Session(engine) as reader:
            started = time.monotonic()
            found = closings.period_sums(reader, PERIOD, today=TODAY)
            assert time.monotonic() - started < 5
            assert found == closings.full_sums(reader, PERIOD)
            assert [row[2] for row in found.rows] == [100]  # what is committed; the writer's entry is not yet
            reader.commit()
        assert _january_funding(engine) is None  # the ledger was busy: nothing closed
    finally:
        writer.commit()
        writer.close()
    with Session(engine) as reader:
        assert [row[2] for row in closings.period_sums(reader, PERIOD, today=TODAY).rows] == [111]
        reader.commit()
    assert _january_funding(engine) == (2, 111)  # closed this time


def test_an_entry_committed_after_a_closing_reopens_the_month_for_every_reader(engine):
    with Session(engine) as setup:
        _fund(setup, 100)
        setup.commit()
        closings.close_months(setup, today=TODAY)
        setup.commit()
    assert _january_funding(engine) == (1, 100)
    with Session(engine) as late:
        _fund(late, 11, booked_on=date(2026, 1, 5))
        late.commit()
    assert _january_funding(engine) is None
    with Session(engine) as reader:
        assert closings.period_sums(reader, PERIOD, today=TODAY) == closings.full_sums(reader, PERIOD)
