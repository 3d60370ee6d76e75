"""A course of coaching in a browser: the provider fixes a 9 h + 3 groups mix, schedules and logs a session,
the beneficiary confirms it, the provider claims it. Every page visited must pass axe (WCAG 2.1 A/AA)."""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.support.factories import PASSWORD


@pytest.fixture
def seeded(live_app: Flask) -> dict[str, Any]:
    """A listed provider with an administrator and a coach, and a beneficiary whose voucher was just approved."""
    from sqlalchemy import select

    from coaching.providers.models import Coach
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
    tag = secrets.token_hex(3)
    with live_app.app_context():
        provider = make_provider(db.session, name=f"Trajets {tag}")
        admin = make_user(db.session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="en")
        coach_user = make_user(db.session, Role.COACH, provider_id=provider.id, language="en")
        db.session.add(Coach(provider_id=provider.id, user_id=coach_user.id, display_name="Inès Dubois",
                             email=coach_user.email, timezone="Europe/Brussels"))
        fund = make_user(db.session, Role.FUND_ADMIN, language="en")
        person = make_user(db.session, Role.BENEFICIARY, language="en")
        person.first_name, person.last_name = "Nadia", f"Janssens {tag}"
        request = submit_voucher_request(db.session, person, RequestData(
            provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
            contract_end_on=today - timedelta(days=35),
            address={"street": "Rue Haute", "number": "5", "postcode": "1000", "municipality": "Bruxelles"}),
            today=today - timedelta(days=30), now=utcnow())
        # Approved a month ago, so that the session booked below has already taken place when it is logged.
        decide_voucher_request(db.session, fund, request.id, "approve", None, today=today - timedelta(days=30),
                               now=utcnow())
        voucher = db.session.scalar(select(Voucher).where(Voucher.request_id == request.id))
        seeded = {"admin": admin.email, "person": person.email, "name": person.display_name, "code": voucher.code,
                  "today": today}
        db.session.commit()
    return seeded


def _log_in(page: Page, email: str) -> None:
    page.goto("/login")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    assert_accessible(page)  # the page the login lands on


def _log_out(page: Page) -> None:
    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)


def _working_day_before(today: date) -> date:
    """A working day of the previous week: a session is logged once it took place."""
    day = today - timedelta(days=7)
    while day.weekday() >= 5:
        day -= timedelta(days=1)
    return day


def test_a_course_from_mix_to_claim(page: Page, seeded: dict[str, Any]) -> None:
    code, name = seeded["code"], seeded["name"]
    day = _working_day_before(seeded["today"])

    # The provider administrator creates the 9 h + 3 groups offer in one click.
    _log_in(page, seeded["admin"])
    page.goto("/provider/offers")
    expect(page.get_by_role("heading", level=1, name="Offers")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="9 h individual + 3 group sessions").click()
    expect(page.get_by_role("status")).to_contain_text("The offer is created.")
    expect(page.get_by_role("table")).to_contain_text("9 h individual + 3 group sessions")
    assert_accessible(page)

    # ...accepts the voucher by fixing that mix.
    page.get_by_role("navigation", name="Coaching menu").get_by_role("link", name="Vouchers").click()
    row = page.get_by_role("row").filter(has_text=code)
    expect(row).to_contain_text(name)
    expect(row).to_contain_text("Mix not fixed")
    assert_accessible(page)
    row.get_by_role("link", name=code).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(f"Voucher {code}")
    assert_accessible(page)
    page.get_by_label(re.compile(r"9 h individual \+ 3 group sessions")).check()
    page.get_by_role("button", name="Accept and fix the mix").click()
    expect(page.get_by_role("status")).to_contain_text("The voucher is accepted and its mix is fixed.")
    hours = page.get_by_role("table", name="Hours of the mix")
    expect(hours.get_by_role("row", name=re.compile("Individual hours"))).to_contain_text("9 h")
    expect(hours.get_by_role("row", name=re.compile("Group sessions"))).to_contain_text("3")
    assert_accessible(page)

    # ...schedules a 1-hour individual session from the week view.
    page.get_by_role("link", name="Schedule one in the week view").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Week of Inès Dubois")
    expect(page.locator(".week__day--today")).to_have_count(1 if day - timedelta(days=day.weekday())
                                                            <= seeded["today"] else 0)
    assert_accessible(page)
    page.get_by_label("Individual", exact=True).check()
    page.get_by_label(f"{code} · {name}").check()
    page.get_by_label("Date").fill(day.isoformat())
    page.get_by_label("Start time (coach's local time)").fill("10:00")
    page.get_by_label("Duration").select_option("60")
    page.get_by_text("Place, theme and group places (optional)").click()  # folded: the form is short without them
    page.get_by_label("On site").check()
    page.get_by_label("Address or video link").fill("Rue Haute 5, 1000 Bruxelles")
    page.get_by_label("Theme").fill("Exploring needs")
    page.get_by_role("button", name="Schedule the session").click()
    expect(page.get_by_role("status")).to_contain_text("The session is scheduled.")
    session_link = page.locator(f"section[aria-labelledby='day-{day.isoformat()}'] .wgrid__session").get_by_role("link")
    expect(session_link).to_have_text(re.compile(r"10:00\W*AM.11:00\W*AM"))
    assert_accessible(page)

    # ...and logs it.
    session_link.click()
    expect(page.get_by_role("heading", level=2, name="Log the session")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("group", name=re.compile("Attendance of")).get_by_label("Attended").check()
    page.get_by_label("Real duration").select_option("60")
    page.get_by_label("Short note").fill("First interview: needs and programme.")
    page.get_by_role("button", name="Log the session").click()
    expect(page.get_by_role("status")).to_contain_text("The session is logged.")
    expect(page.get_by_role("heading", level=2, name="Logged")).to_be_visible()
    assert_accessible(page)
    _log_out(page)

    # The beneficiary confirms it.
    _log_in(page, seeded["person"])
    page.goto("/my/sessions")
    expect(page.get_by_role("heading", level=1, name="My coaching sessions")).to_be_visible()
    expect(page.locator(".session-deadline")).to_contain_text("otherwise it counts as confirmed")
    expect(page.get_by_text("First interview: needs and programme.")).to_be_visible()
    assert_accessible(page)
    page.get_by_role("button", name="Confirm this session").click()
    expect(page.get_by_role("status")).to_contain_text("The session is confirmed.")
    expect(page.get_by_text("Nothing to confirm.")).to_be_visible()
    expect(page.get_by_role("table")).to_contain_text("Confirmed")
    assert_accessible(page)
    _log_out(page)

    # The provider claims it.
    _log_in(page, seeded["admin"])
    page.goto("/provider/claims")
    group = page.get_by_role("region", name=re.compile(f"Voucher {code}"))
    expect(group.get_by_role("checkbox")).to_be_checked()
    assert_accessible(page)
    group.get_by_role("button", name=f"Claim for {code}").click()
    expect(page.get_by_role("status")).to_contain_text("The claim is sent to the fund.")
    claim_row = page.get_by_role("table").get_by_role("row").filter(has_text=code)
    expect(claim_row).to_contain_text("Waiting for the fund")
    expect(claim_row).to_contain_text(re.compile(r"150[.,]00"))
    expect(page.get_by_text("No confirmed session is waiting to be claimed.")).to_be_visible()
    assert_accessible(page)


def test_the_week_and_the_agenda_fit_a_phone(page: Page, seeded: dict[str, Any]) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    _log_in(page, seeded["admin"])
    page.goto("/coach/week")
    expect(page.get_by_role("heading", level=1)).to_have_text("Week of Inès Dubois")
    days = page.locator(".week__day")
    expect(days).to_have_count(7)
    # On a phone the week's grid shows one day at a time (today), with links to the day before and after.
    expect(page.locator(".week__day:visible")).to_have_count(1)
    expect(page.locator(".week__day--today")).to_be_visible()
    expect(page.get_by_role("navigation", name="Other days").get_by_role("link")).to_have_count(2)
    assert_accessible(page)
    _assert_no_horizontal_scroll(page)
    for path in ("/provider/vouchers", "/provider/offers", "/provider/claims"):
        page.goto(path)
        assert_accessible(page)
        _assert_no_horizontal_scroll(page)
    _log_out(page)
    _log_in(page, seeded["person"])
    page.goto("/my/sessions")
    assert_accessible(page)
    _assert_no_horizontal_scroll(page)


def _assert_no_horizontal_scroll(page: Page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"{page.url} scrolls sideways on a phone: {scroll_width}px > {inner_width}px"
