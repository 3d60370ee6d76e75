"""Sizes and numbers out of range are a clear refusal, never a 500: huge credits, ids and cursors, and
uploads larger than the limit (read only up to the limit)."""

from __future__ import annotations

import base64
import io
import re

import pytest
from sqlalchemy import func, select

from portal.clock import utcnow
from portal.errors import ValidationFailed
from tests.support.web import csrf_token
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from vouchers.banking import camt as camt_reader
from vouchers.banking import domain
from vouchers.banking.models import BankLine, BankStatement
from vouchers.banking.services import lines as line_services
from vouchers.banking.services import statements as statement_services
from vouchers.employers.models import ContributionPayment

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def upload_api(client, headers, data: bytes, name: str = "statement.xml"):
    return client.post("/api/v1/admin/bank-statements", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


# --- a credit far larger than any contribution -----------------------------------------------------


def test_a_huge_credit_is_left_for_a_person_then_matched_by_hand(client, db_session, admin_headers, declare):
    contribution = declare()
    data = camt([Entry("30000000.00", acct_svcr_ref="HUGE-1", txs=[Tx(reference=contribution.structured_reference)])])
    response = upload_api(client, admin_headers, data)
    assert response.status_code == 201, response.get_data(as_text=True)
    body = response.get_json()
    assert body["matched_lines"] == []
    (line,) = body["unmatched_lines"]
    assert (line["amount_cents"], line["hold_reason"], line["possible_duplicate_of"]) == (
        3_000_000_000, "amount_too_large", None)
    db_session.refresh(contribution)
    assert contribution.status == "due"

    # A person may still decide it is this contribution's money: it fits the payments' column.
    matched = client.post(f"/api/v1/admin/bank-lines/{line['id']}/match", headers=admin_headers,
                          json={"contribution_id": contribution.id, "reason": "Checked with the bank"})
    assert matched.status_code == 200, matched.get_data(as_text=True)
    db_session.refresh(contribution)
    assert contribution.status == "overpaid"
    assert db_session.scalar(select(ContributionPayment.amount_cents).where(
        ContributionPayment.contribution_id == contribution.id)) == 3_000_000_000


def test_the_line_page_says_why_a_huge_credit_waits(admin_client, db_session, admin, declare):
    contribution = declare()
    statement_services.import_statement(db_session, admin, camt([Entry("180000.01", acct_svcr_ref="HUGE-2",
                                                             txs=[Tx(reference=contribution.structured_reference)])]),
                              file_name=None, now=utcnow())
    line = db_session.scalar(select(BankLine))
    assert (line.status, line.hold_reason) == ("unmatched", "amount_too_large")
    text = admin_client.get(f"/admin/fund/bank-lines/{line.id}").get_data(as_text=True)
    assert "more than 100 times the contribution" in text


def test_up_to_a_hundred_times_the_contribution_is_matched(db_session, admin, declare):
    contribution = declare()
    assert contribution.amount_cents == 180000
    result = statement_services.import_statement(db_session, admin, camt([Entry("180000.00", acct_svcr_ref="CAP-1", txs=[
        Tx(reference=contribution.structured_reference)])]), file_name=None, now=utcnow())
    assert result.statements[0].new_lines[0].status == "matched"


def test_the_cap_rule():
    assert domain.may_match_automatically(18_000_000, 180000)
    assert not domain.may_match_automatically(18_000_001, 180000)
    assert not domain.may_match_automatically(1, 0)


# --- ids and cursors -------------------------------------------------------------------------------


def _cursor(text: str) -> str:
    return base64.urlsafe_b64encode(text.encode()).decode().rstrip("=")


@pytest.mark.parametrize("path", ["/api/v1/admin/bank-lines", "/api/v1/admin/bank-statements"])
@pytest.mark.parametrize("raw", ["[1e20]", "[100000000000000000000]", "[2147483648]", "[0]", "[-1]", "[true]",
                                 '["12"]', "[1.5]"])
def test_cursors_out_of_range_are_a_422(client, db_session, admin_headers, path, raw):
    response = client.get(f"{path}?cursor={_cursor(raw)}", headers=admin_headers)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["message"] and "cursor" in error["fields"]


def test_a_cursor_in_range_still_works(client, db_session, admin_headers):
    response = client.get(f"/api/v1/admin/bank-lines?cursor={_cursor('[2147483647]')}", headers=admin_headers)
    assert response.status_code == 200 and response.get_json()["items"] == []


def _held_line(db_session, admin) -> BankLine:
    statement_services.import_statement(db_session, admin, camt([Entry("18.00", acct_svcr_ref="ID-1", txs=[Tx(ustrd="?")])]),
                              file_name=None, now=utcnow())
    return db_session.scalar(select(BankLine))


@pytest.mark.parametrize("value", ["100000000000000000000", "2147483648", "0", "-3"])
def test_a_contribution_number_out_of_range_on_the_page(admin_client, db_session, admin, value):
    line = _held_line(db_session, admin)
    token = _TOKEN.search(admin_client.get(f"/admin/fund/bank-lines/{line.id}").get_data(as_text=True)).group(1)
    response = admin_client.post(f"/admin/fund/bank-lines/{line.id}/match",
                                 data={"csrf_token": token, "contribution_id": value, "reason": "phone"})
    assert response.status_code == 422
    assert "No contribution has this number." in response.get_data(as_text=True)
    db_session.refresh(line)
    assert line.status == "unmatched"


@pytest.mark.parametrize("value", [10**20, 2**31, 0, -3])
def test_a_contribution_number_out_of_range(client, db_session, admin, admin_headers, value):
    line = _held_line(db_session, admin)
    response = client.post(f"/api/v1/admin/bank-lines/{line.id}/match", headers=admin_headers,
                           json={"contribution_id": value, "reason": "phone"})
    assert response.status_code == 422
    assert "contribution_id" in response.get_json()["error"]["fields"]
    with pytest.raises(ValidationFailed) as refused:
        line_services.match_line(db_session, admin, line.id, contribution_id=value, reason="phone", now=utcnow())
    assert "contribution_id" in refused.value.fields


# --- the upload's size -----------------------------------------------------------------------------


class CountingStream(io.BytesIO):
    """A stream that remembers the largest read asked of it (a read of everything counts as unbounded)."""

    def __init__(self, data: bytes):
        super().__init__(data)
        self.asked: list[int | None] = []

    def read(self, size: int | None = -1) -> bytes:  # type: ignore[override]
        self.asked.append(None if size is None or size < 0 else size)
        return super().read(size)


def test_reading_an_upload_stops_after_the_limit(monkeypatch):
    monkeypatch.setattr(camt_reader, "MAX_FILE_BYTES", 100)
    stream = CountingStream(b"x" * 10_000)
    data = statement_services.read_upload(stream)
    assert len(data) == 101 and None not in stream.asked and sum(n or 0 for n in stream.asked) <= 101
    assert statement_services.read_upload(CountingStream(b"y" * 50)) == b"y" * 50


def test_a_file_over_the_limit_is_a_413_through_the_api(client, db_session, admin_headers, monkeypatch):
    data = camt([Entry("18.00", acct_svcr_ref="BIG-1")])
    monkeypatch.setattr(camt_reader, "MAX_FILE_BYTES", len(data) - 1)
    response = upload_api(client, admin_headers, data)
    assert response.status_code == 413, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == "file_too_large" and "larger than" in error["message"] and "file" in error["fields"]
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == 0
    monkeypatch.setattr(camt_reader, "MAX_FILE_BYTES", len(data))
    assert upload_api(client, admin_headers, data).status_code == 201


def test_a_file_over_the_limit_is_explained_on_the_page(admin_client, db_session, monkeypatch):
    data = camt([Entry("18.00", acct_svcr_ref="BIG-2")])
    monkeypatch.setattr(camt_reader, "MAX_FILE_BYTES", len(data) - 1)
    token = csrf_token(admin_client, "/admin/fund/bank-statements")
    response = admin_client.post("/admin/fund/bank-statements", content_type="multipart/form-data",
                                 data={"csrf_token": token, "file": (io.BytesIO(data), "big.xml")})
    assert response.status_code == 413
    assert "The file is larger than" in response.get_data(as_text=True)
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == 0
