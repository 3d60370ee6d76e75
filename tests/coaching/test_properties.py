"""Property tests: whatever a provider does, in whatever order, a voucher is never overspent
and a session is never paid twice."""

from __future__ import annotations

from datetime import timedelta

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.claims.models import Claim, ClaimLine
from portal.clock import utcnow
from portal.errors import DomainError
from vouchers.ledger.services import entries as ledger
from vouchers.requests.usage import usage_totals

SCHEDULE = st.tuples(st.just("schedule"), st.sampled_from([60, 75, 90, 105, 120, 210]))
OPERATIONS = st.lists(
    st.one_of(
        SCHEDULE, SCHEDULE, SCHEDULE,  # booking is the most common step, and the one that spends
        st.tuples(st.just("log"), st.integers(0, 9), st.sampled_from(["attended", "attended", "no_show", "late_cancel"]),
                  st.sampled_from([60, 90, 120, 210])),
        st.tuples(st.just("cancel"), st.integers(0, 9)),
        st.tuples(st.just("confirm"), st.integers(0, 9)),
        st.tuples(st.just("claim"), st.lists(st.integers(0, 9), min_size=1, max_size=4)),
        st.tuples(st.just("approve_claims")),
        st.tuples(st.just("replan"), st.sampled_from([(7, 5), (9, 3), (12, 0), (2, 1)])),
        st.tuples(st.just("expire")),
    ),
    min_size=4, max_size=16,
)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(operations=OPERATIONS)
def test_no_sequence_overspends_or_pays_twice(db_session, make_voucher, provider_admin, fund_admin, coach, today,
                                              operations):
    from coaching.calendar.services.sessions import (
        SessionPlan,
        cancel_session,
        confirm_session,
        log_session,
        schedule_session,
    )
    from coaching.claims.services import approve_claim, submit_claim
    from coaching.providers.services.offers import accept_voucher, create_offer
    from vouchers.requests.services.vouchers import expire_vouchers

    nested = db_session.begin_nested()
    try:
        voucher, person = make_voucher()
        offers = {}
        for hours, groups in [(7, 5), (9, 3), (12, 0), (2, 1)]:
            offers[(hours, groups)] = create_offer(db_session, provider_admin, name=f"{hours}+{groups}",
                                                   individual_hours=hours, collective_sessions=groups,
                                                   individual_unit_cents=None, collective_unit_cents=None, today=today)
        # Start from the smallest mix, so that a missing cap shows within a few steps.
        accept_voucher(db_session, provider_admin, voucher.id, offers[(2, 1)].id, now=utcnow())
        sessions: list[int] = []
        start = utcnow() + timedelta(days=1)
        for step, operation in enumerate(operations):
            try:
                if operation[0] == "schedule":
                    minutes = operation[1]
                    booked = schedule_session(db_session, provider_admin, SessionPlan(
                        coach_id=coach.id, kind="collective" if minutes == 210 else "individual",
                        voucher_ids=[voucher.id], starts_at=start + timedelta(hours=5 * step),
                        duration_minutes=minutes), now=utcnow())
                    sessions.append(booked.id)
                elif operation[0] == "log" and sessions:
                    session_id = sessions[operation[1] % len(sessions)]
                    log_session(db_session, provider_admin, session_id, {voucher.id: operation[2]}, operation[3],
                                None, now=utcnow())
                elif operation[0] == "cancel" and sessions:
                    cancel_session(db_session, provider_admin, sessions[operation[1] % len(sessions)], now=utcnow())
                elif operation[0] == "confirm" and sessions:
                    confirm_session(db_session, person, sessions[operation[1] % len(sessions)], now=utcnow())
                elif operation[0] == "claim" and sessions:
                    chosen = sorted({sessions[i % len(sessions)] for i in operation[1]})
                    submit_claim(db_session, provider_admin, voucher.id, chosen, now=utcnow())
                elif operation[0] == "approve_claims":
                    for claim in db_session.scalars(select(Claim).where(Claim.status == "submitted")).all():
                        approve_claim(db_session, fund_admin, claim.id, today=today, now=utcnow())
                elif operation[0] == "replan":
                    accept_voucher(db_session, provider_admin, voucher.id, offers[operation[1]].id, now=utcnow())
                elif operation[0] == "expire":
                    expire_vouchers(db_session, today=voucher.valid_until_on + timedelta(days=1), now=utcnow())
            except DomainError:
                pass  # a refused step must leave everything as it was; the invariants below check it
            _check_invariants(db_session, voucher)
    finally:
        nested.rollback()


def _check_invariants(db_session, voucher) -> None:
    db_session.flush()
    db_session.refresh(voucher)
    totals = usage_totals(db_session, voucher.id)
    assert totals.spent_cents + totals.scheduled_cents <= voucher.value_cents
    assert totals.individual_minutes >= 0 and totals.scheduled_individual_minutes >= 0
    if voucher.individual_hours is not None:
        assert totals.individual_minutes + totals.scheduled_individual_minutes <= voucher.individual_hours * 60
        assert totals.collective_sessions + totals.scheduled_collective_sessions <= voucher.collective_sessions
    claimed = db_session.scalar(select(func.coalesce(func.sum(Claim.amount_cents), 0)).where(
        Claim.voucher_id == voucher.id, Claim.status.in_(("submitted", "approved", "paid"))))
    assert claimed <= voucher.value_cents
    lines = db_session.scalars(select(ClaimLine.seat_id)).all()
    assert len(lines) == len(set(lines))  # never paid twice
    claimed_seats = db_session.scalars(select(SessionSeat).where(SessionSeat.id.in_(lines))).all()
    assert all(s.attendance == "attended" and s.confirmation == "confirmed" for s in claimed_seats)
    assert ledger.committed_for_voucher(db_session, voucher.id) >= 0
    # A cancelled or logged session holds no booking any more.
    for booked in db_session.scalars(select(CoachingSession).where(CoachingSession.status != "scheduled")):
        from vouchers.requests.usage import UsageEntry

        held = db_session.scalar(select(func.coalesce(func.sum(UsageEntry.amount_cents), 0)).where(
            UsageEntry.coaching_session_id == booked.id, UsageEntry.kind.in_(("scheduled", "released"))))
        assert held == 0
