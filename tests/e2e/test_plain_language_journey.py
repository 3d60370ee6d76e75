"""Easy words in a browser (issue 16), on a 390 px phone and with the keyboard alone: a French visitor turns them on
at the eligibility check, a beneficiary on their own page. Each page in easy words fits the screen and axe finds
nothing on it; the switch says whether it is on (aria-pressed) and turns it off the same way."""

from __future__ import annotations

import re
from typing import Any

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, assert_fits_screen
from tests.e2e.test_keyboard_request import start_over, tab_to, type_into
from tests.portal.test_plain_language import PLAIN, ordinary
from tests.support.factories import PASSWORD


def press_the_switch(page: Page, key: str) -> None:
    """Tab to the header's switch and press it (Enter or Space): the page comes back with the other words."""
    switch = page.locator("form.plain-switch button")
    before = switch.get_attribute("aria-pressed")
    start_over(page)
    tab_to(page, switch)
    with page.expect_navigation():
        page.keyboard.press(key)
    expect(switch).not_to_have_attribute("aria-pressed", before or "")


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_visitor_reads_the_eligibility_check_in_easy_words(page: Page) -> None:
    question = "Did your employer end your contract for medical force majeure?"
    page.goto("/language?lang=fr&next=/eligibility")  # the visitor's language switch
    expect(page.locator("html")).to_have_attribute("lang", "fr")
    expect(page.get_by_text(ordinary("fr", question), exact=True)).to_be_visible()
    expect(page.locator("form.plain-switch button")).to_have_attribute("aria-pressed", "false")

    press_the_switch(page, "Enter")
    expect(page).to_have_url(re.compile(r"/eligibility$"))
    expect(page.locator("form.plain-switch button")).to_have_attribute("aria-pressed", "true")
    expect(page.get_by_text(PLAIN["fr"][question], exact=True)).to_be_visible()
    expect(page.get_by_text(ordinary("fr", question), exact=True)).to_have_count(0)
    assert_fits_screen(page)
    assert_accessible(page)

    press_the_switch(page, "Space")
    expect(page.get_by_text(ordinary("fr", question), exact=True)).to_be_visible()


@pytest.fixture
def beneficiary(live_app: Any) -> str:
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_user

    with live_app.app_context():
        person = make_user(db.session, Role.BENEFICIARY, language="fr")
        db.session.commit()
        return person.email


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_beneficiary_turns_easy_words_on_for_their_account(page: Page, beneficiary: str) -> None:
    start = "It takes a few minutes. You can stop and continue later: we keep what you typed."
    page.goto("/login")
    type_into(page, page.locator("#email"), beneficiary)
    type_into(page, page.locator("#password"), PASSWORD)
    page.keyboard.press("Enter")
    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_text(ordinary("fr", start), exact=True)).to_be_visible()

    press_the_switch(page, "Enter")
    expect(page).to_have_url(re.compile(r"/my$"))
    expect(page.get_by_text(PLAIN["fr"][start], exact=True)).to_be_visible()
    expect(page.get_by_role("link", name=PLAIN["fr"]["Notifications"])).to_be_visible()  # "Messages" in the menu
    assert_fits_screen(page)
    assert_accessible(page)
