"""Two-step sign-in in a browser: a fund administrator who has no second factor yet sets one up before anything
else (QR code, key, first code) and gets recovery codes, then signs in with a code from then on, and, the phone
lost, with a recovery code, and moves to a new app. axe runs on every page; on a phone no page may need sideways
scrolling."""

from __future__ import annotations

import re

import pyotp
import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import (
    assert_accessible,
    assert_fits_screen,
    enter_second_factor,
    log_out,
)
from tests.support.factories import PASSWORD


@pytest.fixture
def admin_without_second_factor(live_app: Flask) -> str:
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user

    with live_app.app_context():
        admin = make_user(db.session, Role.FUND_ADMIN, two_step=False, language="en")
        db.session.commit()
        return admin.email


def _log_in_with_password(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()


@pytest.mark.parametrize("page", ["desktop", "phone"], indirect=True)
def test_a_fund_admin_sets_up_two_step_sign_in_then_signs_in_with_it(page: Page,
                                                                     admin_without_second_factor: str) -> None:
    email = admin_without_second_factor
    phone = bool(page.viewport_size and page.viewport_size["width"] < 600)
    _log_in_with_password(page, email)
    expect(page).to_have_url(re.compile(r"/login/two-step/setup$"))
    expect(page.get_by_role("heading", level=1)).to_have_text("Set up two-step sign-in")
    expect(page.get_by_role("img", name=re.compile("QR code"))).to_be_visible()
    assert_accessible(page)
    if phone:
        assert_fits_screen(page)
    secret = page.locator("#two-step-secret").inner_text().strip()
    assert re.fullmatch(r"[A-Z2-7]{32}", secret)
    assert f"secret={secret}" in page.locator("#two-step-uri").inner_text()

    # A code from another key is refused on the same page, which says why.
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(pyotp.random_base32()).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.locator(".field__error")).to_contain_text("This code is not right")
    assert_accessible(page)

    # The app's code turns it on and logs in, showing the recovery codes this once, to print or download.
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(secret).now())
    page.get_by_role("button", name="Turn on two-step sign-in").click()
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.locator(".alert--success")).to_contain_text("Two-step sign-in is on.")
    expect(page.get_by_role("heading", level=1)).to_have_text("Your recovery codes")
    codes = [code.strip() for code in page.locator("#recovery-codes code").all_inner_texts()]
    assert len(codes) == 10 and all(re.fullmatch(r"[a-z2-9]{4}-[a-z2-9]{4}-[a-z2-9]{4}", code) for code in codes)
    expect(page.get_by_role("button", name="Print this page")).to_be_visible()
    with page.expect_download() as download:
        page.get_by_role("link", name="Download the codes (text file)").click()
    saved = download.value.path().read_text()
    assert all(code in saved for code in codes)
    assert_accessible(page)
    if phone:
        assert_fits_screen(page)
    page.get_by_role("link", name="I saved my codes: continue").click()
    expect(page).not_to_have_url(re.compile(r"/two-step"))
    log_out(page)

    # From now on: the password, then the code.
    _log_in_with_password(page, email)
    enter_second_factor(page, email)
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    log_out(page)

    # The phone is lost: a recovery code opens the account once, and leads to setting up a new app.
    _log_in_with_password(page, email)
    page.get_by_role("link", name="No access to your app? Use a recovery code").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Sign in with a recovery code")
    assert_accessible(page)
    if phone:
        assert_fits_screen(page)
    page.get_by_label("Recovery code").fill(codes[0].upper())
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/account/two-step$"))
    expect(page.locator(".alert--warning").first).to_contain_text("You signed in with a recovery code: 9 are left.")
    assert_accessible(page)
    if phone:
        assert_fits_screen(page)
    page.get_by_role("link", name="Move two-step sign-in to a new app").click()
    new_secret = page.locator("#two-step-secret").inner_text().strip()
    assert_accessible(page)
    if phone:
        assert_fits_screen(page)
    page.get_by_label("Your password").fill(PASSWORD)
    page.get_by_label("Code from your authenticator app").fill(pyotp.TOTP(new_secret).now())
    page.get_by_role("button", name="Use this new app").click()
    expect(page.locator(".alert--success")).to_contain_text("Your new authenticator app is set up")
    expect(page.locator("#recovery-codes-left")).to_contain_text("You have 9 unused recovery codes")
