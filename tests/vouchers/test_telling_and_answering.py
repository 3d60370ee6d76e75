"""Nobody waits in silence: the beneficiary hears of each decision, answers the fund, gives up a voucher."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.mail import OutboxMessage
from portal.notifications.models import Notification
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.notices import told, told_exactly
from tests.support.web import bearer, login, post_form
from vouchers.ledger.services import entries as ledger
from vouchers.requests.models import Voucher, VoucherRequest


def submit(client, headers, body):
    response = client.post("/api/v1/voucher-requests", json=body, headers=headers)
    assert response.status_code == 201, response.get_json()
    return response.get_json()


def decide(client, headers, request_id, decision, reason=None, **extra):
    return client.post(f"/api/v1/admin/voucher-requests/{request_id}/decision", headers=headers,
                       json={"decision": decision, "reason": reason, **extra})


def kinds(db_session, user) -> list[str]:
    return [n.kind for n in told(db_session, user)]


def test_submitting_and_each_decision_tell_the_beneficiary_once_and_nobody_else(
        app, client, db_session, beneficiary, beneficiary_headers, admin, admin_headers, request_body, provider):
    bystander = make_user(db_session, Role.BENEFICIARY, language="en")
    staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="nl")
    created = submit(client, beneficiary_headers, request_body())
    assert kinds(db_session, beneficiary) == ["request_submitted"]
    assert decide(client, admin_headers, created["id"], "request_info", "Send the C4 form.").status_code == 200
    assert kinds(db_session, beneficiary) == ["request_submitted", "request_info_requested"]
    told_exactly(app, db_session, "request_submitted", [beneficiary])
    [shown] = told_exactly(app, db_session, "request_info_requested", [beneficiary])
    assert "Send the C4 form." in shown.body and shown.link == f"/requests/{created['id']}"
    answered = client.post(f"/api/v1/voucher-requests/{created['id']}/complete", headers=beneficiary_headers,
                           json={"answer": "Here is the C4 form."})
    assert answered.status_code == 200 and answered.get_json()["status"] == "submitted"
    [heard] = told_exactly(app, db_session, "request_answered", [admin])
    assert heard.link == f"/admin/requests/{created['id']}"
    assert decide(client, admin_headers, created["id"], "approve").status_code == 200
    assert kinds(db_session, beneficiary)[-1] == "request_approved"
    voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == created["id"]))
    [approved] = told_exactly(app, db_session, "request_approved", [beneficiary])
    assert approved.link == f"/vouchers/{voucher.id}"
    # The provider hears it has a voucher to accept, in Dutch; the bystander hears nothing.
    [assigned] = told_exactly(app, db_session, "voucher_assigned", [staff])
    assert voucher.code in assigned.title
    assert told(db_session, bystander) == []
    # Each notice is also e-mailed, once.
    mails = db_session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == beneficiary.id)).all()
    assert sorted(m.notification_id for m in mails if m.notification_id) == sorted(
        n.id for n in told(db_session, beneficiary))


def test_a_rejection_names_the_reason_and_the_last_day_to_appeal(
        app, client, db_session, beneficiary, beneficiary_headers, admin_headers, request_body):
    created = submit(client, beneficiary_headers, request_body())
    assert decide(client, admin_headers, created["id"], "reject", "Already in a retraining.").status_code == 200
    body = told_exactly(app, db_session, "request_rejected", [beneficiary])[0].body
    assert "Already in a retraining." in body and "labour court" in body


def test_a_rolled_back_change_tells_nobody(client, db_session, beneficiary, beneficiary_headers, admin_headers,
                                           request_body):
    created = submit(client, beneficiary_headers, request_body())
    before = db_session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1))
    refused = decide(client, admin_headers, created["id"], "reject", "")  # no reason: 422, nothing changes
    assert refused.status_code == 422
    assert db_session.scalar(select(Notification.id).order_by(Notification.id.desc()).limit(1)) == before


def test_answering_corrects_rejudges_and_counts_no_day_answered_the_same_day(
        client, db_session, beneficiary_headers, admin_headers, request_body, today):
    created = submit(client, beneficiary_headers, request_body())
    decide(client, admin_headers, created["id"], "request_info", "When did your contract end?")
    url = f"/api/v1/voucher-requests/{created['id']}/complete"
    # A corrected date that makes the person ineligible: 422 with the reasons, still waiting for an answer.
    late = (today - timedelta(days=400)).isoformat()
    refused = client.post(url, headers=beneficiary_headers, json={"answer": "It was long ago.", "contract_end_on": late})
    assert refused.status_code == 422 and refused.get_json()["error"]["code"] == "not_eligible"
    request = db_session.get(VoucherRequest, created["id"])
    db_session.refresh(request)
    assert request.status == "info_requested"
    assert client.post(url, headers=beneficiary_headers, json={}).status_code == 422  # an answer is needed
    fixed = (today - timedelta(days=20)).isoformat()
    answered = client.post(url, headers=beneficiary_headers, json={"answer": "On the 17th.", "contract_end_on": fixed})
    assert answered.status_code == 200
    db_session.refresh(request)
    assert request.contract_end_on.isoformat() == fixed and request.paused_days == 0
    assert answered.get_json()["decision_due_on"] == created["decision_due_on"]
    assert client.post(url, headers=beneficiary_headers, json={"answer": "Again"}).status_code == 409


def test_the_beneficiary_answers_on_the_request_page(client, db_session, beneficiary, beneficiary_headers,
                                                     admin_headers, request_body):
    created = submit(client, beneficiary_headers, request_body())
    decide(client, admin_headers, created["id"], "request_info", "Which mutual insurer?")
    login(client, beneficiary.email)
    page = client.get(f"/requests/{created['id']}").get_data(as_text=True)
    assert "Which mutual insurer?" in page and "Send my answer" in page
    empty = post_form(client, f"/requests/{created['id']}/answer", {"answer": ""},
                      token_from=f"/requests/{created['id']}")
    assert empty.status_code == 422
    sent = post_form(client, f"/requests/{created['id']}/answer", {"answer": "Solidaris"},
                     token_from=f"/requests/{created['id']}")
    assert sent.status_code == 302
    assert db_session.get(VoucherRequest, created["id"]).status == "submitted"


def test_an_own_initiative_request_needs_an_explicit_medical_yes(client, db_session, beneficiary_headers,
                                                                 admin_headers, request_body):
    created = submit(client, beneficiary_headers, request_body(initiative="own"))
    silent = decide(client, admin_headers, created["id"], "approve")
    assert silent.status_code == 422 and silent.get_json()["error"]["code"] == "medical_check_required"
    no = decide(client, admin_headers, created["id"], "approve", medical_check_ok=False)
    assert no.status_code == 409
    assert db_session.get(VoucherRequest, created["id"]).status == "submitted"


def test_the_waiting_list_is_never_overtaken(client, db_session, admin_headers, request_body, today, provider):
    """A newer route-B request waits behind an older one, even once the fund has money again."""
    route_b = {"force_majeure": False, "contract_end_on": None, "benefits_scheme": "employee",
               "incapacity_start_on": (today - timedelta(days=800)).isoformat()}
    older_person, newer_person = (make_user(db_session, Role.BENEFICIARY) for _ in range(2))
    older = submit(client, bearer(client, older_person.email), request_body(**route_b))
    newer = submit(client, bearer(client, newer_person.email), request_body(**route_b))
    assert decide(client, admin_headers, older["id"], "approve").get_json()["status"] == "waitlisted"
    ledger.record_funding(db_session, amount_cents=180_000, booked_on=today, memo="budget")
    assert decide(client, admin_headers, newer["id"], "approve").get_json()["status"] == "waitlisted"


def test_giving_up_a_voucher_releases_its_value_and_is_final(app, client, db_session, beneficiary, beneficiary_headers,
                                                              admin_headers, request_body, provider):
    staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=provider.id)
    created = submit(client, beneficiary_headers, request_body())
    decide(client, admin_headers, created["id"], "approve")
    voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == created["id"]))
    stranger = make_user(db_session, Role.BENEFICIARY)
    url = f"/api/v1/vouchers/{voucher.id}/withdraw"
    assert client.post(url, headers=bearer(client, stranger.email), json={}).status_code == 404
    given_up = client.post(url, headers=beneficiary_headers, json={"reason": "I found a job."})
    assert given_up.status_code == 200 and given_up.get_json()["status"] == "withdrawn"
    assert ledger.committed_for_voucher(db_session, voucher.id) == 0
    assert client.post(url, headers=beneficiary_headers, json={}).status_code == 409
    assert kinds(db_session, staff) == ["voucher_assigned", "voucher_withdrawn"]
    [given_up_told] = told_exactly(app, db_session, "voucher_withdrawn", [staff])
    assert voucher.code in given_up_told.title
    # A new request is possible again.
    assert client.post("/api/v1/voucher-requests", json=request_body(), headers=beneficiary_headers).status_code == 201


def test_the_notifications_api_and_page(app, client, db_session, beneficiary, beneficiary_headers, admin_headers,
                                        request_body):
    created = submit(client, beneficiary_headers, request_body())
    decide(client, admin_headers, created["id"], "request_info", "Which insurer?")
    listed = client.get("/api/v1/notifications", headers=beneficiary_headers).get_json()
    assert [i["kind"] for i in listed["items"]] == ["request_info_requested", "request_submitted"]
    assert listed["unread_count"] == 2 and listed["next_cursor"] is None
    newest = listed["items"][0]
    assert newest["link"] == f"/requests/{created['id']}" and newest["object_type"] == "voucher_request"
    assert newest["read_at"] is None and "Which insurer?" in newest["body"]
    paged = client.get("/api/v1/notifications?limit=1", headers=beneficiary_headers).get_json()
    assert len(paged["items"]) == 1 and paged["next_cursor"]
    read = client.post(f"/api/v1/notifications/{newest['id']}/read", headers=beneficiary_headers)
    assert read.status_code == 200 and read.get_json()["read_at"]
    unread = client.get("/api/v1/notifications?unread=true", headers=beneficiary_headers).get_json()
    assert [i["kind"] for i in unread["items"]] == ["request_submitted"]
    assert client.post(f"/api/v1/notifications/{newest['id']}/read", headers=admin_headers).status_code == 404
    login(client, beneficiary.email)
    page = client.get("/my").get_data(as_text=True)
    assert 'class="count-badge"' in page
    listing = client.get("/notifications").get_data(as_text=True)
    assert "The fund needs more information" in listing
    opened = post_form(client, f"/notifications/{newest['id']}/open", {}, token_from="/notifications")
    assert opened.status_code == 302 and opened.headers["Location"].endswith(f"/requests/{created['id']}")


def test_a_person_turns_off_what_is_not_a_decision(client, db_session, beneficiary, beneficiary_headers,
                                                   admin_headers, request_body):
    login(client, beneficiary.email)
    settings = client.get("/notifications/settings").get_data(as_text=True)
    assert "request_submitted" in settings and "request_rejected" not in settings  # a decision is always sent
    assert post_form(client, "/notifications/settings", {}, token_from="/notifications/settings").status_code == 302
    created = submit(client, beneficiary_headers, request_body())
    decide(client, admin_headers, created["id"], "reject", "No.")
    assert kinds(db_session, beneficiary) == ["request_rejected"]
