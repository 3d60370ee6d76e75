"""The language a person browses in becomes their account's (and so their letters' and e-mails') language, unless
they choose another on the form: registration, the employer's registration, the member's invitation."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user, new_niss, unique
from tests.support.web import bearer, post_form
from tests.vouchers.coordinator_support import file, filing_body, join_link

SELECTED = re.compile(r'<select[^>]*name="language"[^>]*>.*?<option (?:selected value="(\w+)"|value="(\w+)" selected)',
                      re.DOTALL)


def chosen_language(page: str) -> str:
    match = SELECTED.search(page)
    assert match, "no language chosen on the form"
    return match.group(1) or match.group(2)


@pytest.mark.parametrize("path", ["/register", "/register/employer"])
@pytest.mark.parametrize("lang", ["fr", "nl", "de", "en"])
def test_registration_forms_start_in_the_language_of_the_page(client, path, lang):
    page = client.get(path, headers={"Accept-Language": lang}).get_data(as_text=True)
    assert f'<html lang="{lang}">' in page
    assert chosen_language(page) == lang


def test_a_dutch_visitor_who_registers_gets_a_dutch_account(client, db_session):
    client.set_cookie("lang", "nl")  # chosen with the switch before registering, whatever the browser says
    page = client.get("/register", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="nl">' in page
    email = f"{unique('nl')}@example.be"
    # What a browser sends: the form as it was shown, with the language it chose.
    response = post_form(client, "/register", {"email": email, "password": PASSWORD, "password_repeat": PASSWORD,
                                               "first_name": "Lotte", "last_name": "Peeters", "niss": new_niss(),
                                               "language": chosen_language(page)})
    assert response.status_code in (302, 303), response.get_data(as_text=True)[:2000]
    assert db_session.scalar(select(User.language).where(User.email == email)) == "nl"


def test_a_choice_on_the_form_wins_over_the_page(client, db_session):
    email = f"{unique('de')}@example.be"
    page = client.get("/register", headers={"Accept-Language": "nl"}).get_data(as_text=True)
    assert chosen_language(page) == "nl"
    post_form(client, "/register", {"email": email, "password": PASSWORD, "password_repeat": PASSWORD,
                                    "first_name": "Lena", "last_name": "Schmitz", "niss": new_niss(),
                                    "language": "de"}, headers={"Accept-Language": "nl"})
    assert db_session.scalar(select(User.language).where(User.email == email)) == "de"


def test_the_invited_member_starts_in_the_language_they_read(client, db_session, request_body, today):
    coordinator = make_user(db_session, Role.COORDINATOR, language="fr")
    body = filing_body(request_body, today)
    body["beneficiary"]["language"] = "fr"
    file(client, bearer(client, coordinator.email), body)
    visitor = client.application.test_client()
    page = visitor.get(join_link(db_session, body["beneficiary"]["email"]),
                       headers={"Accept-Language": "de"}).get_data(as_text=True)
    assert '<html lang="de">' in page and chosen_language(page) == "de"
