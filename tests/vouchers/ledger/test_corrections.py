"""A correction is a new entry: for the difference, on the same account, kind and record, naming the entry it
corrects, in the audit log with its reason; from the service, the entry's page and the API."""

from __future__ import annotations

import re

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.clock import utcnow
from portal.errors import Conflict, Forbidden, NotFound, ValidationFailed
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import bearer, login, post_form
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import corrections
from vouchers.ledger.services import entries as ledger


@pytest.fixture
def funding(db_session, today) -> LedgerEntry:
    entry = ledger.record_funding(db_session, amount_cents=500_000, booked_on=today, memo="budget November")
    db_session.flush()
    return entry


def _correct(db_session, admin, today, entry_id, amount, reason="The decision says 4,500.00."):
    return corrections.correct_entry(db_session, admin, entry_id, amount_cents=amount, reason=reason, today=today,
                                     now=utcnow())


def test_a_correction_books_the_difference_and_leaves_the_entry_as_it_was(db_session, admin, today, funding):
    before = ledger.fund_position(db_session).cash_cents
    first = _correct(db_session, admin, today, funding.id, 450_000)
    assert (first.account, first.kind, first.amount_cents, first.booked_on, first.corrects_entry_id) == (
        "cash", "funding", -50_000, today, funding.id)
    assert first.memo == f"correction of entry {funding.id}: The decision says 4,500.00."
    second = _correct(db_session, admin, today, funding.id, 460_000, reason="And 100.00 more came.")
    assert second.amount_cents == 10_000  # from what the entry stands at, its first correction included
    history = corrections.entry_history(db_session, admin, funding.id)
    assert (history.entry.amount_cents, history.standing_cents, [c.id for c in history.corrections]) == (
        500_000, 460_000, [first.id, second.id])
    assert ledger.fund_position(db_session).cash_cents == before - 40_000
    audit = db_session.scalars(select(AuditEntry).where(AuditEntry.object_type == "ledger_entry",
                                                        AuditEntry.object_id == funding.id)
                               .order_by(AuditEntry.id)).all()
    assert [(a.action, a.actor_id, a.from_state, a.to_state) for a in audit] == [
        ("corrected", admin.id, "500000", "450000"), ("corrected", admin.id, "450000", "460000")]
    assert audit[1].reason == f"entry {second.id} books 10000 cents: And 100.00 more came."
    # A correction's own history points at the entry it corrects.
    assert corrections.entry_history(db_session, admin, first.id).original.id == funding.id


def test_refusals_name_every_problem_at_once(db_session, admin, today, funding):
    with pytest.raises(ValidationFailed) as refused:
        _correct(db_session, admin, today, funding.id, 500_000, reason="  ")
    assert set(refused.value.fields) == {"amount_cents", "reason"}
    with pytest.raises(ValidationFailed) as refused:
        _correct(db_session, admin, today, funding.id, None, reason="x" * 2001)
    assert set(refused.value.fields) == {"amount_cents", "reason"}
    with pytest.raises(ValidationFailed) as refused:
        _correct(db_session, admin, today, funding.id, 10**13 + 1)
    assert refused.value.fields == {"amount_cents": ["Give an amount of at most 100,000,000,000 euros."]}
    correction = _correct(db_session, admin, today, funding.id, 0, reason="Booked twice.")
    with pytest.raises(Conflict):
        _correct(db_session, admin, today, correction.id, 1)
    with pytest.raises(NotFound):
        _correct(db_session, admin, today, 2**31 - 1, 1)
    with pytest.raises(Forbidden):
        _correct(db_session, make_user(db_session, Role.PROVIDER_ADMIN), today, funding.id, 1)
    with pytest.raises(Forbidden):
        corrections.entry_history(db_session, make_user(db_session, Role.EMPLOYER), funding.id)
    assert db_session.scalars(select(LedgerEntry.amount_cents).where(
        LedgerEntry.corrects_entry_id == funding.id)).all() == [-500_000]


# --- the entry's page -----------------------------------------------------------------------------


def test_the_page_corrects_an_entry_and_shows_every_problem_keeping_what_was_typed(client, db_session, admin, funding):
    assert login(client, admin.email).status_code == 302
    path = f"/admin/fund/ledger/entries/{funding.id}"
    page = client.get(path)
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'id="entry-standing"' in html and "Correct this entry" in html and "No correction" in html
    refused = post_form(client, f"{path}/correct", {"amount_cents": "12,3,4", "reason": ""}, token_from=path)
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert "Give an amount in euros, for example -150 or 1800.50." in html and "Please give the reason." in html
    assert 'value="12,3,4"' in html
    same = post_form(client, f"{path}/correct", {"amount_cents": "5.000,00", "reason": "check"}, token_from=path)
    assert same.status_code == 422
    assert "The entry already stands at this amount" in same.get_data(as_text=True)
    done = post_form(client, f"{path}/correct", {"amount_cents": "4 500", "reason": "The decision says 4,500.00."},
                     token_from=path)
    assert done.status_code == 302 and done.headers["Location"].endswith(path)
    shown = client.get(path).get_data(as_text=True)
    correction = db_session.scalar(select(LedgerEntry).where(LedgerEntry.corrects_entry_id == funding.id))
    assert correction.amount_cents == -50_000
    assert f"is corrected: entry {correction.id} books the difference" in shown
    assert re.search(r'id="corrections".*Entry ' + str(correction.id), shown, re.DOTALL)
    own = client.get(f"/admin/fund/ledger/entries/{correction.id}").get_data(as_text=True)
    assert 'id="is-correction"' in own and "Correct this entry" not in own


def test_the_page_is_for_the_fund_only(client, db_session, funding):
    path = f"/admin/fund/ledger/entries/{funding.id}"
    assert client.get(path).status_code == 302  # to the sign-in page
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    assert login(client, employer.email).status_code == 302
    assert client.get(path).status_code == 403
    assert post_form(client, f"{path}/correct", {"amount_cents": "1", "reason": "x"}, token_from="/").status_code == 403


def test_a_missing_entry_is_404(client, admin):
    assert login(client, admin.email).status_code == 302
    assert client.get("/admin/fund/ledger/entries/999999").status_code == 404


# --- the API ---------------------------------------------------------------------------------------


def test_the_api_reads_and_corrects_an_entry(client, db_session, admin, funding):
    headers = bearer(client, admin.email)
    path = f"/api/v1/admin/ledger/entries/{funding.id}"
    created = client.post(f"{path}/corrections", json={"amount_cents": 480_000, "reason": "Typo."}, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert (body["amount_cents"], body["corrects_entry_id"], body["account"], body["kind"]) == (
        -20_000, funding.id, "cash", "funding")
    read = client.get(path, headers=headers).get_json()
    assert (read["amount_cents"], read["standing_cents"], [c["id"] for c in read["corrections"]]) == (
        500_000, 480_000, [body["id"]])
    again = client.post(f"{path}/corrections", json={"amount_cents": 480_000, "reason": "Typo."}, headers=headers)
    assert again.status_code == 422 and list(again.get_json()["error"]["fields"]) == ["amount_cents"]
    nested = client.post(f"/api/v1/admin/ledger/entries/{body['id']}/corrections",
                         json={"amount_cents": 1, "reason": "x"}, headers=headers)
    assert nested.status_code == 409 and nested.get_json()["error"]["code"] == "correct_the_original"
    assert client.post(f"{path}/corrections", json={"amount_cents": 1}, headers=headers).status_code == 422
    assert client.post(f"{path}/corrections", json={"amount_cents": "1", "reason": "x"},
                       headers=headers).status_code == 422
    missing = client.post("/api/v1/admin/ledger/entries/999999/corrections", json={"amount_cents": 1, "reason": "x"},
                          headers=headers)
    assert missing.status_code == 404
    provider = bearer(client, make_user(db_session, Role.PROVIDER_ADMIN).email)
    assert client.get(path, headers=provider).status_code == 403
    assert client.post(f"{path}/corrections", json={"amount_cents": 1, "reason": "x"},
                       headers=provider).status_code == 403
