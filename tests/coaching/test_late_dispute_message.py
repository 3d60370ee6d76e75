"""After the confirm-by day a dispute is no dispute any more: it becomes a message to the provider (DOMAIN.md,
"Confirmation"). The session stays as it was (no dispute opened, nothing held back from the claim), the provider's
administrators and the session's coach are told with the person's words, and the page and the API both say so."""

from __future__ import annotations

import html
from datetime import timedelta

import pytest
from flask_babel import force_locale
from sqlalchemy import func, select

from coaching.calendar.models import SessionSeat
from coaching.disputes.models import SessionDispute
from portal.audit import AuditEntry
from portal.auth.models import User
from portal.clock import utcnow
from portal.i18n import local_datetime
from portal.mail import OutboxMessage, deliver
from portal.notifications.models import Notification
from portal.privacy import REDACTED
from tests.support.notices import told, told_exactly
from tests.support.web import bearer, login, post_form

MESSAGE = "The coach left after half an hour, and I could not say so in time."
EN = {"Accept-Language": "en"}


@pytest.fixture
def logged_weeks_ago(db_session, make_voucher, offer, provider_admin, coach, slot):
    """A session that took place weeks ago, logged right after it: its day to answer is long past."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from coaching.providers.services.offers import accept_voucher

    voucher, person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())

    def build():
        booked = schedule_session(db_session, provider_admin, SessionPlan(
            coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=slot(4), duration_minutes=60),
            now=utcnow())
        log_session(db_session, provider_admin, booked.id, {voucher.id: "attended"}, 60, "Neutral note.",
                    now=booked.ends_at)
        seat = db_session.scalar(select(SessionSeat).where(SessionSeat.session_id == booked.id))
        assert seat.confirm_by_on < utcnow().date() - timedelta(days=1)
        return booked, seat

    build.person = person
    build.voucher = voucher
    return build


def _disputes(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(SessionDispute))


def test_a_late_dispute_by_the_api_is_a_message_to_the_provider(app, client, db_session, logged_weeks_ago,
                                                                provider_admin, coach):
    booked, seat = logged_weeks_ago()
    person = logged_weeks_ago.person
    answer = client.post(f"/api/v1/sessions/{booked.id}/dispute", headers=bearer(client, person.email),
                         json={"reason": f"  {MESSAGE}\n\n"})
    # Refused as a dispute (the day to answer is over), but the words reach the provider as a message.
    assert answer.status_code == 409, answer.get_json()
    body = answer.get_json()["error"]
    assert body["code"] == "answer_period_over" and body["sent_to_provider"] is True
    assert (body["session_id"], body["voucher_id"], body["confirmation"], body["confirm_by_on"]) == (
        booked.id, logged_weeks_ago.voucher.id, "pending", seat.confirm_by_on.isoformat())
    db_session.refresh(seat)
    # No dispute: the session counts as confirmed (silence), nothing is held back from the claim.
    assert (seat.confirmation, seat.dispute_reason) == ("pending", None) and _disputes(db_session) == 0
    coach_user = db_session.get(User, coach.user_id)
    admin_words, coach_words = told_exactly(app, db_session, "late_dispute_message", [provider_admin, coach_user])
    for words in (admin_words, coach_words):
        assert MESSAGE in words.body and words.link == f"/coach/sessions/{booked.id}"
        assert person.display_name in words.body
    with app.test_request_context(), force_locale("fr"):
        assert local_datetime(booked.starts_at) in coach_words.title  # the coach reads in French
    assert not told(db_session, provider_admin, "session_disputed")
    # The person's words are in the seat's history, as theirs.
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "session_seat",
                                                       AuditEntry.object_id == seat.id,
                                                       AuditEntry.action == "late_message"))
    assert entry.actor_id == person.id and entry.reason == MESSAGE


def test_a_session_confirmed_by_silence_takes_a_message_too(app, client, db_session, logged_weeks_ago,
                                                            provider_admin, today):
    from coaching.calendar.services.sessions import confirm_by_silence

    booked, seat = logged_weeks_ago()
    confirm_by_silence(db_session, today=today, now=utcnow())
    assert seat.confirmed_by_silence
    answer = client.post(f"/api/v1/sessions/{booked.id}/dispute",
                         headers=bearer(client, logged_weeks_ago.person.email), json={"reason": MESSAGE})
    assert answer.status_code == 409 and answer.get_json()["error"]["confirmation"] == "confirmed"
    assert answer.get_json()["error"]["sent_to_provider"] is True
    db_session.refresh(seat)
    assert seat.confirmation == "confirmed" and _disputes(db_session) == 0
    assert [n.object_id for n in told(db_session, provider_admin, "late_dispute_message")] == [seat.id]


def test_what_is_not_late_keeps_its_answers(client, db_session, logged_weeks_ago, provider_admin, slot):
    """In time it is still a dispute (200); an answered session still 409; an empty message still 422."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        confirm_session,
        log_session,
        schedule_session,
    )

    person, voucher = logged_weeks_ago.person, logged_weeks_ago.voucher
    headers = bearer(client, person.email)
    booked, _seat = logged_weeks_ago()
    assert client.post(f"/api/v1/sessions/{booked.id}/dispute", headers=headers,
                       json={"reason": "   "}).status_code == 422
    confirmed, _ = logged_weeks_ago()
    confirm_session(db_session, person, confirmed.id, now=confirmed.ends_at)  # they answered, in time
    refused = client.post(f"/api/v1/sessions/{confirmed.id}/dispute", headers=headers, json={"reason": MESSAGE})
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "already_answered"
    fresh = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=booked.coach_id, kind="individual", voucher_ids=[voucher.id], starts_at=slot(4),
        duration_minutes=60), now=utcnow())
    log_session(db_session, provider_admin, fresh.id, {voucher.id: "attended"}, 60, None, now=utcnow())
    in_time = client.post(f"/api/v1/sessions/{fresh.id}/dispute", headers=headers, json={"reason": MESSAGE})
    assert in_time.status_code == 200 and in_time.get_json()["confirmation"] == "disputed"
    assert _disputes(db_session) == 1
    assert not told(db_session, provider_admin, "late_dispute_message")


def test_the_agenda_offers_a_message_after_the_day_and_sends_it(client, db_session, logged_weeks_ago,
                                                                provider_admin):
    booked, seat = logged_weeks_ago()
    db_session.commit()
    login(client, logged_weeks_ago.person.email)
    page = html.unescape(client.get("/my/sessions", headers=EN).get_data(as_text=True))
    assert "Write to my provider" in page and "Your message to the provider" in page
    assert "Confirm this session" not in page  # too late to confirm or dispute
    path = f"/my/sessions/{booked.id}/dispute"
    empty = post_form(client, path, {"reason": " "}, token_from="/my/sessions", headers=EN)
    assert empty.status_code == 422 and "Say what is wrong." in html.unescape(empty.get_data(as_text=True))
    sent = post_form(client, path, {"reason": MESSAGE}, token_from="/my/sessions", headers=EN, follow_redirects=True)
    assert sent.status_code == 200
    assert "Your message is sent to your coaching provider" in html.unescape(sent.get_data(as_text=True))
    assert _disputes(db_session) == 0
    [notice] = told(db_session, provider_admin, "late_dispute_message")
    assert notice.object_id == seat.id


def test_the_provider_reads_the_message_and_its_session(app, client, db_session, logged_weeks_ago, provider_admin):
    booked, _seat = logged_weeks_ago()
    client.post(f"/api/v1/sessions/{booked.id}/dispute", headers=bearer(client, logged_weeks_ago.person.email),
                json={"reason": MESSAGE})
    db_session.commit()
    login(client, provider_admin.email)
    notices = html.unescape(client.get("/notifications", headers=EN).get_data(as_text=True))
    assert MESSAGE in notices
    assert client.get(f"/coach/sessions/{booked.id}", headers=EN).status_code == 200


def test_closing_the_account_takes_the_words_out_of_what_the_provider_was_told(app, client, db_session,
                                                                               logged_weeks_ago, provider_admin):
    from portal.privacy import erase_person

    booked, seat = logged_weeks_ago()
    person = logged_weeks_ago.person
    client.post(f"/api/v1/sessions/{booked.id}/dispute", headers=bearer(client, person.email),
                json={"reason": f"{MESSAGE} <hurt>"})
    db_session.commit()
    with app.test_request_context():
        deliver(db_session, app.extensions["portal_mail_transport"], app.config["MAIL_SENDER"])
    [notice] = told(db_session, provider_admin, "late_dispute_message")
    mail = db_session.scalar(select(OutboxMessage).where(OutboxMessage.notification_id == notice.id))
    assert MESSAGE in mail.body and "&lt;hurt&gt;" in mail.html_body  # sent, with the words
    erase_person(db_session, person, now=utcnow())
    db_session.flush()
    db_session.refresh(notice)
    db_session.refresh(mail)
    for text in (notice.params, mail.body, mail.html_body):
        assert MESSAGE not in text and "hurt" not in text
    assert REDACTED in mail.body
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.object_id == seat.id,
                                                       AuditEntry.action == "late_message"))
    assert entry.reason == REDACTED
    assert db_session.get(Notification, notice.id) is not None  # the provider still knows a message came


def test_the_openapi_document_shows_the_late_answer(client):
    dispute = client.get("/api/v1/openapi.json").get_json()["paths"]["/api/v1/sessions/{session_id}/dispute"]["post"]
    assert {"200", "409"} <= set(dispute["responses"])
    assert "sent_to_provider" in dispute["responses"]["409"]["description"]
