"""The beneficiary's agenda: coming sessions, confirming or disputing logged ones, past answers."""

from __future__ import annotations

import html
from datetime import UTC, datetime, time, timedelta

import pytest
from babel.dates import format_date
from flask import render_template
from sqlalchemy import select

from coaching.calendar.models import SessionSeat
from portal.clock import BRUSSELS, utcnow
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import login, post_form

EN = {"Accept-Language": "en"}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\u00a0", " ")


@pytest.fixture
def course(db_session, make_voucher, offer, provider_admin, coach, today):
    """A voucher with its mix fixed and a helper to book (and optionally log) sessions on it."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from coaching.providers.services.offers import accept_voucher

    voucher, person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    counter = {"n": 0}

    def book(*, logged: bool = False, mode: str = "onsite", location: str = "Rue Haute 5, 1000 Bruxelles",
             note: str | None = None, attendance: str = "attended"):
        counter["n"] += 1
        # a session is logged once it has taken place; one still to come is in the coming days
        day = today + timedelta(days=counter["n"]) - timedelta(days=30 if logged else 0)
        start = datetime.combine(day, time(14, 0), tzinfo=BRUSSELS).astimezone(UTC)
        booked = schedule_session(db_session, provider_admin, SessionPlan(
            coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=start, duration_minutes=60,
            mode=mode, location=location, theme="Job search"), now=utcnow())
        if logged:
            log_session(db_session, provider_admin, booked.id, {voucher.id: attendance}, 60, note, now=utcnow())
        return booked

    return voucher, person, book


def seat_of(db_session, booked) -> SessionSeat:
    return db_session.scalar(select(SessionSeat).where(SessionSeat.session_id == booked.id))


def test_the_agenda_shows_coming_sessions_in_belgian_time(client, course):
    voucher, person, book = course
    onsite = book()
    online = book(mode="online", location="https://meet.example.be/abc")
    login(client, person.email)
    response = client.get("/my/sessions", headers=EN)
    assert response.status_code == 200
    page = text(response)
    assert "Coming sessions" in page and "All times are Belgian time." in page
    assert "2:00 PM" in page and "3:00 PM" in page  # 14:00 in Brussels, whatever UTC says
    assert "Rue Haute 5, 1000 Bruxelles" in page and "Inès Dubois" in page
    assert 'href="https://meet.example.be/abc"' in page and "join the online meeting" in page
    assert format_date(onsite.starts_at.astimezone(BRUSSELS).date(), "full", locale="en") in page
    assert format_date(online.starts_at.astimezone(BRUSSELS).date(), "full", locale="en") in page
    assert "Nothing to confirm." in page


def test_a_logged_session_waits_for_an_answer_with_its_deadline(client, db_session, course):
    voucher, person, book = course
    booked = book(logged=True, note="Talked about the CV.")
    seat = seat_of(db_session, booked)
    login(client, person.email)
    page = text(client.get("/my/sessions", headers=EN))
    assert "Sessions to confirm" in page
    deadline = format_date(seat.confirm_by_on, "long", locale="en")
    assert f"Answer by {deadline}, otherwise it counts as confirmed." in page
    assert "Talked about the CV." in page  # the note is the beneficiary's to read
    assert "Confirm this session" in page and "Something is wrong" in page


def test_confirming_a_session(client, db_session, course):
    voucher, person, book = course
    booked = book(logged=True)
    login(client, person.email)
    response = post_form(client, f"/my/sessions/{booked.id}/confirm", {}, token_from="/my/sessions")
    assert response.status_code == 302 and response.headers["Location"].endswith("/my/sessions")
    seat = seat_of(db_session, booked)
    assert seat.confirmation == "confirmed" and not seat.confirmed_by_silence
    page = text(client.get("/my/sessions", headers=EN))
    assert "Nothing to confirm." in page and "Confirmed" in page
    again = post_form(client, f"/my/sessions/{booked.id}/confirm", {}, token_from="/my/sessions", headers=EN)
    assert again.status_code == 409 and "You already answered for this session." in text(again)


def test_disputing_needs_a_reason_and_keeps_the_form(client, db_session, course):
    voucher, person, book = course
    booked = book(logged=True)
    login(client, person.email)
    empty = post_form(client, f"/my/sessions/{booked.id}/dispute", {"reason": "  "}, token_from="/my/sessions",
                      headers=EN)
    assert empty.status_code == 422
    page = text(empty)
    assert "Say what is wrong." in page and f'id="reason-{booked.id}-error"' in page
    assert '<details class="session-dispute" open>' in page
    assert seat_of(db_session, booked).confirmation == "pending"
    response = post_form(client, f"/my/sessions/{booked.id}/dispute", {"reason": "I was not there that day"},
                         token_from="/my/sessions")
    assert response.status_code == 302
    seat = seat_of(db_session, booked)
    assert seat.confirmation == "disputed" and seat.dispute_reason == "I was not there that day"
    page = text(client.get("/my/sessions", headers=EN))
    assert "Disputed" in page and "I was not there that day" in page


def test_confirming_needs_the_csrf_token(client, db_session, course):
    voucher, person, book = course
    booked = book(logged=True)
    login(client, person.email)
    assert client.post(f"/my/sessions/{booked.id}/confirm").status_code == 400
    assert seat_of(db_session, booked).confirmation == "pending"


def test_a_session_not_logged_yet_cannot_be_confirmed(client, course):
    voucher, person, book = course
    booked = book()
    login(client, person.email)
    response = post_form(client, f"/my/sessions/{booked.id}/confirm", {}, token_from="/my/sessions", headers=EN)
    assert response.status_code == 409 and "This session is not logged yet." in text(response)


def test_someone_elses_session_is_not_found(client, db_session, course):
    voucher, person, book = course
    booked = book(logged=True)
    other = make_user(db_session, Role.BENEFICIARY, language="en")
    login(client, other.email)
    page = text(client.get("/my/sessions", headers=EN))
    assert "Rue Haute" not in page and "Nothing to confirm." in page
    assert post_form(client, f"/my/sessions/{booked.id}/confirm", {}, token_from="/my/sessions").status_code == 404
    assert post_form(client, f"/my/sessions/{booked.id}/dispute", {"reason": "x"},
                     token_from="/my/sessions").status_code == 404
    assert post_form(client, f"/my/sessions/{booked.id}/dispute", {"reason": ""},
                     token_from="/my/sessions").status_code == 404
    assert seat_of(db_session, booked).confirmation == "pending"


def test_the_agenda_is_for_beneficiaries(client, provider_admin):
    assert client.get("/my/sessions").status_code == 302  # to the login page
    login(client, provider_admin.email)
    assert client.get("/my/sessions").status_code == 403


def test_the_dashboard_link(app, db_session):
    with app.test_request_context("/my", headers=EN):
        page = render_template("coaching/beneficiary/_dashboard_link.html")
    assert 'href="/my/sessions"' in page and "My coaching sessions" in page
