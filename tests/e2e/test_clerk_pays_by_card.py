"""The demo's payroll clerk declares a dismissal and pays its contribution by card in at most 3 screens, on a 390 px
phone, with axe clean on each screen.

The portal runs as the README's demo does: the demo world (``seed-demo``), no Stripe key, ``ALLOW_FAKE_PAYMENTS=1``,
neither debug nor testing mode, so card payments go through the in-memory fake gateway (a test payment: no card
details). Every page the browser loads in its window is counted from the dashboard on: 1) the dashboard,
2) the declaration form, 3) the declaration's page, with its contribution, the structured reference for a transfer
and the payment done: the form has a "declare and pay by card now" button in the demo. A screen more fails.
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import timedelta
from typing import Any
from urllib.parse import urlsplit

import pytest
from playwright.sync_api import Browser, Page, expect

from tests.e2e.conftest import (
    LIVE_APPS,
    PHONE,
    assert_accessible,
    assert_fits_screen,
    serve_fresh_app,
)
from tests.support.factories import new_niss
from tests.support.smtp import SMTPServer

CLERK = "employer@demo.tnw.be"
MAX_SCREENS = 3


@pytest.fixture(scope="module")
def demo_portal(smtp_server: SMTPServer) -> Iterator[str]:
    """A server of its own with the demo world, configured as the README's demo command runs it."""
    from portal.auth.models import User
    from portal.db import db
    from portal.demo import seed_demo

    with serve_fresh_app(smtp_server) as base_url:
        app = LIVE_APPS[base_url]
        app.config.update(TESTING=False, DEBUG=False, ALLOW_FAKE_PAYMENTS=True, STRIPE_SECRET_KEY="",
                          STRIPE_PUBLISHABLE_KEY="")
        app.extensions.pop("payment_gateway", None)  # chosen from these settings at the first payment
        with app.app_context():
            seed_demo(db.session)
            clerk = db.session.scalar(User.by_email(CLERK))
            assert clerk is not None, f"the demo has no {CLERK}"
            clerk.language = "en"  # the page's words in these tests are English
            db.session.commit()
        yield base_url


def _screen(page: Page) -> None:
    """What every screen must be: in reach on a 390 px phone, with nothing axe finds."""
    assert_fits_screen(page)
    assert_accessible(page)


def test_the_clerk_declares_and_pays_by_card_in_three_screens(demo_portal: str, browser: Browser) -> None:
    from portal.clock import today_in_brussels
    from portal.demo import DEMO_PASSWORD

    context = browser.new_context(base_url=demo_portal, locale="en-US", **PHONE)
    context.set_default_timeout(15_000)
    try:
        page = context.new_page()
        page.goto("/login")
        page.get_by_label("E-mail address").fill(CLERK)
        page.get_by_label("Password").fill(DEMO_PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Log in").click()

        # 1. The dashboard, where signing in leads: from here on every page load is counted.
        expect(page.get_by_role("heading", level=1)).to_have_text("Dismissal declarations")
        loads = [urlsplit(page.url).path]
        page.on("framenavigated", lambda frame: loads.append(urlsplit(frame.url).path)
                if frame == page.main_frame else None)
        _screen(page)
        page.get_by_role("link", name="Declare a dismissal").click()

        # 2. The declaration form.
        expect(page.get_by_role("heading", level=1)).to_have_text("Declare a dismissal for medical force majeure")
        _screen(page)
        page.get_by_label("Worker's first name").fill("Bram")
        page.get_by_label("Worker's last name").fill("Vermeulen")
        page.get_by_label("Worker's national register number (or BIS number)").fill(new_niss())
        page.get_by_label("Last day of the contract").fill((today_in_brussels() - timedelta(days=12)).isoformat())
        expect(page.get_by_role("main")).to_contain_text("No card details are asked")
        page.get_by_role("button", name="Declare and pay by card now (test payment)").click()

        # 3. The declaration's page: declared and paid, with the payment and the transfer's reference kept.
        expect(page.get_by_role("heading", level=1)).to_have_text("Dismissal of Bram Vermeulen")
        main = page.get_by_role("main")
        expect(page.locator(".alert--success")).to_have_text(
            "The dismissal is declared and the contribution is paid. Thank you.")
        expect(page.locator("#contribution-title + p .badge")).to_have_text("Paid")
        expect(main.get_by_role("heading", name="Payments received")).to_be_visible()
        expect(main.get_by_role("button", name=re.compile("test card"))).to_have_count(0)
        _screen(page)
        declaration_path = urlsplit(page.url).path

        assert loads == ["/employer/", "/employer/declare", declaration_path], loads
        screens = list(dict.fromkeys(loads))
        assert len(screens) <= MAX_SCREENS, f"{len(screens)} screens to declare and pay: {screens}"
    finally:
        context.close()
    _paid_once_and_told(demo_portal, int(declaration_path.rsplit("/", 1)[1]))


def _paid_once_and_told(base_url: str, declaration_id: int) -> None:
    """Behind the page: the money in the ledger once, and the company told of it, as with a real card."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.db import db
    from portal.notifications.models import Notification
    from vouchers.employers.models import Declaration
    from vouchers.ledger.models import LedgerEntry

    with LIVE_APPS[base_url].app_context():
        declaration: Any = db.session.get(Declaration, declaration_id)
        contribution = declaration.contribution
        assert contribution.status == "paid"
        entries = db.session.execute(select(LedgerEntry.kind, LedgerEntry.amount_cents)
                                     .where(LedgerEntry.contribution_id == contribution.id)).all()
        assert [tuple(e) for e in entries] == [("contribution_paid", 180_000)]
        clerk = db.session.scalar(User.by_email(CLERK))
        told = db.session.execute(select(Notification.object_type, Notification.link_endpoint).where(
            Notification.user_id == clerk.id, Notification.kind == "contribution_received",
            Notification.object_id == declaration_id)).all()
        assert [tuple(t) for t in told] == [("dismissal_declaration", "employers.declaration")]
