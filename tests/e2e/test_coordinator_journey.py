"""A mutual insurer's return-to-work coordinator files for a member, on a phone: the member follows the e-mailed
link (the tests' real SMTP server), creates their account and finds the request as their own; the fund asks for
information and the coordinator answers it; the fund approves and both see the voucher. axe (WCAG 2.1 A/AA) runs
on every page, and no page needs sideways scrolling on the 390 px screen."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, assert_accessible, assert_fits_screen
from tests.support.factories import PASSWORD, new_niss

JOIN_LINK = re.compile(r"https?://\S+/join/\S+")


def _deliver(app: Flask) -> None:
    from portal.db import db
    from portal.mail import deliver

    deliver(db.session, app.extensions["portal_mail_transport"], app.config["MAIL_SENDER"])


@pytest.fixture
def world(live_app: Flask) -> dict[str, Any]:
    from portal.clock import today_in_brussels
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_provider, make_user
    from vouchers.ledger.services import entries as ledger

    with live_app.app_context():
        provider = make_provider(db.session, name=f"Trajets {secrets.token_hex(3)}")
        coordinator = make_user(db.session, Role.COORDINATOR, language="en")
        fund = make_user(db.session, Role.FUND_ADMIN, language="en")
        ledger.record_funding(db.session, amount_cents=10_000_000, booked_on=today_in_brussels(), memo="budget")
        db.session.commit()
        return {"coordinator": coordinator.email, "fund_id": fund.id, "provider": provider.name}


def _decide(app: Flask, fund_id: int, request_id: int, decision: str, reason: str | None = None) -> None:
    from portal.auth.models import User
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from vouchers.requests.services.requests import decide_voucher_request

    with app.app_context():
        fund = db.session.get(User, fund_id)
        decide_voucher_request(db.session, fund, request_id, decision, reason, today=today_in_brussels(),
                               now=utcnow())
        db.session.commit()
        _deliver(app)


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_coordinator_files_the_member_joins_and_both_follow_the_voucher(
        page: Page, browser: Any, live_server: str, live_app: Flask, smtp_server: Any, world: dict[str, Any]) -> None:
    from portal.clock import today_in_brussels

    member_email = f"member-{secrets.token_hex(4)}@example.be"
    today = today_in_brussels()

    # 1. The coordinator files for a new member from their home page.
    page.goto("/login")
    page.get_by_label("E-mail address").fill(world["coordinator"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1, name="My members' requests")).to_be_visible()
    assert_accessible(page)
    assert_fits_screen(page)
    page.get_by_role("link", name="File a request for a member").click()
    page.get_by_label("Member's first name").fill("Marie")
    page.get_by_label("Member's last name").fill("Dupont")
    page.get_by_label("Member's national register number (or BIS number)").fill(new_niss())
    page.get_by_label("Member's e-mail address").fill(member_email)
    page.get_by_label("Member's language").select_option("en")
    page.locator("#force_majeure-0").check()
    page.get_by_label("Date the contract ended").fill((today - timedelta(days=20)).isoformat())
    page.get_by_label("Street").fill("Rue Haute")
    page.get_by_label("House number").fill("12")
    page.get_by_label("Postcode").fill("1000")
    page.get_by_label("Municipality").fill("Bruxelles")
    page.get_by_label("Coaching provider").select_option(label=world["provider"])
    assert_accessible(page)
    assert_fits_screen(page)
    page.get_by_role("button", name="Send the request and invite the member").click()
    expect(page.locator(".alert--success")).to_contain_text("Marie Dupont is invited by e-mail")
    expect(page.locator("#member-account")).to_contain_text("not joined yet")
    request_id = int(re.search(r"/coordinator/requests/(\d+)", page.url).group(1))  # type: ignore[union-attr]
    assert_accessible(page)
    assert_fits_screen(page)

    # 2. The member follows the e-mailed link, creates an account and sees the request as their own.
    context = browser.new_context(base_url=live_server, locale="en-US", **PHONE)
    context.set_default_timeout(15_000)
    try:
        member = context.new_page()
        member.goto(smtp_server.wait_for_link(member_email, JOIN_LINK))
        expect(member.get_by_label("First name")).to_have_value("Marie")
        assert_accessible(member)
        assert_fits_screen(member)
        member.get_by_label("Password", exact=True).fill(PASSWORD)
        member.get_by_label("Repeat the password").fill(PASSWORD)
        member.get_by_role("button", name="Create my account and take up the request").click()
        expect(member.locator(".alert--success")).to_contain_text("The request is now in your account")
        expect(member.get_by_text("Withdraw my request")).to_be_visible()
        assert_accessible(member)

        # 3. The fund asks for information; the coordinator answers on their page.
        _decide(live_app, world["fund_id"], request_id, "request_info", "Please send the C4 form.")
        page.goto("/coordinator/")
        expect(page.get_by_text("Please send the C4 form.")).to_be_visible()
        assert_fits_screen(page)
        page.goto(f"/coordinator/requests/{request_id}")
        page.get_by_label("Your answer to the fund").fill("The C4 form is on its way by post.")
        page.get_by_role("button", name="Send the answer").click()
        expect(page.locator(".alert--success")).to_contain_text("The fund has the answer")
        assert_accessible(page)

        # 4. The fund approves; both see the voucher.
        _decide(live_app, world["fund_id"], request_id, "approve")
        member.goto("/my")
        expect(member.get_by_role("link", name="See my voucher")).to_be_visible()
        assert_fits_screen(member)
        page.goto(f"/coordinator/requests/{request_id}")
        expect(page.locator("#voucher-status")).to_contain_text("Approved")
        expect(page.get_by_text("Left to use")).to_be_visible()
        assert_accessible(page)
        assert_fits_screen(page)
    finally:
        context.close()
