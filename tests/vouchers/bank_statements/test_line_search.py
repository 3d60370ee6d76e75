"""The bank lines searched (issue 16): by the payer's name (any case, with or without accents) or enterprise number,
a structured reference however typed, the worker's national number, a line or contribution number; with the
filters and pages, on the page and in the API twin; a search that cannot be used answers plainly, never a 500."""

from __future__ import annotations

import html
import io
import re
from urllib.parse import quote

import pytest
from sqlalchemy import select

from portal.permissions import Role
from tests.support.factories import make_user, new_enterprise_number
from tests.support.search_terms import api_rows, formatted, linked_ids
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking.models import BankLine
from vouchers.employers.domain import format_structured_reference
from vouchers.employers.models import Employer

ROW_LINK = re.compile(r'href="/admin/fund/bank-lines/(\d+)"')


@pytest.fixture
def lines(db_session, client, admin_headers, declare):
    """A statement of three credits: one paying a contribution by its reference (matched), one from "Société
    Éclair" naming its enterprise number (waiting), one from "Dupont & Fils" without a reference (waiting)."""
    employer_user = make_user(db_session, Role.EMPLOYER, language="en")
    paid = declare(employer_user)
    db_session.commit()
    eclair_number = new_enterprise_number()
    data = camt([
        Entry(f"{paid.amount_cents // 100}.{paid.amount_cents % 100:02d}", acct_svcr_ref="S-1",
              txs=[Tx(reference=paid.structured_reference, debtor="Payroll Partners")]),
        Entry("250.00", acct_svcr_ref="S-2", txs=[Tx(debtor="Société Éclair SA", debtor_id=eclair_number,
                                                     ustrd="advance")]),
        Entry("90.00", acct_svcr_ref="S-3", txs=[Tx(debtor="Dupont & Fils", ustrd="for march")]),
    ], statement_id="STMT-SEARCH")
    answer = client.post("/api/v1/admin/bank-statements", headers=admin_headers,
                         data={"file": (io.BytesIO(data), "statement.xml")}, content_type="multipart/form-data")
    assert answer.status_code == 201, answer.get_json()
    by_ref = {line.entry_reference: line for line in db_session.scalars(
        select(BankLine).where(BankLine.entry_reference.in_(("S-1", "S-2", "S-3"))))}
    assert by_ref["S-1"].status == "matched" and by_ref["S-2"].enterprise_number == eclair_number
    employer = db_session.get(Employer, employer_user.employer_id)
    return {"paid": by_ref["S-1"], "eclair": by_ref["S-2"], "dupont": by_ref["S-3"], "contribution": paid,
            "eclair_number": eclair_number, "employer_number": employer.enterprise_number,
            "worker_niss": paid.declaration.worker_niss}


def rows(response) -> set[int]:
    return linked_ids(response, ROW_LINK)


def _spaced(reference: str) -> str:
    return f"{reference[:3]} {reference[3:7]} {reference[7:]}"


CASES = {
    "the payer's name, without accents": (lambda s: "eclair", ["eclair"]),
    "the payer's name, in capitals, with accents": (lambda s: "SOCIÉTÉ", ["eclair"]),
    "two words of the payer's name": (lambda s: "dupont fils", ["dupont"]),
    "the payer's enterprise number, formatted": (lambda s: formatted(s["eclair_number"]), ["eclair"]),
    "the enterprise number of the employer whose contribution it paid": (lambda s: s["employer_number"], ["paid"]),
    "the reference, as banks print it": (lambda s: format_structured_reference(s["contribution"].structured_reference),
                                         ["paid"]),
    "the reference, typed with spaces": (lambda s: _spaced(s["contribution"].structured_reference), ["paid"]),
    "the worker's national number": (lambda s: s["worker_niss"], ["paid"]),
    "a line's number": (lambda s: str(s["dupont"].id), ["dupont"]),
    "the number of the contribution it paid": (lambda s: f"#{s['contribution'].id}", ["paid"]),
    "a voucher code (no line has one)": (lambda s: "TNW-7K2M-9QXA", []),
    "someone else": (lambda s: "Vandenbroucke", []),
}


@pytest.mark.parametrize("case", CASES)
def test_each_kind_of_term_finds_its_lines_and_no_other(admin_headers, lines, admin_client, case):
    typed, expected = CASES[case]
    wanted = {lines[key].id for key in expected}
    query = quote(typed(lines))
    assert rows(admin_client.get(f"/admin/fund/bank-lines?status=&q={query}")) == wanted
    assert api_rows(admin_client.get(f"/api/v1/admin/bank-lines?q={query}", headers=admin_headers)) == wanted


def test_the_search_goes_with_the_filters_totals_and_pages(admin_headers, lines, admin_client, monkeypatch):
    reference = quote(format_structured_reference(lines["contribution"].structured_reference))
    assert rows(admin_client.get(f"/admin/fund/bank-lines?q={reference}")) == set()  # waiting lines by default
    assert rows(admin_client.get(f"/admin/fund/bank-lines?status=matched&q={reference}")) == {lines["paid"].id}
    answer = admin_client.get("/api/v1/admin/bank-lines?status=unmatched&q=dupont", headers=admin_headers).get_json()
    assert [item["id"] for item in answer["items"]] == [lines["dupont"].id]
    assert answer["total_count"] == 1 and answer["total_cents"] == 9000
    page = html.unescape(admin_client.get("/admin/fund/bank-lines?q=dupont").get_data(as_text=True))
    assert 'id="lines-total">1 line, €90.00 in all.' in page
    monkeypatch.setattr("vouchers.banking.views.PAGE_SIZE", 1)
    seen, url = set(), "/admin/fund/bank-lines?status=&q=o"  # Société, Payroll, Dupont: an "o" in each
    while url:
        answer = admin_client.get(url)
        assert len(rows(answer)) == 1 and not rows(answer) & seen
        seen |= rows(answer)
        link = re.search(r'href="([^"]+)" rel="next"', answer.get_data(as_text=True))
        url = html.unescape(link.group(1)) if link else ""
        assert not url or "q=o" in url
    assert seen == {lines["paid"].id, lines["eclair"].id, lines["dupont"].id}


def test_a_search_too_long_or_with_a_nul_byte_is_refused_plainly(admin_headers, lines, admin_client):
    page = admin_client.get("/admin/fund/bank-lines?q=" + "x" * 101)
    assert page.status_code == 422 and not ROW_LINK.findall(page.get_data(as_text=True))
    assert "Type at most 100 characters" in html.unescape(page.get_data(as_text=True))
    too_long = admin_client.get("/api/v1/admin/bank-lines?q=" + "x" * 101, headers=admin_headers)
    assert too_long.status_code == 422 and "q" in too_long.get_json()["error"]["fields"]
    assert admin_client.get("/admin/fund/bank-lines?q=%00").status_code == 400
    nul = admin_client.get("/api/v1/admin/bank-lines?q=%00", headers=admin_headers)
    assert nul.status_code == 422 and nul.get_json()["error"]["code"] == "invalid_characters"
    for odd in ("%25", "_", "%5C", "%27%3B--"):
        assert rows(admin_client.get(f"/admin/fund/bank-lines?status=&q={odd}")) == set()


def test_the_openapi_document_names_the_search(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert "q" in {p["name"] for p in spec["paths"]["/api/v1/admin/bank-lines"]["get"]["parameters"]}
