"""The provider administrator edits its own profile, contact points and catalogue, and nobody else's."""

from __future__ import annotations

import html
import re

import pytest
from sqlalchemy import select

from coaching.marketplace.models import CatalogueTheme, ContactPoint
from coaching.marketplace.services.profiles import (
    ContactPointData,
    ThemeData,
    add_catalogue_theme,
    add_contact_point,
    update_contact_point,
)
from coaching.providers.models import Provider
from portal.errors import Forbidden, NotFound, ValidationFailed
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import login, post_form

EN = {"Accept-Language": "en"}


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


@pytest.fixture
def own(db_session):
    return make_provider(db_session, name="Own Coaching")


@pytest.fixture
def other(db_session):
    return make_provider(db_session, name="Other Coaching")


@pytest.fixture
def admin_user(db_session, own):
    return make_user(db_session, Role.PROVIDER_ADMIN, provider_id=own.id, language="en")


@pytest.fixture
def other_admin(db_session, other):
    return make_user(db_session, Role.PROVIDER_ADMIN, provider_id=other.id, language="en")


@pytest.fixture
def logged_in(client, admin_user):
    assert login(client, admin_user.email).status_code == 302
    return client


def place(**overrides) -> ContactPointData:
    values = {"name": "Eupen office", "street": "Rathausplatz 1", "postcode": "4700", "municipality": "Eupen",
              "languages": ["de", "fr"], "onsite": True, "online": False}
    return ContactPointData(**(values | overrides))


@pytest.fixture
def others_place(db_session, other, other_admin):
    return add_contact_point(db_session, other_admin, place(name="Their place", postcode="9000", municipality="Gent",
                                                            languages=["nl"]))


@pytest.fixture
def others_theme(db_session, other_admin):
    return add_catalogue_theme(db_session, other_admin, ThemeData(title="Their theme", kind="individual",
                                                                  language="nl"))


# --- services ---------------------------------------------------------------------


def test_region_comes_from_the_postcode_and_is_synced_to_the_provider(db_session, admin_user, own):
    contact_point = add_contact_point(db_session, admin_user, place())
    assert contact_point.region == "liege"
    assert contact_point.municipality_key == "eupen"
    assert contact_point.languages == "fr,de"
    assert own.regions == "liege"
    update_contact_point(db_session, admin_user, contact_point.id, place(postcode="1000", municipality="Bruxelles"))
    assert contact_point.region == "brussels"
    assert own.regions == "brussels"


@pytest.mark.parametrize("postcode", ["12AB", "999", "0999", "10000", ""])
def test_a_bad_postcode_is_a_field_error(db_session, admin_user, postcode):
    with pytest.raises(ValidationFailed) as caught:
        add_contact_point(db_session, admin_user, place(postcode=postcode))
    assert "postcode" in caught.value.fields


def test_a_contact_point_needs_a_mode_and_a_language(db_session, admin_user):
    with pytest.raises(ValidationFailed) as caught:
        add_contact_point(db_session, admin_user, place(onsite=False, online=False, languages=[]))
    assert set(caught.value.fields) == {"onsite", "languages"}


def test_another_providers_contact_point_is_not_found(db_session, admin_user, others_place):
    with pytest.raises(NotFound):
        update_contact_point(db_session, admin_user, others_place.id, place())


def test_a_coach_cannot_edit_the_profile(db_session, own):
    coach = make_user(db_session, Role.COACH, provider_id=own.id)
    with pytest.raises(Forbidden):
        add_contact_point(db_session, coach, place())


# --- pages ----------------------------------------------------------------------------


def test_pages_need_a_provider_admin(client, db_session, own):
    assert client.get("/provider/profile").status_code == 302  # to the login page
    coach = make_user(db_session, Role.COACH, provider_id=own.id)
    assert login(client, coach.email).status_code == 302
    assert client.get("/provider/profile").status_code == 403


def test_edit_description_and_languages(logged_in, db_session, own):
    response = post_form(logged_in, "/provider/profile", {"description": "We help you back to work.",
                                                          "languages": ["nl", "fr"]})
    assert response.status_code == 302
    db_session.refresh(own)
    assert own.description == "We help you back to work."
    assert own.languages == "fr,nl"
    shown = page(logged_in.get("/provider/profile", headers=EN))
    assert "We help you back to work." in shown
    assert re.search(r'<input[^>]*checked[^>]*value="nl"|<input[^>]*value="nl"[^>]*checked', shown)


def test_the_profile_needs_a_language(logged_in, db_session, own):
    response = post_form(logged_in, "/provider/profile", {"description": "Still here"}, headers=EN)
    assert response.status_code == 422
    assert "Choose at least one language." in page(response)
    db_session.refresh(own)
    assert own.description != "Still here"


def test_add_a_contact_point_and_find_it_in_search(logged_in, client, db_session, own):
    response = post_form(logged_in, "/provider/contact-points/new",
                         {"name": "Eupen office", "street": "Rathausplatz 1", "postcode": "4700",
                          "municipality": "Eupen", "languages": ["de"], "onsite": "y", "online": "y"},
                         headers=EN)
    assert response.status_code == 302
    contact_point = db_session.scalar(select(ContactPoint).where(ContactPoint.provider_id == own.id))
    assert (contact_point.region, contact_point.languages, contact_point.online) == ("liege", "de", True)
    found = client.get("/api/v1/providers", query_string={"place": "4700", "language": "de", "q": "Own Coaching"})
    assert [item["id"] for item in found.get_json()["items"]] == [own.id]
    listed = page(logged_in.get("/provider/profile", headers=EN))
    assert "Eupen office" in listed and "Liège" in listed


def test_a_bad_postcode_keeps_the_typed_input(logged_in, db_session, own):
    response = post_form(logged_in, "/provider/contact-points/new",
                         {"name": "Somewhere nice", "street": "Rue 5", "postcode": "12AB", "municipality": "Nowhere",
                          "languages": ["fr"], "onsite": "y"}, headers=EN)
    assert response.status_code == 422
    shown = page(response)
    assert "Enter a Belgian postcode of 4 digits, for example 4000." in shown
    assert 'value="12AB"' in shown
    assert 'value="Somewhere nice"' in shown
    assert 'value="Nowhere"' in shown
    assert 'aria-invalid="true"' in shown
    assert db_session.scalar(select(ContactPoint.id).where(ContactPoint.provider_id == own.id)) is None


def test_edit_and_remove_own_contact_point(logged_in, db_session, admin_user, own):
    contact_point = add_contact_point(db_session, admin_user, place())
    assert 'value="Eupen office"' in page(logged_in.get(f"/provider/contact-points/{contact_point.id}"))
    response = post_form(logged_in, f"/provider/contact-points/{contact_point.id}",
                         {"name": "Namur office", "postcode": "5000", "municipality": "Namur", "languages": ["fr"],
                          "online": "y"})
    assert response.status_code == 302
    db_session.refresh(contact_point)
    assert (contact_point.name, contact_point.region, contact_point.onsite) == ("Namur office", "namur", False)
    response = post_form(logged_in, f"/provider/contact-points/{contact_point.id}/remove", {},
                         token_from="/provider/profile")
    assert response.status_code == 302
    assert db_session.get(ContactPoint, contact_point.id) is None


def test_another_providers_contact_point_is_404(logged_in, db_session, others_place):
    assert logged_in.get(f"/provider/contact-points/{others_place.id}").status_code == 404
    response = post_form(logged_in, f"/provider/contact-points/{others_place.id}",
                         {"name": "Hijack", "postcode": "5000", "municipality": "Namur", "languages": ["fr"],
                          "onsite": "y"}, token_from="/provider/profile")
    assert response.status_code == 404
    response = post_form(logged_in, f"/provider/contact-points/{others_place.id}/remove", {},
                         token_from="/provider/profile")
    assert response.status_code == 404
    db_session.refresh(others_place)
    assert others_place.name == "Their place"
    assert logged_in.get("/provider/contact-points/999999").status_code == 404


def test_catalogue_themes(logged_in, db_session, own, others_theme):
    response = post_form(logged_in, "/provider/catalogue/new",
                         {"title": "Write a CV", "description": "Two hours, with examples.", "topic": "job_search",
                          "kind": "collective", "language": "fr"})
    assert response.status_code == 302
    theme = db_session.scalar(select(CatalogueTheme).where(CatalogueTheme.provider_id == own.id))
    assert (theme.title, theme.topic, theme.kind) == ("Write a CV", "job_search", "collective")

    response = post_form(logged_in, f"/provider/catalogue/{theme.id}",
                         {"title": "Write a good CV", "topic": "job_search", "kind": "individual", "language": "nl"})
    assert response.status_code == 302
    db_session.refresh(theme)
    assert (theme.title, theme.kind, theme.language) == ("Write a good CV", "individual", "nl")

    response = post_form(logged_in, "/provider/catalogue/new", {"title": "", "kind": "individual", "language": "fr",
                                                                "topic": "other"}, headers=EN)
    assert response.status_code == 422

    assert logged_in.get(f"/provider/catalogue/{others_theme.id}").status_code == 404
    response = post_form(logged_in, f"/provider/catalogue/{others_theme.id}/remove", {},
                         token_from="/provider/profile")
    assert response.status_code == 404

    response = post_form(logged_in, f"/provider/catalogue/{theme.id}/remove", {}, token_from="/provider/profile")
    assert response.status_code == 302
    assert db_session.get(CatalogueTheme, theme.id) is None
    assert db_session.get(CatalogueTheme, others_theme.id) is not None


def test_the_profile_page_is_accessible(logged_in, db_session, admin_user, own):
    add_contact_point(db_session, admin_user, place())
    add_catalogue_theme(db_session, admin_user, ThemeData(title="Stress", kind="collective", language="de",
                                                          topic="well_being"))
    shown = page(logged_in.get("/provider/profile", headers=EN))
    assert "<h1>Your public profile</h1>" in shown
    assert shown.count("<caption>") == 2
    assert "<legend" in shown and "Languages you coach in" in shown
    assert db_session.get(Provider, own.id).regions == "liege"
