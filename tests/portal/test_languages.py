"""The interface in French, Dutch, German and English: choosing it, and numbers, money, hours and plurals written
the way each language writes them."""

from __future__ import annotations

import html
from datetime import date
from pathlib import Path

import pytest
from babel.messages.pofile import read_po
from flask_babel import force_locale

from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import csrf_token, login, post_form

TRANSLATIONS = Path(__file__).resolve().parents[2] / "portal" / "translations"


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True)).replace("\u202f", " ").replace("\xa0", " ")


# --- German, a national language, is an interface language --------------------------------------------------------


def test_a_german_browser_gets_the_german_interface(client):
    page = text(client.get("/", headers={"Accept-Language": "de-BE,de;q=0.9,fr;q=0.5"}))
    assert '<html lang="de">' in page
    assert "Ein Coach, der Ihnen bei der Rückkehr zur Arbeit hilft" in page and "Fonds Rückkehr zur Arbeit" in page
    assert "bis zu 1.800,00 €" in page
    assert '<option value="de" selected lang="de">Deutsch</option>' in page


def test_every_language_chooser_offers_german(client, db_session):
    for path in ("/", "/login", "/eligibility"):
        assert '<option value="de"' in client.get(path).get_data(as_text=True)
    visitor = client.get("/language?lang=de&next=/eligibility")
    assert visitor.status_code == 302 and "lang=de" in visitor.headers["Set-Cookie"]
    assert '<html lang="de">' in client.get("/eligibility", headers={"Accept-Language": "nl"}).get_data(as_text=True)


def test_a_logged_in_person_switches_to_german_and_the_account_keeps_it(client, db_session):
    person = make_user(db_session, Role.BENEFICIARY, language="fr")
    login(client, person.email)
    token = csrf_token(client, "/my")
    response = client.post("/language", data={"csrf_token": token, "lang": "de", "next": "/my"})
    assert response.status_code == 302 and response.headers["Location"] == "/my"
    db_session.refresh(person)
    assert person.language == "de"
    assert '<html lang="de">' in client.get("/my").get_data(as_text=True)


def test_a_german_visitor_checks_eligibility_in_german_end_to_end(client):
    german = {"Accept-Language": "de"}
    page = text(client.get("/eligibility", headers=german))
    assert '<html lang="de">' in page and "Kann ich einen Coaching-Gutschein bekommen?" in page
    answer = post_form(client, "/eligibility", {}, headers=german)  # nothing answered: told so, in German
    assert answer.status_code in (200, 422)
    assert "Bitte antworten Sie mit Ja oder Nein." in text(answer)


def test_each_catalog_states_its_languages_plural_rule():
    expected = {"fr": "nplurals=2; plural=(n > 1);", "nl": "nplurals=2; plural=(n != 1);",
                "de": "nplurals=2; plural=(n != 1);"}
    for lang, rule in expected.items():
        with open(TRANSLATIONS / lang / "LC_MESSAGES" / "messages.po", "rb") as po_file:
            catalog = read_po(po_file)
        assert catalog.plural_forms == rule, lang


# --- formatting ----------------------------------------------------------------------------------------------------


def test_money_follows_each_pages_language_whatever_language_came_first(client):
    """``180000|money`` is a constant: Jinja must not format it once, in the first request's language."""
    assert "€1,800.00" in text(client.get("/", headers={"Accept-Language": "en"}))
    french = text(client.get("/", headers={"Accept-Language": "fr"}))
    assert "1 800,00 €" in french and "€1,800.00" not in french
    assert "€ 1.800,00" in text(client.get("/", headers={"Accept-Language": "nl"}))


@pytest.mark.parametrize("locale,expected", [("fr", "6,5"), ("nl", "6,5"), ("de", "6,5"), ("en", "6.5")])
def test_hours_use_the_languages_decimal_mark(app, locale, expected):
    from portal.i18n import hours

    with app.test_request_context("/"), force_locale(locale):
        assert hours(390) == expected
        assert hours(540) == "9"
        assert hours(75) == ("1.25" if locale == "en" else "1,25")


def test_other_currencies_are_written_the_languages_way(app):
    from portal.i18n import money

    assert money(1234, "fr", "USD") == "12,34\xa0$US"
    assert money(1234, "en", "USD") == "$12.34"


def test_the_scheduler_page_speaks_the_readers_language(app, client, db_session):
    from portal.scheduler import load_jobs, run_job

    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    with app.app_context():
        run_job(db_session, load_jobs()["confirm_by_silence"])
    login(client, admin.email)
    english = text(client.get("/admin/scheduler"))
    assert "Logged sessions without an answer after 5 Belgian working days count as confirmed." in english
    assert ">Done</span>" in english and ">done<" not in english
    assert "every day at 1:00 AM" in english and "every 2 minutes" in english and "every hour" in english
    assert "confirm_by_silence<" not in english  # the job's internal name is no heading
    admin.language = "fr"
    db_session.flush()
    french = text(client.get("/admin/scheduler"))
    assert '<html lang="fr">' in french and "Tâches planifiées" in french
    assert "01:00" in french and "1:00 AM" not in french


def test_the_scheduler_speaks_of_when_in_words(app):
    from portal.views import _when_it_runs

    with app.test_request_context("/"), force_locale("en"):
        assert _when_it_runs({"trigger": "interval", "minutes": 1}) == "every minute"
        assert _when_it_runs({"trigger": "interval", "hours": 3}) == "every 3 hours"
        assert _when_it_runs({"trigger": "cron", "hour": 7, "minute": 30}) == "every day at 7:30\u202fAM"
        assert _when_it_runs({"trigger": "cron", "day_of_week": "mon"}) is None  # the plain hint says it then


def test_dates_in_the_german_interface(app):
    from portal.i18n import long_date

    with app.test_request_context("/"), force_locale("de"):
        assert long_date(date(2026, 3, 1)) == "1. März 2026"


# --- the language of a new account ------------------------------------------------------------------------------


def test_a_new_accounts_language_starts_as_the_one_the_page_is_read_in(app):
    from portal.i18n import reading_language
    from vouchers.requests.forms import BeneficiaryRegistrationForm

    for header, expected in (("nl", "nl"), ("de-DE", "de"), ("en-GB,en;q=0.8", "en"), ("it", "fr")):
        with app.test_request_context("/register", headers={"Accept-Language": header}):
            assert reading_language() == expected
            assert BeneficiaryRegistrationForm(meta={"csrf": False}).language.data == expected
