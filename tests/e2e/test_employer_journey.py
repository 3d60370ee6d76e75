"""A payroll clerk's first visit, in a browser: from the front page, register the company, confirm the e-mail
address with the link the portal sent (through the real SMTP server of the tests), declare a dismissal, see
the contribution with its structured reference and deadline, and download the worker's letter in Dutch.
axe (WCAG 2.1 A/AA) runs on every page. (Paying by card against localstripe:
tests/employers/test_browser_payment.py.)"""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.support.factories import PASSWORD, new_enterprise_number, new_iban, new_niss

LINK = re.compile(r"https?://\S+/confirm/\S+")


def test_a_clerk_registers_declares_and_downloads_the_letter(page: Page, smtp_server: Any, tmp_path) -> None:
    from portal.clock import today_in_brussels

    email = f"payroll-{secrets.token_hex(4)}@example.be"
    contract_end = today_in_brussels() - timedelta(days=12)

    # 1. From the front page to the employer's registration.
    page.goto("/")
    assert_accessible(page)
    page.get_by_role("link", name="Register as an employer").click()
    assert_accessible(page)
    page.get_by_label("Company name").fill(f"Menuiserie Lambert {secrets.token_hex(2)}")
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
    expect(page.locator(".alert--success")).to_contain_text("Your company is registered")
    assert_accessible(page)

    # 2. Confirm the address with the link from the e-mail.
    page.goto(smtp_server.wait_for_link(email, LINK))
    expect(page.locator(".alert--success")).to_contain_text("your e-mail address is confirmed")
    assert_accessible(page)

    # 3. Declare a dismissal.
    page.goto("/employer/")
    page.get_by_role("link", name="Declare a dismissal").click()
    assert_accessible(page)
    page.get_by_label("Worker's first name").fill("Bram")
    page.get_by_label("Worker's last name").fill("Vermeulen")
    page.get_by_label("Worker's national register number (or BIS number)").fill(new_niss())
    page.get_by_label("Last day of the contract").fill(contract_end.isoformat())
    page.get_by_role("button", name="Declare").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Bram Vermeulen")
    expect(page.locator(".reference")).to_have_text(re.compile(r"^\+\+\+\d{3}/\d{4}/\d{5}\+\+\+$"))
    expect(page.get_by_role("main")).to_contain_text("€1,800.00")
    assert_accessible(page)

    # 4. The worker's letter, in Dutch: a real PDF.
    with page.expect_download() as download_info:
        page.get_by_role("link", name=re.compile("Nederlands|Dutch")).first.click()
    saved = tmp_path / "letter.pdf"
    download_info.value.save_as(saved)
    assert saved.read_bytes().startswith(b"%PDF-")
