"""What the coaching pages answer after a post, now that they go through portal.web.form_post: the message
flashed (success, warning, or the reason an action was refused), where the person lands, and the status."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from coaching.calendar.models import CoachingSession
from coaching.claims.models import Claim
from coaching.providers.models import Provider
from portal.clock import BRUSSELS, today_in_brussels, utcnow
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import login, post_form

EN = {"Accept-Language": "en"}
ALERT = re.compile(r'<div class="alert alert--(success|warning|error|info)"[^>]*>(.*?)</div>', re.DOTALL)


def alerts(response) -> list[tuple[str, str]]:
    """The flashed messages on a page, in order, as (category, text)."""
    page = response.get_data(as_text=True)
    return [(kind, html.unescape(message).strip()) for kind, message in ALERT.findall(page)]


def landed(response) -> str:
    return response.request.path


@pytest.fixture
def fund_client(client, fund_admin):
    assert login(client, fund_admin.email).status_code == 302
    return client


@pytest.fixture
def admin_client(client, provider_admin):
    assert login(client, provider_admin.email).status_code == 302
    return client


@pytest.fixture
def claim(db_session, make_voucher, offer, provider_admin, coach, slot):
    """A submitted claim for one attended and confirmed session."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        confirm_session,
        log_session,
        schedule_session,
    )
    from coaching.claims.services import submit_claim
    from coaching.providers.services.offers import accept_voucher

    voucher, person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    booked = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=slot(), duration_minutes=60,
        location="Rue Haute 5"), now=utcnow())
    log_session(db_session, provider_admin, booked.id, {voucher.id: "attended"}, 60, None, now=utcnow())
    confirm_session(db_session, person, booked.id, now=utcnow())
    return submit_claim(db_session, provider_admin, voucher.id, [booked.id], now=utcnow())


def test_delisting_twice_is_told_on_the_list(fund_client, db_session):
    provider = make_provider(db_session, name="Leaving Soon SRL")
    path = f"/admin/fund/providers/{provider.id}/delist"
    done = post_form(fund_client, path, {"reason": "closing", "confirm": "y"}, headers=EN)
    assert done.status_code == 302 and done.headers["Location"].endswith("/admin/fund/providers")
    first = fund_client.get("/admin/fund/providers", headers=EN)
    assert ("success", "Leaving Soon SRL is delisted. Its history is kept.") in alerts(first)
    delisted_at = db_session.get(Provider, provider.id).delisted_at
    twice = post_form(fund_client, path, {"reason": "again", "confirm": "y"}, token_from="/admin/fund/providers",
                      headers=EN, follow_redirects=True)
    assert twice.status_code == 200 and landed(twice) == "/admin/fund/providers"
    assert ("error", "This provider is already delisted.") in alerts(twice)
    db_session.expire_all()
    assert db_session.get(Provider, provider.id).delisted_at == delisted_at


def test_rejecting_a_claim_decided_meanwhile_is_told_on_its_page(fund_client, db_session, claim):
    from coaching.claims.services import approve_claim

    url = f"/admin/fund/claims/{claim.id}"
    token = fund_client.get(url)  # the page is open when another fund administrator approves the claim
    assert token.status_code == 200
    other = make_user(db_session, Role.FUND_ADMIN, language="en")
    approve_claim(db_session, other, claim.id, today=today_in_brussels(), now=utcnow())
    db_session.commit()
    refused = post_form(fund_client, f"{url}/reject", {"reason": "Wrong voucher"}, token_from=url, headers=EN,
                        follow_redirects=True)
    assert refused.status_code == 200 and landed(refused) == url
    assert ("error", "This claim was already decided.") in alerts(refused)
    db_session.expire_all()
    assert db_session.get(Claim, claim.id).status == "approved"


def test_rejecting_without_a_reason_keeps_the_form(fund_client, claim):
    url = f"/admin/fund/claims/{claim.id}"
    response = post_form(fund_client, f"{url}/reject", {"reason": ""}, token_from=url, headers=EN)
    assert response.status_code == 422 and "Please give the reason." in html.unescape(response.get_data(as_text=True))


def test_approving_a_claim_says_so_on_its_page(fund_client, claim):
    url = f"/admin/fund/claims/{claim.id}"
    response = post_form(fund_client, f"{url}/approve", {}, token_from=url, headers=EN, follow_redirects=True)
    assert landed(response) == url
    assert ("success", f"Claim {claim.id} is approved: it will be paid with the next payout batch.") in \
        alerts(response)


def test_the_buttons_of_a_session_say_what_they_did(admin_client, db_session, coach, make_voucher, offer,
                                                    provider_admin, future_slot):
    from coaching.calendar.services.sessions import SessionPlan, schedule_session
    from coaching.providers.services.offers import accept_voucher

    voucher, _person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    booked = schedule_session(db_session, provider_admin, SessionPlan(
        coach_id=coach.id, kind="individual", voucher_ids=[voucher.id], starts_at=future_slot(), duration_minutes=60,
        location="Rue Haute 5"), now=utcnow())
    db_session.commit()
    page = f"/coach/sessions/{booked.id}"
    cancelled = post_form(admin_client, f"{page}/cancel", {}, token_from=page, headers=EN, follow_redirects=True)
    assert landed(cancelled) == page and ("success", "The session is cancelled.") in alerts(cancelled)
    reset = post_form(admin_client, f"/coach/calendar/{coach.id}/reset", {}, token_from=page, headers=EN,
                      follow_redirects=True)
    assert landed(reset) == "/coach/week"
    assert ("success", "The calendar link is reset. Subscribe again with the new link.") in alerts(reset)


def test_a_booking_outside_the_hours_is_made_and_warned_after_its_success(admin_client, db_session, coach,
                                                                          make_voucher, offer, provider_admin):
    from coaching.availability.services import WeeklyInput, replace_weekly
    from coaching.providers.services.offers import accept_voucher

    voucher, _person = make_voucher()
    accept_voucher(db_session, provider_admin, voucher.id, offer.id, now=utcnow())
    replace_weekly(db_session, provider_admin, coach.id, [WeeklyInput(day, time(9), time(12)) for day in range(7)],
                   now=utcnow())
    db_session.commit()
    day = today_in_brussels() + timedelta(days=3)
    response = post_form(admin_client, "/coach/sessions", {
        "coach_id": str(coach.id), "kind": "individual", "voucher_ids": [str(voucher.id)], "start_on": day.isoformat(),
        "start_time": "18:00", "duration_minutes": "60", "mode": "onsite", "location": "Rue Haute 5", "capacity": "",
        "theme": ""}, token_from="/coach/week?schedule=1", headers=EN, follow_redirects=True)
    assert landed(response) == "/coach/week"
    assert alerts(response)[:2] == [
        ("success", "The session is scheduled."),
        ("warning", "This session is outside the coach's availability (it is booked all the same).")]
    booked = db_session.scalar(select(CoachingSession).where(CoachingSession.coach_id == coach.id))
    assert booked.starts_at == datetime.combine(day, time(18), tzinfo=BRUSSELS).astimezone(UTC)


def test_removing_an_exception_says_so(admin_client, db_session, coach, provider_admin):
    from coaching.availability.services import ExceptionInput, add_exception

    day = today_in_brussels() + timedelta(days=10)
    exception = add_exception(db_session, provider_admin, coach.id, ExceptionInput(
        from_on=day, until_on=None, available=False, start_time=None, end_time=None, reason="Training"),
        today=today_in_brussels(), now=utcnow())
    db_session.commit()
    page = f"/coach/availability/{coach.id}"
    response = post_form(admin_client, f"{page}/exceptions/{exception.id}/delete", {}, headers=EN, token_from=page,
                         follow_redirects=True)
    assert landed(response) == page and ("success", "The exception is removed.") in alerts(response)
