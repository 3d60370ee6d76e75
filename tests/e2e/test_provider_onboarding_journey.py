"""How a coaching provider and its coaches arrive, in a browser: the fund lists the provider from its pages;
the provider's administrator opens the invitation e-mail (real SMTP server of the tests), chooses a password,
logs in and invites a coach; the coach does the same and finds their week. axe (WCAG 2.1 A/AA) runs on every
page. (The course itself, from mix to claim: tests/e2e/test_coaching_journey.py.)"""

from __future__ import annotations

import re
import secrets
from datetime import date, timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, enter_second_factor, log_out
from tests.support.factories import PASSWORD, new_enterprise_number, new_iban

RESET_LINK = re.compile(r"https?://\S+/password/reset/\S+")
NEW_PASSWORD = "a long sentence for the coach"


def _choose_password_and_log_in(page: Page, link: str, email: str) -> None:
    page.goto(link)
    assert_accessible(page)
    page.get_by_label("New password", exact=True).fill(NEW_PASSWORD)
    page.get_by_label("Repeat the new password").fill(NEW_PASSWORD)
    page.get_by_role("button", name="Save the new password").click()
    if "/login" not in page.url:  # some flows log straight in; otherwise log in with the new password
        return
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(NEW_PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def _in_english(page: Page) -> None:
    """New staff accounts start in French: switch with the visible language menu."""
    page.locator("#lang-select").select_option("en")
    page.locator(".lang-switch button").click()
    expect(page.locator("html")).to_have_attribute("lang", "en")


@pytest.fixture
def fund_admin(live_app: Flask) -> str:
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user

    with live_app.app_context():
        admin = make_user(db.session, Role.FUND_ADMIN, language="en")
        db.session.commit()
        return admin.email


def test_the_fund_lists_a_provider_whose_staff_find_their_way_in(page: Page, smtp_server: Any, fund_admin: str) -> None:
    tag = secrets.token_hex(3)
    provider_name = f"Nieuwe Start {tag}"
    admin_email = f"director-{tag}@example.be"
    coach_email = f"coach-{tag}@example.be"

    # 1. The fund lists the provider, from the front page.
    page.goto("/")
    page.get_by_role("link", name="Log in").first.click()
    page.get_by_label("E-mail address").fill(fund_admin)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    enter_second_factor(page, fund_admin)
    page.get_by_role("navigation", name="Fund administration menu").get_by_role("link", name="Providers").click()
    assert_accessible(page)
    page.get_by_role("link", name="List a provider").click()
    assert_accessible(page)
    page.get_by_label("Name of the provider", exact=True).fill(provider_name)
    page.get_by_label("Enterprise number (BCE/KBO)").fill(new_enterprise_number())
    page.get_by_label("Quality label").select_option(index=1)
    page.get_by_label("Label valid until").fill((date.today() + timedelta(days=400)).isoformat())
    page.get_by_label("IBAN for payouts").fill(new_iban())
    page.locator("input[name=regions]").first.check()
    page.locator("input[name=languages]").first.check()
    page.get_by_label("Name of the provider's administrator").fill("Els Maes")
    page.get_by_label("E-mail of the provider's administrator").fill(admin_email)
    page.get_by_role("button", name="List the provider and send the invitation").click()
    expect(page.get_by_role("main")).to_contain_text(provider_name)
    assert_accessible(page)
    log_out(page)

    # 2. The provider's administrator accepts the invitation and invites a coach.
    _choose_password_and_log_in(page, smtp_server.wait_for_link(admin_email, RESET_LINK), admin_email)
    _in_english(page)
    assert_accessible(page)
    page.goto("/provider/coaches")
    assert_accessible(page)
    page.get_by_label("Full name").fill("Pieter Claes")
    page.get_by_label("E-mail address").fill(coach_email)
    page.get_by_role("button", name="Invite the coach").click()
    expect(page.get_by_role("main")).to_contain_text("Pieter Claes")
    assert_accessible(page)
    log_out(page)

    # 3. The coach accepts the invitation and finds their week.
    _choose_password_and_log_in(page, smtp_server.wait_for_link(coach_email, RESET_LINK), coach_email)
    _in_english(page)
    page.goto("/coach/week")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Pieter Claes")
    assert_accessible(page)
