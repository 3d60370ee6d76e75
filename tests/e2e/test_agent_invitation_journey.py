"""An employer invites its social secretariat, in a browser: the payroll manager sends the invitation from the
Agents page; the secretariat's clerk, who has no account yet, opens the link from the e-mail (real SMTP server
of the tests), creates an employer account and acts for the company; the manager then sees the agent listed.
The used link gets a clear page. axe (WCAG 2.1 A/AA) runs on every page."""

from __future__ import annotations

import re
import secrets
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.support.factories import PASSWORD

INVITATION_LINK = re.compile(r"https?://\S+/employer/agents/accept/\S+")


@pytest.fixture
def manager(live_app: Flask) -> dict[str, str]:
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user
    from vouchers.employers.models import Employer

    with live_app.app_context():
        user = make_user(db.session, Role.EMPLOYER, language="en")
        company = db.session.get(Employer, user.employer_id)
        db.session.commit()
        return {"email": user.email, "company": company.company_name}


def test_an_employer_invites_its_secretariat_which_creates_its_account(page: Page, browser: Any, live_server: str,
                                                                       smtp_server: Any, manager: dict) -> None:
    clerk_email = f"clerk-{secrets.token_hex(4)}@secretariat.example.be"

    # 1. The manager sends the invitation.
    page.goto("/login")
    page.get_by_label("E-mail address").fill(manager["email"])
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    page.goto("/employer/agents")
    assert_accessible(page)
    page.get_by_label("The agent's e-mail address").fill(clerk_email)
    page.get_by_label("Name of the contact (optional)").fill("Paula Payroll")
    page.get_by_role("button", name="Send the invitation").click()
    expect(page.locator(".alert--success")).to_contain_text(f"An invitation was sent to {clerk_email}")
    expect(page.get_by_role("table", name="The invitations that have not been accepted yet")).to_contain_text(
        clerk_email)
    assert_accessible(page)

    # 2. The clerk opens the link in another browser, creates an account and accepts.
    context = browser.new_context(base_url=live_server, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        clerk = context.new_page()
        link = smtp_server.wait_for_link(clerk_email, INVITATION_LINK)
        clerk.goto(link)
        expect(clerk.get_by_role("main")).to_contain_text(manager["company"])
        expect(clerk.get_by_label("First name")).to_have_value("Paula")
        assert_accessible(clerk)
        clerk.get_by_label("Password", exact=True).fill(PASSWORD)
        clerk.get_by_label("Repeat the password").fill("not the same one")
        clerk.get_by_role("button", name="Create my account and accept").click()
        expect(clerk.locator("#form-errors")).to_contain_text("The two passwords are not the same.")
        assert_accessible(clerk)
        clerk.get_by_label("Password", exact=True).fill(PASSWORD)
        clerk.get_by_label("Repeat the password").fill(PASSWORD)
        clerk.get_by_label("Language for letters and e-mails").select_option("en")
        clerk.get_by_role("button", name="Create my account and accept").click()
        expect(clerk.locator(".alert--success")).to_contain_text(f"You now act for {manager['company']}")
        assert_accessible(clerk)

        # 3. The same link again: a clear page, not an error.
        clerk.goto(link)
        expect(clerk.get_by_role("main")).to_contain_text("This invitation was already accepted.")
        assert_accessible(clerk)
    finally:
        context.close()

    # 4. The manager sees the agent, and no pending invitation.
    page.goto("/employer/agents")
    expect(page.get_by_role("table", name="The accounts that act for your company")).to_contain_text(clerk_email)
    expect(page.get_by_role("main")).not_to_contain_text("Invitations waiting for an answer")
    assert_accessible(page)
