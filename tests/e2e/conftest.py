"""Browser tests: headless Chromium against the real app served over HTTP.

The app under test is a separate instance on its own fresh database (a new
SQLite file, or a new PostgreSQL database when DATABASE_URL is set), at the
migrations' head (a copy of the process's first migrated one), served by Werkzeug from a background thread. The browser
cannot share the rolled-back transaction of ``db_session``, so what these tests
write stays in that throwaway database, which is deleted at the end.

Chromium is Debian's /usr/bin/chromium (``playwright install`` cannot download
here). Without it these tests are skipped, unless E2E_REQUIRE_BROWSER=1, which
turns the missing browser into a failure (for CI, where a skip would hide it).
"""

from __future__ import annotations

import os
import re
import shutil
import tempfile
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest

from tests.support.fresh_db import FreshDatabase
from tests.support.smtp import SMTPServer

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
AXE_TAGS = ["wcag2a", "wcag2aa", "wcag21a", "wcag21aa"]
E2E_DIR = Path(__file__).resolve().parent


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    """Every test under tests/e2e carries the ``e2e`` marker (``-m "not e2e"`` leaves them out)."""
    for item in items:
        if E2E_DIR in Path(str(item.path)).resolve().parents:
            item.add_marker(pytest.mark.e2e)


# --- the live server ----------------------------------------------------------------------------


# The app behind each live server's URL, for tests that seed data it has no page for.
LIVE_APPS: dict[str, Any] = {}


@pytest.fixture(scope="session")
def live_app(live_server: str) -> Any:
    return LIVE_APPS[live_server]


@pytest.fixture(scope="session")
def live_server(smtp_server: SMTPServer) -> Iterator[str]:
    """The base URL (``http://127.0.0.1:<port>``) of a separate app on a fresh database."""
    with serve_fresh_app(smtp_server) as base_url:
        yield base_url


@contextmanager
def serve_fresh_app(smtp_server: SMTPServer) -> Iterator[str]:
    """Serve a new app on a fresh database (at the migrations' head: a copy of this process's first migrated
    database, tests/support/fresh_db.py) while the block runs: its base URL.

    ``live_server`` is one of these for the whole session; a test that needs a world of its own (the demo's,
    for the crawl) opens another."""
    from flask import current_app
    from werkzeug.serving import make_server

    from portal import create_app
    from portal.extensions import limiter

    root = Path(tempfile.mkdtemp(prefix="tnw-e2e-"))
    database = FreshDatabase(root)
    database.create()
    database_uri = database.url

    # Flask-Limiter keeps "enabled" on the one shared Limiter object, not per app: building this app
    # with RATELIMIT_ENABLED False would switch rate limits off for the rest of the test session too.
    # So the flag is put back, and a request filter exempts this app's requests alone instead.
    limiter_was_enabled = limiter.enabled
    server = None
    thread = None
    app = None
    try:
        overrides: dict[str, Any] = {
            "TESTING": True,
            "SECRET_KEY": "e2e-secret-key",
            "INSTANCE_PATH": str(root / "instance"),
            "SQLALCHEMY_DATABASE_URI": database_uri,
            "SESSION_DIRECTORY": str(root / "sessions"),
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "SERVER_NAME": None,
            "PUBLIC_CACHE_SECONDS": 0,  # tests see each change at once; tests/portal/test_public_cache.py tests the cache
            "RATELIMIT_ENABLED": False,
            # The hasher is process-wide: keep the same cheap cost as the main test app.
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
        try:
            app = create_app(overrides)
        finally:
            limiter.enabled = limiter_was_enabled
        e2e_app = app

        @limiter.request_filter
        def _served_by_the_e2e_app() -> bool:
            return current_app._get_current_object() is e2e_app  # type: ignore[attr-defined]

        database.migrate(app)

        server = make_server("127.0.0.1", 0, app, threaded=True)
        base_url = f"http://127.0.0.1:{server.server_port}"
        app.config["PUBLIC_BASE_URL"] = base_url  # links in the e-mails point at this server
        thread = threading.Thread(target=server.serve_forever, name="e2e-live-server", daemon=True)
        thread.start()
        LIVE_APPS[base_url] = app
        yield base_url
    finally:
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


# --- the browser --------------------------------------------------------------------------------


@pytest.fixture(scope="session")
def browser() -> Iterator[Any]:
    if not CHROMIUM.exists():
        message = f"{CHROMIUM} is missing: install Debian's chromium package to run the browser tests"
        if os.environ.get("E2E_REQUIRE_BROWSER") == "1":
            pytest.fail(f"E2E_REQUIRE_BROWSER=1 but {message}.", pytrace=False)
        pytest.skip(f"{message} (set E2E_REQUIRE_BROWSER=1 to make this a failure).")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        chromium = playwright.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


# A mid-range phone held upright: what many beneficiaries will use.
PHONE = {"viewport": {"width": 390, "height": 844}, "device_scale_factor": 3, "is_mobile": True, "has_touch": True,
         "user_agent": "Mozilla/5.0 (Linux; Android 14; Pixel 8) AppleWebKit/537.36 (KHTML, like Gecko) "
                       "Chrome/130.0 Mobile Safari/537.36"}
DEVICES: dict[str, dict[str, Any]] = {"desktop": {}, "phone": PHONE}


@pytest.fixture
def page(request: pytest.FixtureRequest, browser: Any, live_server: str) -> Iterator[Any]:
    """A page in a fresh browser context (no cookies), English by default, relative URLs on the live server.

    A test parametrised indirectly with "phone" gets a phone-sized, touch screen instead of a desktop one."""
    device = DEVICES[getattr(request, "param", "desktop")]
    context = browser.new_context(base_url=live_server, locale="en-US", **device)
    context.set_default_timeout(15_000)
    try:
        yield context.new_page()
    finally:
        context.close()


# --- accessibility ------------------------------------------------------------------------------


def assert_accessible(page: Any) -> None:
    """Fail, listing every violation, if axe finds any WCAG 2.0/2.1 A or AA problem on the page."""
    from axe_playwright_python.sync_playwright import Axe

    results = Axe().run(page, options={"runOnly": {"type": "tag", "values": AXE_TAGS}})
    violations = results.response.get("violations", [])
    if not violations:
        return
    lines = [f"axe found {len(violations)} accessibility violation(s) on {page.url}:"]
    for violation in violations:
        lines.append(f"- {violation['id']} ({violation.get('impact')}): {violation['help']} <{violation.get('helpUrl', '')}>")
        for node in violation.get("nodes", []):
            target = ", ".join(" ".join(t) if isinstance(t, list) else str(t) for t in node.get("target", []))
            lines.append(f"    at {target}")
            summary = node.get("failureSummary")
            if summary:
                lines.extend(f"      {line}" for line in summary.splitlines())
    pytest.fail("\n".join(lines), pytrace=False)


def assert_fits_screen(page: Any) -> None:
    """On a phone nothing may need sideways scrolling: the page is no wider than the screen.

    The screen's width is the layout viewport's (clientWidth): a phone zooms out to show a page wider than the
    screen, and window.innerWidth grows with it, so comparing to innerWidth never finds anything."""
    overflow = page.evaluate("() => document.documentElement.scrollWidth - document.documentElement.clientWidth")
    assert overflow <= 0, f"{page.url} is {overflow}px wider than the screen"


def enter_second_factor(page: Any, email: str) -> None:
    """After a right password, on the two-step page: type the code the account's authenticator app shows now
    (``tests.support.web.one_time_code``, read from the live app behind the page) and log in."""
    from urllib.parse import urlsplit

    from playwright.sync_api import expect

    from tests.support.web import one_time_code

    expect(page).to_have_url(re.compile(r"/login/two-step$"))
    parts = urlsplit(page.url)
    code = one_time_code(LIVE_APPS[f"{parts.scheme}://{parts.netloc}"], email)
    assert code is not None, f"{email} has no two-step sign-in"
    assert_accessible(page)
    page.get_by_label("Code from your authenticator app").fill(code)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))


def log_out(page: Any) -> None:
    """Log out with the header's button and wait until the logged-out page has loaded: going on before that
    would race the old session's cookie against the next form's CSRF token."""
    from playwright.sync_api import expect

    page.locator("header form[action$='/logout'] button[type=submit]").click()
    expect(page.locator("header").get_by_role("link", name="Log in")).to_be_visible()
