"""Nobody waits in silence, one journey per group, on a phone: each person follows the link in a real e-mail (the
tests' SMTP server) to the page where they act, and acts there.

- a coach logs a session: the beneficiary opens the e-mail's link and confirms it;
- the beneficiary disputes a session: the provider opens the e-mail's link and answers the dispute;
- the fund pays a claim: the provider opens the e-mail's link and sees it paid;
- a voucher ends in 30 days (the scheduler's job, run for the day it is due): the beneficiary, who reads French,
  opens the e-mail's link and finds the last day on the voucher page;
- after the day to answer, a disagreement is a message: the provider opens the e-mail's link to the session.

axe (WCAG 2.1 A/AA) runs on every page the person acts on, and no page is wider than the phone."""

from __future__ import annotations

import re
import secrets
import time
from datetime import UTC, date, datetime, timedelta
from datetime import time as clock_time
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, assert_fits_screen, log_out
from tests.e2e.test_crawl import SCROLLS_INSIDE
from tests.support.factories import PASSWORD

pytestmark = pytest.mark.parametrize("page", ["phone"], indirect=True)


# --- the world, made through the services ------------------------------------------------------


def _deliver(app: Flask) -> None:
    """What a request sends after its commit; here the change was made through the services."""
    from portal.db import db
    from portal.mail import deliver

    deliver(db.session, app.extensions["portal_mail_transport"], app.config["MAIL_SENDER"])


def _working_day(today: date, days_ago: int) -> date:
    day = today - timedelta(days=days_ago)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def _at(day: date, hour: int) -> datetime:
    from portal.clock import BRUSSELS

    return datetime.combine(day, clock_time(hour, 0), tzinfo=BRUSSELS).astimezone(UTC)


def _course(app: Flask, *, language: str = "en") -> dict[str, Any]:
    """A provider with an administrator and a coach (English), and a beneficiary whose voucher was approved a
    month ago with a 9 h + 3 groups mix fixed: sessions of the past weeks can be booked and logged."""
    from sqlalchemy import select

    from coaching.providers.models import Coach
    from coaching.providers.services.offers import accept_voucher, create_offer
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_provider, make_user
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    today = today_in_brussels()
    issued_on = today - timedelta(days=30)
    with app.app_context():
        session = db.session
        provider = make_provider(session, name=f"Trajets {secrets.token_hex(3)}")
        admin = make_user(session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="en")
        coach_user = make_user(session, Role.COACH, provider_id=provider.id, language="en")
        coach = Coach(provider_id=provider.id, user_id=coach_user.id, display_name="Inès Dubois",
                      email=coach_user.email, timezone="Europe/Brussels")
        session.add(coach)
        fund = make_user(session, Role.FUND_ADMIN, language="en")
        person = make_user(session, Role.BENEFICIARY, language=language)
        request = submit_voucher_request(session, person, RequestData(
            provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
            contract_end_on=issued_on - timedelta(days=5),
            address={"street": "Rue Haute", "number": "5", "postcode": "1000", "municipality": "Bruxelles"}),
            today=issued_on, now=utcnow())
        decide_voucher_request(session, fund, request.id, "approve", None, today=issued_on, now=utcnow())
        voucher = session.scalar(select(Voucher).where(Voucher.request_id == request.id))
        offer = create_offer(session, admin, name="9 h + 3 groups", individual_hours=9, collective_sessions=3,
                             individual_unit_cents=None, collective_unit_cents=None, today=issued_on)
        accept_voucher(session, admin, voucher.id, offer.id, now=utcnow())
        course = {"today": today, "admin_id": admin.id, "admin": admin.email, "coach_id": coach.id,
                  "person_id": person.id, "person": person.email, "voucher_id": voucher.id,
                  "valid_until_on": voucher.valid_until_on, "code": voucher.code}
        session.commit()
        _deliver(app)  # the approval, the assignment: sent before the journey starts
    return course


def _logged_session(app: Flask, course: dict[str, Any], *, days_ago: int, logged_when_held: bool = False) -> int:
    """A 1-hour session of a working day ``days_ago``, logged now (or right after it ended, weeks ago)."""
    from coaching.calendar.services.sessions import (
        SessionPlan,
        log_session,
        schedule_session,
    )
    from portal.auth.models import User
    from portal.clock import utcnow
    from portal.db import db

    with app.app_context():
        admin = db.session.get(User, course["admin_id"])
        booked = schedule_session(db.session, admin, SessionPlan(
            coach_id=course["coach_id"], kind="individual", voucher_ids=[course["voucher_id"]],
            starts_at=_at(_working_day(course["today"], days_ago), 10), duration_minutes=60, location="Rue Haute 5"),
            now=utcnow())
        log_session(db.session, admin, booked.id, {course["voucher_id"]: "attended"}, 60,
                    "First interview: needs and programme.", now=booked.ends_at if logged_when_held else utcnow())
        session_id = booked.id
        db.session.commit()
        _deliver(app)
    return session_id


# --- the e-mail and the page ---------------------------------------------------------------------


def _link_in_mail(smtp_server: Any, to: str, subject: str, link: re.Pattern[str], timeout: float = 10.0) -> str:
    """The link like ``link`` in the plain text of the e-mail to ``to`` whose subject holds ``subject`` (sending is
    asynchronous: wait for it)."""
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(smtp_server.messages):
            if message["To"] == to and subject in str(message["Subject"]):
                found = link.search(message.get_body(preferencelist=("plain",)).get_content())
                assert found, f"the e-mail {message['Subject']!r} has no link like {link.pattern}"
                return found.group(0)
        time.sleep(0.1)
    raise AssertionError(f"no e-mail about {subject!r} reached {to}")


def _follow(page: Page, link: str, email: str) -> None:
    """Open the e-mail's link: the login comes first, then the page the link is for."""
    page.goto(link)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.locator("header form[action$='/logout'] button[type=submit]")).to_be_visible()  # any language
    assert page.url.split("?")[0] == link.split("?")[0], f"the link {link} led to {page.url}"


def _check(page: Page) -> None:
    assert_accessible(page)
    assert_fits_screen(page)


# --- the journeys --------------------------------------------------------------------------------


def test_a_logged_session_is_confirmed_from_the_e_mail(page: Page, live_app: Flask, smtp_server: Any) -> None:
    course = _course(live_app)
    _logged_session(live_app, course, days_ago=2)

    link = _link_in_mail(smtp_server, course["person"], "Please confirm your session",
                         re.compile(r"https?://\S+/my/sessions\b"))
    _follow(page, link, course["person"])
    expect(page.get_by_role("heading", level=1, name="My coaching sessions")).to_be_visible()
    card = page.locator(".session-card").filter(has_text="First interview: needs and programme.")
    expect(card.locator(".session-deadline")).to_contain_text("otherwise it counts as confirmed")
    _check(page)
    card.get_by_role("button", name="Confirm this session").click()
    expect(page.get_by_role("status")).to_contain_text("The session is confirmed.")
    expect(page.get_by_text("Nothing to confirm.")).to_be_visible()
    expect(page.get_by_role("table", name="Sessions you answered, newest first")).to_contain_text("Confirmed")
    _check(page)


def test_a_disputed_session_is_answered_by_the_provider_from_the_e_mail(page: Page, live_app: Flask,
                                                                       smtp_server: Any) -> None:
    course = _course(live_app)
    _logged_session(live_app, course, days_ago=3)

    # The beneficiary disputes it from the e-mail that asks them to answer.
    _follow(page, _link_in_mail(smtp_server, course["person"], "Please confirm your session",
                                re.compile(r"https?://\S+/my/sessions\b")), course["person"])
    page.get_by_text("Something is wrong").click()
    page.get_by_label("What is wrong with this session?").fill("I was not there that day: I had warned the coach.")
    page.get_by_role("button", name="Send my disagreement").click()
    expect(page.get_by_role("status")).to_contain_text("Your disagreement is sent to the provider.")
    _check(page)
    log_out(page)

    # The provider's administrator follows the link to the dispute (the e-mail does not carry the person's words)
    # and accepts it: the session becomes a no-show.
    link = _link_in_mail(smtp_server, course["admin"], "A session is disputed",
                         re.compile(r"https?://\S+/provider/disputes/\d+"))
    _follow(page, link, course["admin"])
    expect(page.get_by_role("heading", level=1, name=re.compile("Disputed session of"))).to_be_visible()
    expect(page.locator("main")).to_contain_text("I was not there that day: I had warned the coach.")
    _check(page)
    accept = page.get_by_role("region", name="Accept the dispute")
    accept.get_by_label("Did not come (no-show)").check()
    accept.get_by_role("button", name="Accept and correct the session").click()
    expect(page.get_by_role("status")).to_contain_text("The dispute is accepted and the session corrected.")
    _check(page)
    # The list of disputes stacks on the phone: nothing in it scrolls sideways.
    page.get_by_role("link", name="Back to the disputes").click()
    expect(page.get_by_role("table", name="Settled disputes, latest first")).to_contain_text("I was not there that day")
    assert page.evaluate(SCROLLS_INSIDE) == [], "a table of the disputes page scrolls sideways on a phone"
    _check(page)

    # The beneficiary is told the outcome, with a link back to their sessions.
    _link_in_mail(smtp_server, course["person"], "Your disputed session", re.compile(r"https?://\S+/my/sessions\b"))


def test_a_paid_claim_is_seen_by_the_provider_from_the_e_mail(page: Page, live_app: Flask, smtp_server: Any) -> None:
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user
    from tests.vouchers.test_payouts import DEBTOR, start_course
    from vouchers.banking.services import payouts

    today = today_in_brussels()
    with live_app.app_context():
        fund = make_user(db.session, Role.FUND_ADMIN, language="en")
        course = start_course(db.session, fund, today, name=f"Horizon {secrets.token_hex(3)}")
        claim = course.claim()
        batch = payouts.create_payout_batch(db.session, fund, today=today, now=utcnow(), **DEBTOR)
        payouts.mark_batch_paid(db.session, fund, batch.id, today=today, now=utcnow())
        staff, number, code = course.staff.email, claim.id, course.vouchers[0].code
        db.session.commit()
        _deliver(live_app)

    link = _link_in_mail(smtp_server, staff, f"Claim {number} paid", re.compile(r"https?://\S+/provider/claims\b"))
    _follow(page, link, staff)
    expect(page.get_by_role("heading", level=1, name="Claims")).to_be_visible()
    row = page.get_by_role("table", name="Your claims, newest first").get_by_role("row").filter(
        has_text=f"Claim {number}")
    expect(row).to_contain_text(code)
    expect(row).to_contain_text("Paid")
    expect(row).to_contain_text(re.compile(r"150[.,]00"))
    _check(page)


def test_a_voucher_ending_soon_is_seen_from_the_e_mail_in_french(page: Page, live_app: Flask,
                                                                 smtp_server: Any) -> None:
    from portal.clock import utcnow
    from portal.db import db
    from portal.i18n import long_date
    from vouchers.requests.tasks import EXPIRY_NOTICE_DAYS, expiry_notices

    course = _course(live_app, language="fr")
    last_day = course["valid_until_on"]
    with live_app.app_context():
        # The daily job, on the day it is due: 30 days before the voucher's last day.
        expiry_notices(db.session, today=last_day - timedelta(days=EXPIRY_NOTICE_DAYS), now=utcnow())
        db.session.commit()
        _deliver(live_app)
        in_french = long_date(last_day, locale="fr")

    link = _link_in_mail(smtp_server, course["person"], in_french,
                         re.compile(rf"https?://\S+/vouchers/{course['voucher_id']}\b"))
    _follow(page, link, course["person"])
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_role("heading", level=1)).to_contain_text(course["code"])
    expect(page.locator("main")).to_contain_text(in_french)  # the last day, as the e-mail gave it
    _check(page)


def test_a_late_disagreement_reaches_the_provider_as_a_message(page: Page, live_app: Flask,
                                                               smtp_server: Any) -> None:
    course = _course(live_app)
    session_id = _logged_session(live_app, course, days_ago=21, logged_when_held=True)
    message = f"The coach left early that day ({secrets.token_hex(2)})."

    # The day to answer has passed: the agenda offers a message to the provider instead of a dispute.
    _follow(page, _link_in_mail(smtp_server, course["person"], "Please confirm your session",
                                re.compile(r"https?://\S+/my/sessions\b")), course["person"])
    card = page.locator(".session-card").filter(has_text="First interview: needs and programme.")
    expect(card.get_by_role("button", name="Confirm this session")).to_have_count(0)
    expect(card).to_contain_text("the session counts as confirmed")
    _check(page)
    card.get_by_role("button", name="Send to my provider").click()  # nothing written yet: refused on the page
    expect(page.locator(".field__error").first).to_be_visible()
    _check(page)
    page.get_by_label("Your message to the provider").fill(message)
    page.get_by_role("button", name="Send to my provider").click()
    expect(page.get_by_role("status")).to_contain_text("Your message is sent to your coaching provider.")
    _check(page)
    log_out(page)

    # The provider's administrator reads the words in the e-mail and opens the session it is about.
    link = _link_in_mail(smtp_server, course["admin"], "A message about the session of",
                         re.compile(rf"https?://\S+/coach/sessions/{session_id}\b"))
    _follow(page, link, course["admin"])
    expect(page.get_by_role("heading", level=1, name=re.compile("session on"))).to_be_visible()
    # The day to answer has passed: the page no longer says the beneficiary may still answer.
    people = page.get_by_role("table", name="Beneficiaries of this session")
    expect(people).to_contain_text(re.compile(r"No answer by .+: it counts as confirmed"))
    expect(people).not_to_contain_text("Waiting for the beneficiary")
    _check(page)
    page.goto("/notifications")
    expect(page.locator("main")).to_contain_text(message)
    _check(page)
