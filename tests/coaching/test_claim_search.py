"""The fund's claims searched (issue 16): by claim number, voucher code, the beneficiary's name or national number,
the provider's name or enterprise number; with the status filter and the pages, on the page and in the API twin;
a search that cannot be used answers plainly, never a 500."""

from __future__ import annotations

import html
import re
from datetime import UTC, datetime, timedelta
from urllib.parse import quote

import pytest

from coaching.claims.models import Claim
from portal.permissions import Role
from tests.support.factories import make_provider, make_user, new_niss
from tests.support.search_terms import api_rows, dotted, formatted, linked_ids
from tests.support.web import bearer, login
from vouchers.requests.models import Beneficiary, Voucher, VoucherRequest

ROW_LINK = re.compile(r'href="/admin/fund/claims/(\d+)"')


@pytest.fixture
def claims(db_session, today, fund_admin):
    """Claims of "Coaching Élan" for Hélène Dupont's voucher (two: submitted and paid) and of "Retour Actif" for
    Marc Lambert's voucher (submitted)."""
    elan = make_provider(db_session, name="Coaching Élan")
    actif = make_provider(db_session, name="Retour Actif")
    found: dict[str, object] = {"elan": elan, "actif": actif}

    def holder(first: str, last: str, code: str, provider_id: int) -> Voucher:
        user = make_user(db_session, Role.BENEFICIARY, language="en")
        user.first_name, user.last_name = first, last
        beneficiary = db_session.query(Beneficiary).filter_by(user_id=user.id).one()
        beneficiary.niss = new_niss()
        found[f"niss_{last.lower()}"] = beneficiary.niss
        request = VoucherRequest(beneficiary_id=beneficiary.id, provider_id=provider_id, status="approved",
                                 route="B", insurer_code=300, initiative="own", submitted_on=today,
                                 decision_due_on=today, street="Rue", house_number="1", postcode="1000",
                                 municipality="Bruxelles")
        db_session.add(request)
        db_session.flush()
        voucher = Voucher(code=code, request_id=request.id, beneficiary_id=beneficiary.id, provider_id=provider_id,
                          status="in_progress", value_cents=180000, valid_from_on=today,
                          valid_until_on=today + timedelta(days=365), issued_on=today)
        db_session.add(voucher)
        db_session.flush()
        return voucher

    dupont = holder("Hélène", "Dupont", "TNW-AAAA-1111", elan.id)
    lambert = holder("Marc", "Lambert", "TNW-BBBB-2222", actif.id)
    sent = datetime(2026, 11, 3, 9, 30, tzinfo=UTC)
    for key, voucher, provider, status in (("dupont_open", dupont, elan, "submitted"),
                                           ("dupont_paid", dupont, elan, "paid"),
                                           ("lambert_open", lambert, actif, "submitted")):
        claim = Claim(provider_id=provider.id, voucher_id=voucher.id, amount_cents=15000, status=status,
                      submitted_at=sent)
        db_session.add(claim)
        db_session.flush()
        found[key] = claim
    db_session.commit()
    return found


@pytest.fixture
def fund_client(client, fund_admin):
    assert login(client, fund_admin.email).status_code == 302
    return client


def rows(response) -> set[int]:
    return linked_ids(response, ROW_LINK)


CASES = {
    "the beneficiary's name, without accents": (lambda c: "helene", ["dupont_open", "dupont_paid"]),
    "the provider's name, in capitals, without accents": (lambda c: "ELAN", ["dupont_open", "dupont_paid"]),
    "a word of each": (lambda c: "lambert actif", ["lambert_open"]),
    "a word of neither": (lambda c: "lambert élan", []),
    "the beneficiary's national number, with dots and a dash": (lambda c: dotted(c["niss_lambert"]),
                                                                 ["lambert_open"]),
    "the provider's enterprise number, formatted": (lambda c: formatted(c["actif"].enterprise_number),
                                                     ["lambert_open"]),
    "the provider's enterprise number, digits": (lambda c: c["elan"].enterprise_number,
                                                 ["dupont_open", "dupont_paid"]),
    "a voucher code in lower case": (lambda c: "tnw-bbbb-2222", ["lambert_open"]),
    "a claim's number": (lambda c: str(c["dupont_paid"].id), ["dupont_paid"]),
    "a structured reference (no claim has one)": (lambda c: "+++090/9337/55493+++", []),
}


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_term_finds_its_claims_and_no_other(fund_client, claims, case):
    typed, expected = CASES[case]
    wanted = {claims[key].id for key in expected}
    query = quote(typed(claims))
    assert rows(fund_client.get(f"/admin/fund/claims?status=&q={query}")) == wanted
    assert api_rows(fund_client.get(f"/api/v1/admin/claims?q={query}")) == wanted


def test_the_search_goes_with_the_status_and_the_pages(fund_client, claims, monkeypatch):
    assert rows(fund_client.get("/admin/fund/claims?q=dupont")) == {claims["dupont_open"].id}  # waiting: default
    assert rows(fund_client.get("/admin/fund/claims?status=paid&q=dupont")) == {claims["dupont_paid"].id}
    assert api_rows(fund_client.get("/api/v1/admin/claims?status=submitted&q=helene")) == {claims["dupont_open"].id}
    monkeypatch.setattr("coaching.claims.views.PAGE_SIZE", 1)
    first = fund_client.get("/admin/fund/claims?status=&q=dupont")
    next_url = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True)).group(1))
    assert "q=dupont" in next_url and "status=" in next_url
    assert rows(first) | rows(fund_client.get(next_url)) == {claims["dupont_open"].id, claims["dupont_paid"].id}
    paged = fund_client.get("/api/v1/admin/claims?q=dupont&limit=1").get_json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    rest = fund_client.get(f"/api/v1/admin/claims?q=dupont&limit=1&cursor={paged['next_cursor']}")
    assert {paged["items"][0]["id"]} | api_rows(rest) == {claims["dupont_open"].id, claims["dupont_paid"].id}


def test_the_rows_read_as_before(fund_client, claims):
    """Written once per page now (coaching/claims/presenters.py): the same words, day, time and amount."""
    text = html.unescape(fund_client.get("/admin/fund/claims?status=&q=lambert").get_data(as_text=True))
    assert f'<a href="/admin/fund/claims/{claims["lambert_open"].id}">Claim {claims["lambert_open"].id}</a>' in text
    assert '<td data-label="Sent on">Nov 3, 2026, 10:30:00\u202fAM</td>' in text
    assert '<td data-label="Amount">€150.00</td>' in text and '<td data-label="Status">Waiting for the fund</td>' in text
    assert '<td data-label="Voucher">TNW-BBBB-2222</td>' in text and "Retour Actif" in text


def test_a_search_too_long_or_with_a_nul_byte_is_refused_plainly(fund_client, claims):
    page = fund_client.get("/admin/fund/claims?q=" + "x" * 101)
    assert page.status_code == 200 and rows(page) == set()
    assert "Type at most 100 characters" in html.unescape(page.get_data(as_text=True))
    too_long = fund_client.get("/api/v1/admin/claims?q=" + "x" * 101)
    assert too_long.status_code == 422 and "q" in too_long.get_json()["error"]["fields"]
    assert fund_client.get("/admin/fund/claims?q=a%00b").status_code == 400
    nul = fund_client.get("/api/v1/admin/claims?q=a%00b")
    assert nul.status_code == 422 and nul.get_json()["error"]["code"] == "invalid_characters"
    for odd in ("%25", "_", "%5C", "%27%3B--"):
        assert rows(fund_client.get(f"/admin/fund/claims?status=&q={odd}")) == set()
        assert api_rows(fund_client.get(f"/api/v1/admin/claims?q={odd}")) == set()


def test_a_provider_cannot_search_others_claims(client, claims, db_session):
    """The provider's own list keeps its shape: no search there, and never another provider's claim."""
    staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=claims["actif"].id, language="en")
    db_session.commit()
    mine = client.get("/api/v1/provider/claims?q=dupont", headers=bearer(client, staff.email))
    assert mine.status_code == 200 and {item["id"] for item in mine.get_json()["items"]} == {claims["lambert_open"].id}


def test_the_openapi_document_names_the_search(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    admin = {p["name"] for p in spec["paths"]["/api/v1/admin/claims"]["get"]["parameters"]}
    provider = {p["name"] for p in spec["paths"]["/api/v1/provider/claims"]["get"]["parameters"]}
    assert "q" in admin and "q" not in provider
