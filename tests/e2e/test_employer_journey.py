"""A payroll clerk's first visit, in a browser: from the front page, register the company, confirm the e-mail
address with the link the portal sent (through the real SMTP server of the tests), wait for the fund's letter to
the company's registered office (a fund administrator prints it and marks it sent on the fund's page), type its
code, declare a dismissal, see the contribution with its structured reference and deadline, and download the
worker's letter in Dutch. axe (WCAG 2.1 A/AA) runs on every page. (Paying by card against localstripe:
tests/employers/test_browser_payment.py.)"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from flask import Flask
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, enter_second_factor
from tests.support.factories import PASSWORD, new_enterprise_number, new_iban, new_niss

LINK = re.compile(r"https?://\S+/confirm/\S+")


@pytest.fixture
def fund_admin(live_app: Flask) -> str:
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user

    with live_app.app_context():
        admin = make_user(db.session, Role.FUND_ADMIN, language="en")
        db.session.commit()
        return admin.email


def _code_on_the_letter(live_app: Flask, email: str) -> str:
    """What the company's office reads on the printed letter (the PDF's text is not read back here)."""
    from sqlalchemy import select

    from portal.auth.models import User
    from portal.db import db
    from vouchers.employers.company_access.domain import formatted_code
    from vouchers.employers.company_access.models import OwnershipClaim

    with live_app.app_context():
        user = db.session.scalar(User.by_email(email))
        code = db.session.scalar(select(OwnershipClaim.code).where(OwnershipClaim.user_id == user.id,
                                                                   OwnershipClaim.status == "letter_due"))
        assert code is not None
        return formatted_code(code)


def test_a_clerk_registers_proves_the_company_declares_and_downloads_the_letter(
        page: Page, browser: Any, live_server: str, live_app: Flask, smtp_server: Any, fund_admin: str,
        tmp_path) -> None:
    from portal.clock import today_in_brussels

    email = f"payroll-{secrets.token_hex(4)}@example.be"
    company = f"Menuiserie Lambert {secrets.token_hex(2)}"
    contract_end = today_in_brussels() - timedelta(days=12)

    # 1. From the front page to the employer's registration.
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Register as an employer").click()
    assert_accessible(page)
    page.get_by_label("Company name").fill(company)
    page.get_by_label("Enterprise number (BCE/KBO)").fill(new_enterprise_number())
    page.get_by_label("ONSS/RSZ number").fill("1234567890")
    page.get_by_label("Address", exact=True).fill("Rue du Bois 4\n4000 Liège")
    page.get_by_label("Phone", exact=True).fill("+32 4 123 45 67")
    page.get_by_label("Bank account (IBAN)").fill(new_iban())
    page.get_by_label("Your first name").fill("Claire")
    page.get_by_label("Your last name").fill("Lambert")
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_label("Language for letters and e-mails").select_option("en")
    page.get_by_role("main").get_by_role("button").last.click()
    expect(page.locator(".alert--success")).to_contain_text("open its link to confirm your address")
    assert_accessible(page)

    # 2. Confirm the address with the link from the e-mail, then log in: the letter is on its way.
    page.goto(smtp_server.wait_for_link(email, LINK))
    expect(page.locator(".alert--success")).to_contain_text("your e-mail address is confirmed")
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Act for your company")
    expect(page.get_by_role("main")).to_contain_text("The fund checks the registered office")
    assert_accessible(page)

    # 3. The fund prints the letter for the registered office and marks it sent.
    context = browser.new_context(base_url=live_server, locale="en-US")
    context.set_default_timeout(15_000)
    try:
        fund = context.new_page()
        fund.goto("/login")
        fund.get_by_label("E-mail address").fill(fund_admin)
        fund.get_by_label("Password").fill(PASSWORD)
        fund.get_by_role("main").get_by_role("button", name="Log in").click()
        enter_second_factor(fund, fund_admin)
        fund.get_by_role("navigation", name="Fund administration menu").get_by_role(
            "link", name="Ownership letters").click()
        letter = fund.get_by_role("listitem").filter(has_text=company)
        expect(letter).to_contain_text(email)
        assert_accessible(fund)
        with fund.expect_download() as download_info:
            letter.get_by_role("link", name="Français").click()
        saved = tmp_path / "ownership-letter.pdf"
        download_info.value.save_as(saved)
        assert saved.read_bytes().startswith(b"%PDF-")
        code = _code_on_the_letter(live_app, email)
        letter.get_by_role("button", name="Mark the letter as sent").click()  # the address was not checked
        expect(fund.locator("#form-errors")).to_contain_text("Crossroads Bank")
        assert_accessible(fund)
        letter = fund.get_by_role("listitem").filter(has_text=company)
        letter.get_by_label(re.compile("I checked this address")).check()
        letter.get_by_role("button", name="Mark the letter as sent").click()
        expect(fund.locator(".alert--success")).to_contain_text("The letter is marked as sent")
    finally:
        context.close()

    # 4. The clerk types the code the office handed over.
    page.reload()
    expect(page.get_by_role("main")).to_contain_text("Letter sent")
    assert_accessible(page)
    page.get_by_label("Code on the letter").fill(code.lower())
    page.get_by_role("button", name="Confirm the code").click()
    expect(page.locator(".alert--success")).to_contain_text("you now act for your company")

    # 5. Declare a dismissal.
    page.get_by_role("link", name="Declare a dismissal").click()
    assert_accessible(page)
    page.get_by_label("Worker's first name").fill("Bram")
    page.get_by_label("Worker's last name").fill("Vermeulen")
    page.get_by_label("Worker's national register number (or BIS number)").fill(new_niss())
    page.get_by_label("Last day of the contract").fill(contract_end.isoformat())
    page.get_by_role("button", name="Declare", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bram Vermeulen")
    expect(page.locator(".reference")).to_have_text(re.compile(r"^\+\+\+\d{3}/\d{4}/\d{5}\+\+\+$"))
    expect(page.get_by_role("main")).to_contain_text("€1,800.00")
    assert_accessible(page)

    # 6. The worker's letter, in Dutch: a real PDF.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Nederlands|Dutch")).first.click()
    saved = tmp_path / "letter.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
