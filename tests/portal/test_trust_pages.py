"""Help and contact, privacy, accessibility and terms: in each language, linked from every page's footer."""

from __future__ import annotations

import html
import re

import pytest

from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import login

PAGES = ("/help", "/privacy", "/accessibility", "/terms")
FOOTER_LINKS = ('href="/help"', 'href="/privacy"', 'href="/accessibility"', 'href="/terms"')

# Each page's heading, in each language: the text is the language's own, not a fallback.
HEADINGS = {
    "/help": {"fr": "Aide et contact", "nl": "Hulp en contact", "de": "Hilfe und Kontakt", "en": "Help and contact"},
    "/privacy": {"fr": "Déclaration de confidentialité", "nl": "Privacyverklaring", "de": "Datenschutzerklärung",
                 "en": "Privacy notice"},
    "/accessibility": {"fr": "Déclaration d'accessibilité", "nl": "Toegankelijkheidsverklaring",
                       "de": "Erklärung zur Barrierefreiheit", "en": "Accessibility statement"},
    "/terms": {"fr": "Conditions d'utilisation", "nl": "Gebruiksvoorwaarden", "de": "Nutzungsbedingungen",
               "en": "Terms of use"},
}


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")


def footer(page: str) -> str:
    return page[page.index('<footer class="site-footer">'):page.index("</footer>")]


@pytest.mark.parametrize("path", PAGES)
@pytest.mark.parametrize("lang", ["fr", "nl", "de", "en"])
def test_each_page_is_written_in_each_language(client, path, lang):
    response = client.get(path, headers={"Accept-Language": lang})
    assert response.status_code == 200
    page = text(response)
    assert f'<html lang="{lang}">' in page
    assert f"<h1>{HEADINGS[path][lang]}</h1>" in page
    assert all(link in footer(page) for link in FOOTER_LINKS)


def test_the_numbers_come_from_the_rules_in_force_and_the_readers_language(client):
    french = text(client.get("/help", headers={"Accept-Language": "fr"}))
    assert "jusqu'à 1 800,00 €" in french and "dans les 45 jours" in french and "dure 3,5 heures" in french
    dutch = text(client.get("/help", headers={"Accept-Language": "nl"}))
    assert "maximaal € 1.800,00 waard" in dutch
    english = text(client.get("/help", headers={"Accept-Language": "en"}))
    assert "up to €1,800.00" in english and "lasts 3.5 hours" in english


def test_the_contact_details_are_settings(app, client):
    page = text(client.get("/help", headers={"Accept-Language": "en"}))
    assert 'href="mailto:help@demo.tnw.be"' in page and "Phone" not in page  # no phone number set: none shown
    app.config.update(HELP_PHONE="02 123 45 67", FUND_POSTAL_ADDRESS="Rue Exemple 1, 1000 Bruxelles",
                      PRIVACY_EMAIL="dpo@example.be")
    try:
        page = text(client.get("/help", headers={"Accept-Language": "en"}))
        assert 'href="tel:021234567"' in page and "Rue Exemple 1, 1000 Bruxelles" in page
        assert 'href="mailto:dpo@example.be"' in text(client.get("/privacy", headers={"Accept-Language": "en"}))
    finally:
        app.config.update(HELP_PHONE="", FUND_POSTAL_ADDRESS="", PRIVACY_EMAIL="privacy@demo.tnw.be")


def test_contact_leads_to_the_help_pages_contact_section(client):
    response = client.get("/contact")
    assert response.status_code == 302 and response.headers["Location"].endswith("/help#contact")


def _group_order(page: str) -> list[str]:
    return re.findall(r'<h2 id="(beneficiary|coordinator|provider|employer|fund)">', page)


def test_the_help_page_puts_the_readers_own_group_first(client, db_session):
    visitor = _group_order(client.get("/help").get_data(as_text=True))
    assert visitor == ["beneficiary", "coordinator", "provider", "employer", "fund"]
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    login(client, employer.email)
    mine = _group_order(client.get("/help").get_data(as_text=True))
    assert mine[0] == "employer" and sorted(mine) == sorted(visitor)


ROLE_PAGES = {
    Role.BENEFICIARY: ["/my"],
    Role.COORDINATOR: ["/coordinator/"],
    Role.PROVIDER_ADMIN: ["/provider/vouchers", "/provider/offers"],
    Role.COACH: ["/notifications"],
    Role.EMPLOYER: ["/employer/"],
    Role.FUND_ADMIN: ["/admin/requests", "/admin/scheduler"],
}


@pytest.mark.parametrize("role", list(ROLE_PAGES))
def test_every_roles_pages_link_to_the_trust_pages(app, db_session, role):
    client = app.test_client()
    person = make_user(db_session, role, language="nl")
    login(client, person.email)
    for path in [*ROLE_PAGES[role], "/notifications", "/account/password", "/help"]:
        response = client.get(path, follow_redirects=True)
        assert response.status_code == 200, path
        page = response.get_data(as_text=True)
        assert all(link in footer(page) for link in FOOTER_LINKS), path
        assert '<html lang="nl">' in page, path


def test_the_accessibility_statement_says_what_the_law_asks(client):
    for lang, words in {"fr": ["partiellement conforme", "Médiateur fédéral", "EN 301 549"],
                        "nl": ["gedeeltelijk conform", "federale Ombudsman", "WCAG"],
                        "de": ["teilweise konform", "Föderalen Ombudsmann", "WCAG"],
                        "en": ["partially conformant", "Federal Ombudsman", "19 July 2018"]}.items():
        page = text(client.get("/accessibility", headers={"Accept-Language": lang}))
        assert all(word in page for word in words), lang
        assert 'href="mailto:help@demo.tnw.be"' in page


def test_the_privacy_notice_names_the_rights_and_where_to_use_them(client):
    page = text(client.get("/privacy", headers={"Accept-Language": "fr"}))
    for words in ("Télécharger toutes mes données", "Autorité de protection des données", "registre national",
                  "privacy@demo.tnw.be", "dans un délai d'un mois"):
        assert words in page
