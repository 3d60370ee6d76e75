"""A whole course through the API: offer, mix, sessions, logging, confirmation, claim, and every cap."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching.claims.models import ClaimLine
from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.notices import told_exactly
from tests.support.web import bearer
from vouchers.ledger.services import entries as ledger


def iso(value):
    return value.isoformat()


def test_offer_validation(client, admin_headers):
    ok = client.post("/api/v1/provider/offers", headers=admin_headers,
                     json={"name": "9+3", "individual_hours": 9, "collective_sessions": 3,
                           "individual_unit_cents": 15000, "collective_unit_cents": 15000})
    assert ok.status_code == 201 and ok.get_json()["cost_cents"] == 180000
    too_many = client.post("/api/v1/provider/offers", headers=admin_headers,
                           json={"name": "13h", "individual_hours": 13, "collective_sessions": 0})
    assert too_many.status_code == 422 and "individual_hours" in too_many.get_json()["error"]["fields"]
    too_dear = client.post("/api/v1/provider/offers", headers=admin_headers,
                           json={"name": "dear", "individual_hours": 12, "collective_sessions": 1})
    assert too_dear.status_code == 422 and "cost" in too_dear.get_json()["error"]["fields"]
    listed = client.get("/api/v1/provider/offers", headers=admin_headers).get_json()
    assert [o["name"] for o in listed["items"]] == ["9+3"] and listed["next_cursor"] is None


def test_offers_are_for_provider_staff_only(client, db_session):
    person = make_user(db_session, Role.BENEFICIARY)
    headers = bearer(client, person.email)
    assert client.post("/api/v1/provider/offers", headers=headers,
                       json={"name": "x", "individual_hours": 1, "collective_sessions": 0}).status_code == 403


def test_the_whole_course(app, client, db_session, admin_headers, make_voucher, offer, coach, slot, fund_admin, today,
                          provider_admin):
    voucher, person = make_voucher()
    # The provider sees the voucher and fixes the mix at the first interview.
    listed = client.get("/api/v1/provider/vouchers", headers=admin_headers).get_json()["items"]
    assert [v["id"] for v in listed] == [voucher.id]
    accepted = client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers,
                           json={"offer_id": offer.id})
    assert accepted.status_code == 200 and accepted.get_json()["mix"]["individual_hours"] == 9
    # Schedule a 90-minute individual session.
    start = slot()
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(start),
        "duration_minutes": 90, "mode": "onsite", "location": "Rue Haute 5, Bruxelles"})
    assert booked.status_code == 201, booked.get_json()
    session_id = booked.get_json()["id"]
    beneficiary_headers = bearer(client, person.email)
    figures = client.get(f"/api/v1/vouchers/{voucher.id}", headers=beneficiary_headers).get_json()
    assert figures["committed_cents"] == 22500 and figures["balance_cents"] == 157500
    # The same coach cannot be booked at an overlapping time.
    clash = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id],
        "starts_at": iso(start + timedelta(minutes=30)), "duration_minutes": 60})
    assert clash.status_code == 409 and clash.get_json()["error"]["code"] == "double_booking"
    # Confirming before logging is refused.
    assert client.post(f"/api/v1/sessions/{session_id}/confirm", headers=beneficiary_headers).status_code == 409
    # Log it: 90 minutes attended.
    logged = client.post(f"/api/v1/sessions/{session_id}/log", headers=admin_headers, json={
        "attendance": {str(voucher.id): "attended"}, "duration_minutes": 90, "note": "Exploration of needs."})
    assert logged.status_code == 200, logged.get_json()
    figures = client.get(f"/api/v1/vouchers/{voucher.id}", headers=beneficiary_headers).get_json()
    assert figures["status"] == "in_progress" and figures["spent_cents"] == 22500
    assert figures["committed_cents"] == 0 and figures["individual_minutes_used"] == 90
    # A claim before confirmation is refused; after it, it is accepted once.
    early = client.post("/api/v1/provider/claims", headers=admin_headers,
                        json={"voucher_id": voucher.id, "session_ids": [session_id]})
    assert early.status_code == 409
    assert client.post(f"/api/v1/sessions/{session_id}/confirm", headers=beneficiary_headers).status_code == 200
    claim = client.post("/api/v1/provider/claims", headers=admin_headers,
                        json={"voucher_id": voucher.id, "session_ids": [session_id]})
    assert claim.status_code == 201 and claim.get_json()["amount_cents"] == 22500
    again = client.post("/api/v1/provider/claims", headers=admin_headers,
                        json={"voucher_id": voucher.id, "session_ids": [session_id]})
    assert again.status_code == 409
    # The fund approves: committed value becomes payable.
    fund_headers = bearer(client, fund_admin.email)
    before = ledger.fund_position(db_session)
    approved = client.post(f"/api/v1/admin/claims/{claim.get_json()['id']}/approve", headers=fund_headers)
    assert approved.status_code == 200 and approved.get_json()["status"] == "approved"
    [heard] = told_exactly(app, db_session, "claim_approved", [provider_admin])
    assert heard.link == "/provider/claims"
    after = ledger.fund_position(db_session)
    assert after.committed_cents == before.committed_cents - 22500
    assert after.payable_cents == before.payable_cents + 22500
    assert after.available_cents == before.available_cents


def test_balance_caps_individual_minutes(client, db_session, admin_headers, make_voucher, provider_admin, coach, slot,
                                         today):
    from coaching.providers.services.offers import create_offer

    small = create_offer(db_session, provider_admin, name="2h", individual_hours=2, collective_sessions=0,
                         individual_unit_cents=None, collective_unit_cents=None, today=today)
    voucher, _ = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": small.id})
    body = {"coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "duration_minutes": 60}
    assert client.post("/api/v1/sessions", headers=admin_headers, json={**body, "starts_at": iso(slot())}).status_code == 201
    assert client.post("/api/v1/sessions", headers=admin_headers, json={**body, "starts_at": iso(slot())}).status_code == 201
    third = client.post("/api/v1/sessions", headers=admin_headers, json={**body, "starts_at": iso(slot())})
    assert third.status_code == 409 and third.get_json()["error"]["code"] == "balance_exceeded"


def test_collective_session_caps_and_capacity(client, db_session, admin_headers, make_voucher, provider_admin, coach,
                                              slot, today):
    from coaching.providers.services.offers import create_offer

    one_group = create_offer(db_session, provider_admin, name="11+1", individual_hours=11, collective_sessions=1,
                             individual_unit_cents=None, collective_unit_cents=None, today=today)
    first, _ = make_voucher()
    second, _ = make_voucher()
    for voucher in (first, second):
        client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers,
                    json={"offer_id": one_group.id})
    body = {"coach_id": coach.id, "kind": "collective", "voucher_ids": [first.id, second.id], "capacity": 8}
    wrong_length = client.post("/api/v1/sessions", headers=admin_headers,
                               json={**body, "starts_at": iso(slot()), "duration_minutes": 180})
    assert wrong_length.status_code == 422
    ok = client.post("/api/v1/sessions", headers=admin_headers,
                     json={**body, "starts_at": iso(slot(5)), "duration_minutes": 210})
    assert ok.status_code == 201 and len(ok.get_json()["seats"]) == 2
    # Each voucher has only one collective session in its mix.
    later = client.post("/api/v1/sessions", headers=admin_headers,
                        json={**body, "voucher_ids": [first.id], "starts_at": iso(slot(5) + timedelta(days=3)),
                              "duration_minutes": 210})
    assert later.status_code == 409


def test_individual_durations(client, admin_headers, make_voucher, offer, coach, slot):
    voucher, _ = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    for minutes, expected in ((45, 422), (70, 422), (135, 422), (75, 201)):
        response = client.post("/api/v1/sessions", headers=admin_headers, json={
            "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
            "duration_minutes": minutes})
        assert response.status_code == expected, (minutes, response.get_json())


def test_no_show_uses_nothing_and_cannot_be_claimed(client, admin_headers, make_voucher, offer, coach, slot):
    voucher, person = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
        "duration_minutes": 60}).get_json()
    client.post(f"/api/v1/sessions/{booked['id']}/log", headers=admin_headers,
                json={"attendance": {str(voucher.id): "no_show"}, "duration_minutes": 60})
    headers = bearer(client, person.email)
    figures = client.get(f"/api/v1/vouchers/{voucher.id}", headers=headers).get_json()
    assert figures["spent_cents"] == 0 and figures["balance_cents"] == 180000 and figures["status"] == "approved"
    client.post(f"/api/v1/sessions/{booked['id']}/confirm", headers=headers)
    claim = client.post("/api/v1/provider/claims", headers=admin_headers,
                        json={"voucher_id": voucher.id, "session_ids": [booked["id"]]})
    assert claim.status_code == 409


def test_dispute_blocks_the_claim(client, admin_headers, make_voucher, offer, coach, slot):
    voucher, person = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
        "duration_minutes": 60}).get_json()
    client.post(f"/api/v1/sessions/{booked['id']}/log", headers=admin_headers,
                json={"attendance": {str(voucher.id): "attended"}, "duration_minutes": 60})
    headers = bearer(client, person.email)
    assert client.post(f"/api/v1/sessions/{booked['id']}/dispute", headers=headers, json={}).status_code == 422
    disputed = client.post(f"/api/v1/sessions/{booked['id']}/dispute", headers=headers,
                           json={"reason": "I was not there that day"})
    assert disputed.status_code == 200 and disputed.get_json()["confirmation"] == "disputed"
    assert client.post("/api/v1/provider/claims", headers=admin_headers,
                       json={"voucher_id": voucher.id, "session_ids": [booked["id"]]}).status_code == 409


def test_silence_confirms_after_five_working_days(db_session, client, admin_headers, make_voucher, offer, coach, slot):
    from coaching.calendar.models import SessionSeat
    from coaching.calendar.services.sessions import confirm_by_silence

    voucher, _ = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
        "duration_minutes": 60}).get_json()
    client.post(f"/api/v1/sessions/{booked['id']}/log", headers=admin_headers,
                json={"attendance": {str(voucher.id): "attended"}, "duration_minutes": 60})
    seat = db_session.scalar(select(SessionSeat).where(SessionSeat.session_id == booked["id"]))
    assert confirm_by_silence(db_session, today=seat.confirm_by_on, now=utcnow()) == []  # the last day still counts
    assert confirm_by_silence(db_session, today=seat.confirm_by_on + timedelta(days=1), now=utcnow()) == [seat.id]
    assert seat.confirmation == "confirmed" and seat.confirmed_by_silence
    assert confirm_by_silence(db_session, today=seat.confirm_by_on + timedelta(days=1), now=utcnow()) == []


def test_claims_are_capped_at_the_voucher_value(db_session, make_voucher, provider_admin, coach, today):
    from coaching.calendar.models import CoachingSession, SessionSeat
    from coaching.claims.services import submit_claim

    voucher, _ = make_voucher()
    voucher.individual_hours, voucher.collective_sessions = 12, 0
    voucher.individual_unit_cents, voucher.collective_unit_cents = 15000, 15000
    seats = []
    start = utcnow() - timedelta(days=30)
    for index in range(13):  # more seats than the voucher can pay, written directly to test the cap
        booked = CoachingSession(provider_id=voucher.provider_id, coach_id=coach.id, kind="individual",
                                 starts_at=start + timedelta(hours=3 * index),
                                 ends_at=start + timedelta(hours=3 * index + 1), duration_minutes=60, status="logged")
        db_session.add(booked)
        db_session.flush()
        seats.append(SessionSeat(session_id=booked.id, voucher_id=voucher.id, attendance="attended",
                                 cost_cents=15000, confirmation="confirmed"))
    db_session.add_all(seats)
    db_session.flush()
    claim = submit_claim(db_session, provider_admin, voucher.id, [s.session_id for s in seats], now=utcnow())
    assert claim.amount_cents == 180000


def test_someone_elses_session_and_voucher_are_404(client, db_session, admin_headers, make_voucher, offer, coach,
                                                   slot):
    voucher, person = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
        "duration_minutes": 60}).get_json()
    other_provider = make_provider(db_session)
    stranger = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=other_provider.id)
    headers = bearer(client, stranger.email)
    assert client.get(f"/api/v1/sessions/{booked['id']}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=headers,
                       json={"offer_id": offer.id}).status_code == 404
    assert client.get(f"/api/v1/vouchers/{voucher.id}", headers=headers).status_code == 404
    other_person = make_user(db_session, Role.BENEFICIARY)
    assert client.post(f"/api/v1/sessions/{booked['id']}/confirm",
                       headers=bearer(client, other_person.email)).status_code == 404


def test_calendar_feed_needs_the_secret(client, admin_headers, make_voucher, offer, coach, future_slot):
    voucher, _ = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(future_slot()),
        "duration_minutes": 60, "theme": "Job search"})
    assert client.get(f"/api/v1/coaches/{coach.id}/calendar.ics?token=wrong").status_code == 404
    feed = client.get(f"/api/v1/coaches/{coach.id}/calendar.ics?token={coach.calendar_token}")
    assert feed.status_code == 200 and feed.mimetype == "text/calendar"
    from icalendar import Calendar

    events = [c for c in Calendar.from_ical(feed.data).walk() if c.name == "VEVENT"]
    assert len(events) == 1 and "Job search" in str(events[0]["summary"])


def test_rejected_claim_frees_its_sessions(app, db_session, client, admin_headers, make_voucher, offer, coach, slot,
                                           fund_admin, provider_admin):
    voucher, person = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
        "duration_minutes": 60}).get_json()
    client.post(f"/api/v1/sessions/{booked['id']}/log", headers=admin_headers,
                json={"attendance": {str(voucher.id): "attended"}, "duration_minutes": 60})
    client.post(f"/api/v1/sessions/{booked['id']}/confirm", headers=bearer(client, person.email))
    claim = client.post("/api/v1/provider/claims", headers=admin_headers,
                        json={"voucher_id": voucher.id, "session_ids": [booked["id"]]}).get_json()
    fund = bearer(client, fund_admin.email)
    assert client.post(f"/api/v1/admin/claims/{claim['id']}/reject", headers=fund, json={}).status_code == 422
    assert client.post(f"/api/v1/admin/claims/{claim['id']}/reject", headers=fund,
                       json={"reason": "wrong voucher"}).status_code == 200
    [told_provider] = told_exactly(app, db_session, "claim_rejected", [provider_admin])
    assert "wrong voucher" in told_provider.body
    assert db_session.scalars(select(ClaimLine)).all() == []
    again = client.post("/api/v1/provider/claims", headers=admin_headers,
                        json={"voucher_id": voucher.id, "session_ids": [booked["id"]]})
    assert again.status_code == 201
    assert client.post(f"/api/v1/admin/claims/{claim['id']}/approve", headers=fund).status_code == 409


@pytest.mark.parametrize("status", [None])
def test_admin_claim_list(client, fund_admin, status):
    fund = bearer(client, fund_admin.email)
    body = client.get("/api/v1/admin/claims", headers=fund).get_json()
    assert body == {"items": [], "next_cursor": None}
    assert client.get("/api/v1/admin/claims?status=bogus", headers=fund).status_code == 422


@pytest.mark.parametrize("claim_before_expiry", [True, False])
def test_a_partial_course_is_claimable_when_the_voucher_ends(db_session, client, admin_headers, make_voucher, offer,
                                                             coach, slot, fund_admin, claim_before_expiry):
    """Delivered sessions stay payable after expiry, and the ledger still agrees with the records."""
    from vouchers.ledger.services.consistency import check_ledger
    from vouchers.requests.services.vouchers import expire_vouchers

    voucher, person = make_voucher()
    client.post(f"/api/v1/provider/vouchers/{voucher.id}/accept", headers=admin_headers, json={"offer_id": offer.id})
    booked = client.post("/api/v1/sessions", headers=admin_headers, json={
        "coach_id": coach.id, "kind": "individual", "voucher_ids": [voucher.id], "starts_at": iso(slot()),
        "duration_minutes": 60}).get_json()
    client.post(f"/api/v1/sessions/{booked['id']}/log", headers=admin_headers,
                json={"attendance": {str(voucher.id): "attended"}, "duration_minutes": 60})
    client.post(f"/api/v1/sessions/{booked['id']}/confirm", headers=bearer(client, person.email))
    claim_body = {"voucher_id": voucher.id, "session_ids": [booked["id"]]}
    if claim_before_expiry:
        claim = client.post("/api/v1/provider/claims", headers=admin_headers, json=claim_body).get_json()
    expire_vouchers(db_session, today=voucher.valid_until_on + timedelta(days=1), now=utcnow())
    if not claim_before_expiry:
        claim = client.post("/api/v1/provider/claims", headers=admin_headers, json=claim_body).get_json()
    assert check_ledger(db_session) == []
    fund = bearer(client, fund_admin.email)
    assert client.post(f"/api/v1/admin/claims/{claim['id']}/approve", headers=fund).status_code == 200
    assert check_ledger(db_session) == []
    assert ledger.committed_for_voucher(db_session, voucher.id) == 0
