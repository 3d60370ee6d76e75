"""The beneficiary's request form, completed with the keyboard alone (WCAG 2.1.1).

No click, fill or check: only Tab, arrows, Space, typing and Enter, as someone who cannot use a
mouse would. Each control must be reachable with Tab in a sensible order and show where the focus
is (WCAG 2.4.7): a focused control without a visible outline or ring fails the test."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta
from typing import Any

import pytest
from playwright.sync_api import Locator, Page, expect

from tests.e2e.conftest import assert_accessible
from tests.support.factories import PASSWORD

MAX_TABS = 80

IS_FOCUSED = "el => el === document.activeElement"
FOCUS_IS_VISIBLE = """el => {
  const style = getComputedStyle(el);
  return (style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) > 0) || style.boxShadow !== 'none';
}"""


def tab_to(page: Page, target: Locator) -> None:
    """Press Tab until the target has the focus, and check that the focus can be seen there."""
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if target.evaluate(IS_FOCUSED):
            assert target.evaluate(FOCUS_IS_VISIBLE), f"the focus on {target} is not visible"
            return
    pytest.fail(f"{target} cannot be reached with the Tab key ({MAX_TABS} presses)")


def choose_radio(page: Page, radio: Locator) -> None:
    """Tab into the radio group, then move with the arrow keys to the wanted choice."""
    name = radio.get_attribute("name")
    for _ in range(MAX_TABS):
        page.keyboard.press("Tab")
        if page.evaluate("() => document.activeElement && document.activeElement.name") == name:
            break
    else:
        pytest.fail(f"the radio group {name} cannot be reached with the Tab key")
    if radio.evaluate(IS_FOCUSED):
        page.keyboard.press("Space")
    count = page.locator(f"input[type=radio][name='{name}']").count()
    for _ in range(count):
        if radio.is_checked():
            break
        page.keyboard.press("ArrowDown")
    expect(radio).to_be_checked()
    assert radio.evaluate(IS_FOCUSED)


def type_into(page: Page, field: Locator, text: str) -> None:
    tab_to(page, field)
    page.keyboard.type(text)


def type_date(page: Page, field: Locator, day: Any) -> None:
    """A date field takes the digits in the order the browser shows them (en-US: month, day, year)."""
    tab_to(page, field)
    page.keyboard.type(day.strftime("%m%d%Y"))
    expect(field).to_have_value(day.isoformat())


def choose_option(page: Page, select: Locator, value: str) -> None:
    tab_to(page, select)
    for _ in range(select.locator("option").count()):
        if select.input_value() == value:
            return
        page.keyboard.press("ArrowDown")
    expect(select).to_have_value(value)


def press_button(page: Page, button: Locator) -> None:
    tab_to(page, button)
    page.keyboard.press("Enter")


def start_over(page: Page) -> None:
    """Put the focus back at the top of the page, as after loading it."""
    page.evaluate("() => { document.activeElement && document.activeElement.blur(); window.scrollTo(0, 0); }")
    page.locator("body").evaluate("b => b.focus()")


@pytest.fixture
def beneficiary_and_provider(live_app: Any) -> dict[str, str]:
    from portal.db import db
    from portal.permissions import Role
    from tests.support.factories import make_provider, make_user

    with live_app.app_context():
        provider = make_provider(db.session, name=f"Clavier {secrets.token_hex(3)}")
        provider.regions = "west_flanders"  # the one listed first for a postcode of Bruges
        person = make_user(db.session, Role.BENEFICIARY, language="en")
        db.session.commit()
        return {"provider": provider.name, "email": person.email}


def test_the_request_form_can_be_completed_with_the_keyboard_alone(page: Page, beneficiary_and_provider) -> None:
    from portal.clock import today_in_brussels

    contract_end = today_in_brussels() - timedelta(days=30)

    page.goto("/login")
    type_into(page, page.get_by_label("E-mail address"), beneficiary_and_provider["email"])
    type_into(page, page.get_by_label("Password"), PASSWORD)
    page.keyboard.press("Enter")
    expect(page.get_by_role("heading", level=1, name="My voucher")).to_be_visible()

    start_over(page)
    tab_to(page, page.get_by_role("link", name="Start my request"))
    page.keyboard.press("Enter")

    # Step 1: the situation (the eligibility questions: the request's first step, issue 16).
    expect(page.get_by_role("heading", name=re.compile("Step 1 of 4"))).to_be_visible()
    choose_radio(page, page.get_by_label("Yes").first)
    type_date(page, page.get_by_label("Date your contract ended"), contract_end)
    press_button(page, page.get_by_role("button", name="Check"))

    # Step 3 (step 2 is the account, which the person has): the rest of the request on one page. The address is
    # not known yet, so it is asked here. A first try without the postcode, sent with Enter from a field, shows
    # every problem by its field and keeps what was typed; the person carries on from there with the keyboard.
    expect(page.get_by_role("heading", name=re.compile("Step 3 of 4"))).to_be_visible()
    type_into(page, page.get_by_label("Street"), "Grote Markt")
    type_into(page, page.get_by_label("House number"), "12")
    type_into(page, page.get_by_label("Municipality"), "Brugge")
    page.keyboard.press("Enter")
    expect(page.locator("#postcode-error")).to_be_visible()
    expect(page.locator("#provider_id-error")).to_be_visible()
    expect(page.get_by_label("Street")).to_have_value("Grote Markt")
    start_over(page)
    type_into(page, page.get_by_label("Postcode"), "8000")
    page.keyboard.press("Enter")  # the coaches near 8000 are listed first: here, the one of West Flanders
    expect(page.get_by_label("Postcode")).to_have_value("8000")
    start_over(page)
    choose_option(page, page.get_by_label("Your mutual insurer"), "300")
    choose_radio(page, page.get_by_label(beneficiary_and_provider["provider"]))
    choose_radio(page, page.get_by_label(re.compile("return-to-work plan")))
    checkbox = page.get_by_label("I confirm that what I entered is correct.")
    tab_to(page, checkbox)
    page.keyboard.press("Space")
    expect(checkbox).to_be_checked()
    press_button(page, page.get_by_role("button", name="Send my request"))
    expect(page.locator(".alert--success")).to_contain_text("45 days")
    expect(page.get_by_role("heading", level=1)).to_contain_text("Request")  # the request's own page
    assert_accessible(page)
