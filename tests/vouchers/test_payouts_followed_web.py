"""The API and the pages of payouts followed to the bank (transfers, returns by hand, pain.002 status reports) and
of refunds of overpaid contributions (proposal, four-eyes approval, file, payment by hand)."""

from __future__ import annotations

import io

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import bearer, login, post_form
from tests.vouchers.payout_files import TxStatus, pain002
from tests.vouchers.test_payouts import DEBTOR, parse_valid, start_course
from tests.vouchers.test_refunds import overpaid
from vouchers.banking import pain002 as pain002_reader
from vouchers.banking.payout_models import PayoutTransfer
from vouchers.banking.services import payouts


@pytest.fixture
def batch(db_session, admin, today):
    course = start_course(db_session, admin, today)
    claims = [course.claim(), course.claim(minutes=90)]
    made = payouts.create_payout_batch(db_session, admin, today=today, now=utcnow(), **DEBTOR)
    return made, claims, course


@pytest.fixture
def second_admin(db_session):
    return make_user(db_session, Role.FUND_ADMIN, language="en")


@pytest.fixture
def employer_user(db_session):
    return make_user(db_session, Role.EMPLOYER, language="en")


def upload(client, url: str, data: bytes, headers: dict[str, str] | None = None, **form: str):
    return client.post(url, headers=headers or {}, data={"file": (io.BytesIO(data), "psr.xml"), **form},
                       content_type="multipart/form-data")


# --- API ------------------------------------------------------------------------------------------------------


def test_api_lists_transfers_applies_a_status_report_and_records_a_return(client, db_session, admin_headers, batch):
    made, (first, second), _course = batch
    listed = client.get(f"/api/v1/admin/payout-transfers?batch_id={made.id}&limit=1", headers=admin_headers)
    body = listed.get_json()
    assert listed.status_code == 200 and [t["claim_id"] for t in body["items"]] == [first.id]
    rest = client.get(f"/api/v1/admin/payout-transfers?batch_id={made.id}&cursor={body['next_cursor']}",
                      headers=admin_headers).get_json()
    assert [t["claim_id"] for t in rest["items"]] == [second.id] and rest["next_cursor"] is None

    report = pain002(made.message_id, txs=[TxStatus(f"TNW-CLAIM-{first.id}", "ACSC"),
                                           TxStatus(f"TNW-CLAIM-{second.id}", "RJCT", reason="AC04")])
    applied = upload(client, "/api/v1/admin/payout-status-reports", report, admin_headers)
    result = applied.get_json()
    assert applied.status_code == 201, result
    assert (result["paid_count"], result["rejected_count"], result["duplicate"]) == (1, 1, False)
    assert {t["end_to_end_id"]: t["status"] for t in result["transfers"]} == {
        f"TNW-CLAIM-{first.id}": "paid", f"TNW-CLAIM-{second.id}": "rejected"}
    again = upload(client, "/api/v1/admin/payout-status-reports", report, admin_headers)
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert client.get(f"/api/v1/admin/payout-status-reports/{result['id']}", headers=admin_headers).status_code == 200
    reports = client.get("/api/v1/admin/payout-status-reports", headers=admin_headers).get_json()
    assert [r["id"] for r in reports["items"]] == [result["id"]]
    assert client.get(f"/api/v1/admin/payout-batches/{made.id}", headers=admin_headers).get_json()["status"] == "paid"

    paid = next(t for t in result["transfers"] if t["status"] == "paid")
    url = f"/api/v1/admin/payout-transfers/{paid['id']}/return"
    assert client.post(url, headers=admin_headers, json={"reason": ""}).status_code == 422
    returned = client.post(url, headers=admin_headers, json={"reason": "Letter of the bank", "reason_code": "MD07"})
    assert returned.status_code == 200 and returned.get_json()["status"] == "returned"
    twice = client.post(url, headers=admin_headers, json={"reason": "Again"})
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "transfer_already_failed"
    assert client.get("/api/v1/admin/payout-transfers/2147483647", headers=admin_headers).status_code == 404


@pytest.mark.parametrize(("data", "status", "code"), [
    (b"<Document>", 422, "xml_malformed"),
    (pain002("TNW-PAYOUT-20990101-00000001", group_status="ACCP"), 422, "pain002_unknown_file"),
    (b"<a/>" + b" " * 2000, 413, "file_too_large"),
])
def test_api_refuses_what_is_no_status_report_of_ours(client, admin_headers, monkeypatch, data: bytes, status: int,
                                                      code: str):
    monkeypatch.setattr(pain002_reader, "MAX_FILE_BYTES", 1000)  # the real limit is 5 MB
    answer = upload(client, "/api/v1/admin/payout-status-reports", data, admin_headers)
    assert answer.status_code == status and answer.get_json()["error"]["code"] == code


def test_api_refund_with_four_eyes(client, db_session, admin, admin_headers, second_admin, employer_user, today):
    contribution = overpaid(db_session, admin, employer_user, today)
    too_much = client.post("/api/v1/admin/contribution-refunds", headers=admin_headers,
                           json={"contribution_id": contribution.id, "amount_cents": 20_001, "reason": "x"})
    assert too_much.status_code == 422 and too_much.get_json()["error"]["fields"]["amount_cents"]
    proposed = client.post("/api/v1/admin/contribution-refunds", headers=admin_headers,
                           json={"contribution_id": contribution.id, "reason": "Paid twice"})
    refund = proposed.get_json()
    assert proposed.status_code == 201 and (refund["status"], refund["amount_cents"]) == ("proposed", 20_000)
    url = f"/api/v1/admin/contribution-refunds/{refund['id']}"
    own = client.post(f"{url}/approve", headers=admin_headers)
    assert own.status_code == 403 and own.get_json()["error"]["code"] == "four_eyes"
    approved = client.post(f"{url}/approve", headers=bearer(client, second_admin.email))
    body = approved.get_json()
    assert approved.status_code == 200 and body["status"] == "approved" and body["transfer"]["status"] == "pending"
    download = client.get(body["download_url"], headers=admin_headers)
    assert download.status_code == 200 and download.mimetype == "application/xml"
    parse_valid(download.data)
    assert client.post(f"{url}/refuse", headers=admin_headers, json={"reason": "late"}).status_code == 409
    paid = client.post(f"{url}/mark-paid", headers=admin_headers)
    assert paid.status_code == 200 and paid.get_json()["status"] == "paid"
    assert client.post(f"{url}/mark-paid", headers=admin_headers).status_code == 409
    listed = client.get("/api/v1/admin/contribution-refunds?status=paid", headers=admin_headers).get_json()
    assert [r["id"] for r in listed["items"]] == [refund["id"]]
    db_session.refresh(contribution)
    assert contribution.status == "paid"


def test_the_openapi_document_has_the_new_paths(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path in ("/api/v1/admin/payout-transfers", "/api/v1/admin/payout-transfers/{transfer_id}/return",
                 "/api/v1/admin/payout-status-reports", "/api/v1/admin/contribution-refunds",
                 "/api/v1/admin/contribution-refunds/{refund_id}/approve"):
        assert path in paths, path


# --- pages ----------------------------------------------------------------------------------------------------


def test_pages_follow_a_batch_to_the_bank(client, db_session, admin, batch):
    made, (first, second), _course = batch
    assert login(client, admin.email).status_code == 302
    page = client.get(f"/admin/fund/payouts/{made.id}").get_data(as_text=True)
    assert f"TNW-CLAIM-{first.id}" in page and "Waiting for the bank" in page
    assert "Status reports from the bank" in client.get("/admin/fund/payouts").get_data(as_text=True)

    empty = post_form(client, "/admin/fund/payout-status-reports", {})
    assert empty.status_code == 422 and "Choose the status report from the bank." in empty.get_data(as_text=True)
    token_page = "/admin/fund/payout-status-reports"
    report = pain002(made.message_id, txs=[TxStatus(f"TNW-CLAIM-{first.id}", "ACCP"),
                                           TxStatus(f"TNW-CLAIM-{second.id}", "RJCT", reason="AC04")])
    sent = post_form(client, token_page, {"file": (io.BytesIO(report), "psr.xml")}, token_from=token_page,
                     content_type="multipart/form-data")
    assert sent.status_code == 302
    shown = client.get(sent.headers["Location"]).get_data(as_text=True)
    assert "1 paid, 1 refused, 0 came back, 0 unchanged" in shown and "the account is closed" in shown
    wrong = post_form(client, token_page, {"file": (io.BytesIO(b"<x"), "psr.xml")}, token_from=token_page,
                      content_type="multipart/form-data")
    assert wrong.status_code == 422 and "not well-formed XML" in wrong.get_data(as_text=True)

    transfer = db_session.scalar(select(PayoutTransfer).where(PayoutTransfer.claim_id == first.id))
    url = f"/admin/fund/payout-transfers/{transfer.id}"
    assert "Record the return" in client.get(url).get_data(as_text=True)
    refused = post_form(client, url, {"reason": "", "reason_code": "AC 04", "bank_line_id": "x"})
    text = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "Please give the reason." in text and 'value="AC 04"' in text
    recorded = post_form(client, url, {"reason": "The bank's letter", "reason_code": "AC04"}, follow_redirects=True)
    assert "The return is recorded" in recorded.get_data(as_text=True)
    db_session.refresh(first)
    assert first.status == "approved" and first.payout_batch_id is None


def test_pages_propose_and_approve_a_refund(app, client, db_session, admin, second_admin, employer_user, today):
    contribution = overpaid(db_session, admin, employer_user, today)
    assert login(client, admin.email).status_code == 302
    listing = client.get("/admin/fund/refunds").get_data(as_text=True)
    assert f"/admin/fund/refunds/new?contribution_id={contribution.id}" in listing
    form_url = f"/admin/fund/refunds/new?contribution_id={contribution.id}"
    assert f'value="{contribution.id}"' in client.get(form_url).get_data(as_text=True)
    wrong = post_form(client, "/admin/fund/refunds/new", {"contribution_id": str(contribution.id), "amount": "300",
                                                          "reason": "Paid twice"}, token_from=form_url)
    text = wrong.get_data(as_text=True)
    assert wrong.status_code == 422 and "at most what was paid too much" in text and "Paid twice" in text
    made = post_form(client, "/admin/fund/refunds/new", {"contribution_id": str(contribution.id), "amount": "",
                                                         "reason": "Paid twice"}, token_from=form_url)
    assert made.status_code == 302
    refund_url = made.headers["Location"]
    own = client.get(refund_url).get_data(as_text=True)
    assert "You proposed this refund" in own and "Approve refund" not in own

    other = app.test_client()
    assert login(other, second_admin.email).status_code == 302
    assert "Approve refund" in other.get(refund_url).get_data(as_text=True)
    unticked = post_form(other, f"{refund_url}/approve", {}, token_from=refund_url)
    assert unticked.status_code == 422 and "Tick the box to confirm." in unticked.get_data(as_text=True)
    approved = post_form(other, f"{refund_url}/approve", {"confirm": "y"}, token_from=refund_url,
                         follow_redirects=True)
    page = approved.get_data(as_text=True)
    assert "is approved" in page and "Download the SEPA file" in page and "Mark refund" in page
    parse_valid(other.get(f"{refund_url}/pain.001.xml").data)
    paid = post_form(other, f"{refund_url}/mark-paid", {"confirm": "y"}, token_from=refund_url, follow_redirects=True)
    assert "the overpaid amount went back to the employer" in paid.get_data(as_text=True)
    db_session.refresh(contribution)
    assert contribution.status == "paid"
