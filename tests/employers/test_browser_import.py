"""A payroll clerk in headless Chromium uploads a CSV of 1,200 declarations: it is read in the background by the
scheduler process's APScheduler (running here beside the live server, on the same database job store), and the page
(static/js/background-progress.js) follows its progress until it shows what came of it; then a file with one bad
line imports nothing and its page lists the line.

Reuses the live server of test_browser_payment.py. Skipped without /usr/bin/chromium, unless
E2E_REQUIRE_BROWSER=1 (or CI=true), where that is a failure.
"""

from __future__ import annotations

import re
import threading
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
#: How long the page may take to show the background job's end: the job reads 1,200 lines, which takes seconds
#: on a quiet machine and more on a loaded one (assertions otherwise give up after 5 s).
JOB_WAIT_MS = 60_000


def _csv(path: Path, *, bad_line: int | None = None) -> Path:
    from portal.clock import today_in_brussels

    end = (today_in_brussels() - timedelta(days=12)).isoformat()
    lines = [HEADER]
    for i in range(LINES):
        niss = "12345678901" if bad_line is not None and len(lines) + 1 == bad_line else new_niss()
        lines.append(f"Worker{i};Family{i};{niss};{end};")
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def test_the_clerk_follows_a_large_import(paying_server, monkeypatch, tmp_path) -> None:  # noqa: F811
    from portal import background
    from portal.db import db
    from portal.scheduler_loop import ProcessScheduler
    from vouchers.employers.services import imports as csv_import

    monkeypatch.setattr(csv_import, "PROGRESS_EVERY", 100)  # the scheduler runs in this process
    good, bad = _csv(tmp_path / "good.csv"), _csv(tmp_path / "bad.csv", bad_line=700)
    app = paying_server["app"]
    background.bind(app)
    with app.app_context():
        scheduler = ProcessScheduler(timezone="UTC", jobstores={background.JOB_STORE: background.job_store(db.engine)})
    # Paused until the page shows the import under way: then it finds the job stored meanwhile, and runs it.
    runner = threading.Thread(target=scheduler.start, kwargs={"paused": True}, name="import-scheduler", daemon=True)
    runner.start()
    try:
        _in_own_thread(lambda browser: _journey(browser, paying_server, good, bad, scheduler.resume))
    finally:
        scheduler.shutdown(wait=True)
        runner.join(timeout=10)


def _journey(chromium: Any, server: dict[str, Any], good: Path, bad: Path, start_scheduler: Any) -> None:
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
        page.get_by_label("CSV file").set_input_files(str(good))
        page.get_by_role("button", name="Check and import").click()
        expect(page).to_have_url(re.compile(r"/employer/import/\d+$"))
        expect(page.locator("#background-progress-status")).to_have_text(f"Checking the lines: 0 of {LINES}")
        expect(page.locator("#background-progress-bar")).to_have_attribute("value", "0")
        assert_accessible(page)
        start_scheduler()
        done = page.locator("#import-done")
        expect(done).to_contain_text(f"{LINES} dismissals are declared.", timeout=JOB_WAIT_MS)
        assert page.locator("#background-progress").count() == 0

        page.goto("/employer/import")
        page.get_by_label("CSV file").set_input_files(str(bad))
        page.get_by_role("button", name="Check and import").click()
        failed = page.locator("#import-errors")
        expect(failed).to_contain_text("Nothing was imported: 1 line has problems", timeout=JOB_WAIT_MS)
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
