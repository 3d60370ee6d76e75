"""The bank-statement pages and API: upload, duplicates, malformed files (422, never 500), the queue,
matching and dismissing with a reason, and who may do it."""

from __future__ import annotations

import html
import io
import re

import pytest
from sqlalchemy import func, select

from portal.audit import AuditEntry
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import bearer, csrf_token, login
from tests.vouchers.bank_statements.conftest import CAMT_XSD, Entry, Tx, camt
from vouchers.banking.models import BankLine, BankStatement
from vouchers.employers.domain import format_structured_reference

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def page(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def upload_api(client, headers, data: bytes, name: str = "statement.xml"):
    return client.post("/api/v1/admin/bank-statements", headers=headers,
                       data={"file": (io.BytesIO(data), name)}, content_type="multipart/form-data")


def upload_page(client, data: bytes, name: str = "statement.xml", **kwargs):
    token = csrf_token(client, "/admin/fund/bank-statements")
    return client.post("/admin/fund/bank-statements", data={"csrf_token": token, "file": (io.BytesIO(data), name)},
                       content_type="multipart/form-data", **kwargs)


@pytest.fixture
def statement(declare):
    """A paid contribution, a partial one, a line without reference, and a debit."""
    paid, partial = declare(), declare()
    data = camt([
        Entry("1800.00", acct_svcr_ref="API-1", txs=[Tx(reference=paid.structured_reference)]),
        Entry("900.00", acct_svcr_ref="API-2", txs=[Tx(ustrd=format_structured_reference(partial.structured_reference))]),
        Entry("900.00", acct_svcr_ref="API-3", txs=[Tx(ustrd="rest of the contribution, sorry for the delay")]),
        Entry("12.34", direction="DBIT", acct_svcr_ref="API-4", txs=[Tx(debtor=None, creditor="Bank fees")]),
    ])
    return {"data": data, "paid": paid, "partial": partial}


# --- the API ---------------------------------------------------------------------------------------


def test_upload_through_the_api_then_again(client, db_session, admin_headers, statement):
    created = upload_api(client, admin_headers, statement["data"])
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["duplicate"] is False
    # API.md's answer: the statement's id, its status and counts of lines.
    assert body["status"] == "imported" and body["id"] == body["statements"][0]["id"]
    assert (body["matched"], body["unmatched"]) == (len(body["matched_lines"]), len(body["unmatched_lines"]))
    assert body["lines_total"] == body["lines_done"] == sum(len(body[f"{k}_lines"]) for k in
                                                            ("matched", "unmatched", "dismissed", "ignored"))
    shown = client.get(f"/api/v1/admin/bank-statements/{body['id']}", headers=admin_headers).get_json()
    assert (shown["status"], shown["lines_total"], shown["matched"]) == ("imported", body["lines_total"],
                                                                          body["matched"])
    assert [(line["amount_cents"], line["contribution_id"]) for line in body["matched_lines"]] == [
        (180000, statement["paid"].id), (90000, statement["partial"].id)]
    assert [line["amount_cents"] for line in body["unmatched_lines"]] == [90000]
    assert [(line["direction"], line["ignore_reason"]) for line in body["ignored_lines"]] == [("debit", "debit")]
    (summary,) = body["statements"]
    assert (summary["credit_cents"], summary["matched_cents"], summary["unmatched_cents"], summary["debit_cents"]) == (
        360000, 270000, 90000, 1234)
    assert body["matched_lines"][0]["structured_reference"] == format_structured_reference(
        statement["paid"].structured_reference)
    db_session.refresh(statement["paid"])
    db_session.refresh(statement["partial"])
    assert (statement["paid"].status, statement["partial"].status) == ("paid", "partially_paid")

    again = upload_api(client, admin_headers, statement["data"])
    assert again.status_code == 200
    repeat = again.get_json()
    assert repeat["duplicate"] is True and "nothing was added" in repeat["message"]
    assert repeat["statements"][0]["id"] == summary["id"]
    assert [line["id"] for line in repeat["matched_lines"]] == [line["id"] for line in body["matched_lines"]]
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == 1
    assert db_session.scalar(select(func.count()).select_from(BankLine)) == 4

    listed = client.get("/api/v1/admin/bank-statements", headers=admin_headers).get_json()
    assert [s["id"] for s in listed["items"]] == [summary["id"]] and listed["next_cursor"] is None
    one = client.get(f"/api/v1/admin/bank-statements/{summary['id']}", headers=admin_headers)
    assert one.status_code == 200 and one.get_json()["line_count"] == 4
    assert client.get("/api/v1/admin/bank-statements/999999", headers=admin_headers).status_code == 404


BAD_FILES = [
    (b"", "file_empty"),
    (b"date;amount\n2026-11-20;1800\n", "statement_format_unknown"),
    (b"<Document", "xml_malformed"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:pain.001.001.03"/>', "not_camt053"),
    (b'<?xml version="1.0"?><!DOCTYPE lol [<!ENTITY lol "lol">]><lol>&lol;</lol>', "xml_doctype"),
    (camt([Entry("1800.00")]).replace(b">1800.00<", b">1.800,00<"), "camt_invalid"),
    (b"\xff\xfe\x00garbage", "xml_malformed"),
]


@pytest.mark.parametrize("data, code", BAD_FILES)
def test_malformed_files_are_a_422_through_the_api(client, db_session, admin_headers, data, code):
    response = upload_api(client, admin_headers, data)
    assert response.status_code == 422, response.get_data(as_text=True)
    error = response.get_json()["error"]
    assert error["code"] == code and error["message"] and "file" in error["fields"]
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == 0


def test_an_upload_without_a_file_is_a_422(client, admin_headers):
    assert client.post("/api/v1/admin/bank-statements", headers=admin_headers, data={},
                       content_type="multipart/form-data").status_code == 422
    assert client.post("/api/v1/admin/bank-statements", headers=admin_headers, json={}).status_code == 422


def test_the_queue_and_a_match_through_the_api(client, db_session, admin, admin_headers, statement):
    upload_api(client, admin_headers, statement["data"])
    queue = client.get("/api/v1/admin/bank-lines?status=unmatched", headers=admin_headers).get_json()
    assert (queue["total_count"], queue["total_cents"]) == (1, 90000)
    (line,) = queue["items"]
    period = client.get("/api/v1/admin/bank-lines?status=unmatched&from_on=2026-11-21&to_on=2026-12-31",
                        headers=admin_headers).get_json()
    assert period["items"] == [] and period["total_count"] == 0
    assert client.get("/api/v1/admin/bank-lines?status=lost", headers=admin_headers).status_code == 422
    assert client.get("/api/v1/admin/bank-lines?cursor=nonsense", headers=admin_headers).status_code == 422

    detail = client.get(f"/api/v1/admin/bank-lines/{line['id']}", headers=admin_headers).get_json()
    assert detail["status"] == "unmatched"
    target = statement["partial"]
    body = {"structured_reference": format_structured_reference(target.structured_reference),
            "reason": "The employer paid the rest without the reference"}
    assert client.post(f"/api/v1/admin/bank-lines/{line['id']}/match", headers=admin_headers,
                       json={"reason": "x"}).status_code == 422
    assert client.post(f"/api/v1/admin/bank-lines/{line['id']}/match", headers=admin_headers,
                       json={"structured_reference": "+++000/0000/09797+++", "reason": "x"}).status_code == 422
    matched = client.post(f"/api/v1/admin/bank-lines/{line['id']}/match", headers=admin_headers, json=body)
    assert matched.status_code == 200, matched.get_json()
    assert (matched.get_json()["status"], matched.get_json()["changed"]) == ("matched", True)
    again = client.post(f"/api/v1/admin/bank-lines/{line['id']}/match", headers=admin_headers,
                        json={"contribution_id": target.id, "reason": "retry"})
    assert again.status_code == 200 and again.get_json()["changed"] is False
    other = client.post(f"/api/v1/admin/bank-lines/{line['id']}/match", headers=admin_headers,
                        json={"contribution_id": statement["paid"].id, "reason": "oops"})
    assert other.status_code == 409 and other.get_json()["error"]["code"] == "line_already_matched"
    assert client.post(f"/api/v1/admin/bank-lines/{line['id']}/dismiss", headers=admin_headers,
                       json={"reason": "no"}).status_code == 409
    db_session.refresh(target)
    assert target.status == "paid"
    assert client.get("/api/v1/admin/bank-lines?status=unmatched", headers=admin_headers).get_json()["total_count"] == 0


def test_a_dismissal_through_the_api(client, db_session, admin, admin_headers, statement):
    upload_api(client, admin_headers, statement["data"])
    line = db_session.scalar(select(BankLine).where(BankLine.status == "unmatched"))
    debit = db_session.scalar(select(BankLine).where(BankLine.direction == "debit"))
    assert client.post(f"/api/v1/admin/bank-lines/{line.id}/dismiss", headers=admin_headers,
                       json={}).status_code == 422
    assert client.post(f"/api/v1/admin/bank-lines/{line.id}/dismiss", headers=admin_headers,
                       json={"reason": "   "}).status_code == 422
    dismissed = client.post(f"/api/v1/admin/bank-lines/{line.id}/dismiss", headers=admin_headers,
                            json={"reason": "Paid twice by mistake, refunded by the bank"})
    assert dismissed.status_code == 200
    assert (dismissed.get_json()["status"], dismissed.get_json()["decision_reason"]) == (
        "dismissed", "Paid twice by mistake, refunded by the bank")
    assert client.post(f"/api/v1/admin/bank-lines/{debit.id}/dismiss", headers=admin_headers,
                       json={"reason": "x"}).status_code == 409
    assert client.post("/api/v1/admin/bank-lines/2147483647/dismiss", headers=admin_headers,
                       json={"reason": "x"}).status_code == 404
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "bank_line",
                                                       AuditEntry.object_id == line.id,
                                                       AuditEntry.action == "dismissed"))
    assert entry.actor_id == admin.id and entry.to_state == "dismissed"


def test_the_xsd_check_is_recorded_when_configured(app, client, admin_headers, monkeypatch):
    monkeypatch.setitem(app.config, "CAMT053_XSD_PATH", str(CAMT_XSD))
    body = upload_api(client, admin_headers, camt([Entry("10.00", acct_svcr_ref="XSD-1")])).get_json()
    assert body["statements"][0]["schema_valid"] is True


@pytest.mark.parametrize("role", [Role.BENEFICIARY, Role.EMPLOYER, Role.PROVIDER_ADMIN, Role.COACH])
def test_others_are_refused_by_the_api(client, db_session, role, statement):
    headers = bearer(client, make_user(db_session, role).email)
    assert upload_api(client, headers, statement["data"]).status_code == 403
    assert client.get("/api/v1/admin/bank-lines", headers=headers).status_code == 403
    assert client.post("/api/v1/admin/bank-lines/1/dismiss", headers=headers, json={"reason": "x"}).status_code == 403
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == 0


def test_anonymous_callers_are_refused(client, statement):
    assert upload_api(client, {}, statement["data"]).status_code == 401
    assert client.get("/admin/fund/bank-statements").status_code == 302


def test_the_api_is_documented(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    upload = spec["paths"]["/api/v1/admin/bank-statements"]["post"]
    assert {"200", "201", "409", "422"} <= set(upload["responses"])
    assert "multipart/form-data" in upload["requestBody"]["content"]
    for path in ("/api/v1/admin/bank-lines", "/api/v1/admin/bank-lines/{line_id}",
                 "/api/v1/admin/bank-lines/{line_id}/match", "/api/v1/admin/bank-lines/{line_id}/dismiss",
                 "/api/v1/admin/bank-statements/{statement_id}"):
        assert path in spec["paths"], path


# --- the pages -------------------------------------------------------------------------------------


def test_upload_through_the_page_then_match_and_dismiss(admin_client, db_session, admin, declare):
    owed = declare()
    data = camt([
        Entry("1800.00", acct_svcr_ref="PG-1", txs=[Tx(ustrd="contribution, reference forgotten")]),
        Entry("18.00", acct_svcr_ref="PG-2", txs=[Tx(ustrd="mystery")]),
    ])
    home = admin_client.get("/admin/fund/")
    assert "/admin/fund/bank-statements" in page(home)

    response = upload_page(admin_client, data, follow_redirects=True)
    assert response.status_code == 200
    text = page(response)
    assert ("2 lines imported: 0 matched to contributions (by reference, or by the payer's enterprise number and "
            "amount), 2 waiting to be matched.") in text
    statement = db_session.scalar(select(BankStatement))
    assert f"/admin/fund/bank-statements/{statement.id}" in response.request.path

    again = upload_page(admin_client, data, follow_redirects=True)
    assert "This statement was already imported" in page(again)
    assert db_session.scalar(select(func.count()).select_from(BankLine)) == 2

    queue = admin_client.get("/admin/fund/bank-lines?status=unmatched")
    assert queue.status_code == 200
    assert "2 lines, " in page(queue)
    to_match, to_dismiss = db_session.scalars(select(BankLine).order_by(BankLine.id)).all()

    detail = admin_client.get(f"/admin/fund/bank-lines/{to_match.id}")
    assert detail.status_code == 200
    assert f'id="contribution-{owed.id}"' in page(detail)  # the same amount: suggested
    token = _TOKEN.search(page(detail)).group(1)

    refused = admin_client.post(f"/admin/fund/bank-lines/{to_match.id}/match",
                                data={"csrf_token": token, "contribution_id": str(owed.id), "reason": ""})
    assert refused.status_code == 422
    assert "Please give the reason." in page(refused)

    wrong = admin_client.post(f"/admin/fund/bank-lines/{to_match.id}/match",
                              data={"csrf_token": token, "structured_reference": "+++123/4567/89012+++",
                                    "reason": "phone"})
    assert wrong.status_code == 422
    assert "This is not a valid structured reference" in page(wrong)
    assert 'value="+++123/4567/89012+++"' in page(wrong)  # what was typed is kept

    done = admin_client.post(f"/admin/fund/bank-lines/{to_match.id}/match",
                             data={"csrf_token": token, "contribution_id": str(owed.id),
                                   "reason": "Employer confirmed by e-mail"}, follow_redirects=True)
    assert done.status_code == 200
    assert "The line is matched" in page(done)
    db_session.refresh(owed)
    assert owed.status == "paid"

    no_reason = admin_client.post(f"/admin/fund/bank-lines/{to_dismiss.id}/dismiss",
                                  data={"csrf_token": token, "reason": ""})
    assert no_reason.status_code == 422
    dismissed = admin_client.post(f"/admin/fund/bank-lines/{to_dismiss.id}/dismiss",
                                  data={"csrf_token": token, "reason": "Bank test transfer"}, follow_redirects=True)
    assert "The line is dismissed" in page(dismissed)
    db_session.refresh(to_dismiss)
    assert (to_dismiss.status, to_dismiss.decision_reason, to_dismiss.decided_by) == (
        "dismissed", "Bank test transfer", admin.id)

    # A matched line cannot be dismissed: the page says why instead of failing.
    refused_again = admin_client.post(f"/admin/fund/bank-lines/{to_match.id}/dismiss",
                                      data={"csrf_token": token, "reason": "x"}, follow_redirects=True)
    assert "already matched" in page(refused_again)

    empty = admin_client.get("/admin/fund/bank-lines?status=unmatched")
    assert "No line matches these filters." in page(empty)
    statement_page = admin_client.get(f"/admin/fund/bank-statements/{statement.id}")
    assert statement_page.status_code == 200
    assert "Employer confirmed by e-mail" not in page(statement_page)  # reasons are on the line's page


@pytest.mark.parametrize("data, message", [
    (b"not xml at all", "This file is neither a CAMT.053 statement (XML) nor a CODA statement"),
    (b"<not xml at all", "This file is not well-formed XML"),
    (b'<Document xmlns="urn:iso:std:iso:20022:tech:xsd:camt.054.001.02"/>', "not a CAMT.053 bank statement"),
])
def test_a_malformed_upload_on_the_page_is_explained(admin_client, db_session, data, message):
    response = upload_page(admin_client, data)
    assert response.status_code == 422
    assert message in page(response)
    assert db_session.scalar(select(func.count()).select_from(BankStatement)) == 0


def test_an_upload_without_a_file_on_the_page(admin_client):
    token = csrf_token(admin_client, "/admin/fund/bank-statements")
    response = admin_client.post("/admin/fund/bank-statements", data={"csrf_token": token})
    assert response.status_code == 422
    assert "Choose the statement file from the bank." in page(response)


def test_the_queue_link_for_a_period(app, admin_client, db_session, statement):
    from datetime import date

    from vouchers.banking.views import queue_url

    assert upload_page(admin_client, statement["data"]).status_code == 302
    with app.test_request_context():
        url = queue_url(date(2026, 11, 1), date(2026, 11, 30))
    assert url == "/admin/fund/bank-lines?status=unmatched&from_on=2026-11-01&to_on=2026-11-30"
    text = page(admin_client.get(url))
    assert "1 line, " in text and "rest of the contribution, sorry for the delay" in text
    outside = admin_client.get("/admin/fund/bank-lines?status=unmatched&from_on=2026-12-01&to_on=2026-12-31")
    assert "0 lines, " in page(outside)
    backwards = admin_client.get("/admin/fund/bank-lines?from_on=2026-12-31&to_on=2026-12-01")
    assert backwards.status_code == 422
    assert admin_client.get("/admin/fund/bank-lines?from_on=yesterday").status_code == 422


@pytest.mark.parametrize("role", [Role.BENEFICIARY, Role.EMPLOYER, Role.PROVIDER_ADMIN, Role.COACH])
def test_others_are_refused_the_pages(client, db_session, role):
    user = make_user(db_session, role)
    login(client, user.email)
    assert client.get("/admin/fund/bank-statements").status_code == 403
    assert client.get("/admin/fund/bank-lines").status_code == 403
