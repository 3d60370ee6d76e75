"""Structured references as payers type them, and one transfer paying several contributions (issue #20).

A reference counts only when its check digits hold and it is a contribution's; the amount is then split to
the cent over the contributions it names, in the order the payer typed them: each gets what it still owes,
and what is left over goes to the last one (overpaid, exactly as a single reference paying too much)."""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.clock import utcnow
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking import domain
from vouchers.banking.models import BankLine
from vouchers.banking.services import statements as statement_services
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services.consistency import check_ledger

REF = "010806817183"  # valid: 0108068171 mod 97 = 83


def _import(db_session, admin, data: bytes) -> statement_services.ImportResult:
    result = statement_services.import_statement(db_session, admin, data, file_name="s.xml", now=utcnow())
    db_session.flush()
    return result


def _money(db_session, contribution: Contribution) -> tuple[str, int, int]:
    """The contribution's status, its bank money and its cash in the ledger."""
    db_session.refresh(contribution)
    paid = db_session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0))
                             .where(ContributionPayment.contribution_id == contribution.id))
    cash = db_session.scalar(select(func.coalesce(func.sum(LedgerEntry.amount_cents), 0))
                             .where(LedgerEntry.account == "cash", LedgerEntry.contribution_id == contribution.id))
    return contribution.status, int(paid), int(cash)


def _typed(reference: str, style: str) -> str:
    a, b, c = reference[:3], reference[3:7], reference[7:]
    return {"spaces": f"{a} {b} {c}", "dots": f"{a}.{b}.{c}", "dashes": f"{a}-{b}-{c}",
            "slashes": f"{a}/{b}/{c}", "plus": f"+++{a}/{b}/{c}+++", "stars": f"***{a}/{b}/{c}***",
            "bare": reference, "spaced dashes": f"{a} - {b} - {c}", "plus dots": f"+++{a}.{b}.{c}+++",
            "inside words": f"VCS{a}/{b}/{c}thanks"}[style]


# --- the pure rule ---------------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["spaces", "dots", "dashes", "slashes", "plus", "stars", "bare", "spaced dashes",
                                   "plus dots", "inside words"])
def test_every_way_of_typing_a_reference_is_recognised(style):
    found = domain.find_structured_reference([], [f"Contribution {_typed(REF, style)} employer 42"])
    assert found.structured == REF
    assert found.references == (REF,)


@pytest.mark.parametrize("text", [
    "010 8068 17180",  # wrong check digits
    "010.8068.17184",
    "IBAN BE68 5390 0754 7034",  # an account number is no reference
    "enterprise 0403.170.701",
    "010 8068 171830",  # a longer number
    "invoice 2024-11-20 1800.00",
])
def test_what_is_no_valid_reference_is_not_recognised(text):
    assert domain.find_structured_reference([], [text]).structured is None


def test_several_references_in_one_text_are_all_found_in_order_once():
    other = "090933755493"
    text = f"+++{other[:3]}/{other[3:7]}/{other[7:]}+++ and {_typed(REF, 'dots')}, again {REF}"
    found = domain.find_structured_reference([], [text])
    assert found.references == (other, REF)


def test_a_valid_structured_field_wins_over_the_free_text():
    found = domain.find_structured_reference([REF], ["also 090 9337 55493"])
    assert found.references == (REF,)


@pytest.mark.parametrize("amount, dues, expected", [
    (3600_00, [(1, 1800_00), (2, 1800_00)], [(1, 1800_00), (2, 1800_00)]),
    (3000_00, [(1, 1800_00), (2, 1800_00)], [(1, 1800_00), (2, 1200_00)]),  # short: the last gets less
    (1000_00, [(1, 1800_00), (2, 1800_00)], [(1, 1000_00)]),  # nothing left for the second
    (4000_01, [(1, 1800_00), (2, 1800_00)], [(1, 1800_00), (2, 2200_01)]),  # the rest: the last is overpaid
    (2700_00, [(1, 900_00), (2, 1800_00)], [(1, 900_00), (2, 1800_00)]),  # what each still owes
    (1800_00, [(1, 0), (2, 1800_00)], [(2, 1800_00)]),  # one already paid gets nothing
    (500, [(1, 0)], [(1, 500)]),  # one reference: all of it, as before
])
def test_the_split_is_to_the_cent(amount, dues, expected):
    split = domain.split_by_dues(amount, dues)
    assert split == expected
    assert sum(cents for _id, cents in split) == amount


# --- importing statements --------------------------------------------------------------------------


@pytest.mark.parametrize("style", ["spaces", "dots", "dashes", "stars", "bare"])
def test_a_typed_reference_books_the_payment(db_session, admin, declare, style):
    contribution = declare()
    result = _import(db_session, admin, camt([
        Entry("1800.00", acct_svcr_ref=f"T-{style}", txs=[Tx(ustrd=f"ONSS {_typed(contribution.structured_reference, style)}")]),
    ]))
    (line,) = result.statements[0].new_lines
    assert (line.status, line.contribution_id) == ("matched", contribution.id)
    assert _money(db_session, contribution) == ("paid", 180000, 180000)


def test_wrong_check_digits_or_a_stranger_reference_book_nothing(db_session, admin, declare):
    contribution = declare()
    reference = contribution.structured_reference
    wrong = reference[:10] + f"{(int(reference[10:]) + 1) % 100:02d}"
    result = _import(db_session, admin, camt([
        Entry("1800.00", acct_svcr_ref="W-1", txs=[Tx(ustrd=_typed(wrong, "spaces"))]),
        Entry("1800.00", acct_svcr_ref="W-2", txs=[Tx(ustrd=f"ref {_typed(REF, 'dots')}")]),  # valid, nobody's
    ]))
    assert [line.status for line in result.statements[0].new_lines] == ["unmatched", "unmatched"]
    assert _money(db_session, contribution) == ("due", 0, 0)


def test_one_transfer_paying_two_contributions_is_split(db_session, admin, declare):
    first, second = declare(), declare()
    text = f"{_typed(first.structured_reference, 'spaces')} + {_typed(second.structured_reference, 'plus')}"
    data = camt([Entry("3600.00", acct_svcr_ref="SPLIT-1", txs=[Tx(ustrd=text)])], statement_id="SPLIT")
    result = _import(db_session, admin, data)
    (line,) = result.statements[0].new_lines
    assert line.status == "matched"
    assert [(a.contribution_id, a.amount_cents) for a in line.allocations] == [(first.id, 180000), (second.id, 180000)]
    assert _money(db_session, first) == ("paid", 180000, 180000)
    assert _money(db_session, second) == ("paid", 180000, 180000)

    # The same statement again, or its line in an overlapping statement, books nothing twice.
    assert _import(db_session, admin, data).duplicate
    overlap = _import(db_session, admin, camt([Entry("3600.00", acct_svcr_ref="SPLIT-1", txs=[Tx(ustrd=text)])],
                                              statement_id="SPLIT-BIS"))
    assert overlap.statements[0].repeated_lines == 1
    assert _money(db_session, first)[1:] == (180000, 180000)
    assert _money(db_session, second)[1:] == (180000, 180000)
    assert check_ledger(db_session) == []


def test_a_short_transfer_pays_in_order_and_a_long_one_overpays_the_last(db_session, admin, declare):
    a, b, c, d = declare(), declare(), declare(), declare()
    _import(db_session, admin, camt([
        Entry("3000.00", acct_svcr_ref="S-1",
              txs=[Tx(ustrd=f"{_typed(a.structured_reference, 'dots')} {_typed(b.structured_reference, 'dots')}")]),
        Entry("3700.00", acct_svcr_ref="S-2",
              txs=[Tx(ustrd=f"{c.structured_reference} / {d.structured_reference}")]),
    ]))
    assert _money(db_session, a) == ("paid", 180000, 180000)
    assert _money(db_session, b) == ("partially_paid", 120000, 120000)
    assert _money(db_session, c) == ("paid", 180000, 180000)
    assert _money(db_session, d) == ("overpaid", 190000, 190000)


def test_the_split_follows_what_each_still_owes(db_session, admin, declare):
    partly, owed = declare(), declare()
    _import(db_session, admin, camt([
        Entry("900.00", acct_svcr_ref="O-1", txs=[Tx(reference=partly.structured_reference)]),
        Entry("2700.00", acct_svcr_ref="O-2",
              txs=[Tx(ustrd=f"{_typed(partly.structured_reference, 'plus')} {_typed(owed.structured_reference, 'plus')}")]),
    ]))
    assert _money(db_session, partly) == ("paid", 180000, 180000)
    assert _money(db_session, owed) == ("paid", 180000, 180000)


def test_a_known_and_an_unknown_reference_pay_only_the_known(db_session, admin, declare):
    contribution = declare()
    result = _import(db_session, admin, camt([
        Entry("1800.00", acct_svcr_ref="K-1",
              txs=[Tx(ustrd=f"{_typed(REF, 'plus')} {_typed(contribution.structured_reference, 'plus')}")]),
    ]))
    (line,) = result.statements[0].new_lines
    assert [(a.contribution_id, a.amount_cents) for a in line.allocations] == [(contribution.id, 180000)]
    assert _money(db_session, contribution) == ("paid", 180000, 180000)
    assert db_session.scalar(select(func.count()).select_from(BankLine).where(BankLine.status == "matched")) == 1


def test_the_api_shows_every_part_of_a_split(client, db_session, admin_headers, declare):
    import io

    first, second = declare(), declare()
    text = f"{first.structured_reference} {second.structured_reference}"
    response = client.post("/api/v1/admin/bank-statements", headers=admin_headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(camt([Entry("3600.00", acct_svcr_ref="API-S",
                                                                 txs=[Tx(ustrd=text)])])), "s.xml")})
    assert response.status_code == 201, response.get_json()
    (line,) = response.get_json()["matched_lines"]
    assert line["allocations"] == [{"contribution_id": first.id, "amount_cents": 180000},
                                   {"contribution_id": second.id, "amount_cents": 180000}]
    assert len(line["structured_references"]) == 2
