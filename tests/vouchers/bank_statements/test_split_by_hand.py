"""A person splits one bank line over several contributions, to the cent, with a reason (issue #20):
``POST /admin/bank-lines/{id}/match`` with ``{allocations: [{contribution_id, amount_cents}]}``, and the form
with rows of contribution + amount on the line's page. The old body (`contribution_id` or
`structured_reference`) still books the whole line to one contribution."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking.models import BankLine
from vouchers.employers.models import ContributionPayment

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def _upload(client, headers, data: bytes):
    response = client.post("/api/v1/admin/bank-statements", headers=headers, content_type="multipart/form-data",
                           data={"file": (io.BytesIO(data), "s.xml")})
    assert response.status_code == 201, response.get_json()
    return response.get_json()


@pytest.fixture
def waiting(client, db_session, admin_headers, declare):
    """Two contributions and a 3,000.00 credit without any reference."""
    first, second = declare(), declare()
    body = _upload(client, admin_headers, camt([Entry("3000.00", acct_svcr_ref="HAND-1",
                                                      txs=[Tx(ustrd="two dismissals, see letter")])]))
    (line,) = body["unmatched_lines"]
    return {"line": line, "first": first, "second": second}


def _match(client, headers, line_id: int, **body):
    return client.post(f"/api/v1/admin/bank-lines/{line_id}/match", headers=headers, json=body)


def test_a_person_splits_a_line_through_the_api(client, db_session, admin, admin_headers, waiting):
    line, first, second = waiting["line"], waiting["first"], waiting["second"]
    allocations = [{"contribution_id": first.id, "amount_cents": 180000},
                   {"contribution_id": second.id, "amount_cents": 120000}]
    response = _match(client, admin_headers, line["id"], allocations=allocations, reason="Letter of 20 November")
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert (body["status"], body["changed"], body["match_method"]) == ("matched", True, "manual")
    assert body["allocations"] == allocations
    db_session.refresh(first)
    db_session.refresh(second)
    assert (first.status, second.status) == ("paid", "partially_paid")
    payments = db_session.execute(select(ContributionPayment.contribution_id, ContributionPayment.amount_cents)
                                  .order_by(ContributionPayment.id)).all()
    assert [tuple(p) for p in payments] == [(first.id, 180000), (second.id, 120000)]
    audit = db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "bank_line",
                                                       AuditEntry.object_id == line["id"]))
    assert audit.actor_id == admin.id and "Letter of 20 November" in audit.reason

    # The same split again changes nothing; another one is a conflict.
    again = _match(client, admin_headers, line["id"], allocations=list(reversed(allocations)), reason="again")
    assert again.status_code == 200 and again.get_json()["changed"] is False
    other = _match(client, admin_headers, line["id"], reason="other", allocations=[
        {"contribution_id": first.id, "amount_cents": 150000}, {"contribution_id": second.id, "amount_cents": 150000}])
    assert other.status_code == 409

    listed = client.get(f"/api/v1/admin/bank-lines?statement_id={line['statement_id']}", headers=admin_headers)
    assert listed.status_code == 200
    assert listed.get_json()["items"][0]["allocations"] == allocations


@pytest.mark.parametrize("rows, field", [
    ([(0, 180000), (1, 100000)], "allocations"),  # 2,800.00 of 3,000.00
    ([(0, 180000), (1, 130000)], "allocations"),  # 3,100.00
    ([(0, 150000), (0, 150000)], "allocations.1.contribution_id"),  # the same contribution twice
    ([(0, 180000), (None, 120000)], "allocations.1.contribution_id"),  # no such contribution
    ([(0, 300000), (1, 0)], "allocations"),  # 0 is no part (refused by the schema)
    ([], "allocations"),
])
def test_a_split_that_does_not_add_up_is_refused(client, db_session, admin_headers, waiting, rows, field):
    ids = [waiting["first"].id, waiting["second"].id]
    allocations = [{"contribution_id": ids[index] if index is not None else 2**31 - 1, "amount_cents": cents}
                   for index, cents in rows]
    response = _match(client, admin_headers, waiting["line"]["id"], allocations=allocations, reason="x")
    assert response.status_code == 422, response.get_json()
    fields = response.get_json()["error"]["fields"]
    assert field in fields, fields
    assert db_session.scalar(select(ContributionPayment.id)) is None
    assert db_session.get(BankLine, waiting["line"]["id"]).status == "unmatched"


def test_one_body_shape_at_a_time(client, admin_headers, waiting):
    response = _match(client, admin_headers, waiting["line"]["id"], contribution_id=waiting["first"].id,
                      allocations=[{"contribution_id": waiting["first"].id, "amount_cents": 300000}], reason="x")
    assert response.status_code == 422


def test_the_old_body_still_books_the_whole_line(client, db_session, admin_headers, waiting):
    response = _match(client, admin_headers, waiting["line"]["id"], contribution_id=waiting["first"].id,
                      reason="One contribution, overpaid")
    assert response.status_code == 200
    assert response.get_json()["allocations"] == [{"contribution_id": waiting["first"].id, "amount_cents": 300000}]
    db_session.refresh(waiting["first"])
    assert waiting["first"].status == "overpaid"


def test_the_split_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    operation = spec["paths"]["/api/v1/admin/bank-lines/{line_id}/match"]["post"]
    schema = operation["requestBody"]["content"]["application/json"]["schema"]
    name = schema["$ref"].rsplit("/", 1)[-1]
    properties = spec["components"]["schemas"][name]["properties"]
    assert {"allocations", "contribution_id", "structured_reference", "reason"} <= set(properties)
    row = properties["allocations"]["items"]["$ref"].rsplit("/", 1)[-1]
    assert set(spec["components"]["schemas"][row]["properties"]) == {"contribution_id", "amount_cents"}


def test_a_person_splits_a_line_on_its_page(admin_client, db_session, admin, declare):
    first, second = declare(), declare()
    from portal.clock import utcnow
    from vouchers.banking.services import statements as statement_services

    result = statement_services.import_statement(db_session, admin, camt([
        Entry("3000.00", acct_svcr_ref="PAGE-S", txs=[Tx(ustrd="two at once")])]), file_name="s.xml", now=utcnow())
    line = result.statements[0].new_lines[0]
    detail = admin_client.get(f"/admin/fund/bank-lines/{line.id}")
    text = html.unescape(detail.get_data(as_text=True))
    assert 'name="allocations-0-contribution_id"' in text and 'name="allocations-0-amount"' in text
    token = _TOKEN.search(text).group(1)
    form = {"csrf_token": token, "split": "1", "reason": "Letter", "allocations-0-contribution_id": str(first.id),
            "allocations-0-amount": "1800,00", "allocations-1-contribution_id": str(second.id),
            "allocations-1-amount": "1000.00"}
    short = admin_client.post(f"/admin/fund/bank-lines/{line.id}/match", data=form)
    assert short.status_code == 422
    assert "add up to the line's amount" in html.unescape(short.get_data(as_text=True))
    assert short.get_data(as_text=True).count('value="1000.00"') == 1  # what was typed is kept, once

    wrong_row = admin_client.post(f"/admin/fund/bank-lines/{line.id}/match", data={
        **form, "allocations-1-amount": "12,34,5"})
    assert wrong_row.status_code == 422
    assert "Give an amount in euros" in html.unescape(wrong_row.get_data(as_text=True))

    # Rows left empty in between are skipped.
    done = admin_client.post(f"/admin/fund/bank-lines/{line.id}/match", follow_redirects=True, data={
        "csrf_token": token, "split": "1", "reason": "Letter", "allocations-0-contribution_id": str(first.id),
        "allocations-0-amount": "1800,00", "allocations-3-contribution_id": str(second.id),
        "allocations-3-amount": "1 200.00"})
    assert done.status_code == 200
    page = html.unescape(done.get_data(as_text=True))
    assert "The line is split" in page
    db_session.refresh(first)
    db_session.refresh(second)
    assert (first.status, second.status) == ("paid", "partially_paid")
    assert f"Contribution {second.id}" in page


def test_the_body_of_api_md_alone_is_enough(client, admin_headers, waiting):
    """`{allocations}` and nothing else, as API.md gives it: the audit log notes that no reason was given."""
    line, first, second = waiting["line"], waiting["first"], waiting["second"]
    response = _match(client, admin_headers, line["id"], allocations=[
        {"contribution_id": first.id, "amount_cents": 180000}, {"contribution_id": second.id, "amount_cents": 120000}])
    assert response.status_code == 200, response.get_json()
    assert response.get_json()["status"] == "matched"
