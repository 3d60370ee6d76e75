"""The foundation, as a person meets it in a browser: register, log out and in, switch language."""

from __future__ import annotations

import re
import secrets

from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible
from tests.support.factories import PASSWORD, new_niss
from tests.support.smtp import SMTPServer

BAD_NISS = "85.07.30-033.29"  # the example from the hint with its check digits off by one
NISS_ERROR = "This national register or BIS number is not valid."
# "Log out" in Dutch, as portal/translations/nl has it.
DUTCH_LOG_OUT = re.compile(r"^\s*Afmelden\s*$")
CONFIRM_LINK = re.compile(r"https?://\S+/confirm/\S+")


def _fill_registration(page: Page, *, first_name: str, last_name: str, niss: str, email: str) -> None:
    page.get_by_label("First name").fill(first_name)
    page.get_by_label("Last name").fill(last_name)
    page.get_by_label("National register number (or BIS number)").fill(niss)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    # The account's language also becomes the interface language once logged in: stay in English.
    page.get_by_label("Language for letters and e-mails").select_option("en")


def _logout_button(page: Page):
    # Found by the form it posts to, so that it is the same button in every language.
    return page.locator("header form[action$='/logout'] button[type=submit]")


def _switch_language(page: Page, name: str) -> None:
    page.locator("#lang-select").select_option(label=name)  # its label is translated, the option names are not
    page.locator("form.lang-switch button[type=submit]").click()


def _expect_logged_in_as(page: Page, full_name: str) -> None:
    expect(page.get_by_role("button", name="Log out")).to_be_visible()
    expect(page.get_by_text(full_name).first).to_be_visible()


def test_register_log_out_log_in_and_switch_language(page: Page, smtp_server: SMTPServer) -> None:
    first_name, last_name = "Amélie", "Peeters"
    full_name = f"{first_name} {last_name}"
    email = f"e2e-{secrets.token_hex(6)}@example.be"

    page.goto("/")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    expect(page.get_by_role("heading", level=1)).to_be_visible()
    assert_accessible(page)

    page.get_by_role("navigation").get_by_role("link", name="Create an account").click()
    expect(page).to_have_url(re.compile(r"/register$"))
    expect(page.get_by_role("heading", level=1, name="Create an account")).to_be_visible()

    # A wrong national register number: the error is shown and what was typed is kept.
    _fill_registration(page, first_name=first_name, last_name=last_name, niss=BAD_NISS, email=email)
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#form-errors")).to_be_visible()
    expect(page.locator("#form-errors")).to_contain_text(NISS_ERROR)
    niss = page.get_by_label("National register number (or BIS number)")
    expect(niss).to_have_attribute("aria-invalid", "true")
    expect(page.locator("#niss-error")).to_have_text(NISS_ERROR)
    expect(niss).to_have_attribute("aria-describedby", re.compile(r"\bniss-error\b"))
    expect(page.get_by_label("First name")).to_have_value(first_name)
    expect(page.get_by_label("E-mail address")).to_have_value(email)
    assert_accessible(page)

    # Now a valid one: the account is made, the person is logged in and goes on to the request; a link to confirm
    # the address is e-mailed.
    niss.fill(new_niss())
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_label("Repeat the password").fill(PASSWORD)
    page.get_by_role("button", name="Create my account").click()
    expect(page.get_by_role("heading", name=re.compile("Step 1 of 4"))).to_be_visible()
    _expect_logged_in_as(page, full_name)
    assert_accessible(page)
    confirmation_link = smtp_server.wait_for_link(email, CONFIRM_LINK)

    page.get_by_role("button", name="Log out").click()
    expect(page.get_by_role("button", name="Log out")).to_have_count(0)
    expect(page.get_by_text(full_name)).to_have_count(0)

    # Back in through the login page.
    page.get_by_role("navigation").get_by_role("link", name="Log in").click()
    expect(page).to_have_url(re.compile(r"/login$"))
    expect(page.get_by_role("heading", level=1, name="Log in")).to_be_visible()
    assert_accessible(page)
    page.get_by_label("E-mail address").fill(email)
    page.get_by_label("Password").fill(PASSWORD)
    page.get_by_role("main").get_by_role("button", name="Log in").click()
    expect(page).not_to_have_url(re.compile(r"/login"))
    _expect_logged_in_as(page, full_name)

    # The person's page asks to confirm the address until the e-mailed link is opened.
    expect(page.locator("#confirm-email")).to_contain_text("Confirm your e-mail address")
    assert_accessible(page)
    page.goto(confirmation_link)
    expect(page.locator(".alert--success")).to_contain_text("your e-mail address is confirmed")
    expect(page.locator("#confirm-email")).to_have_count(0)

    # The visible language switch.
    _switch_language(page, "Nederlands")
    expect(page.locator("html")).to_have_attribute("lang", "nl")
    expect(_logout_button(page)).to_have_text(DUTCH_LOG_OUT)
    expect(page.get_by_text(full_name).first).to_be_visible()
    assert_accessible(page)

    _switch_language(page, "Français")
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_text(full_name).first).to_be_visible()

    _logout_button(page).click()
    expect(_logout_button(page)).to_have_count(0)
    expect(page.locator("html")).to_have_attribute("lang", "fr")  # the choice outlives the session
    expect(page.locator("header a[href$='/login']")).to_be_visible()


def test_registration_page_fits_a_phone(page: Page) -> None:
    page.set_viewport_size({"width": 375, "height": 812})
    page.goto("/register")
    expect(page.get_by_role("heading", level=1, name="Create an account")).to_be_visible()
    assert_accessible(page)
    _assert_no_horizontal_scroll(page)

    # The error state, with its longer texts, must fit too.
    page.get_by_label("National register number (or BIS number)").fill(BAD_NISS)
    page.get_by_role("button", name="Create my account").click()
    expect(page.locator("#form-errors")).to_be_visible()
    assert_accessible(page)
    _assert_no_horizontal_scroll(page)


def _assert_no_horizontal_scroll(page: Page) -> None:
    scroll_width, inner_width = page.evaluate("[document.documentElement.scrollWidth, window.innerWidth]")
    assert scroll_width <= inner_width, f"the page scrolls sideways on a phone: {scroll_width}px > {inner_width}px"
