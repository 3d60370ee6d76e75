"""Disputed sessions: at the provider first (accept and correct, or escalate), then at the fund
(uphold or dismiss); the usage ledger is reversed, never rewritten; every step is audited."""

from __future__ import annotations

import html
import re
from datetime import timedelta

import pytest
from sqlalchemy import select

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.disputes.models import SessionDispute
from portal.audit import AuditEntry
from portal.clock import utcnow
from portal.errors import Conflict, NotFound, ValidationFailed
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.notices import told_exactly
from tests.support.web import bearer, login, post_form
from vouchers.requests.usage import UsageEntry, usage_totals

EN = {"Accept-Language": "en"}
NOTE = "Talked about her back pain"  # the session's sensitive note: never shown to the fund


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\u00a0", " ")


@pytest.fixture
def course(db_session, make_voucher, offer, provider_admin, coach, slot):
    """Book and log sessions of one voucher (9 h + 3 groups at €150)."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from coaching.providers.services.offers import accept_voucher

    voucher, person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())

    class Course:
        def __init__(self):
            self.voucher, self.person = voucher, person

        def logged(self, attendance: str = "attended", minutes: int = 90, kind: str = "individual"):
            booked = schedule_session(db_session, provider_admin, SessionPlan(
                coach_id=coach.id, kind=kind, voucher_ids=[voucher.id], starts_at=slot(4),
                duration_minutes=minutes), now=utcnow())
            log_session(db_session, provider_admin, booked.id, {voucher.id: attendance}, minutes, NOTE, now=utcnow())
            return booked

        def disputed(self, **kwargs):
            from coaching.disputes.services import dispute_session

            booked = self.logged(**kwargs)
            dispute_session(db_session, person, booked.id, "I was not there that day", now=utcnow())
            return booked, db_session.scalar(select(SessionDispute).join(SessionSeat).where(
                SessionSeat.session_id == booked.id))

    return Course()


def seat_of(db_session, booked) -> SessionSeat:
    return db_session.scalar(select(SessionSeat).where(SessionSeat.session_id == booked.id))


def entries(db_session, booked) -> list[tuple[str, int, int]]:
    return [(e.kind, e.individual_minutes, e.amount_cents) for e in db_session.scalars(
        select(UsageEntry).where(UsageEntry.coaching_session_id == booked.id).order_by(UsageEntry.id))]


def actions(db_session, object_type: str, object_id: int) -> list[str]:
    return list(db_session.scalars(select(AuditEntry.action).where(
        AuditEntry.object_type == object_type, AuditEntry.object_id == object_id).order_by(AuditEntry.id)))


def refused(db_session, service, *args, **kwargs) -> ValidationFailed:
    """Run a service that must refuse, as a view does: what the test set up is committed first, and
    the refusal rolled back, so whatever the service half-wrote would show."""
    db_session.commit()
    with pytest.raises(ValidationFailed) as error:
        service(db_session, *args, **kwargs)
    db_session.rollback()
    return error.value


# --- services ------------------------------------------------------------------------------------


def test_disputing_opens_a_dispute_at_the_provider(app, db_session, course, provider_admin):
    booked, dispute = course.disputed()
    assert dispute.status == "open" and dispute.provider_id == booked.provider_id
    assert actions(db_session, "session_dispute", dispute.id) == ["opened"]
    [heard] = told_exactly(app, db_session, "session_disputed", [provider_admin])
    # Where to answer, but not the person's words: those stay on the page, out of the e-mail.
    assert heard.link == f"/provider/disputes/{dispute.id}" and "I was not there" not in heard.body


def test_accepting_a_no_show_gives_the_hours_and_euros_back(app, db_session, course, provider_admin):
    from coaching.claims.services import submit_claim
    from coaching.disputes.services import accept_dispute

    booked, dispute = course.disputed(minutes=90)
    before = usage_totals(db_session, course.voucher.id)
    assert (before.individual_minutes, before.spent_cents) == (90, 22500)
    accept_dispute(db_session, provider_admin, dispute.id, attendance="no_show", duration_minutes=None,
                   note="Right, she was ill", now=utcnow())
    seat = seat_of(db_session, booked)
    assert (seat.attendance, seat.cost_cents, seat.confirmation) == ("no_show", 0, "confirmed")
    assert dispute.status == "upheld" and dispute.corrected_attendance == "no_show" and dispute.resolved_at
    after = usage_totals(db_session, course.voucher.id)
    assert (after.individual_minutes, after.spent_cents) == (0, 0)
    # Appended, never rewritten: the delivery is still there, reversed by a correction.
    assert entries(db_session, booked) == [("scheduled", 90, 22500), ("released", -90, -22500),
                                           ("delivered", 90, 22500), ("corrected", -90, -22500)]
    assert actions(db_session, "session_dispute", dispute.id) == ["opened", "accepted"]
    assert "corrected" in actions(db_session, "session_seat", seat.id)
    with pytest.raises(Conflict) as refused:  # a no-show is never claimable
        submit_claim(db_session, provider_admin, course.voucher.id, [booked.id], now=utcnow())
    assert refused.value.code == "not_claimable"
    [decided] = told_exactly(app, db_session, "dispute_decided", [course.person])
    assert "your dispute is accepted" in decided.body


def test_accepting_a_shorter_session_corrects_its_duration_and_price(db_session, course, provider_admin):
    from coaching.claims.services import submit_claim
    from coaching.disputes.services import accept_dispute

    booked, dispute = course.disputed(minutes=120)
    accept_dispute(db_session, provider_admin, dispute.id, attendance="attended", duration_minutes=60, note=None,
                   now=utcnow())
    seat = seat_of(db_session, booked)
    assert (seat.attendance, seat.cost_cents, seat.confirmation) == ("attended", 15000, "confirmed")
    assert db_session.get(CoachingSession, booked.id).logged_minutes == 60
    assert dispute.corrected_minutes == 60
    totals = usage_totals(db_session, course.voucher.id)
    assert (totals.individual_minutes, totals.spent_cents) == (60, 15000)
    claim = submit_claim(db_session, provider_admin, course.voucher.id, [booked.id], now=utcnow())
    assert claim.amount_cents == 15000


def test_accepting_needs_a_real_correction(db_session, course, provider_admin):
    from coaching.disputes.services import accept_dispute

    booked, dispute = course.disputed(minutes=90)
    with pytest.raises(ValidationFailed) as same:
        accept_dispute(db_session, provider_admin, dispute.id, attendance="attended", duration_minutes=90,
                       note=None, now=utcnow())
    assert same.value.code == "nothing_corrected"
    with pytest.raises(ValidationFailed) as odd:
        accept_dispute(db_session, provider_admin, dispute.id, attendance="attended", duration_minutes=50,
                       note=None, now=utcnow())
    assert odd.value.code == "invalid_duration"
    with pytest.raises(ValidationFailed):
        accept_dispute(db_session, provider_admin, dispute.id, attendance="maybe", duration_minutes=None, note=None,
                       now=utcnow())
    assert dispute.status == "open" and seat_of(db_session, booked).confirmation == "disputed"


def test_escalated_then_dismissed_by_the_fund_the_log_stands(db_session, course, provider_admin, fund_admin):
    from coaching.claims.services import submit_claim
    from coaching.disputes.services import (
        accept_dispute,
        decide_dispute,
        escalate_dispute,
        fund_disputes,
    )

    booked, dispute = course.disputed(minutes=90)
    assert fund_disputes(db_session, fund_admin) == []  # still the provider's business
    with pytest.raises(ValidationFailed):
        escalate_dispute(db_session, provider_admin, dispute.id, "  ", now=utcnow())
    escalate_dispute(db_session, provider_admin, dispute.id, "She signed the attendance sheet.", now=utcnow())
    assert dispute.status == "escalated" and dispute.escalated_by == provider_admin.id
    with pytest.raises(Conflict):
        accept_dispute(db_session, provider_admin, dispute.id, attendance="no_show", duration_minutes=None,
                       note=None, now=utcnow())
    assert [v.dispute.id for v in fund_disputes(db_session, fund_admin, status="escalated")] == [dispute.id]
    with pytest.raises(ValidationFailed):  # a decision gives its reason
        decide_dispute(db_session, fund_admin, dispute.id, decision="dismiss", note="", now=utcnow())
    decide_dispute(db_session, fund_admin, dispute.id, decision="dismiss", note="The sheet is signed.", now=utcnow())
    seat = seat_of(db_session, booked)
    assert dispute.status == "dismissed" and (seat.attendance, seat.confirmation) == ("attended", "confirmed")
    assert usage_totals(db_session, course.voucher.id).spent_cents == 22500
    assert entries(db_session, booked)[-1] == ("delivered", 90, 22500)  # nothing reversed
    assert actions(db_session, "session_dispute", dispute.id) == ["opened", "escalated", "decided"]
    with pytest.raises(Conflict):
        decide_dispute(db_session, fund_admin, dispute.id, decision="uphold", note="again", attendance="no_show",
                       now=utcnow())
    assert submit_claim(db_session, provider_admin, course.voucher.id, [booked.id], now=utcnow()).amount_cents == 22500


def test_upheld_by_the_fund_the_seat_is_corrected(db_session, course, provider_admin, fund_admin):
    from coaching.disputes.services import decide_dispute, escalate_dispute

    booked, dispute = course.disputed(minutes=90)
    escalate_dispute(db_session, provider_admin, dispute.id, "We disagree.", now=utcnow())
    with pytest.raises(ValidationFailed) as incomplete:
        decide_dispute(db_session, fund_admin, dispute.id, decision="uphold", note="She was in hospital.",
                       now=utcnow())
    assert "attendance" in incomplete.value.fields
    decide_dispute(db_session, fund_admin, dispute.id, decision="uphold", note="She was in hospital.",
                   attendance="late_cancel", now=utcnow())
    seat = seat_of(db_session, booked)
    assert dispute.status == "upheld" and (seat.attendance, seat.cost_cents) == ("late_cancel", 0)
    assert usage_totals(db_session, course.voucher.id).spent_cents == 0
    assert dispute.resolved_by == fund_admin.id and dispute.resolution_note == "She was in hospital."


@pytest.fixture
def one_hour(db_session, make_voucher, provider_admin, coach, slot, today):
    """A voucher whose whole mix is one individual hour (€150), and a way to log a session of it."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from coaching.providers.services.offers import accept_voucher, create_offer

    offer = create_offer(db_session, provider_admin, name="1 h", individual_hours=1, collective_sessions=0,
                         individual_unit_cents=None, collective_unit_cents=None, today=today)
    voucher, person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())

    class OneHour:
        def __init__(self):
            self.voucher, self.person = voucher, person

        def book(self, minutes: int = 60):
            return schedule_session(db_session, provider_admin, SessionPlan(
                coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=slot(4),
                duration_minutes=minutes), now=utcnow())

        def logged(self, attendance: str = "attended", minutes: int = 60):
            booked = self.book(minutes)
            log_session(db_session, provider_admin, booked.id, {voucher.id: attendance}, minutes, None, now=utcnow())
            return booked

        def disputed(self, **kwargs):
            from coaching.disputes.services import dispute_session

            booked = self.logged(**kwargs)
            dispute_session(db_session, person, booked.id, "That is not right", now=utcnow())
            return booked, db_session.scalar(select(SessionDispute).join(SessionSeat).where(
                SessionSeat.session_id == booked.id))

    return OneHour()


def test_accepting_never_raises_what_a_session_used(db_session, course, provider_admin):
    """The provider cannot make a disputed session cost more than it was logged for: longer, or
    attended instead of a no-show or a late cancellation. It sends such a dispute to the fund."""
    from coaching.claims.services import submit_claim
    from coaching.disputes.services import accept_dispute

    booked, dispute = course.disputed(minutes=60)
    logged = entries(db_session, booked)
    longer = refused(db_session, accept_dispute, provider_admin, dispute.id, attendance="attended",
                     duration_minutes=120, note=None, now=utcnow())
    assert longer.code == "raises_usage" and longer.status == 422
    assert list(longer.fields) == ["duration_minutes"]
    seat = seat_of(db_session, booked)
    assert (seat.attendance, seat.cost_cents, seat.confirmation) == ("attended", 15000, "disputed")
    assert db_session.get(SessionDispute, dispute.id).status == "open"
    assert entries(db_session, booked) == logged
    totals = usage_totals(db_session, course.voucher.id)
    assert (totals.individual_minutes, totals.spent_cents) == (60, 15000)
    with pytest.raises(Conflict) as unclaimable:  # still disputed: nothing to claim, let alone 30000
        submit_claim(db_session, provider_admin, course.voucher.id, [booked.id], now=utcnow())
    assert unclaimable.value.code == "not_claimable"

    for attendance in ("no_show", "late_cancel"):
        absent, absent_dispute = course.disputed(attendance=attendance, minutes=60)
        for minutes in (120, 60, None):
            came = refused(db_session, accept_dispute, provider_admin, absent_dispute.id, attendance="attended",
                           duration_minutes=minutes, note=None, now=utcnow())
            assert came.code == "raises_usage" and list(came.fields) == ["attendance"]
        assert (seat_of(db_session, absent).cost_cents, seat_of(db_session, absent).attendance) == (0, attendance)
    assert usage_totals(db_session, course.voucher.id).spent_cents == 15000


def test_a_collective_session_is_never_turned_into_attended(db_session, course, provider_admin):
    from coaching.disputes.services import accept_dispute

    booked, dispute = course.disputed(kind="collective", minutes=210, attendance="late_cancel")
    came = refused(db_session, accept_dispute, provider_admin, dispute.id, attendance="attended",
                   duration_minutes=None, note=None, now=utcnow())
    assert came.code == "raises_usage"
    assert usage_totals(db_session, course.voucher.id).collective_sessions == 0
    accept_dispute(db_session, provider_admin, dispute.id, attendance="no_show", duration_minutes=None, note=None,
                   now=utcnow())  # from one absence to another: the voucher pays nothing either way
    assert (seat_of(db_session, booked).attendance, dispute.status) == ("no_show", "upheld")
    assert usage_totals(db_session, course.voucher.id).spent_cents == 0


def test_the_fund_never_raises_what_a_session_used_either(db_session, course, provider_admin, fund_admin):
    """DOMAIN.md lets the beneficiary dispute a logged session, not add to it: upholding a dispute
    lowers or keeps what the voucher pays. To keep the log, the fund dismisses the dispute."""
    from coaching.disputes.services import decide_dispute, escalate_dispute

    _booked, dispute = course.disputed(minutes=60)
    absent, absent_dispute = course.disputed(attendance="no_show", minutes=60)
    for one in (dispute, absent_dispute):
        escalate_dispute(db_session, provider_admin, one.id, "The log is right.", now=utcnow())
    longer = refused(db_session, decide_dispute, fund_admin, dispute.id, decision="uphold",
                     note="She stayed two hours.", attendance="attended", duration_minutes=120, now=utcnow())
    assert longer.code == "raises_usage" and list(longer.fields) == ["duration_minutes"]
    assert "dismiss the dispute" in longer.fields["duration_minutes"][0]
    came = refused(db_session, decide_dispute, fund_admin, absent_dispute.id, decision="uphold", note="She came.",
                   attendance="attended", duration_minutes=60, now=utcnow())
    assert came.code == "raises_usage" and list(came.fields) == ["attendance"]
    assert [db_session.get(SessionDispute, d.id).status for d in (dispute, absent_dispute)] == ["escalated"] * 2
    totals = usage_totals(db_session, course.voucher.id)
    assert (totals.individual_minutes, totals.spent_cents) == (60, 15000)
    decide_dispute(db_session, fund_admin, absent_dispute.id, decision="dismiss", note="The log stands.",
                   now=utcnow())
    assert seat_of(db_session, absent).attendance == "no_show"


def test_a_voucher_is_completed_only_once_its_last_session_is_confirmed(db_session, one_hour):
    """The whole mix logged is not enough: until the beneficiary confirms (or lets the deadline pass),
    a dispute could still give hours back, and a completed voucher never reopens."""
    from coaching.calendar.services.sessions import confirm_session

    booked = one_hour.logged(minutes=60)
    assert one_hour.voucher.status == "in_progress"
    confirm_session(db_session, one_hour.person, booked.id, now=utcnow())
    assert one_hour.voucher.status == "completed"
    assert "status_changed" in actions(db_session, "voucher", one_hour.voucher.id)


def test_silence_completes_a_used_up_voucher(db_session, one_hour):
    from coaching.calendar.services.sessions import confirm_by_silence

    booked = one_hour.logged(minutes=60)
    seat = seat_of(db_session, booked)
    confirm_by_silence(db_session, today=seat.confirm_by_on, now=utcnow())
    assert one_hour.voucher.status == "in_progress"
    assert confirm_by_silence(db_session, today=seat.confirm_by_on + timedelta(days=1), now=utcnow()) == [seat.id]
    assert one_hour.voucher.status == "completed"


def test_a_dismissed_dispute_completes_a_used_up_voucher(db_session, one_hour, provider_admin, fund_admin):
    from coaching.disputes.services import decide_dispute, escalate_dispute

    _booked, dispute = one_hour.disputed(minutes=60)
    assert one_hour.voucher.status == "in_progress"
    escalate_dispute(db_session, provider_admin, dispute.id, "Signed sheet.", now=utcnow())
    decide_dispute(db_session, fund_admin, dispute.id, decision="dismiss", note="The sheet is signed.", now=utcnow())
    assert one_hour.voucher.status == "completed"


def test_hours_given_back_by_a_dispute_can_be_used(db_session, one_hour, provider_admin):
    """The voucher's last hour is disputed and accepted as a no-show: the hour is back and bookable."""
    from coaching.disputes.services import accept_dispute

    _booked, dispute = one_hour.disputed(minutes=60)
    accept_dispute(db_session, provider_admin, dispute.id, attendance="no_show", duration_minutes=None, note=None,
                   now=utcnow())
    assert one_hour.voucher.status == "in_progress"
    assert usage_totals(db_session, one_hour.voucher.id).individual_minutes == 0
    again = one_hour.logged(minutes=60)
    assert seat_of(db_session, again).cost_cents == 15000


def test_strangers_find_no_dispute(db_session, course, fund_admin):
    from coaching.disputes.services import (
        accept_dispute,
        dispute_for_fund,
        dispute_for_provider,
    )

    _booked, dispute = course.disputed()
    other_admin = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=make_provider(db_session).id)
    for actor in (other_admin, make_user(db_session, Role.COACH, provider_id=dispute.provider_id),
                  course.person, fund_admin):
        with pytest.raises(NotFound):
            dispute_for_provider(db_session, actor, dispute.id)
        with pytest.raises(NotFound):
            accept_dispute(db_session, actor, dispute.id, attendance="no_show", duration_minutes=None, note=None,
                           now=utcnow())
    with pytest.raises(NotFound):  # not sent to the fund: the fund does not see it
        dispute_for_fund(db_session, fund_admin, dispute.id)


# --- API -----------------------------------------------------------------------------------------


def test_the_dispute_api(client, db_session, course, admin_headers, fund_admin):
    booked, dispute = course.disputed(minutes=90)
    second, other = course.disputed(minutes=60)
    listed = client.get("/api/v1/provider/disputes?status=open&limit=1", headers=admin_headers)
    assert listed.status_code == 200
    body = listed.get_json()
    assert [d["id"] for d in body["items"]] == [dispute.id] and body["next_cursor"]
    page2 = client.get(f"/api/v1/provider/disputes?status=open&limit=1&cursor={body['next_cursor']}",
                       headers=admin_headers).get_json()
    assert [d["id"] for d in page2["items"]] == [other.id] and page2["next_cursor"] is None
    item = body["items"][0]
    assert item["dispute_reason"] == "I was not there that day" and item["attendance"] == "attended"
    assert "note" not in item and NOTE not in listed.get_data(as_text=True)
    accepted = client.post(f"/api/v1/provider/disputes/{dispute.id}/accept", headers=admin_headers,
                           json={"attendance": "no_show"})
    assert accepted.status_code == 200 and accepted.get_json()["status"] == "upheld"
    assert accepted.get_json()["cost_cents"] == 0
    again = client.post(f"/api/v1/provider/disputes/{dispute.id}/accept", headers=admin_headers,
                        json={"attendance": "late_cancel"})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "illegal_transition"
    assert client.post(f"/api/v1/provider/disputes/{other.id}/escalate", headers=admin_headers,
                       json={}).status_code == 422
    escalated = client.post(f"/api/v1/provider/disputes/{other.id}/escalate", headers=admin_headers,
                            json={"note": "Signed sheet"})
    assert escalated.status_code == 200 and escalated.get_json()["escalated_at"]
    fund = bearer(client, fund_admin.email)
    waiting = client.get("/api/v1/admin/disputes?status=escalated", headers=fund).get_json()["items"]
    assert [d["id"] for d in waiting] == [other.id] and NOTE not in str(waiting)
    assert client.get(f"/api/v1/admin/disputes/{dispute.id}", headers=fund).status_code == 404  # settled at provider
    detail = client.get(f"/api/v1/admin/disputes/{other.id}", headers=fund)
    assert detail.status_code == 200 and detail.get_json()["escalation_note"] == "Signed sheet"
    assert "viewed" in actions(db_session, "session_dispute", other.id)
    bad = client.post(f"/api/v1/admin/disputes/{other.id}/decision", headers=fund,
                      json={"decision": "uphold", "note": "x"})
    assert bad.status_code == 422 and "attendance" in bad.get_json()["error"]["fields"]
    decided = client.post(f"/api/v1/admin/disputes/{other.id}/decision", headers=fund,
                          json={"decision": "dismiss", "note": "The sheet is signed."})
    assert decided.status_code == 200 and decided.get_json()["status"] == "dismissed"
    assert client.get("/api/v1/provider/disputes", headers=fund).status_code == 403
    assert client.get("/api/v1/admin/disputes", headers=admin_headers).status_code == 403


def test_the_api_refuses_a_correction_that_raises_usage(client, db_session, course, admin_headers, fund_admin,
                                                        provider_admin):
    from coaching.disputes.services import escalate_dispute

    booked, dispute = course.disputed(minutes=60)
    refused = client.post(f"/api/v1/provider/disputes/{dispute.id}/accept", headers=admin_headers,
                          json={"attendance": "attended", "duration_minutes": 120})
    assert refused.status_code == 422
    error = refused.get_json()["error"]
    assert error["code"] == "raises_usage" and list(error["fields"]) == ["duration_minutes"]
    assert seat_of(db_session, booked).cost_cents == 15000
    _absent, absent_dispute = course.disputed(attendance="no_show", minutes=60)
    came = client.post(f"/api/v1/provider/disputes/{absent_dispute.id}/accept", headers=admin_headers,
                       json={"attendance": "attended"})
    assert came.status_code == 422 and list(came.get_json()["error"]["fields"]) == ["attendance"]
    escalate_dispute(db_session, provider_admin, absent_dispute.id, "The log is right.", now=utcnow())
    upheld = client.post(f"/api/v1/admin/disputes/{absent_dispute.id}/decision",
                         headers=bearer(client, fund_admin.email),
                         json={"decision": "uphold", "note": "She came.", "attendance": "attended"})
    assert upheld.status_code == 422 and upheld.get_json()["error"]["code"] == "raises_usage"
    assert db_session.get(SessionDispute, absent_dispute.id).status == "escalated"


# --- pages ---------------------------------------------------------------------------------------


@pytest.fixture
def admin_client(client, provider_admin):
    assert login(client, provider_admin.email).status_code == 302
    return client


def test_the_provider_accepts_a_dispute_on_its_page(admin_client, db_session, course):
    booked, dispute = course.disputed(minutes=90)
    listing = text(admin_client.get("/provider/disputes", headers=EN))
    assert "Waiting for you" in listing and "I was not there that day" in listing
    url = f"/provider/disputes/{dispute.id}"
    page = admin_client.get(url, headers=EN)
    assert page.status_code == 200 and "Accept the dispute" in text(page)
    missing = post_form(admin_client, f"{url}/accept", {"note": "typed"}, token_from=url, headers=EN)
    assert missing.status_code == 422 and "Say what really happened." in text(missing)
    assert 'typed</textarea>' in text(missing)
    same = post_form(admin_client, f"{url}/accept", {"attendance": "attended", "duration_minutes": ""},
                     token_from=url, headers=EN)
    assert same.status_code == 422 and "send the dispute to the fund instead" in text(same)
    done = post_form(admin_client, f"{url}/accept", {"attendance": "attended", "duration_minutes": "60"},
                     token_from=url, headers=EN)
    assert done.status_code == 302
    assert (dispute.status, seat_of(db_session, booked).cost_cents) == ("upheld", 15000)
    after = text(admin_client.get(url, headers=EN))
    assert "Accepted: the session is corrected" in after and "Accept the dispute" not in after


def test_the_provider_page_offers_only_corrections_that_lower_usage(admin_client, db_session, course):
    booked, dispute = course.disputed(minutes=90)
    url = f"/provider/disputes/{dispute.id}"
    page = text(admin_client.get(url, headers=EN))
    assert "never adds hours or euros" in page
    durations = re.findall(r'<option value="(\d+)"', page)
    assert durations and max(int(d) for d in durations) < 90  # only shorter than logged
    longer = post_form(admin_client, f"{url}/accept", {"attendance": "attended", "duration_minutes": "120",
                                                       "note": "typed"}, token_from=url, headers=EN)
    assert longer.status_code == 422
    assert "send the dispute to the fund instead" in text(longer) and "typed</textarea>" in text(longer)
    assert (dispute.status, seat_of(db_session, booked).cost_cents) == ("open", 22500)
    _absent, absent_dispute = course.disputed(attendance="no_show", minutes=60)
    absent_response = admin_client.get(f"/provider/disputes/{absent_dispute.id}", headers=EN)
    absent_page = text(absent_response)
    assert absent_response.status_code == 200
    assert 'value="attended"' not in absent_page and 'value="late_cancel"' in absent_page


def test_the_provider_sends_a_dispute_to_the_fund_which_decides(app, admin_client, db_session, course, fund_admin):
    booked, dispute = course.disputed(minutes=90)
    url = f"/provider/disputes/{dispute.id}"
    empty = post_form(admin_client, f"{url}/escalate", {"note": ""}, token_from=url, headers=EN)
    assert empty.status_code == 422 and "Tell the fund why the log is right." in text(empty)
    assert post_form(admin_client, f"{url}/escalate", {"note": "She signed the sheet."}, token_from=url).status_code == 302
    assert dispute.status == "escalated"
    assert "At the fund" in text(admin_client.get("/provider/disputes", headers=EN))
    [told_fund] = told_exactly(app, db_session, "dispute_escalated", [fund_admin])
    assert told_fund.link == f"/admin/fund/disputes/{dispute.id}"
    client = app.test_client()
    login(client, fund_admin.email)
    listing = text(client.get("/admin/fund/disputes", headers=EN))
    assert "Waiting for a decision" in listing and "I was not there that day" in listing
    fund_url = f"/admin/fund/disputes/{dispute.id}"
    page = client.get(fund_url, headers=EN)
    assert page.status_code == 200 and "She signed the sheet." in text(page) and NOTE not in text(page)
    refused = post_form(client, f"{fund_url}/decision", {"decision": "uphold", "note": "In hospital"},
                        token_from=fund_url, headers=EN)
    assert refused.status_code == 422 and "Say what the attendance really was." in text(refused)
    decided = post_form(client, f"{fund_url}/decision", {"decision": "uphold", "attendance": "no_show",
                                                         "note": "In hospital"}, token_from=fund_url)
    assert decided.status_code == 302
    assert dispute.status == "upheld" and seat_of(db_session, booked).attendance == "no_show"
    assert "Decided" in text(client.get("/admin/fund/disputes", headers=EN))


def test_dispute_pages_are_for_provider_admins_and_the_fund(client, db_session, course, provider):
    from tests.coaching.test_staff_views import make_coach

    _booked, dispute = course.disputed()
    _coach, coach_user = make_coach(db_session, provider, name="Own Coach")
    login(client, coach_user.email)
    assert client.get("/provider/disputes").status_code == 403
    assert client.get(f"/provider/disputes/{dispute.id}").status_code == 403
    assert client.get("/admin/fund/disputes").status_code == 403


# --- real concurrency: a correction gives the voucher's last hour back while a booking wants it ------


def test_a_correction_and_a_booking_never_overspend_the_voucher(app):
    import threading
    from datetime import datetime, time

    from sqlalchemy.orm import Session

    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from coaching.disputes.services import accept_dispute, dispute_session
    from coaching.providers.services.offers import (
        accept_voucher,
        add_coach,
        create_offer,
    )
    from portal.auth.models import User
    from portal.clock import BRUSSELS, today_in_brussels
    from portal.db import db
    from tests.support.committed import wipe_all
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    with app.app_context():
        engine = db.engine
    today = today_in_brussels()
    start = datetime.combine(today + timedelta(days=2), time(10, 0), tzinfo=BRUSSELS)
    try:
        with Session(engine) as setup:
            provider = make_provider(setup)
            staff = make_user(setup, Role.PROVIDER_ADMIN, provider_id=provider.id)
            fund = make_user(setup, Role.FUND_ADMIN)
            offer = create_offer(setup, staff, name="1 h", individual_hours=1, collective_sessions=0,
                                 individual_unit_cents=None, collective_unit_cents=None, today=today)
            coaches = [add_coach(setup, staff, name=f"Coach {n}", email=f"race{n}-{provider.id}@example.be")[0]
                       for n in range(2)]
            person = make_user(setup, Role.BENEFICIARY)
            data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator",
                               force_majeure=True, contract_end_on=today - timedelta(days=5),
                               address={"street": "Rue", "number": "1", "postcode": "1000",
                                        "municipality": "Bruxelles"})
            request = submit_voucher_request(setup, person, data, today=today, now=utcnow())
            decide_voucher_request(setup, fund, request.id, "approve", None, today=today, now=utcnow())
            voucher = setup.scalar(select(Voucher).where(Voucher.request_id == request.id))
            accept_voucher(setup, staff, voucher.id, offer.id, now=utcnow())
            booked = schedule_session(setup, staff, SessionPlan(coach_id=coaches[0].id, kind="individual",
                                                                voucher_ids=[voucher.id], starts_at=start,
                                                                duration_minutes=60), now=utcnow())
            log_session(setup, staff, booked.id, {voucher.id: "attended"}, 60, None, now=booked.ends_at)
            dispute_session(setup, person, booked.id, "I was not there", now=booked.ends_at)
            dispute_id = setup.scalar(select(SessionDispute.id))
            setup.commit()
            staff_id, voucher_id, other_coach = staff.id, voucher.id, coaches[1].id

        barrier = threading.Barrier(2) if engine.dialect.name == "postgresql" else None
        outcomes: list[str] = []
        guard = threading.Lock()

        def run(action):
            with Session(engine) as session:
                actor = session.get(User, staff_id)
                if barrier is not None:
                    barrier.wait(timeout=10)
                try:
                    action(session, actor)
                    session.commit()
                    result = "ok"
                except Conflict as error:
                    session.rollback()
                    result = error.code
                with guard:
                    outcomes.append(result)

        def correct(session, actor):
            accept_dispute(session, actor, dispute_id, attendance="no_show", duration_minutes=None, note=None,
                           now=utcnow())

        def book(session, actor):
            schedule_session(session, actor, SessionPlan(coach_id=other_coach, kind="individual",
                                                         voucher_ids=[voucher_id],
                                                         starts_at=start + timedelta(days=1), duration_minutes=60),
                             now=utcnow())

        threads = [threading.Thread(target=run, args=(action,)) for action in (correct, book)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        # The voucher stays open while its last hour is disputed (never completed, then stuck): a booking
        # after the correction gets the hour back; one before it finds the voucher used up.
        assert sorted(outcomes) in (["balance_exceeded", "ok"], ["ok", "ok"])
        with Session(engine) as check:
            totals = usage_totals(check, voucher_id)
            booked_after = 60 if sorted(outcomes) == ["ok", "ok"] else 0
            assert (totals.individual_minutes, totals.scheduled_individual_minutes) == (0, booked_after)
    finally:
        wipe_all(engine)


def test_the_beneficiary_sees_how_the_dispute_ended(app, client, db_session, course, provider_admin):
    from coaching.disputes.services import accept_dispute

    booked, dispute = course.disputed(minutes=90)
    login(client, course.person.email)
    assert "Disputed: Waiting for the provider" in text(client.get("/my/sessions", headers=EN))
    accept_dispute(db_session, provider_admin, dispute.id, attendance="no_show", duration_minutes=None, note=None,
                   now=utcnow())
    page = text(client.get("/my/sessions", headers=EN))
    assert "Disputed: Accepted: the session is corrected" in page and "Did not come (no-show)" in page
