"""The fund's queue searched (issue 16): by name (any case, with or without accents), national number however
typed, request or voucher number, voucher code, the provider's enterprise number; with the filters and pages, on
the page and in its API twin; a search that cannot be used answers plainly, never a 500."""

from __future__ import annotations

import html
import re
from datetime import timedelta
from urllib.parse import quote

import pytest
from sqlalchemy import select, text

from portal.permissions import Role
from portal.search import FOLDED_NAME_INDEXES, contains_pattern, folded
from tests.support.factories import make_provider, make_user, new_niss
from tests.support.search_terms import api_rows, dotted, formatted, linked_ids
from tests.support.web import login
from vouchers.requests.models import (
    Beneficiary,
    MemberInvitation,
    Voucher,
    VoucherRequest,
)

ROW_LINK = re.compile(r'href="/admin/requests/(\d+)"')


@pytest.fixture
def people(db_session, provider, today):
    """Requests of Hélène Dupont-Lefèvre (waiting), Jean Martin (waiting, route A), Zoë Dupuis (approved, with a
    voucher), and a member invited by a coordinator (waiting); one of them names another provider."""
    other = make_provider(db_session, name="Autre Coaching")
    coordinator = make_user(db_session, Role.COORDINATOR, language="en")

    def person(first: str, last: str, niss: str) -> int:
        user = make_user(db_session, Role.BENEFICIARY, language="en")
        user.first_name, user.last_name = first, last
        beneficiary = db_session.query(Beneficiary).filter_by(user_id=user.id).one()
        beneficiary.niss = niss
        return beneficiary.id

    def request(beneficiary_id: int | None, status: str, route: str = "B", provider_id: int = provider.id,
                **extra: object) -> VoucherRequest:
        row = VoucherRequest(beneficiary_id=beneficiary_id, provider_id=provider_id, status=status, route=route,
                             insurer_code=300, initiative="coordinator", force_majeure=route == "A",
                             submitted_on=today - timedelta(days=5), decision_due_on=today + timedelta(days=40),
                             street="Rue", house_number="1", postcode="1000", municipality="Bruxelles", **extra)
        db_session.add(row)
        db_session.flush()
        return row

    found = {"niss": {"helene": new_niss(), "jean": new_niss(), "zoe": new_niss(), "member": new_niss()}}
    found["helene"] = request(person("Hélène", "Dupont-Lefèvre", found["niss"]["helene"]), "submitted")
    found["jean"] = request(person("Jean", "Martin", found["niss"]["jean"]), "submitted", route="A",
                            provider_id=other.id)
    found["zoe"] = request(person("Zoë", "Dupuis", found["niss"]["zoe"]), "approved")
    voucher = Voucher(code="TNW-7K2M-9QXA", request_id=found["zoe"].id, beneficiary_id=found["zoe"].beneficiary_id,
                      provider_id=provider.id, status="approved", value_cents=180000, valid_from_on=today,
                      valid_until_on=today + timedelta(days=365), issued_on=today)
    db_session.add(voucher)
    invitation = MemberInvitation(coordinator_id=coordinator.id, niss=found["niss"]["member"], first_name="Léa",
                                  last_name="Ngoma", email="lea.ngoma@example.be")
    db_session.add(invitation)
    db_session.flush()
    found["member"] = request(None, "submitted", invitation_id=invitation.id, coordinator_id=coordinator.id,
                              consent_on=today)
    found["voucher"] = voucher
    found["other_enterprise"] = other.enterprise_number
    db_session.commit()
    return found


@pytest.fixture
def admin_client(client, admin):
    assert login(client, admin.email).status_code == 302
    return client


def rows(response) -> set[int]:
    return linked_ids(response, ROW_LINK)


CASES = {
    "a name without accents": (lambda p: "helene", ["helene"]),
    "a name in capitals, with accents": (lambda p: "LEFÈVRE", ["helene"]),
    "a part of a name": (lambda p: "dup", ["helene", "zoe"]),
    "two words, each found": (lambda p: "zoe dupuis", ["zoe"]),
    "two words, one not found": (lambda p: "zoe martin", []),
    "a member invited by a coordinator": (lambda p: "ngoma", ["member"]),
    "a national number as digits": (lambda p: p["niss"]["jean"], ["jean"]),
    "a national number with dots and a dash": (lambda p: dotted(p["niss"]["helene"]), ["helene"]),
    "an invited member's national number": (lambda p: dotted(p["niss"]["member"]), ["member"]),
    "a request's number": (lambda p: str(p["jean"].id), ["jean"]),
    "a request's number with #": (lambda p: f"#{p['member'].id}", ["member"]),
    "a voucher code in lower case without dashes": (lambda p: "tnw7k2m9qxa", ["zoe"]),
    "the provider's enterprise number, formatted": (lambda p: formatted(p["other_enterprise"]), ["jean"]),
    "a structured reference (no request has one)": (lambda p: "+++090/9337/55493+++", []),
    "someone else": (lambda p: "Vandenbroucke", []),
}


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_term_finds_its_requests_and_no_other(admin_client, people, case):
    typed, expected = CASES[case]
    wanted = {people[key].id for key in expected}
    query = quote(typed(people))
    assert rows(admin_client.get(f"/admin/requests?status=&q={query}")) == wanted
    assert api_rows(admin_client.get(f"/api/v1/admin/voucher-requests?q={query}")) == wanted


def test_the_voucher_number_finds_its_request(admin_client, people):
    assert rows(admin_client.get(f"/admin/requests?status=&q={people['voucher'].id}")) >= {people["zoe"].id}


def test_the_search_goes_with_the_filters(admin_client, people):
    # Waiting for a decision is the default status: Zoë's approved request is not among them.
    assert rows(admin_client.get("/admin/requests?q=dup")) == {people["helene"].id}
    assert rows(admin_client.get("/admin/requests?status=approved&q=dup")) == {people["zoe"].id}
    assert rows(admin_client.get("/admin/requests?status=&route=A&q=martin")) == {people["jean"].id}
    assert rows(admin_client.get("/admin/requests?status=&route=B&q=martin")) == set()
    assert api_rows(admin_client.get("/api/v1/admin/voucher-requests?status=submitted&q=dup")) == {
        people["helene"].id}


def test_the_page_keeps_what_was_typed_and_says_when_nothing_is_found(admin_client, people):
    text = html.unescape(admin_client.get("/admin/requests?q=Vandenbroucke").get_data(as_text=True))
    assert 'id="q"' in text and 'value="Vandenbroucke"' in text
    assert 'id="nothing-found"' in text and 'type="search"' in text


def test_next_page_keeps_the_search(admin_client, people, app, monkeypatch):
    monkeypatch.setitem(app.config, "ADMIN_QUEUE_PAGE_SIZE", 1)
    first = admin_client.get("/admin/requests?status=&q=dup")
    assert len(rows(first)) == 1
    next_url = html.unescape(re.search(r'href="([^"]+)" rel="next"', first.get_data(as_text=True)).group(1))
    assert "q=dup" in next_url and "cursor=" in next_url
    second = admin_client.get(next_url)
    assert rows(first) | rows(second) == {people["helene"].id, people["zoe"].id}
    assert 'rel="next"' not in second.get_data(as_text=True)


def test_the_api_pages_keep_the_search(admin_client, people):
    first = admin_client.get("/api/v1/admin/voucher-requests?q=dup&limit=1").get_json()
    assert len(first["items"]) == 1 and first["next_cursor"]
    second = admin_client.get(f"/api/v1/admin/voucher-requests?q=dup&limit=1&cursor={first['next_cursor']}")
    assert {first["items"][0]["id"]} | api_rows(second) == {people["helene"].id, people["zoe"].id}


def test_a_search_too_long_is_refused_plainly(admin_client, people):
    page = admin_client.get("/admin/requests?q=" + "x" * 101)
    assert page.status_code == 200 and rows(page) == set()
    text = html.unescape(page.get_data(as_text=True))
    assert "Type at most 100 characters" in text and 'id="filters-not-used"' in text
    answer = admin_client.get("/api/v1/admin/voucher-requests?q=" + "x" * 101)
    assert answer.status_code == 422 and "q" in answer.get_json()["error"]["fields"]


@pytest.mark.parametrize("typed", ["%00", "a%00b", "%00%00"])
def test_a_search_with_a_nul_byte_is_refused_never_a_500(admin_client, people, typed):
    assert admin_client.get(f"/admin/requests?q={typed}").status_code == 400
    answer = admin_client.get(f"/api/v1/admin/voucher-requests?q={typed}")
    assert answer.status_code == 422 and answer.get_json()["error"]["code"] == "invalid_characters"


@pytest.mark.parametrize("typed", ["%25", "_", "\\", "%27%3B--", "100%25_%5C", "%F0%9F%98%80", "  "])
def test_odd_text_is_searched_as_text(admin_client, people, typed):
    assert rows(admin_client.get(f"/admin/requests?status=&q={typed}")) == (
        {people[k].id for k in ("helene", "jean", "zoe", "member")} if typed == "  " else set())
    assert admin_client.get(f"/api/v1/admin/voucher-requests?q={typed}").status_code == 200


def test_the_openapi_document_names_the_search(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    names = {p["name"] for p in spec["paths"]["/api/v1/admin/voucher-requests"]["get"]["parameters"]}
    assert "q" in names


def test_a_name_search_reads_the_trigram_index_on_postgresql(db_session):
    """The migration indexes ``tnw_fold`` of the names: the search's own expression, so PostgreSQL can use the
    index (shown with sequential scans off, as the test tables are small). SQLite has the function, no index."""
    from portal.auth.models import User

    query = select(User.id).where(folded(User.last_name).ilike(contains_pattern("Dupont"), escape="\\"))
    connection = db_session.connection()
    if connection.dialect.name != "postgresql":
        assert db_session.execute(query).all() is not None
        return
    names = set(db_session.scalars(text("SELECT indexname FROM pg_indexes WHERE indexname = ANY(:names)"),
                                   {"names": list(FOLDED_NAME_INDEXES)}))
    assert names == set(FOLDED_NAME_INDEXES)
    connection.execute(text("SET LOCAL enable_seqscan = off"))
    compiled = query.compile(connection, compile_kwargs={"literal_binds": True})
    plan = "\n".join(row[0] for row in connection.execute(text(f"EXPLAIN {compiled}")))
    assert "ix_users_folded_names" in plan, plan
