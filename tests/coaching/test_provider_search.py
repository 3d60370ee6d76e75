"""The fund's list of providers searched (issue 16): by name (any case, with or without accents), enterprise number
in any format, or number; on the page (at 390 px its table stacks) and in the API twin; a search that cannot be
used answers plainly, never a 500."""

from __future__ import annotations

import html
import re
from urllib.parse import quote

import pytest

from portal.clock import utcnow
from tests.support.factories import make_provider
from tests.support.search_terms import api_rows, linked_ids
from tests.support.web import login

ROW = re.compile(r'<tr id="provider-(\d+)">')


@pytest.fixture
def listed(db_session):
    found = {"elan": make_provider(db_session, name="Coaching Élan Liège"),
             "actif": make_provider(db_session, name="Retour Actif"),
             "gone": make_provider(db_session, name="Élan Ancien", delisted_at=utcnow())}
    db_session.commit()
    return found


@pytest.fixture
def fund_client(client, fund_admin):
    assert login(client, fund_admin.email).status_code == 302
    return client


def rows(response) -> set[int]:
    return linked_ids(response, ROW)


CASES = {
    "a word of the name, without accents": (lambda p: "elan", ["elan", "gone"]),
    "two words, in capitals": (lambda p: "LIEGE ÉLAN", ["elan"]),
    "a word nobody has": (lambda p: "Zorro", []),
    "the enterprise number, formatted": (
        lambda p: f"BE {p['actif'].enterprise_number[:4]}.{p['actif'].enterprise_number[4:7]}."
                  f"{p['actif'].enterprise_number[7:]}", ["actif"]),
    "the enterprise number, digits": (lambda p: p["gone"].enterprise_number, ["gone"]),
    "the provider's number": (lambda p: f"#{p['elan'].id}", ["elan"]),
    "a national number (no provider has one)": (lambda p: "85.07.30-033.28", []),
}


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_term_finds_its_providers_and_no_other(fund_client, listed, case):
    typed, expected = CASES[case]
    wanted = {listed[key].id for key in expected}
    query = quote(typed(listed))
    assert rows(fund_client.get(f"/admin/fund/providers?q={query}")) == wanted
    assert api_rows(fund_client.get(f"/api/v1/admin/providers?q={query}")) == wanted


def test_without_a_search_every_provider_is_listed(fund_client, listed):
    assert rows(fund_client.get("/admin/fund/providers")) >= {p.id for p in listed.values()}
    assert api_rows(fund_client.get("/api/v1/admin/providers?q=")) >= {p.id for p in listed.values()}
    text = html.unescape(fund_client.get("/admin/fund/providers?q=Zorro").get_data(as_text=True))
    assert 'id="nothing-found"' in text and 'value="Zorro"' in text and "Show all providers" in text


def test_a_search_too_long_or_with_a_nul_byte_is_refused_plainly(fund_client, listed):
    page = fund_client.get("/admin/fund/providers?q=" + "x" * 101)
    assert page.status_code == 422 and not ROW.findall(page.get_data(as_text=True))
    assert "Type at most 100 characters" in html.unescape(page.get_data(as_text=True))
    too_long = fund_client.get("/api/v1/admin/providers?q=" + "x" * 101)
    assert too_long.status_code == 422 and "q" in too_long.get_json()["error"]["fields"]
    assert fund_client.get("/admin/fund/providers?q=%00").status_code == 400
    assert fund_client.get("/api/v1/admin/providers?q=%00").status_code == 422
    for odd in ("%25", "_", "%5C"):
        assert rows(fund_client.get(f"/admin/fund/providers?q={odd}")) == set()


def test_the_openapi_document_names_the_search(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "q" in {p["name"] for p in spec["paths"]["/api/v1/admin/providers"]["get"]["parameters"]}
