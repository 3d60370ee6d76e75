"""Nobody waits in silence, in a browser: the fund asks a beneficiary for information; the beneficiary opens
the link in the real e-mail (the tests' SMTP server), logs in, sees the question and answers it on the request
page; the fund approves; the approval's e-mail link opens the voucher. A logged session's e-mail leads to the
agenda, where the beneficiary confirms it. axe (WCAG 2.1 A/AA) runs on every page; the phone needs no
sideways scrolling."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, assert_fits_screen
from tests.support.factories import PASSWORD


def _deliver(app: Flask) -> None:
    """What a request would send after its commit; here the fund acts through its services."""
    from portal.db import db
    from portal.mail import deliver

    deliver(db.session, app.extensions["portal_mail_transport"], app.config["MAIL_SENDER"])


@pytest.fixture
def asked(live_app: Flask) -> dict[str, Any]:
    """A beneficiary whose request the fund asks a question about."""
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_provider, make_user
    from vouchers.requests.services.requests import RequestData, decide_voucher_request, submit_voucher_request

    with live_app.app_context():
        today = today_in_brussels()
        provider = make_provider(db.session, name=f"Trajets {secrets.token_hex(3)}")
        person = make_user(db.session, Role.BENEFICIARY, language="en")
        fund = make_user(db.session, Role.FUND_ADMIN, language="en")
        data = RequestData(provider_id=provider.id, insurer_code=300, initiative="coordinator", force_majeure=True,
                           contract_end_on=today - timedelta(days=20),
                           address={"street": "Rue Haute", "number": "5", "postcode": "1000",
                                    "municipality": "Bruxelles"})
        request = submit_voucher_request(db.session, person, data, today=today, now=utcnow())
        decide_voucher_request(db.session, fund, request.id, "request_info",
                               "Please tell us the name of your mutual insurer.", today=today, now=utcnow())
        db.session.commit()
        _deliver(live_app)
        return {"email": person.email, "request_id": request.id, "fund_id": fund.id, "provider_id": provider.id}


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_the_beneficiary_follows_the_e_mails_answers_and_finds_the_voucher(
        page: Page, live_app: Flask, smtp_server: Any, asked: dict[str, Any]) -> None:
    from portal.auth.models import User
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from vouchers.requests.services.requests import decide_voucher_request

    # 1. The e-mail's link leads, through the login, to the request and its question.
    link = smtp_server.wait_for_link(asked["email"], re.compile(rf"https?://\S+/requests/{asked['request_id']}\b"))
    page.goto(link)
    page.get_by_label("E-mail address").fill(asked["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", name="The fund needs an answer from you")).to_be_visible()
    expect(page.get_by_text("Please tell us the name of your mutual insurer.").first).to_be_visible()
    expect(page.locator(".count-badge")).to_be_visible()  # the header counts what is unread
    assert_accessible(page)
    assert_fits_screen(page)

    # 2. An empty answer is refused on the same page; the answer is sent.
    page.get_by_role("button", name="Send my answer").click()
    expect(page.locator(".field__error").first).to_be_visible()
    page.get_by_label("Your answer to the fund").fill("Solidaris, since 2019.")
    page.get_by_role("button", name="Send my answer").click()
    expect(page.locator(".alert--success")).to_contain_text("the fund has your answer")
    assert_accessible(page)

    # 3. The fund approves; the approval's link opens the voucher.
    with live_app.app_context():
        fund = db.session.get(User, asked["fund_id"])
        decide_voucher_request(db.session, fund, asked["request_id"], "approve", None, today=today_in_brussels(),
                               now=utcnow())
        db.session.commit()
        _deliver(live_app)
    voucher_link = smtp_server.wait_for_link(asked["email"], re.compile(r"https?://\S+/vouchers/\d+"))
    page.goto(voucher_link)
    expect(page.get_by_role("heading", level=1, name=re.compile("Voucher"))).to_be_visible()
    expect(page.get_by_text("Give up my voucher").first).to_be_visible()
    assert_accessible(page)
    assert_fits_screen(page)

    # 4. The notifications page lists both, and opening one marks it read.
    page.goto("/notifications")
    expect(page.get_by_role("heading", name="Your coaching voucher is approved")).to_be_visible()
    assert_accessible(page)
    assert_fits_screen(page)
