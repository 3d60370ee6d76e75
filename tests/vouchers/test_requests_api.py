"""The beneficiary's journey and the fund's decisions through the API."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.notices import told_exactly
from tests.support.web import bearer
from vouchers.ledger.models import LedgerEntry
from vouchers.requests.models import Voucher, VoucherRequest


def submit(client, headers, body):
    return client.post("/api/v1/voucher-requests", json=body, headers=headers)


def test_public_eligibility_check_needs_no_account(client, today):
    response = client.post("/api/v1/eligibility", json={
        "force_majeure": True, "contract_end_on": (today - timedelta(days=10)).isoformat()})
    assert response.status_code == 200
    body = response.get_json()
    assert body["eligible"] is True and body["route"] == "A" and body["reasons"] == []
    assert body["apply_by_on"] >= today.isoformat()


def test_eligibility_lists_every_reason(client, today):
    response = client.post("/api/v1/eligibility", json={
        "force_majeure": False, "incapacity_start_on": (today - timedelta(days=100)).isoformat(),
        "benefits_scheme": "self_employed", "in_approved_retraining": True})
    body = response.get_json()
    assert body["eligible"] is False and body["route"] is None
    codes = {r["code"] for r in body["reasons"]}
    assert {"self_employed", "in_approved_retraining"} <= codes
    assert all(r["message"] for r in body["reasons"])


def test_eligibility_rejects_bad_dates_with_422(client):
    response = client.post("/api/v1/eligibility", json={"force_majeure": True, "contract_end_on": "31/12/2025"})
    assert response.status_code == 422
    assert "contract_end_on" in response.get_json()["error"]["fields"]


def test_submit_returns_the_clock(client, beneficiary_headers, request_body, today):
    response = submit(client, beneficiary_headers, request_body())
    assert response.status_code == 201, response.get_json()
    body = response.get_json()
    assert body["status"] == "submitted" and body["route"] == "A"
    assert body["submitted_on"] == today.isoformat()
    assert body["decision_due_on"] == (today + timedelta(days=45)).isoformat()
    detail = client.get(f"/api/v1/voucher-requests/{body['id']}", headers=beneficiary_headers).get_json()
    assert detail["days_left"] == 45 and detail["clock_state"] == "on_time"
    assert [t["to_status"] for t in detail["timeline"]] == ["submitted"]


def test_ineligible_request_is_422_with_reasons_and_nothing_stored(client, db_session, beneficiary_headers,
                                                                  request_body, today):
    body = request_body(contract_end_on=(today - timedelta(days=400)).isoformat())
    response = submit(client, beneficiary_headers, body)
    assert response.status_code == 422
    error = response.get_json()["error"]
    assert error["code"] == "not_eligible"
    assert [r["code"] for r in error["reasons"]] == ["route_a_window_closed"]
    assert db_session.scalar(select(VoucherRequest.id).where(VoucherRequest.status == "submitted")) is None


def test_unknown_or_delisted_provider_is_refused(client, db_session, beneficiary_headers, request_body, provider):
    from portal.clock import utcnow

    provider.delisted_at = utcnow()
    db_session.flush()
    response = submit(client, beneficiary_headers, request_body())
    assert response.status_code == 422
    assert "provider_id" in response.get_json()["error"]["fields"]
    assert submit(client, beneficiary_headers, request_body(provider_id=999999)).status_code == 422


def test_second_open_request_is_a_conflict(client, beneficiary_headers, request_body):
    assert submit(client, beneficiary_headers, request_body()).status_code == 201
    response = submit(client, beneficiary_headers, request_body())
    assert response.status_code == 409


def test_only_beneficiaries_submit_and_anonymous_is_401(client, admin_headers, request_body):
    assert submit(client, admin_headers, request_body()).status_code == 403
    assert submit(client, {}, request_body()).status_code == 401


def test_someone_elses_request_is_404(client, db_session, beneficiary_headers, request_body):
    created = submit(client, beneficiary_headers, request_body()).get_json()
    stranger = make_user(db_session, Role.BENEFICIARY)
    headers = bearer(client, stranger.email)
    assert client.get(f"/api/v1/voucher-requests/{created['id']}", headers=headers).status_code == 404
    assert client.post(f"/api/v1/voucher-requests/{created['id']}/withdraw", headers=headers,
                       json={}).status_code == 404
    assert client.get("/api/v1/voucher-requests/987654", headers=beneficiary_headers).status_code == 404


def test_approval_issues_a_voucher_and_commits_its_value(client, db_session, beneficiary_headers, admin_headers,
                                                        request_body, today):
    created = submit(client, beneficiary_headers, request_body()).get_json()
    response = client.post(f"/api/v1/admin/voucher-requests/{created['id']}/decision", headers=admin_headers,
                           json={"decision": "approve"})
    assert response.status_code == 200, response.get_json()
    body = response.get_json()
    assert body["status"] == "approved"
    voucher = body["voucher"]
    assert voucher["status"] == "approved" and voucher["value_cents"] == 180000
    assert voucher["balance_cents"] == 180000 and voucher["spent_cents"] == 0
    assert voucher["valid_from_on"] == today.isoformat()
    assert voucher["code"].startswith("TNW-") and len(voucher["code"]) == 13
    mine = client.get(f"/api/v1/vouchers/{voucher['id']}", headers=beneficiary_headers)
    assert mine.status_code == 200 and mine.get_json()["code"] == voucher["code"]
    committed = db_session.scalars(select(LedgerEntry.amount_cents).where(LedgerEntry.account == "committed")).all()
    assert committed == [180000]


def test_validity_starts_at_the_planned_start_when_it_is_later(client, beneficiary_headers, admin_headers,
                                                               request_body, today):
    start = today + timedelta(days=20)
    created = submit(client, beneficiary_headers, request_body(planned_start_on=start.isoformat())).get_json()
    body = client.post(f"/api/v1/admin/voucher-requests/{created['id']}/decision", headers=admin_headers,
                       json={"decision": "approve"}).get_json()
    assert body["voucher"]["valid_from_on"] == start.isoformat()


def test_rejection_needs_a_reason_and_states_the_appeal(client, beneficiary_headers, admin_headers, request_body):
    created = submit(client, beneficiary_headers, request_body()).get_json()
    url = f"/api/v1/admin/voucher-requests/{created['id']}/decision"
    assert client.post(url, headers=admin_headers, json={"decision": "reject"}).status_code == 422
    response = client.post(url, headers=admin_headers, json={"decision": "reject", "reason": "Not a force majeure end"})
    assert response.status_code == 200
    body = response.get_json()
    assert body["status"] == "rejected" and body["voucher"] is None and body["appeal_by_on"]
    assert "labour court" in body["timeline"][-1]["reason"]


def test_request_info_pauses_the_clock_and_completion_restarts_it(client, db_session, beneficiary_headers,
                                                                  admin_headers, request_body, today):
    created = submit(client, beneficiary_headers, request_body()).get_json()
    url = f"/api/v1/admin/voucher-requests/{created['id']}/decision"
    response = client.post(url, headers=admin_headers, json={"decision": "request_info", "reason": "Send the C4"})
    assert response.status_code == 200 and response.get_json()["clock_state"] == "paused"
    # Ten days later the beneficiary completes it: the due date moves by ten days.
    request = db_session.get(VoucherRequest, created["id"])
    request.info_requested_on = today - timedelta(days=10)
    request.submitted_on = today - timedelta(days=12)
    db_session.flush()
    from portal.clock import utcnow
    from vouchers.requests.services.answers import complete_voucher_request
    from vouchers.requests.services.requests import RequestData

    data = RequestData(**{k: v for k, v in request_body().items() if k not in ("address", "contract_end_on")},
                       contract_end_on=today - timedelta(days=30), address=request_body()["address"])
    beneficiary = db_session.get(type(request.beneficiary.user), request.beneficiary.user_id)
    complete_voucher_request(db_session, beneficiary, request.id, data, today=today, now=utcnow(),
                             answer="The contract ended on the 30th.")
    assert request.status == "submitted" and request.paused_days == 10
    assert request.decision_due_on == today - timedelta(days=12) + timedelta(days=55)


def test_a_decided_request_cannot_be_decided_again(client, beneficiary_headers, admin_headers, request_body):
    created = submit(client, beneficiary_headers, request_body()).get_json()
    url = f"/api/v1/admin/voucher-requests/{created['id']}/decision"
    assert client.post(url, headers=admin_headers, json={"decision": "approve"}).status_code == 200
    again = client.post(url, headers=admin_headers, json={"decision": "reject", "reason": "changed my mind"})
    assert again.status_code == 409
    assert again.get_json()["error"]["code"] == "illegal_transition"


def test_withdrawn_request_cannot_be_withdrawn_again_and_is_audited(client, db_session, beneficiary_headers,
                                                                   request_body):
    created = submit(client, beneficiary_headers, request_body()).get_json()
    url = f"/api/v1/voucher-requests/{created['id']}/withdraw"
    assert client.post(url, headers=beneficiary_headers, json={}).get_json()["status"] == "withdrawn"
    assert client.post(url, headers=beneficiary_headers, json={}).status_code == 409
    rows = db_session.scalars(select(AuditEntry).where(AuditEntry.object_type == "voucher_request",
                                                       AuditEntry.object_id == created["id"])).all()
    assert [(r.from_state, r.to_state) for r in rows] == [("draft", "submitted"), ("submitted", "withdrawn")]


def test_route_b_is_waitlisted_without_money_and_served_oldest_first(app, client, db_session, admin, admin_headers,
                                                                     request_body, provider, today, fund_money):
    from portal.clock import utcnow
    from vouchers.requests.services.requests import serve_waiting_list

    ids, people = [], []
    for language in ("fr", "nl", "de"):
        person = make_user(db_session, Role.BENEFICIARY, language=language)
        people.append(person)
        body = request_body(force_majeure=False, contract_end_on=None, benefits_scheme="employee",
                            incapacity_start_on=(today - timedelta(days=800)).isoformat())
        created = submit(client, bearer(client, person.email), body).get_json()
        ids.append(created["id"])
        decided = client.post(f"/api/v1/admin/voucher-requests/{created['id']}/decision", headers=admin_headers,
                              json={"decision": "approve"}).get_json()
        assert decided["status"] == "waitlisted" and decided["voucher"] is None
    for told in told_exactly(app, db_session, "request_waitlisted", people):
        assert told.link.startswith("/requests/")
    first = db_session.get(VoucherRequest, ids[0])
    assert client.get("/api/v1/admin/voucher-requests?status=waitlisted", headers=admin_headers).status_code == 200
    fund_money(2 * 180000 + 5000)
    issued = serve_waiting_list(db_session, admin, today=today, now=utcnow())
    assert [v.request_id for v in issued] == ids[:2]
    assert first.status == "approved"
    assert db_session.get(VoucherRequest, ids[2]).status == "waitlisted"


def test_route_a_is_never_waitlisted(client, beneficiary_headers, admin_headers, request_body):
    created = submit(client, beneficiary_headers, request_body()).get_json()
    body = client.post(f"/api/v1/admin/voucher-requests/{created['id']}/decision", headers=admin_headers,
                       json={"decision": "approve"}).get_json()
    assert body["status"] == "approved"


def test_route_b_with_money_is_approved(client, db_session, beneficiary_headers, admin_headers, request_body, today,
                                        fund_money):
    fund_money(180000)
    body = request_body(force_majeure=False, contract_end_on=None, benefits_scheme="job_seeker",
                        incapacity_start_on=(today - timedelta(days=800)).isoformat())
    created = submit(client, beneficiary_headers, body).get_json()
    assert created["route"] == "B"
    decided = client.post(f"/api/v1/admin/voucher-requests/{created['id']}/decision", headers=admin_headers,
                          json={"decision": "approve"}).get_json()
    assert decided["status"] == "approved"


def test_one_open_voucher_per_person_is_enforced_by_the_database(db_session, beneficiary, request_body, today):
    """Even bypassing the services, a second open voucher for the same person cannot be written."""
    from sqlalchemy.exc import IntegrityError

    from vouchers.requests.models import Beneficiary

    profile = db_session.scalar(select(Beneficiary).where(Beneficiary.user_id == beneficiary.id))
    requests = []
    for status in ("approved", "rejected"):
        r = VoucherRequest(beneficiary_id=profile.id, status=status, initiative="own")
        db_session.add(r)
        db_session.flush()
        requests.append(r)
    common = dict(beneficiary_id=profile.id, provider_id=request_body()["provider_id"], value_cents=180000,
                  valid_from_on=today, valid_until_on=today + timedelta(days=180), issued_on=today)
    db_session.add(Voucher(code="TNW-AAAA-AAAA", request_id=requests[0].id, **common))
    db_session.flush()
    with pytest.raises(IntegrityError):
        with db_session.begin_nested():
            db_session.add(Voucher(code="TNW-BBBB-BBBB", request_id=requests[1].id, **common))
            db_session.flush()


def test_admin_queue_filters_sorts_and_pages(client, db_session, admin_headers, request_body, today):
    due = []
    for offset in (5, 1, 3):
        person = make_user(db_session, Role.BENEFICIARY)
        created = submit(client, bearer(client, person.email), request_body()).get_json()
        request = db_session.get(VoucherRequest, created["id"])
        request.decision_due_on = today + timedelta(days=offset)
        due.append(request.decision_due_on.isoformat())
    db_session.flush()
    page1 = client.get("/api/v1/admin/voucher-requests?limit=2&status=submitted", headers=admin_headers).get_json()
    assert [i["decision_due_on"] for i in page1["items"]] == sorted(due)[:2]
    page2 = client.get(f"/api/v1/admin/voucher-requests?limit=2&status=submitted&cursor={page1['next_cursor']}",
                       headers=admin_headers).get_json()
    assert [i["decision_due_on"] for i in page2["items"]] == sorted(due)[2:]
    assert page2["next_cursor"] is None
    before = client.get(f"/api/v1/admin/voucher-requests?due_before={(today + timedelta(days=2)).isoformat()}",
                        headers=admin_headers).get_json()
    assert [i["decision_due_on"] for i in before["items"]] == [sorted(due)[0]]
    assert client.get("/api/v1/admin/voucher-requests?cursor=garbage", headers=admin_headers).status_code == 422
    assert client.get("/api/v1/admin/voucher-requests?limit=500", headers=admin_headers).status_code == 422


def test_overdue_filter(client, db_session, admin_headers, beneficiary_headers, request_body, today):
    created = submit(client, beneficiary_headers, request_body()).get_json()
    request = db_session.get(VoucherRequest, created["id"])
    request.submitted_on = today - timedelta(days=50)
    request.decision_due_on = today - timedelta(days=5)
    db_session.flush()
    body = client.get("/api/v1/admin/voucher-requests?overdue=true", headers=admin_headers).get_json()
    assert [i["id"] for i in body["items"]] == [created["id"]]
    assert body["items"][0]["is_overdue"] is True and body["items"][0]["days_left"] == -5


def test_queue_is_for_the_fund_only(client, beneficiary_headers):
    assert client.get("/api/v1/admin/voucher-requests", headers=beneficiary_headers).status_code == 403
    assert client.get("/api/v1/admin/voucher-requests").status_code == 401
