"""A worker signs in with itsme or eID, on a phone, through a real OpenID Connect provider that this test starts
(oidc-provider-mock on a free port, standing in for the federal authentication service; tests/support/oidc.py):
the portal sends them there, they sign in on the provider's own page, and come back to a short page that makes
their account. Their national register number is then proven, so the first step of the voucher request starts
from the dismissal their employer declared. Signing in again opens the same account. axe (WCAG 2.1 A/AA) runs on
the portal's pages, and none needs sideways scrolling."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, assert_fits_screen, log_out
from tests.support.factories import new_niss, unique
from tests.support.oidc import Provider, fas_settings, oidc_provider


@pytest.fixture
def fas(live_app: Flask) -> Iterator[Provider]:
    """The provider, and the live portal configured for it during this test only."""
    with oidc_provider(host_name="localhost") as provider:
        settings = fas_settings(provider)
        saved = {name: live_app.config.get(name) for name in settings}
        live_app.config.update(settings)
        try:
            yield provider
        finally:
            live_app.config.update(saved)


@pytest.fixture
def declared(live_app: Flask) -> dict[str, Any]:
    """An employer declared the dismissal of a worker (for medical force majeure) 20 days ago."""
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user
    from vouchers.employers.services.declarations import (
        DeclarationData,
        declare_dismissal,
    )

    niss, ended = new_niss(), today_in_brussels() - timedelta(days=20)
    with live_app.app_context():
        clerk = make_user(db.session, Role.EMPLOYER, language="en")
        declare_dismissal(db.session, clerk, DeclarationData(worker_first_name="Amélie", worker_last_name="Peeters",
                                                             worker_niss=niss, contract_end_on=ended),
                          today=ended + timedelta(days=2), now=utcnow())
        db.session.commit()
    return {"niss": niss, "ended": ended}


def _check(page: Page) -> None:
    assert_accessible(page)
    assert_fits_screen(page)


def _sign_in_at_the_provider(page: Page, subject: str) -> None:
    """On the portal's login page: off to the provider, sign in there as ``subject``, and back."""
    page.get_by_role("link", name="Sign in with itsme or eID").click()
    expect(page).to_have_url(re.compile(r"^http://localhost:\d+/oauth2/authorize\?"))
    page.get_by_placeholder("sub").fill(subject)
    page.get_by_role("button", name="Authorize").click()
    expect(page).to_have_url(re.compile(r"^http://127\.0\.0\.1:\d+/"))


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_worker_signs_in_with_itsme_and_finds_the_declaration(page: Page, fas: Provider,
                                                                declared: dict[str, Any]) -> None:
    niss, ended = declared["niss"], declared["ended"]
    subject, email = unique("worker-"), f"{unique('worker')}@example.be"
    fas.add_person(subject, niss=niss, given_name="Amélie", family_name="Peeters")

    page.goto("/login")
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    _check(page)
    _sign_in_at_the_provider(page, subject)

    # Back on the portal: the number is known from the provider; an address and a language make the account.
    expect(page).to_have_url(re.compile(r"/login/fas/complete$"))
    expect(page.get_by_text(f"ending in {niss[-4:]}")).to_be_visible()
    expect(page.get_by_text("Amélie Peeters")).to_be_visible()
    _check(page)
    page.get_by_role("button", name="Make my account").click()  # nothing typed: the errors are told
    expect(page.locator("#form-errors")).to_be_visible()
    _check(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Language for letters and e-mails").select_option("en")
    page.get_by_role("button", name="Make my account").click()

    # The account's page says the number is proven; the request starts from the employer's declaration.
    expect(page.get_by_role("heading", level=1, name="My voucher")).to_be_visible()
    expect(page.locator("#identity-proven")).to_contain_text(f"ending in {niss[-4:]}")
    expect(page.get_by_text("Prove your identity with itsme or eID")).to_have_count(0)
    _check(page)
    page.get_by_role("link", name="Start my request").click()
    expect(page.get_by_text("Filled in from the declaration")).to_be_visible()
    expect(page.get_by_label("Date your contract ended")).to_have_value(ended.isoformat())
    _check(page)

    # Signing in again opens the same account, with no page in between.
    log_out(page)
    page.goto("/login")
    _sign_in_at_the_provider(page, subject)
    expect(page.get_by_role("heading", level=1, name="My voucher")).to_be_visible()
    expect(page.locator("#identity-proven")).to_contain_text(f"ending in {niss[-4:]}")
