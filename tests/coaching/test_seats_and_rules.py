"""Seats of group sessions, and the session rules the last review found broken."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching.calendar.models import CoachingSession, SessionSeat
from portal.clock import utcnow
from portal.errors import Conflict
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.notices import told, told_exactly
from tests.support.web import bearer, login, post_form
from vouchers.requests.usage import usage_totals


def iso(moment) -> str:
    return moment.isoformat()


@pytest.fixture
def accepted(client, admin_headers, make_voucher, offer):
    def build():
        voucher, person = make_voucher()
        assert client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers,
                           json={"offer_id": offer.id}).status_code == 200
        return voucher, person
    return build


def group(client, headers, coach, vouchers, start, capacity=2):
    response = client.post("/api/v1/sessions", headers=headers, json={
        "coach_id": coach.id, "kind": "collective", "voucher_ids": [v.id for v in vouchers], "starts_at": iso(start),
        "duration_minutes": 210, "capacity": capacity})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def test_a_provider_adds_and_removes_a_seat_and_the_person_is_told(app, client, db_session, admin_headers, coach,
                                                                    accepted, future_slot):
    (first, first_person), (second, second_person), (third, _) = accepted(), accepted(), accepted()
    planned = group(client, admin_headers, coach, [first], future_slot())
    url = f"/api/v1/sessions/{planned['id']}/seats"
    added = client.post(url, headers=admin_headers, json={"voucher_id": second.id})
    assert added.status_code == 201
    assert sorted(s["voucher_id"] for s in added.get_json()["seats"]) == sorted([first.id, second.id])
    assert usage_totals(db_session, second.id).scheduled_collective_sessions == 1
    for booked in told_exactly(app, db_session, "session_booked", [first_person, second_person]):
        assert booked.link == "/my/sessions"
    again = client.post(url, headers=admin_headers, json={"voucher_id": second.id})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_seated"
    full = client.post(url, headers=admin_headers, json={"voucher_id": third.id})
    assert full.status_code == 409 and full.get_json()["error"]["code"] == "session_full"
    removed = client.delete(f"{url}/{second.id}", headers=admin_headers)
    assert removed.status_code == 200 and [s["voucher_id"] for s in removed.get_json()["seats"]] == [first.id]
    assert usage_totals(db_session, second.id).scheduled_collective_sessions == 0
    assert [n.kind for n in told(db_session, second_person)][-1] == "session_cancelled"
    told_exactly(app, db_session, "session_cancelled", [second_person])
    assert client.delete(f"{url}/{second.id}", headers=admin_headers).status_code == 404


def test_a_seat_outside_the_vouchers_validity_or_in_another_providers_session(
        client, db_session, admin_headers, coach, accepted, future_slot):
    (first, _), (late, _) = accepted(), accepted()
    start = future_slot()
    planned = group(client, admin_headers, coach, [first], start)
    late.valid_until_on = (start - timedelta(days=2)).date()
    db_session.flush()
    outside = client.post(f"/api/v1/sessions/{planned['id']}/seats", headers=admin_headers,
                          json={"voucher_id": late.id})
    assert outside.status_code == 422 and "voucher_id" in outside.get_json()["error"]["fields"]
    other_staff = make_user(db_session, Role.PROVIDER_ADMIN, language="en")
    assert client.post(f"/api/v1/sessions/{planned['id']}/seats", headers=bearer(client, other_staff.email),
                       json={"voucher_id": first.id}).status_code == 404


def test_an_individual_session_has_no_seats_to_add(client, admin_headers, coach, accepted, future_slot):
    (voucher, _), (other, _) = accepted(), accepted()
    single = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(future_slot()),
        "duration_minutes": 60}).get_json()
    refused = client.post(f"/api/v1/sessions/{single['id']}/seats", headers=admin_headers, json={"voucher_id": other.id})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "not_collective"


def test_the_session_page_adds_a_seat(client, db_session, provider_admin, admin_headers, coach, accepted, future_slot):
    (first, _), (second, _) = accepted(), accepted()
    planned = group(client, admin_headers, coach, [first], future_slot())
    login(client, provider_admin.email)
    page = client.get(f"/coach/sessions/{planned['id']}").get_data(as_text=True)
    assert "Add a beneficiary" in page and "once it has started" in page
    added = post_form(client, f"/coach/sessions/{planned['id']}/seats", {"voucher_id": str(second.id)},
                      token_from=f"/coach/sessions/{planned['id']}")
    assert added.status_code == 302
    assert db_session.scalar(select(SessionSeat.id).where(SessionSeat.session_id == planned["id"],
                                                          SessionSeat.voucher_id == second.id)) is not None


def test_a_session_is_logged_only_once_it_has_started(client, db_session, admin_headers, coach, accepted,
                                                      future_slot):
    voucher, _ = accepted()
    coming = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(future_slot()),
        "duration_minutes": 60}).get_json()
    early = client.post(f"/api/v1/sessions/{coming['id']}/log", headers=admin_headers,
                        json={"attendance": {str(voucher.id): "attended"}, "duration_minutes": 60})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "not_started"
    assert usage_totals(db_session, voucher.id).spent_cents == 0  # nothing can be claimed or paid


def test_logging_tells_the_person_the_day_by_which_to_answer_and_no_answer_is_taken_after(
        app, client, db_session, admin_headers, coach, accepted, slot):
    from coaching.calendar.services.sessions import confirm_session
    from coaching.disputes.services import dispute_session

    voucher, person = accepted()
    held = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
        "duration_minutes": 60}).get_json()
    assert client.post(f"/api/v1/sessions/{held['id']}/log", headers=admin_headers, json={
        "attendance": {str(voucher.id): "attended"}, "duration_minutes": 60}).status_code == 200
    seat = db_session.scalar(select(SessionSeat).where(SessionSeat.session_id == held["id"]))
    [logged] = told_exactly(app, db_session, "session_logged", [person])
    assert logged.link == "/my/sessions" and seat.confirm_by_on.strftime("%Y") in logged.body
    after = utcnow() + timedelta(days=30)  # past the confirm-by day
    for answer in (lambda: confirm_session(db_session, person, held["id"], now=after),
                   lambda: dispute_session(db_session, person, held["id"], "Too short", now=after)):
        with pytest.raises(Conflict) as refused:
            answer()
        assert refused.value.code == "answer_period_over"
    assert seat.confirmation == "pending"


def test_a_provider_change_is_refused_once_a_session_is_booked_even_if_asked_before(
        client, db_session, admin_headers, coach, accepted, future_slot):
    from tests.support.factories import make_provider
    from vouchers.requests.services.vouchers import (
        accept_provider_change,
        request_provider_change,
    )

    voucher, person = accepted()
    other = make_provider(db_session)
    other_admin = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=other.id)
    voucher.offer_id = None  # asked before the mix is fixed, while nothing is booked
    request_provider_change(db_session, person, voucher.id, other.id, now=utcnow())
    voucher.offer_id = 1
    db_session.flush()
    client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(future_slot()),
        "duration_minutes": 60})
    with pytest.raises(Conflict) as refused:
        accept_provider_change(db_session, other_admin, voucher.id, now=utcnow())
    assert refused.value.code == "coaching_started"
    assert db_session.scalar(select(CoachingSession.id).where(CoachingSession.provider_id == voucher.provider_id))


def test_a_completed_voucher_releases_what_it_did_not_deliver(client, db_session, admin_headers, coach, accepted,
                                                              slot):
    from vouchers.ledger.services import entries as ledger

    voucher, person = accepted()
    person_headers = bearer(client, person.email)
    held_ids = []
    # A 9 h + 3 group mix, delivered in full but cheaper than the voucher's value.
    for _ in range(6):
        held = client.post("/api/v1/sessions", headers=admin_headers, json={
            "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot(4)),
            "duration_minutes": 90}).get_json()
        held_ids.append(held["id"])
        client.post(f"/api/v1/sessions/{held['id']}/log", headers=admin_headers,
                    json={"attendance": {str(voucher.id): "attended"}, "duration_minutes": 90})
        client.post(f"/api/v1/sessions/{held['id']}/confirm", headers=person_headers)
    for _ in range(3):
        start = slot(4)  # 3.5-hour sessions: 4 hours apart
        held = group(client, admin_headers, coach, [voucher], start, capacity=1)
        held_ids.append(held["id"])
        client.post(f"/api/v1/sessions/{held['id']}/log", headers=admin_headers,
                    json={"attendance": {str(voucher.id): "attended"}, "duration_minutes": 210})
        client.post(f"/api/v1/sessions/{held['id']}/confirm", headers=person_headers)
    db_session.refresh(voucher)
    assert voucher.status == "completed"
    # Nothing stays promised to an ended voucher; the sessions it delivered stay claimable, and a claim
    # commits their value again until the fund pays it.
    assert ledger.committed_for_voucher(db_session, voucher.id) == 0
    claim = client.post("/api/v1/provider/claims", headers=admin_headers,
                        json={"voucher_id": voucher.id, "session_ids": held_ids})
    assert claim.status_code == 201, claim.get_json()
    assert ledger.committed_for_voucher(db_session, voucher.id) == claim.get_json()["amount_cents"]
