"""Issue 16's goal, in a browser: from the front page to a submitted request for a new person in at most five screens,
on a 390 px phone, with the keyboard alone (Tab, arrows, Space, typing, Enter: no click, fill or check), in French,
Dutch, German and English.

Each full page load is a screen, counted as the browser fires ``load``; a sixth one fails the test. Every screen is
checked as it arrives: axe finds no WCAG A/AA problem, nothing scrolls sideways, the page is in the visitor's language
(``<html lang>``), and the screens of the path say which step they are. The language is never chosen: the browser
sends it (Accept-Language), and the visitor stays in it up to the e-mail confirming the request (checked in Dutch).
"""

from __future__ import annotations

import re
import secrets
import time
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import PHONE, assert_accessible, assert_fits_screen
from tests.e2e.test_keyboard_request import (
    choose_option,
    choose_radio,
    tab_to,
    type_into,
)
from tests.support.factories import PASSWORD, new_niss
from tests.support.smtp import SMTPServer

MAX_SCREENS = 5
POSTCODE, TOWN = "4700", "Eupen"  # the German-speaking east: the seeded provider is the one near it
# How a date is typed into <input type=date>, digit by digit: headless Chromium lays its fields out in its own
# language (en-US: month, day, year), whatever the page's; the value is checked after typing.
DATE_TYPED = "%m%d%Y"


@pytest.fixture
def provider_near_eupen(live_app: Any) -> dict[str, Any]:
    """A listed provider with a place in Eupen (on site and online) and one in Liège (on site)."""
    from coaching.marketplace.domain import municipality_key
    from coaching.marketplace.models import ContactPoint
    from portal.db import db
    from tests.support.factories import make_provider

    with live_app.app_context():
        provider = make_provider(db.session, name=f"Ostbelgien Coaching {secrets.token_hex(3)}")
        provider.regions, provider.languages = "liege", "de,fr"
        for postcode, town, online in ((POSTCODE, TOWN, True), ("4000", "Liège", False)):
            db.session.add(ContactPoint(provider_id=provider.id, name=f"Bureau {town}", postcode=postcode,
                                        municipality=town, municipality_key=municipality_key(town), region="liege",
                                        languages="de,fr", onsite=True, online=online))
        db.session.commit()
        return {"id": provider.id, "name": provider.name}


def translated(live_app: Any, lang: str, text: str) -> str:
    from flask_babel import force_locale, gettext

    with live_app.test_request_context(), force_locale(lang):
        return gettext(text)


def wait_for_mail(smtp_server: SMTPServer, to: str, subject: str, timeout: float = 10.0) -> Any:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        for message in list(smtp_server.messages):
            if message["To"] == to and message["Subject"] == subject:
                return message
        time.sleep(0.1)
    seen = [(m["To"], m["Subject"]) for m in smtp_server.messages if m["To"] == to]
    raise AssertionError(f"no e-mail {subject!r} reached {to}; it got {seen}")


class Screens:
    """Counts the page loads and checks each screen once it is there."""

    def __init__(self, page: Page, lang: str) -> None:
        self.page, self.lang = page, lang
        self.loaded: list[str] = []
        self.checked: list[str] = []
        page.on("load", lambda: self.loaded.append(page.url))

    def arrive(self, path: re.Pattern[str], step: int | None) -> None:
        page = self.page
        expect(page).to_have_url(path)
        page.wait_for_load_state("load")
        expect(page.locator("html")).to_have_attribute("lang", self.lang)
        if step is not None:  # where the person is, and (but on the last) what comes next
            expect(page.locator(".path-steps")).to_have_attribute("data-step", str(step))
            expect(page.locator(".path-steps [aria-current=step]")).to_have_count(1)
            expect(page.locator("#path-step")).to_contain_text(f"{step}")
            expect(page.locator(".path-next")).to_have_count(0 if step == 4 else 1)
        assert_accessible(page)
        assert_fits_screen(page)
        self.checked.append(page.url)
        assert len(self.loaded) <= MAX_SCREENS, f"{len(self.loaded)} screens: " + " → ".join(self.loaded)

    def submit(self) -> None:
        """Enter on the focused button, and wait for the next page."""
        with self.page.expect_navigation():
            self.page.keyboard.press("Enter")


def type_date(page: Page, field: Any, day: Any) -> None:
    tab_to(page, field)
    page.keyboard.type(day.strftime(DATE_TYPED))
    expect(field).to_have_value(day.isoformat())


@pytest.mark.parametrize("lang", ["fr", "nl", "de", "en"])
def test_five_screens_from_the_front_page_to_a_sent_request(browser: Any, live_server: str, live_app: Any,
                                                          smtp_server: SMTPServer, provider_near_eupen, lang: str):
    from portal.clock import today_in_brussels

    context = browser.new_context(base_url=live_server, locale=f"{lang}-BE", **PHONE)
    context.set_default_timeout(15_000)
    page = context.new_page()
    screens = Screens(page, lang)
    email = f"five-{lang}-{secrets.token_hex(4)}@example.be"
    contract_end = today_in_brussels() - timedelta(days=25)
    try:
        # Screen 1: the front page.
        page.goto("/")
        screens.arrive(re.compile(r"/$"), None)
        tab_to(page, page.locator("main a[href$='/eligibility']").first)
        screens.submit()

        # Screen 2, step 1: the eligibility questions.
        screens.arrive(re.compile(r"/eligibility$"), 1)
        choose_radio(page, page.locator("input[name=force_majeure][value=yes]"))
        type_date(page, page.locator("#contract_end_on"), contract_end)
        tab_to(page, page.locator("main form button[type=submit]"))
        screens.submit()

        # Screen 3, step 2: the account and the address; the answers are shown, not asked.
        screens.arrive(re.compile(r"/register$"), 2)
        expect(page.locator("#verdict")).to_be_visible()
        expect(page.locator("#situation-summary")).to_be_visible()
        expect(page.locator("input[name=force_majeure]")).to_have_count(0)
        expect(page.locator("select[name=language]")).to_have_value(lang)  # the language browsed in, not chosen
        for selector, text in (("#first_name", "Noor"), ("#last_name", f"Maes {lang}"), ("#niss", new_niss()),
                               ("#street", "Rathausplatz"), ("#number", "1"), ("#postcode", POSTCODE),
                               ("#municipality", TOWN), ("#email", email), ("#password", PASSWORD),
                               ("#password_repeat", PASSWORD)):
            type_into(page, page.locator(selector), text)
        tab_to(page, page.locator("main form button[type=submit]"))
        screens.submit()

        # Screen 4, step 3: the request on one page, the coach chosen with what the choice rests on.
        screens.arrive(re.compile(r"/request/send$"), 3)
        expect(page.locator("input[name=contract_end_on]")).to_have_count(0)
        card = page.locator(f"#provider-{provider_near_eupen['id']}")
        expect(card.locator("[lang=de]")).to_have_text("Deutsch")  # the languages, each in its own words
        expect(card.locator("[lang=fr]")).to_have_text("Français")
        places = card.locator("dd li")
        expect(places.first).to_contain_text(f"{POSTCODE} {TOWN}")  # the place nearest the postcode first
        expect(places.first).to_contain_text(translated(live_app, lang, "Online"))
        expect(places.nth(1)).to_contain_text("4000 Liège")
        expect(card.locator(f"a[href$='/providers/{provider_near_eupen['id']}']")).to_have_count(1)
        choose_option(page, page.locator("#insurer_code"), "300")
        choose_radio(page, card.locator("input[type=radio]"))
        checkbox = page.locator("#truthful")
        tab_to(page, checkbox)
        page.keyboard.press("Space")
        expect(checkbox).to_be_checked()
        press = page.locator("main form button[type=submit]")
        tab_to(page, press)
        screens.submit()

        # Screen 5, step 4: the request is sent, and the page says what happens next.
        screens.arrive(re.compile(r"/requests/\d+\?sent=1$"), 4)
        expect(page.locator("#what-next")).to_be_visible()
        expect(page.locator("#confirm-email")).to_be_visible()  # decided once the address is confirmed
        assert len(screens.loaded) <= MAX_SCREENS and screens.loaded == screens.checked, screens.loaded

        # The e-mails are in the language the person browsed in, which nobody chose.
        subject = translated(live_app, lang, "We received your voucher request")
        if lang != "en":
            assert subject != "We received your voucher request", f"no {lang} words for the e-mail"
        confirming = wait_for_mail(smtp_server, email, subject)
        body = confirming.get_body(preferencelist=("plain",)).get_content()
        assert translated(live_app, lang, "Open the page") in body
        wait_for_mail(smtp_server, email, translated(live_app, lang, "Confirm your e-mail address"))
    finally:
        context.close()


def test_the_count_fails_when_a_screen_is_added(browser: Any, live_server: str) -> None:
    """The counter itself: a detour through one more page is a sixth screen, and the check refuses it."""
    context = browser.new_context(base_url=live_server, locale="en-BE", **PHONE)
    page = context.new_page()
    screens = Screens(page, "en")
    try:
        for path in ("/", "/eligibility", "/register", "/eligibility", "/register"):
            page.goto(path)
            screens.arrive(re.compile(re.escape(path) + "$"), None)
        page.goto("/")
        with pytest.raises(AssertionError, match="6 screens"):
            screens.arrive(re.compile(r"/$"), None)
    finally:
        context.close()
