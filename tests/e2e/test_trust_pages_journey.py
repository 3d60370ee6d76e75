"""Help, privacy, accessibility and terms as a visitor meets them on a phone: from any page's footer, in German,
readable at 390 px, the answers opened with the keyboard, and nothing axe can find."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect

from tests.e2e.conftest import assert_accessible, assert_fits_screen

FOOTER_PAGES = [("/help", "Hilfe und Kontakt"), ("/privacy", "Datenschutzerklärung"),
                ("/accessibility", "Erklärung zur Barrierefreiheit"), ("/terms", "Nutzungsbedingungen")]


@pytest.mark.parametrize("page", ["phone"], indirect=True)
def test_a_german_visitor_finds_help_and_the_rules_from_the_footer(page: Page) -> None:
    page.goto("/")
    page.locator("#lang-select").select_option(label="Deutsch")
    page.locator("form.lang-switch button[type=submit]").click()
    expect(page.locator("html")).to_have_attribute("lang", "de")
    expect(page.get_by_role("heading", level=1)).to_have_text("Ein Coach, der Ihnen bei der Rückkehr zur Arbeit hilft")
    expect(page.get_by_role("main")).to_contain_text("1.800,00 €")

    footer = page.locator("footer")
    for path, heading in FOOTER_PAGES:
        footer.locator(f"a[href='{path}']").click()
        expect(page).to_have_url(re.compile(re.escape(path) + "$"))
        expect(page.locator("html")).to_have_attribute("lang", "de")
        expect(page.get_by_role("heading", level=1)).to_have_text(heading)
        assert_fits_screen(page)
        assert_accessible(page)

    # On the help page, an answer opens from the keyboard.
    footer.locator("a[href='/help']").click()
    question = page.get_by_text("Was kostet das?")
    question.focus()
    page.keyboard.press("Enter")
    expect(page.get_by_text("Der Gutschein ist bis zu 1.800,00 € wert.")).to_be_visible()
    assert_accessible(page)
