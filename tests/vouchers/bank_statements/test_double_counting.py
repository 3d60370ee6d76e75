"""The same money met again in another statement is never booked twice.

A file already imported (same SHA-256) is refused as a duplicate. A line that looks like one already
imported from another statement (same account, day, amount and direction, and the same reference,
end-to-end id or payer), or the same entry split into payments in one file and kept whole in another,
is left unmatched with a "possible duplicate of line N" note for a person to decide."""

from __future__ import annotations

import hashlib
import io
from datetime import date

from sqlalchemy import func, select

from portal.clock import utcnow
from tests.support.web import csrf_token
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking import domain
from vouchers.banking.models import BankLine, BankStatement
from vouchers.banking.services import lines as line_services
from vouchers.banking.services import statements as statement_services
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.ledger.models import LedgerEntry


def upload_api(client, headers, data: bytes, name: str = "statement.xml"):
    return client.post("/api/v1/admin/bank-statements", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def _import(db_session, admin, data: bytes) -> statement_services.ImportResult:
    result = statement_services.import_statement(db_session, admin, data, file_name="statement.xml", now=utcnow())
    db_session.flush()
    return result


def _paid(db_session, contribution: Contribution) -> tuple[str, int, int]:
    """(status, money recorded, contribution_paid ledger entries) of a contribution."""
    db_session.refresh(contribution)
    money = db_session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0))
                              .where(ContributionPayment.contribution_id == contribution.id))
    entries = db_session.scalar(select(func.count()).select_from(LedgerEntry).where(
        LedgerEntry.contribution_id == contribution.id, LedgerEntry.kind == "contribution_paid"))
    return contribution.status, int(money), int(entries)


def test_a_corrected_statement_without_bank_references_books_nothing_twice(client, db_session, admin_headers,
                                                                            declare):
    """The reviewer's case: the same entry (no AcctSvcrRef) in statement S1, then in S1-corrected."""
    contribution = declare()
    entry = Entry("1800.00", txs=[Tx(reference=contribution.structured_reference)])
    first = upload_api(client, admin_headers, camt([entry], statement_id="S1"))
    assert first.status_code == 201, first.get_json()
    (original,) = first.get_json()["matched_lines"]
    assert _paid(db_session, contribution) == ("paid", 180000, 1)

    second = upload_api(client, admin_headers, camt([entry], statement_id="S1-corrected"))
    assert second.status_code == 201, second.get_json()
    body = second.get_json()
    assert body["matched_lines"] == [] and body["matched"] == 0
    (held,) = body["unmatched_lines"]
    assert (held["possible_duplicate_of"], held["hold_reason"]) == (original["id"], "possible_duplicate")
    assert "possible duplicate" in body["message"]
    assert _paid(db_session, contribution) == ("paid", 180000, 1)  # not overpaid, one ledger entry

    detail = client.get(f"/api/v1/admin/bank-lines/{held['id']}", headers=admin_headers).get_json()
    assert (detail["status"], detail["possible_duplicate_of"]) == ("unmatched", original["id"])

    # A person decides: here, the same money indeed, so they dismiss it with a reason.
    dismissed = client.post(f"/api/v1/admin/bank-lines/{held['id']}/dismiss", headers=admin_headers,
                            json={"reason": f"Same money as line {original['id']}"})
    assert dismissed.status_code == 200 and dismissed.get_json()["status"] == "dismissed"
    assert _paid(db_session, contribution) == ("paid", 180000, 1)


def test_the_note_is_visible_on_the_pages(admin_client, db_session, declare):
    contribution = declare()
    entry = Entry("1800.00", txs=[Tx(reference=contribution.structured_reference)])
    for statement_id in ("S1", "S1-corrected"):
        token = csrf_token(admin_client, "/admin/fund/bank-statements")
        response = admin_client.post("/admin/fund/bank-statements", content_type="multipart/form-data", data={
            "csrf_token": token, "file": (io.BytesIO(camt([entry], statement_id=statement_id)), "s.xml")},
            follow_redirects=True)
        assert response.status_code == 200
    original, held = db_session.scalars(select(BankLine).order_by(BankLine.id)).all()
    assert "1 line looks like money already imported" in response.get_data(as_text=True)
    assert (original.status, held.status, held.possible_duplicate_of) == ("matched", "unmatched", original.id)

    detail = admin_client.get(f"/admin/fund/bank-lines/{held.id}").get_data(as_text=True)
    assert f"Possible duplicate of line {original.id}" in detail
    assert f'href="/admin/fund/bank-lines/{original.id}"' in detail
    queue = admin_client.get("/admin/fund/bank-lines?status=unmatched").get_data(as_text=True)
    assert f"Possible duplicate of line {original.id}" in queue
    assert _paid(db_session, contribution) == ("paid", 180000, 1)


def test_a_file_already_imported_is_refused_by_its_hash(client, db_session, admin, admin_headers, declare):
    contribution = declare()
    data = camt([Entry("1800.00", txs=[Tx(reference=contribution.structured_reference)])], statement_id="H1")
    assert upload_api(client, admin_headers, data).status_code == 201
    statement = db_session.scalar(select(BankStatement))
    assert statement.file_sha256 == hashlib.sha256(data).hexdigest()
    # An earlier version read the statement's identity differently: the bytes still give it away.
    statement.statement_ref, statement.sequence = "H1-as-read-before", ""
    db_session.flush()

    again = upload_api(client, admin_headers, data)
    assert again.status_code == 200, again.get_json()
    body = again.get_json()
    assert body["duplicate"] is True and "nothing was added" in body["message"]
    assert [s["id"] for s in body["statements"]] == [statement.id]
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == 1
    assert db_session.scalar(select(func.count()).select_from(BankLine)) == 1
    assert _paid(db_session, contribution) == ("paid", 180000, 1)
    result = statement_services.import_statement(db_session, admin, data, file_name=None, now=utcnow())
    assert result.duplicate and [s.statement.id for s in result.statements] == [statement.id]


def test_a_statement_with_bank_references_after_one_without(db_session, admin, declare):
    """The first statement carried no AcctSvcrRef, the corrected one does: still the same money."""
    contribution = declare()
    tx = Tx(reference=contribution.structured_reference)
    first = _import(db_session, admin, camt([Entry("1800.00", txs=[tx])], statement_id="N1"))
    second = _import(db_session, admin, camt([Entry("1800.00", acct_svcr_ref="BANK-77", txs=[tx])],
                                             statement_id="N1-bis"))
    (held,) = second.statements[0].new_lines
    assert (held.status, held.possible_duplicate_of) == ("unmatched", first.statements[0].new_lines[0].id)
    assert _paid(db_session, contribution) == ("paid", 180000, 1)


def test_a_batch_split_in_one_file_and_whole_in_another(db_session, admin, declare):
    """With the bank's reference: the whole entry is tx 0, its payments tx 1 and 2, so their keys differ."""
    a, b = declare(), declare()
    split = Entry("2300.00", acct_svcr_ref="BATCH-1", txs=[Tx(amount="1800.00", reference=a.structured_reference),
                                                            Tx(amount="500.00", reference=b.structured_reference)])
    first = _import(db_session, admin, camt([split], statement_id="SPLIT"))
    parts = first.statements[0].new_lines
    assert [line.status for line in parts] == ["matched", "matched"]
    whole = _import(db_session, admin, camt([Entry("2300.00", acct_svcr_ref="BATCH-1", txs=[])], statement_id="WHOLE"))
    (line,) = whole.statements[0].new_lines
    assert (line.status, line.tx_index, line.possible_duplicate_of) == ("unmatched", 0, parts[0].id)
    assert line_services.unmatched_money(db_session, from_on=date(2026, 11, 20), to_on=date(2026, 11, 20)) == (1, 230000)
    assert _paid(db_session, a) == ("paid", 180000, 1)
    assert _paid(db_session, b) == ("partially_paid", 50000, 1)


def test_a_batch_whole_in_one_file_then_split_in_another_books_nothing(db_session, admin, declare):
    a, b = declare(), declare()
    whole = _import(db_session, admin, camt([Entry("2300.00", txs=[])], statement_id="WHOLE"))
    (kept_whole,) = whole.statements[0].new_lines
    # A person matched the whole booking to the first contribution by hand.
    line_services.match_line(db_session, admin, kept_whole.id, contribution_id=a.id, reason="phone call", now=utcnow())
    split = _import(db_session, admin, camt([Entry("2300.00", txs=[
        Tx(amount="1800.00", reference=a.structured_reference),
        Tx(amount="500.00", reference=b.structured_reference)])], statement_id="SPLIT"))
    parts = split.statements[0].new_lines
    assert [(line.status, line.possible_duplicate_of) for line in parts] == [
        ("unmatched", kept_whole.id), ("unmatched", kept_whole.id)]
    assert _paid(db_session, a) == ("overpaid", 230000, 1)  # only the person's match
    assert _paid(db_session, b) == ("due", 0, 0)


def test_a_batch_split_without_bank_references_then_whole(db_session, admin, declare):
    a, b = declare(), declare()
    split = _import(db_session, admin, camt([Entry("2300.00", txs=[
        Tx(amount="1800.00", reference=a.structured_reference),
        Tx(amount="500.00", reference=b.structured_reference)])], statement_id="SPLIT"))
    parts = split.statements[0].new_lines
    whole = _import(db_session, admin, camt([Entry("2300.00", txs=[])], statement_id="WHOLE"))
    (line,) = whole.statements[0].new_lines
    assert (line.status, line.possible_duplicate_of) == ("unmatched", parts[0].id)


def test_real_new_payments_are_still_booked(db_session, admin, declare):
    """No false alarm: a payment on another day, with another reference, on another account, or twice in
    one statement is new money."""
    a, b, c = declare(), declare(), declare()
    first = _import(db_session, admin, camt([Entry("900.00", txs=[Tx(reference=a.structured_reference)])],
                                            statement_id="D1"))
    assert first.statements[0].new_lines[0].status == "matched"
    later = _import(db_session, admin, camt([
        Entry("900.00", booked_on="2026-11-21", txs=[Tx(reference=a.structured_reference)]),  # the rest, next day
        Entry("900.00", txs=[Tx(reference=b.structured_reference)]),  # same day and amount, another reference
        Entry("900.00", txs=[Tx(reference=c.structured_reference)]),
        Entry("900.00", txs=[Tx(reference=c.structured_reference)]),  # twice in one statement: two payments
    ], statement_id="D2"))
    assert [(line.status, line.possible_duplicate_of) for line in later.statements[0].new_lines] == [
        ("matched", None)] * 4
    other_account = _import(db_session, admin, camt([Entry("900.00", txs=[Tx(reference=b.structured_reference)])],
                                                    statement_id="D3", account="BE68539007547034"))
    assert other_account.statements[0].new_lines[0].status == "matched"
    assert [_paid(db_session, x)[:2] for x in (a, b, c)] == [("paid", 180000), ("paid", 180000), ("paid", 180000)]


def test_a_pending_entry_later_booked_is_not_held(db_session, admin, declare):
    contribution = declare()
    tx = Tx(reference=contribution.structured_reference)
    _import(db_session, admin, camt([Entry("1800.00", status="PDNG", txs=[tx])], statement_id="P1"))
    booked = _import(db_session, admin, camt([Entry("1800.00", txs=[tx])], statement_id="P2"))
    assert booked.statements[0].new_lines[0].status == "matched"


def test_likely_same_payment():
    day = date(2026, 11, 20)
    base = domain.LineFacts(direction="credit", amount_cents=180000, booked_on=day, structured_reference="090933755493",
                            end_to_end_id=None, counterparty_iban="BE68539007547034", counterparty_name="Employer SA")
    same = domain.likely_same_payment
    assert same(base, base)
    assert same(base, base.__class__(**{**base.__dict__, "counterparty_name": "EMPLOYER  sa"}))
    assert same(base, base.__class__(**{**base.__dict__, "structured_reference": None}))  # the payer agrees
    for change in ({"amount_cents": 180001}, {"booked_on": date(2026, 11, 21)}, {"direction": "debit"},
                   {"structured_reference": "010806817183"}, {"counterparty_iban": "BE71096123456769"},
                   {"counterparty_iban": None, "counterparty_name": "Someone else"}):
        assert not same(base, base.__class__(**{**base.__dict__, **change})), change
    with_e2e = base.__class__(**{**base.__dict__, "end_to_end_id": "E2E-1"})
    assert not same(with_e2e, base.__class__(**{**base.__dict__, "end_to_end_id": "E2E-2"}))
    assert same(with_e2e, base.__class__(**{**base.__dict__, "end_to_end_id": "NOTPROVIDED"}))
    bare = domain.LineFacts(direction="credit", amount_cents=500, booked_on=day, structured_reference=None,
                            end_to_end_id=None, counterparty_iban=None, counterparty_name=None)
    assert same(bare, bare)  # nothing tells them apart: a person looks
    assert not same(bare, base.__class__(**{**bare.__dict__, "counterparty_name": "Employer SA"}))
