"""Rules that a copy of the code could break without any test failing: each is pinned here."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from coaching.calendar import domain
from portal.errors import Conflict
from tests.support.factories import make_provider
from tests.support.web import bearer


def iso(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def accepted(client, admin_headers, make_voucher, offer):
    def build():
        voucher, person = make_voucher()
        client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
        return voucher, person
    return build


def test_no_new_request_while_an_open_voucher_exists(client, db_session, make_voucher, provider, today):
    _voucher, person = make_voucher()
    response = client.post("/api/v1/voucher-requests", headers=bearer(client, person.email), json={
        "provider_id": provider.id, "insurer_code": 300, "initiative": "coordinator", "force_majeure": True,
        "contract_end_on": (today - timedelta(days=20)).isoformat(),
        "address": {"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"}})
    assert response.status_code == 409 and response.get_json()["error"]["code"] in ("open_voucher_exists",
                                                                                    "open_request_exists")


def test_a_provider_change_is_refused_once_a_session_is_booked(client, db_session, admin_headers, coach, accepted,
                                                               future_slot):
    from portal.clock import utcnow
    from vouchers.requests.services.vouchers import request_provider_change

    voucher, person = accepted()
    assert client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(future_slot()),
        "duration_minutes": 60}).status_code == 201
    with pytest.raises(Conflict) as refused:  # booked, not delivered: already too late
        request_provider_change(db_session, person, voucher.id, make_provider(db_session).id, now=utcnow())
    assert refused.value.code == "coaching_started"


def test_a_group_session_never_holds_more_people_than_places(client, admin_headers, coach, accepted, future_slot):
    vouchers = [accepted()[0] for _ in range(3)]
    crowded = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "collective", "voucher_ids": [v.id for v in vouchers],
        "starts_at": iso(future_slot(4)), "duration_minutes": 210, "capacity": 2})
    assert crowded.status_code == 422 and "capacity" in crowded.get_json()["error"]["fields"]


def test_a_session_outside_the_vouchers_validity_is_refused(client, db_session, admin_headers, coach, accepted,
                                                            future_slot):
    voucher, _ = accepted()
    start = future_slot()
    voucher.valid_until_on = (start - timedelta(days=1)).date()
    db_session.flush()
    refused = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(start),
        "duration_minutes": 60})
    assert refused.status_code == 422 and "starts_at" in refused.get_json()["error"]["fields"]


def test_the_logging_day_is_the_day_in_brussels_not_in_utc(db_session, provider_admin, coach, accepted, today):
    """Logged at 23:30 UTC in winter, it is already the next day (00:30) in Brussels: the beneficiary's
    5 working days count from that day."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )

    voucher, _ = accepted()
    day = today - timedelta(days=10)
    start = datetime(day.year, day.month, day.day, 9, 0, tzinfo=UTC)
    booked = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=start, duration_minutes=60),
        now=start - timedelta(days=1))
    logged_at = start.replace(hour=23, minute=30)  # 00:30 (winter) or 01:30 (summer) the next day in Brussels
    log_session(db_session, provider_admin, booked.id, {voucher.id: "attended"}, 60, None, now=logged_at)
    [seat] = booked_seats(db_session, booked.id)
    brussels_day = (logged_at + timedelta(hours=2)).date()  # +1 h or +2 h: past midnight either way
    assert logged_at.date() != brussels_day
    assert seat.confirm_by_on == domain.confirmation_deadline(brussels_day)


def booked_seats(db_session, session_id):
    from sqlalchemy import select

    from coaching.calendar.models import SessionSeat

    return db_session.scalars(select(SessionSeat).where(SessionSeat.session_id == session_id)).all()


def test_an_individual_session_is_for_one_voucher(client, admin_headers, coach, accepted, future_slot):
    first, second = accepted()[0], accepted()[0]
    refused = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [first.id, second.id],
        "starts_at": iso(future_slot()), "duration_minutes": 60})
    assert refused.status_code == 422

