"""Payouts followed to the bank, on a phone: a fund administrator imports the bank's status report (one transfer
refused), reads what came back and why, then proposes a refund of an overpaid contribution that a second
administrator approves. axe (WCAG 2.1 A/AA) runs on every page, and no page is wider than the phone."""

from __future__ import annotations

import re
import secrets
from typing import Any

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
from tests.vouchers.payout_files import TxStatus, pain002


@pytest.fixture
def money_world(live_app: Flask) -> dict[str, Any]:
    """A payout batch of two claims, and an employer's contribution paid 200 € too much, made through the services."""
    from portal.clock import today_in_brussels, utcnow
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user
    from tests.vouchers.test_payouts import DEBTOR, start_course
    from tests.vouchers.test_refunds import overpaid
    from vouchers.banking.services import payouts

    today = today_in_brussels()
    with live_app.app_context():
        session = db.session
        first = make_user(session, Role.FUND_ADMIN, language="en")
        second = make_user(session, Role.FUND_ADMIN, language="en")
        course = start_course(session, first, today, name=f"Horizon {secrets.token_hex(3)}")
        claims = [course.claim(), course.claim(minutes=90)]
        batch = payouts.create_payout_batch(session, first, today=today, now=utcnow(), **DEBTOR)
        contribution = overpaid(session, first, make_user(session, Role.EMPLOYER, language="en"), today)
        world = {"first": first.email, "second": second.email, "batch_id": batch.id,
                 "message_id": batch.message_id, "paid": claims[0].id, "refused": claims[1].id,
                 "contribution_id": contribution.id}
        session.commit()
    return world


def log_in(page: Page, email: str) -> None:
    page.goto("/login")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    enter_second_factor(page, email)


def check(page: Page) -> None:
    assert_accessible(page)
    assert_fits_screen(page)


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_status_report_and_a_refund_on_a_phone(page: Page, money_world: dict[str, Any], tmp_path) -> None:
    world = money_world
    log_in(page, world["first"])

    # 1. The bank's status report: one transfer paid, one refused because the account is closed.
    page.goto(f"/admin/fund/payouts/{world['batch_id']}")
    check(page)
    page.get_by_role("link", name="Import a status report from the bank").click()
    check(page)
    report = tmp_path / "psr.xml"
    report.write_bytes(pain002(world["message_id"], txs=[TxStatus(f"TNW-CLAIM-{world['paid']}", "ACSC"),
                                                         TxStatus(f"TNW-CLAIM-{world['refused']}", "RJCT",
                                                                  reason="AC04")]))
    page.get_by_label("Status report (pain.002)").set_input_files(str(report))
    page.get_by_role("button", name="Import the status report").click()
    expect(page.locator("#report-counts")).to_have_text("1 paid, 1 refused, 0 came back, 0 unchanged")
    check(page)
    page.get_by_role("link", name=f"TNW-CLAIM-{world['refused']}").click()
    expect(page.locator("#transfer-status")).to_have_text("Refused by the bank")
    expect(page.locator("#transfer-failure")).to_contain_text("the account is closed")
    check(page)

    # 2. A refund: proposed by one administrator, with every problem of the form shown at once.
    page.goto("/admin/fund/refunds")
    check(page)
    page.get_by_role("link", name=re.compile(f"Propose a refund of contribution {world['contribution_id']}")).click()
    page.get_by_label("Amount to refund, in euros (optional)").fill("900")
    page.get_by_role("button", name="Propose the refund").click()
    expect(page.locator("#form-errors")).to_contain_text("Please give the reason.")
    expect(page.locator("#form-errors")).to_contain_text("at most what was paid too much")
    check(page)
    page.get_by_label("Amount to refund, in euros (optional)").fill("")
    page.get_by_label("Reason").fill("Paid by card and by transfer")
    page.get_by_role("button", name="Propose the refund").click()
    expect(page.locator("#refund-status")).to_have_text("Waiting for approval")
    expect(page.locator("#four-eyes")).to_be_visible()
    check(page)
    refund_url = page.url
    log_out(page)

    # 3. ... and approved by another: the file to upload to the bank is ready.
    log_in(page, world["second"])
    page.goto(refund_url)
    page.get_by_label("I checked the amount and the account").check()
    page.get_by_role("button", name=re.compile("Approve refund")).click()
    expect(page.locator("#refund-status")).to_have_text("Approved: file made, waiting for the bank")
    expect(page.locator("#download")).to_be_visible()
    check(page)
