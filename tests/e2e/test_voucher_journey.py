"""The heart of the mission, in a browser: from the front page, check eligibility, register,
request a voucher in steps, the fund approves it, and the voucher shows its balance. axe runs on
every page. The beneficiary's part runs twice: on a desktop screen and on a phone, where no page
may need sideways scrolling."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    assert_accessible,
    assert_fits_screen,
    enter_second_factor,
    log_out,
)
from tests.support.factories import PASSWORD, new_niss

CONFIRM_LINK = re.compile(r"https?://\S+/confirm/\S+")


@pytest.fixture
def fund_and_provider(live_app: Any) -> dict[str, str]:
    """Providers and fund staff have no sign-up page: they are listed and invited by the fund."""
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_provider, make_user

    with live_app.app_context():
        provider = make_provider(db.session, name=f"Trajets {secrets.token_hex(3)}")
        admin = make_user(db.session, Role.FUND_ADMIN, language="en")
        db.session.commit()
        return {"provider": provider.name, "admin": admin.email}


def check(page: Page, device: str) -> None:
    assert_accessible(page)
    if device == "phone":
        assert_fits_screen(page)


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
def test_eligibility_request_approval_and_balance(page: Page, live_app: Any, fund_and_provider,
                                                 smtp_server: Any) -> None:
    from portal.clock import today_in_brussels

    device = "phone" if page.viewport_size and page.viewport_size["width"] < 600 else "desktop"

    today = today_in_brussels()
    contract_end = (today - timedelta(days=40)).isoformat()
    email = f"journey-{secrets.token_hex(5)}@example.be"
    last_name = f"Martin {secrets.token_hex(2)}"  # each run (desktop, phone) finds its own request in the queue

    # 1. From the front page, check eligibility without an account.
    page.goto("/")
    check(page, device)
    page.get_by_role("link", name="Can I get a voucher?").click()
    check(page, device)
    page.get_by_label("Yes").first.check()
    page.get_by_label("Date your contract ended").fill(contract_end)
    page.get_by_role("button", name="Check").click()

    # 2. Register: the verdict is on the account page, which keeps the answers and asks the address.
    expect(page.locator("#verdict")).to_contain_text("you can ask for a voucher")
    expect(page.get_by_role("heading", name=re.compile("Step 2 of 4"))).to_be_visible()
    check(page, device)
    page.get_by_label("First name").fill("Lucas")
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("National register number (or BIS number)").fill(new_niss())
    page.get_by_label("Street").fill("Rue Haute")
    page.get_by_label("House number").fill("12")
    page.get_by_label("Postcode").fill("1000")
    page.get_by_label("Municipality").fill("Bruxelles")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Language for letters and e-mails").select_option("en")
    page.get_by_role("button", name="Create my account").click()

    # 3. Logged in at once, on to the rest of the request, on one page; the situation is not asked again.
    expect(page.get_by_role("heading", name=re.compile("Step 3 of 4"))).to_be_visible()
    expect(page.get_by_label("Date your contract ended")).to_have_count(0)
    check(page, device)
    page.get_by_label("Your mutual insurer").select_option("300")
    page.get_by_label(fund_and_provider["provider"]).check()
    page.get_by_label(re.compile("return-to-work plan")).check()
    page.get_by_label("I confirm that what I entered is correct.").check()
    page.get_by_role("button", name="Send my request").click()
    expect(page.locator(".alert--success")).to_contain_text("45 days")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request")  # the request's own page
    # The fund decides once the address is confirmed: the page asks for it, and the e-mailed link does it.
    expect(page.locator("#confirm-email")).to_contain_text("Confirm your e-mail address")
    check(page, device)
    page.goto(smtp_server.wait_for_link(email, CONFIRM_LINK))
    expect(page.get_by_role("heading", level=1, name="My voucher")).to_be_visible()
    expect(page.locator("#confirm-email")).to_have_count(0)
    check(page, device)
    log_out(page)

    # 4. The fund approves it.
    page.goto("/login")
    page.get_by_label("E-mail address").fill(fund_and_provider["admin"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    enter_second_factor(page, fund_and_provider["admin"])
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)
    page.get_by_role("link", name=re.compile(last_name)).click()
    assert_accessible(page)
    page.get_by_label(re.compile("^Approve")).check()
    page.get_by_role("button", name="Record the decision").click()
    expect(page.locator(".alert--success")).to_contain_text("TNW-")
    log_out(page)

    # 5. The beneficiary sees the voucher and its balance.
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("button", name="Log in").click()
    expect(page.get_by_text(re.compile(r"Left to use: €1,800.00 of €1,800.00"))).to_be_visible()
    check(page, device)
    page.get_by_role("link", name="See my voucher").click()
    expect(page.locator(".figures")).to_contain_text("€1,800.00")
    check(page, device)
