"""A payroll clerk in headless Chromium uploads a CSV of 1,200 declarations and watches the import's progress
(static/js/import-progress.js reading the streamed answer), then a file with one bad line imports nothing.

Reuses the live server of test_browser_payment.py. Skipped without /usr/bin/chromium, unless
E2E_REQUIRE_BROWSER=1 (or CI=true), where that is a failure.
"""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from tests.employers.test_browser_payment import (  # noqa: F401
    _employer_login,
    _in_own_thread,
    paying_server,
)
from tests.support.factories import PASSWORD, new_niss

pytestmark = pytest.mark.e2e

HEADER = "worker_first_name;worker_last_name;worker_niss;contract_end_on;physician_decision_on"
LINES = 1200

# Every text the status line shows, in order (the status line is emptied at the end).
RECORD_STATUS = """() => {
  window.__seen = [];
  const status = document.getElementById("import-progress-status");
  new MutationObserver(() => { if (status.textContent) window.__seen.push(status.textContent); })
    .observe(status, {childList: true, characterData: true, subtree: true});
}"""


def _csv(path: Path, *, bad_line: int | None = None) -> Path:
    from portal.clock import today_in_brussels

    end = (today_in_brussels() - timedelta(days=12)).isoformat()
    lines = [HEADER]
    for i in range(LINES):
        niss = "12345678901" if bad_line is not None and len(lines) + 1 == bad_line else new_niss()
        lines.append(f"Worker{i};Family{i};{niss};{end};")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_clerk_sees_the_import_progress(paying_server, monkeypatch, tmp_path) -> None:  # noqa: F811
    from vouchers.employers.services import imports as csv_import

    monkeypatch.setattr(csv_import, "PROGRESS_EVERY", 100)  # the server runs in this process
    good, bad = _csv(tmp_path / "good.csv"), _csv(tmp_path / "bad.csv", bad_line=700)
    _in_own_thread(lambda browser: _journey(browser, paying_server, good, bad))


def _journey(chromium: Any, server: dict[str, Any], good: Path, bad: Path) -> None:
    from playwright.sync_api import expect
    from sqlalchemy import func, select

    from portal.db import db
    from tests.e2e.conftest import assert_accessible
    from vouchers.employers.models import Declaration

    app = server["app"]
    email = _employer_login(app)
    context = chromium.new_context(base_url=server["url"], locale="en-US")
    context.set_default_timeout(60_000)
    page = context.new_page()
    try:
        page.goto("/login")
        page.get_by_label("E-mail address").fill(email)
        page.get_by_label("Password").fill(PASSWORD)
        page.get_by_role("main").get_by_role("button", name="Log in").click()
        expect(page).not_to_have_url(re.compile(r"/login"))

        page.goto("/employer/import")
        expect(page.locator("#import-progress")).to_be_hidden()
        page.evaluate(RECORD_STATUS)
        page.get_by_label("CSV file").set_input_files(str(good))
        page.get_by_role("button", name="Check and import").click()
        done = page.locator("#import-progress-result .alert--success")
        expect(done).to_contain_text(f"{LINES} dismissals are declared.")
        expect(done).to_be_focused()
        expect(page.locator("#import-progress-bar")).to_have_attribute("value", str(LINES))
        seen = page.evaluate("window.__seen")
        checking = [s for s in seen if s.startswith("Checking the lines:")]
        declaring = [s for s in seen if s.startswith("Declaring:")]
        assert len(checking) >= 3 and len(declaring) >= 3, seen
        assert declaring[-1] == "Declaring: 1,200 of 1,200" and seen.index(checking[-1]) < seen.index(declaring[0])
        assert page.url.endswith("/employer/import")  # the page stayed: the answer came as a stream
        assert_accessible(page)

        page.goto("/employer/import")
        page.get_by_label("CSV file").set_input_files(str(bad))
        page.get_by_role("button", name="Check and import").click()
        failed = page.locator("#import-progress-result .alert--error")
        expect(failed).to_contain_text("Nothing was imported: 1 lines have problems")
        expect(failed.locator("tbody tr")).to_have_count(1)
        expect(failed.locator("tbody td").first).to_have_text("700")
        assert_accessible(page)
        with app.app_context():
            try:
                assert db.session.scalar(select(func.count()).select_from(Declaration)) == LINES  # the first file only
            finally:
                db.session.rollback()
    finally:
        context.close()
