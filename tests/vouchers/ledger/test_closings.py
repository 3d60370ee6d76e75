"""Closed months of the ledger (``services.closings``): a period's sums read from the closings and the open months'
entries are, in every case, the full sums over every entry: on random entries written in any order, back-dated
into closed months or not, closed at random days, read over random periods (hypothesis); a late entry reopens its
month at once; the closings are really what is read (a doctored one shows, and the consistency check names it);
they are written lazily, idempotently, and never changed in place."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from sqlalchemy import delete, func, insert, select, text
from sqlalchemy.exc import DBAPIError

from tests.support.web import bearer
from vouchers.ledger.domain import Period, first_of_month, ledger_split, months_between
from vouchers.ledger.models import LedgerClosingTotal, LedgerPeriodClosing
from vouchers.ledger.services import closings
from vouchers.ledger.services import entries as ledger
from vouchers.ledger.services.consistency import check_ledger
from vouchers.ledger.services.reconciliation import cash_and_claims
from vouchers.ledger.tasks import ledger_period_closings

BASE = date(2026, 1, 1)  # any day: every service here takes today as a parameter
DAYS = 200  # about six and a half months of entries
ACCOUNTS_KINDS = [("cash", "contribution_paid"), ("cash", "funding"), ("cash", "claim_paid"),
                  ("cash", "contribution_refunded"), ("committed", "voucher_issued"), ("committed", "claim_approved"),
                  ("payable", "claim_approved"), ("payable", "claim_paid")]
DAY = st.integers(0, DAYS)
ENTRY = st.tuples(DAY, st.sampled_from(ACCOUNTS_KINDS), st.integers(-500_000, 500_000))
OPERATIONS = st.lists(st.one_of(
    st.tuples(st.just("post"), st.lists(ENTRY, min_size=1, max_size=4)),
    st.tuples(st.just("close"), DAY),
    st.tuples(st.just("read"), DAY, st.integers(0, 120), DAY),
), min_size=2, max_size=12)


def on(day: int) -> date:
    return BASE + timedelta(days=day)


def post(db_session, entries: list[tuple[int, tuple[str, str], int]]) -> None:
    ledger.post_many(db_session, [{"account": account, "kind": kind, "amount_cents": cents, "booked_on": on(day),
                                   "memo": "test"} for day, (account, kind), cents in entries])


def sums(result: closings.LedgerSums) -> dict[tuple[str, str], tuple[int, int, int]]:
    return {(account, kind): (total, number, moved) for account, kind, total, number, moved in result.rows}


def assert_same_as_full_sums(db_session, period: Period, today: date) -> None:
    db_session.flush()
    assert sums(closings.period_sums(db_session, period, today=today)) == sums(closings.full_sums(db_session, period))
    assert closings.closing_problems(db_session) == []


def closed_months(db_session) -> list[date]:
    return list(db_session.scalars(select(LedgerPeriodClosing.month_on).order_by(LedgerPeriodClosing.month_on)))


# --- pure rules ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(("first", "until", "expected"), [
    ("2026-01-01", "2026-01-01", 0), ("2026-01-01", "2026-02-01", 1), ("2025-11-01", "2026-02-01", 3),
    ("2026-03-01", "2026-02-01", 0)])
def test_months_between(first, until, expected):
    assert months_between(date.fromisoformat(first), date.fromisoformat(until)) == expected


def test_a_period_starting_inside_a_closed_month_reads_its_days_of_that_month_from_the_entries():
    split = ledger_split(Period(date(2026, 2, 10), date(2026, 4, 30)), today=date(2026, 6, 15))
    assert (split.until_on, split.cut_on) == (date(2026, 5, 1), date(2026, 6, 1))
    assert (split.live_from_on, split.live_to_on) == (date(2026, 2, 10), date(2026, 2, 28))


def test_the_month_under_way_and_a_month_cut_by_to_on_are_never_read_from_closings():
    assert ledger_split(Period(date(2026, 6, 1), date(2026, 6, 30)), today=date(2026, 6, 15)).until_on == date(2026, 6, 1)
    split = ledger_split(Period(date(2026, 1, 1), date(2026, 3, 30)), today=date(2026, 6, 15))
    assert split.until_on == date(2026, 3, 1)
    assert split.live_to_on < split.live_from_on  # starts on a first: nothing to split


# --- the closed path equals the full sums ----------------------------------------------------------------------


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
# Always tried: months closed, then an entry back-dated into the first of them and a period starting inside it.
@example(operations=[("post", [(3, ACCOUNTS_KINDS[0], 100), (40, ACCOUNTS_KINDS[4], 7), (70, ACCOUNTS_KINDS[6], 5)]),
                     ("close", 100), ("post", [(10, ACCOUNTS_KINDS[0], 11)]), ("read", 5, 90, 100),
                     ("read", 0, 120, 160)])
def test_the_closed_path_gives_the_full_sums_whatever_happens(db_session, operations):
    nested = db_session.begin_nested()
    try:
        for operation in operations:
            if operation[0] == "post":
                post(db_session, operation[1])
            elif operation[0] == "close":
                closings.close_months(db_session, today=on(operation[1]))
            else:
                _name, start, length, today = operation
                assert_same_as_full_sums(db_session, Period(on(start), on(start + length)), on(today))
        assert_same_as_full_sums(db_session, Period(on(0), on(DAYS)), on(DAYS + 40))
    finally:
        nested.rollback()


# --- a late entry into a closed month ---------------------------------------------------------------------------


def test_a_late_entry_reopens_its_closed_month_and_the_figures_take_it_in(db_session):
    post(db_session, [(5, ("cash", "funding"), 1_000_000), (35, ("cash", "contribution_paid"), 180_000),
                      (65, ("cash", "claim_paid"), -30_000)])
    today = on(100)  # 2026-04-11: January to March can be closed
    assert closings.close_months(db_session, today=today) == 3
    assert closed_months(db_session) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]
    february = Period(date(2026, 2, 1), date(2026, 2, 28))
    before, *_ = cash_and_claims(db_session, february, today=today)
    assert (before.opening_cents, before.received.cents, before.closing_cents) == (1_000_000, 180_000, 1_180_000)

    # A bank line of 20 January matched today: booked on the line's own day, in the closed January.
    post(db_session, [(19, ("cash", "contribution_paid"), 90_000)])
    db_session.flush()
    assert closed_months(db_session) == [date(2026, 2, 1), date(2026, 3, 1)]  # January reopened, in this transaction
    after, *_ = cash_and_claims(db_session, february, today=today)
    assert (after.opening_cents, after.received.cents, after.closing_cents) == (1_090_000, 180_000, 1_270_000)
    assert closed_months(db_session)[0] == date(2026, 1, 1)  # closed again on the way, with the late entry
    assert_same_as_full_sums(db_session, february, today)


def test_the_closings_are_what_is_read_and_the_consistency_check_names_a_wrong_one(db_session):
    post(db_session, [(5, ("cash", "funding"), 1_000_000), (35, ("cash", "contribution_paid"), 180_000)])
    today = on(100)
    closings.close_months(db_session, today=today)
    january = date(2026, 1, 1)
    # A closing made wrong behind the service's back (what the database lets through: a totals row replaced).
    db_session.execute(delete(LedgerClosingTotal).where(LedgerClosingTotal.month_on == january))
    db_session.execute(insert(LedgerClosingTotal).values(month_on=january, account="cash", kind="funding",
                                                         entry_count=1, amount_cents=999_999))
    march = Period(date(2026, 3, 1), date(2026, 3, 31))
    doctored = sums(closings.period_sums(db_session, march, today=today))
    assert doctored[("cash", "funding")][0] == 999_999  # read from the closing, not from the entries
    assert any("ledger closing of 2026-01: cash/funding holds 1 entries, 999999 cents; its entries are 1, "
               "1000000 cents" in problem for problem in check_ledger(db_session))
    assert closings.recompute_closings(db_session, [january], today=today) == 1
    assert closings.closing_problems(db_session) == []
    assert_same_as_full_sums(db_session, march, today)


def test_a_closing_is_never_changed_in_place(db_session):
    post(db_session, [(5, ("cash", "funding"), 100)])
    closings.close_months(db_session, today=on(40))
    for statement in ("UPDATE ledger_period_closings SET entry_count = 7",
                      "UPDATE ledger_period_closing_totals SET amount_cents = 7"):
        savepoint = db_session.begin_nested()
        with pytest.raises(DBAPIError, match="never changed"):
            db_session.execute(text(statement))
        savepoint.rollback()


def test_only_a_first_day_names_a_month(db_session):
    """A CHECK on each database: a closing of 15 January would mean nothing."""
    savepoint = db_session.begin_nested()
    with pytest.raises(DBAPIError):
        db_session.execute(insert(LedgerPeriodClosing).values(month_on=date(2026, 1, 15), entry_count=0,
                                                              closed_at=func.now()))
    savepoint.rollback()


# --- when closings are written ------------------------------------------------------------------------------------


def test_the_first_reader_closes_the_past_months_and_a_second_finds_nothing_to_do(db_session):
    post(db_session, [(5, ("cash", "funding"), 100), (70, ("payable", "claim_approved"), 30)])  # none in February
    today = on(100)
    period = Period(date(2026, 4, 1), date(2026, 4, 30))
    assert closed_months(db_session) == []
    assert_same_as_full_sums(db_session, period, today)
    assert closed_months(db_session) == [date(2026, 1, 1), date(2026, 2, 1), date(2026, 3, 1)]  # an empty one too
    assert db_session.scalar(select(LedgerPeriodClosing.entry_count).where(
        LedgerPeriodClosing.month_on == date(2026, 2, 1))) == 0
    assert closings.close_months(db_session, today=today) == 0


def test_the_nightly_job_closes_what_is_missing_and_is_safe_to_run_twice(db_session):
    from portal.clock import utcnow
    from portal.scheduler import JOBS

    assert JOBS["ledger_period_closings"].function is ledger_period_closings  # registered with the scheduler
    post(db_session, [(5, ("cash", "funding"), 100), (40, ("cash", "funding"), 50)])
    now = utcnow()
    assert ledger_period_closings(db_session, today=on(70), now=now) == "months closed: 2"
    assert ledger_period_closings(db_session, today=on(70), now=now) == "months closed: 0"
    post(db_session, [(6, ("cash", "funding"), 1)])  # a late entry: January reopens, the next run closes it again
    db_session.flush()
    assert ledger_period_closings(db_session, today=on(70), now=now) == "months closed: 1"
    assert closings.closing_problems(db_session) == []


def test_an_empty_ledger_closes_nothing_and_reads_nothing(db_session):
    assert closings.close_months(db_session, today=on(100)) == 0
    assert closings.period_sums(db_session, Period(on(0), on(60)), today=on(100)).rows == []


def test_an_operator_finds_a_wrong_closing_and_recomputes_it_from_the_command_line(app, db_session):
    post(db_session, [(5, ("cash", "funding"), 1_000_000), (40, ("cash", "funding"), 5)])
    closings.close_months(db_session, today=on(100))
    db_session.execute(delete(LedgerClosingTotal).where(LedgerClosingTotal.month_on == date(2026, 2, 1)))
    db_session.commit()  # what the commands read is the test's (still rolled back at the end)
    runner = app.test_cli_runner()
    found = runner.invoke(args=["check-ledger"])
    assert found.exit_code == 1
    assert "ledger closing of 2026-02: cash/funding holds 0 entries, 0 cents; its entries are 1, 5 cents" in found.output
    assert runner.invoke(args=["recompute-ledger-closings", "--month", "2026-13"]).exit_code == 2
    again = runner.invoke(args=["recompute-ledger-closings", "--month", "2026-02"])
    assert again.exit_code == 0, again.output
    assert "Months closed again:" in again.output  # February, and the months since April that were never closed
    assert date(2026, 2, 1) in closed_months(db_session)
    assert runner.invoke(args=["check-ledger"]).exit_code == 0


def test_the_api_keeps_the_months_it_closed_and_a_late_entry_shows_at_once(client, db_session, admin, today):
    last_month = first_of_month(first_of_month(today) - timedelta(days=1))
    period = f"from_on={last_month}&to_on={first_of_month(today) - timedelta(days=1)}"
    ledger.record_funding(db_session, amount_cents=500, booked_on=last_month, memo="budget")
    headers = bearer(client, admin.email)
    first = client.get(f"/api/v1/admin/reconciliation?{period}", headers=headers).get_json()
    assert first["cash"]["funding"] == {"count": 1, "amount_cents": 500}
    assert last_month in closed_months(db_session)  # closed by the call
    ledger.record_funding(db_session, amount_cents=7, booked_on=last_month + timedelta(days=2), memo="late")
    again = client.get(f"/api/v1/admin/reconciliation?{period}", headers=headers).get_json()
    assert again["cash"]["funding"] == {"count": 2, "amount_cents": 507}
    assert again["balance"]["cash_cents"] == first["balance"]["cash_cents"] + 7
    assert last_month in closed_months(db_session)  # closed again, with the late entry
    assert closings.closing_problems(db_session) == []
