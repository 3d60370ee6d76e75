"""A payroll clerk in headless Chromium: declare, pay with a test card against localstripe, download the letter.

The app runs in a thread on its own fresh database, configured with localstripe's keys, API and
Stripe.js mock; localstripe sends its webhooks to that app. Skipped without /usr/bin/chromium,
unless E2E_REQUIRE_BROWSER=1 (or CI=true), where that is a failure.
"""

from __future__ import annotations

import re
import secrets
import shutil
import tempfile
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.support.factories import PASSWORD, new_niss
from tests.support.localstripe import LocalStripe, must_run

pytestmark = pytest.mark.e2e

CHROMIUM = Path("/usr/bin/chromium")
WEBHOOK_SECRET = "whsec_browser_" + secrets.token_hex(8)


def _chromium_or_skip() -> None:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests"
        if must_run():
            pytest.fail(f"{message} (required when E2E_REQUIRE_BROWSER=1 or CI=true).", pytrace=False)
        pytest.skip(message)


def _in_own_thread(journey: Callable[[Any], None]) -> None:
    """Run ``journey(browser)`` with its own Playwright in a fresh thread.

    Playwright's sync API refuses to start inside a running event loop, which tests/e2e's
    session-wide browser keeps open in the main thread; a thread of our own has none.
    """
    from playwright.sync_api import sync_playwright

    from tests.e2e.conftest import CHROMIUM_ARGS

    failure: list[BaseException] = []

    def run() -> None:
        try:
            with sync_playwright() as playwright:
                browser = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True,
                                                     args=CHROMIUM_ARGS)
                try:
                    journey(browser)
                finally:
                    browser.close()
        except BaseException as exc:  # noqa: BLE001 - handed to the test's thread
            failure.append(exc)

    thread = threading.Thread(target=run, name="pay-browser")
    thread.start()
    thread.join(timeout=240)
    if thread.is_alive():
        pytest.fail("the browser journey did not finish within 240 s")
    if failure:
        raise failure[0]


@pytest.fixture(scope="module")
def paying_server(smtp_server, localstripe: LocalStripe) -> Iterator[dict[str, Any]]:
    """The portal on a fresh database, wired to localstripe, served on 127.0.0.1."""
    _chromium_or_skip()
    from flask import current_app
    from werkzeug.serving import make_server

    from portal import create_app
    from portal.extensions import limiter
    from tests.support.fresh_db import FreshDatabase

    root = Path(tempfile.mkdtemp(prefix="tnw-pay-"))
    database = FreshDatabase(root, "pay")
    database.create()
    database_uri = database.url
    limiter_was_enabled = limiter.enabled
    server = thread = app = None
    try:
        try:
            app = create_app({
                "TESTING": True, "SECRET_KEY": "pay-secret-key", "INSTANCE_PATH": str(root / "instance"),
                "SQLALCHEMY_DATABASE_URI": database_uri, "SESSION_DIRECTORY": str(root / "sessions"),
                "MAIL_BACKEND": "smtp", "MAIL_SERVER": "127.0.0.1", "MAIL_PORT": smtp_server.port,
                "SERVER_NAME": None, "RATELIMIT_ENABLED": False,
                "STRIPE_SECRET_KEY": localstripe.secret_key, "STRIPE_PUBLISHABLE_KEY": localstripe.publishable_key,
                "STRIPE_API_BASE": localstripe.url, "STRIPE_JS_URL": localstripe.js_url,
                "STRIPE_WEBHOOK_SECRET": WEBHOOK_SECRET,
            })
        finally:
            limiter.enabled = limiter_was_enabled
        pay_app = app

        @limiter.request_filter
        def _served_by_the_pay_app() -> bool:
            return current_app._get_current_object() is pay_app  # type: ignore[attr-defined]

        database.migrate(app)
        server = make_server("127.0.0.1", 0, app, threaded=True)
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = base_url
        thread = threading.Thread(target=server.serve_forever, name="pay-live-server", daemon=True)
        thread.start()
        localstripe.reset()
        localstripe.register_webhook("portal", f"{base_url}/api/v1/webhooks/stripe", WEBHOOK_SECRET)
        yield {"url": base_url, "app": app}
    finally:
        # localstripe keeps webhooks until it stops: point this one nowhere for the tests that follow.
        localstripe.register_webhook("portal", "http://127.0.0.1:9/nowhere", WEBHOOK_SECRET)
        if server is not None:
            server.shutdown()
            server.server_close()
        if thread is not None:
            thread.join(timeout=10)
        if app is not None:
            from portal.db import db

            with app.app_context():
                db.engine.dispose()
        database.drop()
        shutil.rmtree(root, ignore_errors=True)


def _employer_login(app) -> str:
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user

    with app.app_context():
        user = make_user(db.session, Role.EMPLOYER, language="en")
        db.session.commit()
        return user.email


def _wait_for(check, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value or time.monotonic() > deadline:
            return value
        time.sleep(0.1)


def test_a_clerk_declares_pays_by_card_and_downloads_the_letter(paying_server) -> None:
    _in_own_thread(lambda browser: _journey(browser, paying_server))


def _journey(chromium: Any, paying_server: dict[str, Any]) -> None:
    from playwright.sync_api import expect
    from sqlalchemy import func, select

    from portal.db import db
    from tests.e2e.conftest import assert_accessible
    from vouchers.employers.models import ContributionPayment, StripeEvent
    from vouchers.ledger.models import LedgerEntry

    app = paying_server["app"]
    email = _employer_login(app)
    context = chromium.new_context(base_url=paying_server["url"], locale="en-US", accept_downloads=True)
    context.set_default_timeout(60_000)  # the PDF letter's page is slow on a loaded machine, not wrong
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Log in").click()
        expect(page).not_to_have_url(re.compile(r"/login"))

        page.goto("/employer/")
        assert_accessible(page)
        page.get_by_role("link", name="Declare a dismissal").click()
        page.get_by_label("Worker's first name").fill("Amélie")
        page.get_by_label("Worker's last name").fill("Peeters")
        page.get_by_label("Worker's national register number (or BIS number)").fill(new_niss())
        page.get_by_label("Last day of the contract").fill(time.strftime("%Y-%m-%d", time.gmtime(time.time() - 9 * 86400)))
        page.get_by_role("button", name="Declare").click()
        expect(page.get_by_role("heading", level=1)).to_contain_text("Amélie Peeters")
        expect(page.locator(".reference")).to_have_text(re.compile(r"^\+\+\+\d{3}/\d{4}/\d{5}\+\+\+$"))
        assert_accessible(page)

        page.get_by_role("link", name=re.compile(r"^Pay .* now$")).click()
        card = page.locator("#card-element")
        expect(card.locator("input")).to_have_count(5)  # localstripe's Card Element mock
        card.locator("input[placeholder=number]").fill("4242424242424242")
        card.locator("input[placeholder=exp_month]").fill("12")
        card.locator("input[placeholder=exp_year]").fill("31")
        card.locator("input[placeholder=cvc]").fill("123")
        card.locator("input[placeholder=postal_code]").fill("1000")
        page.locator("#pay-button").click()
        expect(page.get_by_text("Thank you: the contribution is paid.")).to_be_visible()
        expect(page.locator(".badge--ok")).to_have_text("Paid")

        # localstripe's own webhook arrives about a second later: recorded, and the money counted once.
        def count(model, *where):  # type: ignore[no-untyped-def]
            try:  # one short transaction per look: SQLite's write lock must not be held while waiting
                return db.session.scalar(select(func.count()).select_from(model).where(*where))
            finally:
                db.session.rollback()

        with app.app_context():
            assert _wait_for(lambda: count(StripeEvent) >= 1)
            assert count(ContributionPayment) == 1
            assert count(LedgerEntry, LedgerEntry.kind == "contribution_paid") == 1

        with page.expect_download() as download_info:
            page.get_by_role("link", name="Letter in Deutsch (PDF)").click()
        download = download_info.value
        assert download.suggested_filename.endswith("-de.pdf")
        assert Path(download.path()).read_bytes().startswith(b"%PDF")
    finally:
        context.close()
