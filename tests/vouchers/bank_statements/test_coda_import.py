"""Importing CODA statements (issue #20) into the same bank lines as CAMT.053: the shared samples through the API,
matching by the structured communication or a reference typed in the free one, splits and cancellations, nothing
booked twice (the same file, the statement sent again, the same day as CAMT and as CODA), and malformed files
answered 422 with the line and the reason, never 500."""

from __future__ import annotations

from datetime import date

import pytest
from sqlalchemy import func, select

from portal.clock import utcnow
from tests.vouchers.bank_statements.coda_support import Movement, coda, sample
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from tests.vouchers.bank_statements.test_pages_and_api import (
    page,
    upload_api,
    upload_page,
)
from vouchers.banking.models import BankLine, BankStatement
from vouchers.banking.services import statements as statement_services
from vouchers.employers.domain import format_structured_reference
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.ledger.services.consistency import check_ledger

NOV_21 = date(2026, 11, 21)


def _euros(cents: int) -> str:
    return f"{cents // 100}.{cents % 100:02d}"


def _count(db_session, model) -> int:
    return int(db_session.scalar(select(func.count()).select_from(model)))


def _paid(db_session, contribution: Contribution) -> tuple[str, int]:
    db_session.refresh(contribution)
    paid = db_session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0))
                             .where(ContributionPayment.contribution_id == contribution.id))
    return contribution.status, int(paid)


def _import(db_session, admin, data: bytes, name: str = "statement.cod") -> statement_services.ImportResult:
    result = statement_services.import_statement(db_session, admin, data, file_name=name, now=utcnow())
    db_session.flush()
    return result


# name: (statements, lines, credit lines, credit cents, debit cents)
SAMPLES = {
    "oca_Coda_iban_v2_3_multi_statements.txt": (2, 2, 1, 10_000_000, 12_240),
    "oca_Coda_iban_v2_3_single_statement.txt": (1, 30, 15, 6_470_301, 6_470_301),
    "oca_Ontvangen_CODA.2012-01-11-18.59.15.txt": (1, 5, 2, 310_819, 139_308),
    "php-coda-parser_sample1.cod": (1, 4, 4, 8_000, 0),
    "php-coda-parser_sample5.cod": (1, 3, 3, 630_346, 0),
}


@pytest.mark.parametrize("name", sorted(SAMPLES))
def test_each_sample_imports_through_the_api_once(client, db_session, admin_headers, name):
    statements, lines, credits, credit_cents, debit_cents = SAMPLES[name]
    created = upload_api(client, admin_headers, sample(name), name=name)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert len(body["statements"]) == statements
    assert all(s["version"] == "CODA 2" and s["schema_valid"] is None for s in body["statements"])
    assert sum(s["line_count"] for s in body["statements"]) == lines
    assert sum(s["credit_count"] for s in body["statements"]) == credits
    assert sum(s["credit_cents"] for s in body["statements"]) == credit_cents
    assert sum(s["debit_cents"] for s in body["statements"]) == debit_cents
    # No contribution of the fund carries these references: every credit waits for a person, no debit does.
    assert (len(body["matched_lines"]), len(body["unmatched_lines"])) == (0, credits)
    assert _count(db_session, BankLine) == lines

    for again in (upload_api(client, admin_headers, sample(name), name=name),
                  upload_api(client, admin_headers, sample(name), name="renamed.txt")):
        assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert (_count(db_session, BankStatement), _count(db_session, BankLine)) == (statements, lines)


def test_the_kbc_sample_keeps_its_payer_and_reference(client, admin_headers):
    body = upload_api(client, admin_headers, sample("oca_Ontvangen_CODA.2012-01-11-18.59.15.txt")).get_json()
    (statement,) = body["statements"]
    assert (statement["account"], statement["statement_ref"], statement["sequence"], statement["from_on"],
            statement["opening_balance_cents"], statement["closing_balance_cents"]) == (
        "BE46737018594236", "2012-01-11/135", "003", "2012-01-11", 1_181_270, 1_364_605)
    paid = next(line for line in body["unmatched_lines"] if line["amount_cents"] == 304_445)
    assert (paid["structured_reference"], paid["counterparty_name"], paid["counterparty_iban"], paid["booked_on"]) == (
        "+++240/2838/42818+++", "PARTNER 2", "BE61310126985517", "2012-01-11")


def test_a_coda_payment_pays_the_contribution_its_reference_names(db_session, admin, declare):
    structured, typed, partial = declare(), declare(), declare()
    result = _import(db_session, admin, coda([
        Movement(_euros(structured.amount_cents), reference=structured.structured_reference),
        # The reference typed by hand in the free communication, running over from record 2.1 into 2.2.
        Movement(_euros(typed.amount_cents),
                 free_text="Cotisation / bijdrage dossier 2026-11 " + format_structured_reference(
                     typed.structured_reference).replace("/", " ")),
        Movement("100.00", reference=partial.structured_reference),
        Movement("45.00", free_text="Don - voor het fonds"),
        Movement("12.34", credit=False, free_text="frais bancaires"),
    ]))
    lines = result.statements[0].new_lines
    assert [(line.status, line.contribution_id) for line in lines] == [
        ("matched", structured.id), ("matched", typed.id), ("matched", partial.id), ("unmatched", None),
        ("ignored", None)]
    assert _paid(db_session, structured) == ("paid", structured.amount_cents)
    assert _paid(db_session, typed) == ("paid", typed.amount_cents)
    assert _paid(db_session, partial) == ("partially_paid", 10_000)
    assert check_ledger(db_session) == []


def test_a_transfer_naming_two_contributions_is_split_to_the_cent(db_session, admin, declare):
    first, second = declare(), declare()
    text = (f"{format_structured_reference(first.structured_reference)} "
            f"{format_structured_reference(second.structured_reference)}")
    (line,) = _import(db_session, admin, coda([
        Movement(_euros(first.amount_cents + second.amount_cents), free_text=text)])).statements[0].new_lines
    assert line.status == "matched"
    assert [(a.contribution_id, a.amount_cents) for a in line.allocations] == [
        (first.id, first.amount_cents), (second.id, second.amount_cents)]
    assert _paid(db_session, first)[0] == _paid(db_session, second)[0] == "paid"


def test_a_bank_total_pays_each_contribution_of_its_details(db_session, admin, declare):
    first, second = declare(), declare()
    parts = [Movement(_euros(c.amount_cents), reference=c.structured_reference, transaction="60150000")
             for c in (first, second)]
    result = _import(db_session, admin, coda([
        Movement(_euros(first.amount_cents + second.amount_cents), transaction="20150000", details=parts)]))
    assert [(line.tx_index, line.contribution_id) for line in result.statements[0].new_lines] == [
        (1, first.id), (2, second.id)]
    assert _paid(db_session, first)[0] == _paid(db_session, second)[0] == "paid"


def test_the_statement_sent_again_books_nothing_twice(db_session, admin, declare):
    contribution = declare()
    movements = [Movement(_euros(contribution.amount_cents), reference=contribution.structured_reference)]
    first = _import(db_session, admin, coda(movements))
    assert first.statements[0].new_lines[0].status == "matched"
    # The bank sends the same statement again: a duplicate ("D"), created another day, so other bytes.
    again = _import(db_session, admin, coda(movements, header="0000025112672505D"), name="again.cod")
    assert again.duplicate and again.statements[0].statement.id == first.statements[0].statement.id
    assert _paid(db_session, contribution) == ("paid", contribution.amount_cents)
    assert _count(db_session, BankLine) == 1


def test_the_same_day_imported_as_camt_and_as_coda_books_nothing_twice(db_session, admin, declare):
    contribution = declare()
    amount = _euros(contribution.amount_cents)
    booked = _import(db_session, admin, camt([Entry(amount, acct_svcr_ref="KBC-0001",
                                                   txs=[Tx(reference=contribution.structured_reference)])]),
                     name="statement.xml").statements[0].new_lines[0]
    assert booked.status == "matched"
    (line,) = _import(db_session, admin, coda([
        Movement(amount, reference=contribution.structured_reference)])).statements[0].new_lines
    assert (line.status, line.hold_reason, line.possible_duplicate_of) == ("unmatched", "possible_duplicate",
                                                                           booked.id)
    assert _paid(db_session, contribution) == ("paid", contribution.amount_cents)


def test_a_cancellation_in_a_later_statement_undoes_the_payment(db_session, admin, declare):
    contribution = declare()
    amount, reference = _euros(contribution.amount_cents), contribution.structured_reference
    _import(db_session, admin, coda([Movement(amount, reference=reference)]))
    assert _paid(db_session, contribution) == ("paid", contribution.amount_cents)
    (line,) = _import(db_session, admin, coda([
        Movement(amount, credit=False, reference=reference, transaction="00199000", booked_on=NOV_21)],
        paper="215", sequence="215", on=NOV_21, opening_cents=100_000 + contribution.amount_cents),
        name="next-day.cod").statements[0].new_lines
    assert (line.status, line.returns_credit, line.match_method) == ("matched", True, "reversal")
    assert _paid(db_session, contribution) == ("due", 0)
    assert check_ledger(db_session) == []


GOOD = coda([Movement("10.00", free_text="frais")]).decode().splitlines()
BROKEN_AMOUNT = "\n".join([*GOOD[:2], GOOD[2][:32] + "0000000000A0000" + GOOD[2][47:], *GOOD[3:]]).encode()


@pytest.mark.parametrize("data, code, message", [
    (BROKEN_AMOUNT, "coda_invalid", 'Line 3 of the CODA file (record 2.1): positions 33-47 read "0000000000A0000"'),
    ("\n".join(GOOD[:-2]).encode(), "coda_truncated", "records 8 and 9 are missing"),
    ("\n".join([GOOD[0], "X" * 128, *GOOD[1:]]).encode(), "coda_record_unknown", "Line 2 of the CODA file"),
    (b"date;amount\n2026-11-20;1800\n", "statement_format_unknown", "neither a CAMT.053 statement (XML) nor a CODA"),
])
def test_a_malformed_coda_file_is_a_422_with_its_reason(client, db_session, admin_headers, admin_client, data, code,
                                                        message):
    response = upload_api(client, admin_headers, data, name="statement.cod")
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code and message in error["message"] and message in error["fields"]["file"][0]
    on_the_page = upload_page(admin_client, data, name="statement.cod")
    assert on_the_page.status_code == 422 and message in page(on_the_page)
    assert _count(db_session, BankStatement) == 0


def test_a_coda_file_on_the_upload_page(admin_client, db_session):
    uploaded = upload_page(admin_client, sample("php-coda-parser_sample1.cod"), name="CODA_20171011.COD",
                           follow_redirects=True)
    assert uploaded.status_code == 200
    text = page(uploaded)
    assert ("4 lines imported: 0 matched to contributions (by reference, or by the payer's enterprise number and "
            "amount), 4 waiting to be matched.") in text
    assert "CODA 2" in text and "2017-10-11/139" in text
    form = page(admin_client.get("/admin/fund/bank-statements"))
    assert "CAMT.053 file or CODA file" in form and ".cod" in form


def test_control_characters_in_a_coda_file_are_no_500(client, db_session, admin_headers):
    """PostgreSQL refuses NUL in text (issue #19): a CODA file carrying one is read with a blank in its place."""
    data = coda([Movement("10.00", free_text="frais\x00de\x1bdossier", name="Bank\x00fees")])
    response = upload_api(client, admin_headers, data, name="statement.cod")
    assert response.status_code == 201, response.get_data(as_text=True)
    (line,) = response.get_json()["unmatched_lines"]
    assert (line["remittance_text"], line["counterparty_name"]) == ("frais de dossier", "Bank fees")
