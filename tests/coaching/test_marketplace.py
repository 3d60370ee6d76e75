"""The public marketplace: search by place, language, mode, theme and text; paging; profiles; outcome figures."""

from __future__ import annotations

import html
from datetime import date, timedelta

import pytest
from sqlalchemy import func, select

from coaching.marketplace.domain import municipality_key, region_for_postcode
from coaching.marketplace.models import CatalogueTheme, ContactPoint
from coaching.marketplace.services.search import (
    MIN_CLOSED_VOUCHERS_FOR_OUTCOMES,
    search_providers,
)
from coaching.providers.models import Offer, Provider
from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_provider, make_user, unique
from vouchers.requests.models import Beneficiary, Voucher, VoucherRequest

EN = {"Accept-Language": "en"}


def provider_named(session, name: str, *, languages: str = "fr", description: str = "") -> Provider:
    provider = make_provider(session, name=name, description=description)
    provider.languages = languages
    session.flush()
    return provider


def add_place(session, provider, postcode: str, municipality: str, *, languages: str = "fr", onsite: bool = True,
              online: bool = False) -> ContactPoint:
    contact_point = ContactPoint(provider_id=provider.id, name=f"{municipality} office", street="Rue Haute 1",
                                 postcode=postcode, municipality=municipality,
                                 municipality_key=municipality_key(municipality), region=region_for_postcode(postcode),
                                 languages=languages, onsite=onsite, online=online)
    session.add(contact_point)
    session.flush()
    return contact_point


def add_theme(session, provider, title: str, *, topic: str = "job_search", kind: str = "individual",
              language: str = "fr") -> CatalogueTheme:
    theme = CatalogueTheme(provider_id=provider.id, title=title, topic=topic, kind=kind, language=language)
    session.add(theme)
    session.flush()
    return theme


def add_offer(session, provider, hours: int = 9, sessions: int = 3, *, active: bool = True) -> Offer:
    offer = Offer(provider_id=provider.id, name=f"{hours} h + {sessions}", individual_hours=hours,
                  collective_sessions=sessions, individual_unit_cents=15000, collective_unit_cents=15000,
                  active=active)
    session.add(offer)
    session.flush()
    return offer


def add_vouchers(session, provider, statuses: list[str], *, today: date) -> list[Voucher]:
    """Vouchers with this provider, one beneficiary each (a person has one open voucher at most)."""
    vouchers = []
    for status in statuses:
        person = make_user(session, Role.BENEFICIARY, language="en")
        beneficiary_id = session.scalar(select(Beneficiary.id).where(Beneficiary.user_id == person.id))
        request = VoucherRequest(beneficiary_id=beneficiary_id, provider_id=provider.id, status="approved",
                                 initiative="coordinator", submitted_on=today - timedelta(days=300))
        session.add(request)
        session.flush()
        voucher = Voucher(code=unique("TNW-T"), request_id=request.id, beneficiary_id=beneficiary_id,
                          provider_id=provider.id, status=status, value_cents=180000,
                          valid_from_on=today - timedelta(days=250), valid_until_on=today - timedelta(days=70),
                          issued_on=today - timedelta(days=250))
        session.add(voucher)
        session.flush()
        vouchers.append(voucher)
    return vouchers


@pytest.fixture
def token() -> str:
    return unique("mkttoken")


@pytest.fixture
def scene(db_session, token):
    """Four providers around Belgium; names share ``token`` so tests can tell them apart from others."""
    liege = provider_named(db_session, f"Alpha Liège {token}", languages="fr", description="Coaching à Liège.")
    add_place(db_session, liege, "4000", "Liège", languages="fr")
    add_theme(db_session, liege, "Rédiger son CV", topic="job_search")
    add_offer(db_session, liege, 9, 3)

    eupen = provider_named(db_session, f"Beta Ostbelgien {token}", languages="de,fr")
    add_place(db_session, eupen, "4700", "Eupen", languages="de")
    add_place(db_session, eupen, "5000", "Namur", languages="fr", onsite=False, online=True)
    add_theme(db_session, eupen, "Stress und Wohlbefinden", topic="well_being", kind="collective", language="de")

    ghent = provider_named(db_session, f"Gamma Gent {token}", languages="nl",
                          description="Loopbaanbegeleiding met 100% inzet")
    add_place(db_session, ghent, "9000", "Gent", languages="nl,en")

    gone = provider_named(db_session, f"Delta Delisted {token}", languages="fr")
    add_place(db_session, gone, "4000", "Liège", languages="fr")
    gone.delisted_at = utcnow()
    db_session.flush()
    return {"liege": liege, "eupen": eupen, "ghent": ghent, "gone": gone}


def names(client, token: str, **params) -> list[str]:
    response = client.get("/api/v1/providers", query_string={"limit": 200, **params})
    assert response.status_code == 200, response.get_json()
    return [item["name"].replace(f" {token}", "") for item in response.get_json()["items"] if token in item["name"]]


def test_search_by_region_code(client, scene, token):
    assert names(client, token, region="liege") == ["Alpha Liège", "Beta Ostbelgien"]
    assert names(client, token, region="east_flanders") == ["Gamma Gent"]
    assert names(client, token, region="hainaut") == []


def test_search_by_postcode_maps_to_the_region(client, scene, token):
    assert names(client, token, place="4020") == ["Alpha Liège", "Beta Ostbelgien"]  # 4020 is in Liège province
    assert names(client, token, place="5100") == ["Beta Ostbelgien"]


def test_search_by_municipality_with_or_without_accents(client, scene, token):
    assert names(client, token, place="liege") == ["Alpha Liège", "Beta Ostbelgien"]
    assert names(client, token, place="  GENT ") == ["Gamma Gent"]


def test_the_nearest_contact_point_comes_first(db_session, scene, token):
    add_place(db_session, scene["liege"], "4800", "Verviers")
    page = search_providers(db_session, place="4800", q=token)
    card = next(c for c in page.items if c.provider.id == scene["liege"].id)
    assert [c.municipality for c in card.near] == ["Verviers", "Liège"]
    assert card.matching_contact_points == 2


def test_an_unknown_place_is_a_field_error(client, scene):
    for place in ("0999", "12345", "Atlantis"):
        response = client.get("/api/v1/providers", query_string={"place": place})
        assert response.status_code == 422
        assert "place" in response.get_json()["error"]["fields"]


def test_search_by_language_holds_at_the_same_contact_point(client, scene, token):
    assert names(client, token, language="de") == ["Beta Ostbelgien"]
    assert names(client, token, language="en") == ["Gamma Gent"]
    # Beta speaks German in Eupen (Liège) and French only in Namur: no German in Namur.
    assert names(client, token, place="Namur", language="de") == []
    assert names(client, token, region="liege", language="fr") == ["Alpha Liège"]


def test_search_by_mode(client, scene, token):
    assert names(client, token, mode="online") == ["Beta Ostbelgien"]
    assert names(client, token, mode="onsite", region="namur") == []
    assert names(client, token, mode="onsite") == ["Alpha Liège", "Beta Ostbelgien", "Gamma Gent"]


def test_search_by_theme_topic(client, scene, token):
    assert names(client, token, theme="well_being") == ["Beta Ostbelgien"]
    assert names(client, token, theme="job_search") == ["Alpha Liège"]
    assert names(client, token, theme="skills") == []


def test_free_text_searches_name_description_and_catalogue(client, scene, token):
    assert names(client, token, q="ostbelgien") == ["Beta Ostbelgien"]
    assert names(client, token, q="à liège") == ["Alpha Liège"]  # description
    assert names(client, token, q="cv") == ["Alpha Liège"]  # catalogue title
    assert names(client, token, q="100%") == ["Gamma Gent"]  # % is literal text, not a wildcard
    assert names(client, token, q="_") == []


def test_delisted_providers_vanish_but_keep_their_history(client, db_session, scene, token, today):
    gone = scene["gone"]
    add_vouchers(db_session, gone, ["completed"], today=today)
    assert "Delta Delisted" not in names(client, token)
    assert "Delta Delisted" not in names(client, token, region="liege")
    assert client.get(f"/api/v1/providers/{gone.id}").status_code == 404
    assert client.get(f"/providers/{gone.id}").status_code == 404
    # Nothing of theirs is deleted.
    assert db_session.get(Provider, gone.id) is not None
    assert db_session.scalar(select(ContactPoint.id).where(ContactPoint.provider_id == gone.id)) is not None
    assert db_session.scalar(select(Voucher.id).where(Voucher.provider_id == gone.id)) is not None


def test_providers_not_listed_yet_are_not_found(client, db_session):
    pending = make_provider(db_session)
    pending.listed_at = None  # the column default fills a None given to the constructor
    db_session.flush()
    assert client.get(f"/api/v1/providers/{pending.id}").status_code == 404


def test_keyset_paging_by_name_then_id(client, db_session, token):
    created = [make_provider(db_session, name=f"Same {token}") for _ in range(3)]
    created += [make_provider(db_session, name=f"{letter} {token}") for letter in ("Echo", "Able")]
    expected = sorted(created, key=lambda p: (p.name, p.id))
    seen, cursor, pages = [], None, 0
    while True:
        params = {"q": token, "limit": 2} | ({"cursor": cursor} if cursor else {})
        body = client.get("/api/v1/providers", query_string=params).get_json()
        seen += [item["id"] for item in body["items"]]
        pages += 1
        cursor = body["next_cursor"]
        if cursor is None:
            break
    assert seen == [p.id for p in expected]
    assert pages == 3


def test_list_shape(client, scene, token):
    body = client.get("/api/v1/providers", query_string={"place": "4000", "q": "Alpha"}).get_json()
    assert set(body) == {"items", "next_cursor"}
    item = next(i for i in body["items"] if token in i["name"])
    assert set(item) == {"id", "name", "languages", "regions", "contact_points", "matching_contact_points", "offers"}
    assert item["languages"] == ["fr"]
    assert item["regions"] == ["liege"]
    assert item["contact_points"][0] | {"id": 0} == {
        "id": 0, "name": "Liège office", "street": "Rue Haute 1", "postcode": "4000", "municipality": "Liège",
        "region": "liege", "languages": ["fr"], "onsite": True, "online": False}
    assert item["offers"][0]["individual_hours"] == 9
    assert item["offers"][0]["collective_sessions"] == 3
    assert item["offers"][0]["cost_cents"] == 180000


@pytest.mark.parametrize("params, field", [
    ({"limit": 500}, "limit"), ({"limit": 0}, "limit"), ({"mode": "bogus"}, "mode"), ({"region": "paris"}, "region"),
    ({"language": "es"}, "language"), ({"theme": "astrology"}, "theme"), ({"cursor": "not-a-cursor"}, "cursor"),
    ({"q": "x" * 201}, "q"),
])
def test_bad_filters_are_422_in_the_error_shape(client, params, field):
    response = client.get("/api/v1/providers", query_string=params)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "validation_failed"
    assert error["message"]
    assert field in error["fields"]


def test_profile_shape_and_content(client, db_session, scene):
    liege = scene["liege"]
    add_offer(db_session, liege, 12, 0, active=False)
    body = client.get(f"/api/v1/providers/{liege.id}").get_json()
    assert set(body) == {"id", "name", "description", "quality_label", "label_valid_until_on", "languages", "regions",
                         "offers", "contact_points", "catalogue", "outcomes", "outcomes_hidden"}
    assert [o["individual_hours"] for o in body["offers"]] == [9]  # active offers only
    assert [c["municipality"] for c in body["contact_points"]] == ["Liège"]
    assert body["catalogue"][0] | {"id": 0} == {"id": 0, "title": "Rédiger son CV", "description": "",
                                               "topic": "job_search", "kind": "individual", "language": "fr"}
    assert body["regions"] == ["liege"]


def test_outcomes_hidden_under_the_threshold(client, db_session, scene, today):
    liege = scene["liege"]
    closed = ["completed"] * 7 + ["expired"] * 2
    add_vouchers(db_session, liege, closed + ["in_progress", "approved"], today=today)
    assert len(closed) == MIN_CLOSED_VOUCHERS_FOR_OUTCOMES - 1
    body = client.get(f"/api/v1/providers/{liege.id}").get_json()
    assert body["outcomes"] is None
    assert body["outcomes_hidden"]["code"] == "not_enough_cases"
    assert body["outcomes_hidden"]["min_closed_vouchers"] == 10
    page = html.unescape(client.get(f"/providers/{liege.id}", headers=EN).get_data(as_text=True))
    assert "Not enough cases yet" in page
    assert "<meter" not in page


def test_outcomes_shown_from_ten_closed_vouchers(client, db_session, scene, today):
    liege = scene["liege"]
    add_vouchers(db_session, liege, ["completed"] * 7 + ["expired"] * 2 + ["withdrawn", "in_progress"], today=today)
    body = client.get(f"/api/v1/providers/{liege.id}").get_json()
    assert body["outcomes"] == {"vouchers_completed": 7, "closed_vouchers": 10, "finished_percent": 70}
    assert body["outcomes_hidden"] is None
    page = html.unescape(client.get(f"/providers/{liege.id}", headers=EN).get_data(as_text=True))
    assert "7 of 10 closed vouchers finished their course." in page
    assert 'value="70"' in page
    assert "Not enough cases yet" not in page


def test_openapi_documents_the_marketplace(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "/api/v1/providers" in spec["paths"]
    assert "/api/v1/providers/{provider_id}" in spec["paths"]
    parameters = {p["name"] for p in spec["paths"]["/api/v1/providers"]["get"]["parameters"]}
    assert {"region", "place", "language", "mode", "theme", "q", "limit", "cursor"} <= parameters


# --- the HTML pages ---------------------------------------------------------------


def test_search_page_shows_cards_with_places_and_offer_summary(client, scene, token):
    response = client.get("/providers", query_string={"place": "4000", "q": token},
                          headers=EN)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert f"Alpha Liège {token}" in page
    assert f"Beta Ostbelgien {token}" in page
    assert "Gamma Gent" not in page
    assert "Delta Delisted" not in page
    assert "9 individual hours + 3 group sessions" in page
    assert "4700 Eupen" in page
    assert 'role="search"' in page and "<legend>" in page


def test_search_page_filters_by_language_mode_and_theme(client, scene, token):
    page = client.get("/providers", query_string={"language": "de", "q": token}).get_data(as_text=True)
    assert "Beta Ostbelgien" in page and "Alpha" not in page
    page = client.get("/providers", query_string={"mode": "online", "q": token}).get_data(as_text=True)
    assert "Beta Ostbelgien" in page and "Alpha" not in page
    page = client.get("/providers", query_string={"theme": "job_search", "q": token}).get_data(as_text=True)
    assert "Alpha" in page and "Beta" not in page


def test_search_page_pages_forward(client, db_session, token, app):
    for index in range(22):
        make_provider(db_session, name=f"Page {index:02d} {token}")
    first = html.unescape(client.get("/providers", query_string={"q": token}, headers=EN).get_data(as_text=True))
    assert "Page 19" in first and "Page 20" not in first
    next_link = first.split('rel="next"')[0].rsplit('href="', 1)[1].split('"')[0]
    second = html.unescape(client.get(next_link, headers=EN).get_data(as_text=True))
    assert "Page 20" in second and "Page 21" in second and "Page 19" not in second
    assert "Back to the first page" in second


def test_search_page_with_an_unknown_place_keeps_the_input(client, scene):
    response = client.get("/providers", query_string={"place": "Atlantis"}, headers=EN)
    assert response.status_code == 422
    page = html.unescape(response.get_data(as_text=True))
    assert 'value="Atlantis"' in page
    assert "We do not know this municipality" in page


def test_search_page_with_a_bad_cursor_says_so(client):
    response = client.get("/providers", query_string={"cursor": "garbage"}, headers=EN)
    assert response.status_code == 422
    assert "Start again from the first page" in response.get_data(as_text=True)


def test_profile_page_is_accessible_and_complete(client, scene):
    response = client.get(f"/providers/{scene['eupen'].id}", headers=EN)
    assert response.status_code == 200
    page = html.unescape(response.get_data(as_text=True))
    assert "<h1>Beta Ostbelgien" in page
    assert "<caption>" in page
    assert "Stress und Wohlbefinden" in page
    assert "4700 Eupen" in page and "5000 Namur" in page
    assert "No offer published yet." in page
    assert "Not enough cases yet" in page


def test_demo_marketplace_seed_is_complete_and_idempotent(client, db_session, token):
    from portal.demo.marketplace import seed_marketplace

    providers = [provider_named(db_session, f"Demo {n} {token}", languages=languages)
                 for n, languages in enumerate(("fr", "nl", "de,fr"))]
    providers[0].regions = "liege,namur"
    providers[2].regions = "liege"
    seed_marketplace(db_session, providers)
    counts = [db_session.scalar(select(func.count()).where(ContactPoint.provider_id == p.id)) for p in providers]
    seed_marketplace(db_session, providers)
    assert [db_session.scalar(select(func.count()).where(ContactPoint.provider_id == p.id))
            for p in providers] == counts
    for provider in providers:
        regions = set(db_session.scalars(select(ContactPoint.region).where(ContactPoint.provider_id == provider.id)))
        assert len(regions) >= 2
        assert db_session.scalar(select(func.count()).where(CatalogueTheme.provider_id == provider.id)) >= 2
        offers = list(db_session.scalars(select(Offer).where(Offer.provider_id == provider.id)))
        assert len(offers) == 1 and offers[0].cost_cents == 180000
    first = db_session.scalar(select(Offer).where(Offer.provider_id == providers[0].id))
    assert (first.individual_hours, first.collective_sessions) == (9, 3)
    assert names(client, token, language="de", place="4700") == ["Demo 2"]


@pytest.mark.parametrize("typed, region", [("Antwerpen", "antwerp"), ("Flandre-Orientale", "east_flanders"),
                                           ("Luik", "liege"), ("Brussel", "brussels"), ("Hainaut", "hainaut")])
def test_province_names_in_any_language_map_to_the_region(db_session, typed, region):
    from coaching.marketplace.services.search import resolve_place

    assert resolve_place(db_session, typed).regions == (region,)
