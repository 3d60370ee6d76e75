"""Return-to-work coordinators of the mutual insurers (issue 17): their accounts, filing a request for a member
through the API, and their caseload. The member's side (the invitation) is in test_coordinator_members.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import event, func, select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.mail import OutboxMessage
from portal.permissions import Role
from tests.support.factories import make_user
from tests.support.web import bearer, login, post_form
from tests.vouchers.coordinator_support import (
    EN,
    decide,
    file,
    filing_body,
    mails_to,
    member,
)
from vouchers.requests.models import (
    Beneficiary,
    MemberInvitation,
    Voucher,
    VoucherRequest,
)


@pytest.fixture
def coordinator(db_session):
    return make_user(db_session, Role.COORDINATOR, language="en")  # insurer 300 (Solidaris)


@pytest.fixture
def coordinator_headers(client, coordinator):
    return bearer(client, coordinator.email)


# --- accounts -------------------------------------------------------------------------------------------------

def test_create_user_makes_a_coordinator_bound_to_an_insurer(app, db_session):
    runner = app.test_cli_runner()
    args = ["create-user", "--role", "coordinator", "--email", "crat@example.be", "--password", "long enough password"]
    result = runner.invoke(args=[*args, "--insurer-code", "500"])
    assert result.exit_code == 0, result.output
    user = db_session.get(User, int(result.output.strip().splitlines()[0]))
    assert (user.role, user.insurer_code, user.is_confirmed) == ("coordinator", 500, True)
    missing = runner.invoke(args=[*args[:4], "other@example.be", *args[5:]])
    assert missing.exit_code != 0 and "--insurer-code is required" in missing.output
    unknown = runner.invoke(args=[*args[:4], "other@example.be", *args[5:], "--insurer-code", "700"])
    assert unknown.exit_code != 0 and "mutual insurers" in unknown.output
    refused = runner.invoke(args=["create-user", "--role", "beneficiary", "--email", "b@example.be", "--password",
                                  "long enough password", "--insurer-code", "300"])
    assert refused.exit_code != 0 and "only for coordinators" in refused.output
    assert db_session.scalar(select(func.count(User.id)).where(User.email.in_(
        ["other@example.be", "b@example.be"]))) == 0


def test_the_fund_invites_a_coordinator_who_chooses_a_password(client, db_session, admin):
    login(client, admin.email)
    page = client.get("/admin/fund/coordinators", headers=EN)
    assert page.status_code == 200 and "Invite a coordinator" in page.get_data(as_text=True)
    form = {"email": "Ana.Crat@Solidaris.example.be", "first_name": "Ana", "last_name": "Crat", "insurer_code": "300",
            "language": "fr"}
    sent = post_form(client, "/admin/fund/coordinators", form, headers=EN)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    user = db_session.scalar(User.by_email("ana.crat@solidaris.example.be"))
    assert (user.role, user.insurer_code, user.language, user.is_confirmed) == ("coordinator", 300, "fr", False)
    [mail] = mails_to(db_session, user.email)
    assert "/password/reset/" in mail.body  # the invitation sets the password and confirms the address
    listed = client.get("/admin/fund/coordinators", headers=EN).get_data(as_text=True)
    assert "ana.crat@solidaris.example.be" in listed and "Solidaris" in listed
    again = post_form(client, "/admin/fund/coordinators", {**form, "insurer_code": "0"}, headers=EN)
    assert again.status_code == 422
    taken = post_form(client, "/admin/fund/coordinators", form, headers=EN)
    assert taken.status_code == 409 and "already exists" in taken.get_data(as_text=True)
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "invited",
                                                       AuditEntry.object_id == user.id))
    assert entry is not None and entry.actor_id == admin.id


# --- filing -------------------------------------------------------------------------------------------------------

def test_a_coordinator_files_for_a_member_who_is_invited_in_their_language(
        client, db_session, coordinator, coordinator_headers, request_body, today):
    body = filing_body(request_body, today)
    users_before = db_session.scalar(select(func.count(User.id)))
    created = file(client, coordinator_headers, body)
    assert set(created) == {"id", "status", "submitted_on", "decision_due_on", "route", "initiative"}
    assert (created["status"], created["route"], created["initiative"]) == ("submitted", "A", "coordinator")
    assert created["submitted_on"] == today.isoformat()
    assert created["decision_due_on"] == (today + timedelta(days=45)).isoformat()
    request = db_session.get(VoucherRequest, created["id"])
    assert request.beneficiary_id is None and request.coordinator_id == coordinator.id
    assert request.consent_on == today and request.initiative == "coordinator" and request.insurer_code == 300
    invitation = request.invitation
    assert (invitation.niss, invitation.email, invitation.language) == (
        body["beneficiary"]["niss"], body["beneficiary"]["email"], "nl")
    # No account for the member until they accept; the NISS found nothing and bound nothing.
    assert db_session.scalar(select(func.count(User.id))) == users_before
    assert db_session.scalar(select(Beneficiary.id).where(Beneficiary.niss == invitation.niss)) is None
    [mail] = mails_to(db_session, invitation.email)
    assert "/join/" in mail.body and "Solidaris" in mail.body and mail.user_id is None
    steps = db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "voucher_request",
                                                               AuditEntry.object_id == request.id)).all()
    assert steps == ["filed_for_member", "status_changed"]


def test_the_same_checks_as_the_members_own_request(client, coordinator_headers, request_body, today):
    old_end = (today - timedelta(days=400)).isoformat()
    ineligible = client.post("/api/v1/coordinator/requests", headers=coordinator_headers,
                             json=filing_body(request_body, today, contract_end_on=old_end))
    assert ineligible.status_code == 422
    error = ineligible.get_json()["error"]
    assert error["code"] == "not_eligible" and error["reasons"]
    incomplete = client.post("/api/v1/coordinator/requests", headers=coordinator_headers,
                             json=filing_body(request_body, today, beneficiary=member(niss="12345678901")))
    assert incomplete.status_code == 422 and "beneficiary.niss" in incomplete.get_json()["error"]["fields"]
    future = client.post("/api/v1/coordinator/requests", headers=coordinator_headers,
                         json=filing_body(request_body, today, consent_on=(today + timedelta(days=1)).isoformat()))
    assert future.status_code == 422 and "consent_on" in future.get_json()["error"]["fields"]
    other_insurer = client.post("/api/v1/coordinator/requests", headers=coordinator_headers,
                                json=filing_body(request_body, today, insurer_code=100))
    assert other_insurer.status_code == 422 and "insurer_code" in other_insurer.get_json()["error"]["fields"]
    own = client.post("/api/v1/coordinator/requests", headers=coordinator_headers,
                      json=filing_body(request_body, today, initiative="own"))
    assert own.status_code == 422
    no_consent = filing_body(request_body, today)
    del no_consent["consent_on"]
    assert client.post("/api/v1/coordinator/requests", headers=coordinator_headers,
                       json=no_consent).status_code == 422


def test_a_member_with_an_open_voucher_or_request_gets_the_same_409(
        client, db_session, coordinator_headers, beneficiary, beneficiary_headers, admin_headers, request_body,
        today):
    niss = db_session.scalar(select(Beneficiary.niss).where(Beneficiary.user_id == beneficiary.id))
    own = client.post("/api/v1/voucher-requests", json=request_body(), headers=beneficiary_headers).get_json()
    body = filing_body(request_body, today, beneficiary=member(niss=niss))
    waiting = client.post("/api/v1/coordinator/requests", headers=coordinator_headers, json=body)
    assert waiting.status_code == 409 and waiting.get_json()["error"]["code"] == "open_request_exists"
    assert decide(client, admin_headers, own["id"], "approve").status_code == 200
    voucher = client.post("/api/v1/coordinator/requests", headers=coordinator_headers, json=body)
    assert voucher.status_code == 409 and voucher.get_json()["error"]["code"] == "open_voucher_exists"
    # A member a coordinator already filed for, who has not accepted yet, has an open request too.
    first = filing_body(request_body, today)
    file(client, coordinator_headers, first)
    second = client.post("/api/v1/coordinator/requests", headers=coordinator_headers,
                         json=filing_body(request_body, today, beneficiary=member(niss=first["beneficiary"]["niss"])))
    assert second.status_code == 409 and second.get_json()["error"]["code"] == "open_request_exists"


def test_only_coordinators_file_and_only_their_own_requests_are_theirs(
        client, db_session, coordinator_headers, beneficiary_headers, request_body, today):
    body = filing_body(request_body, today)
    assert client.post("/api/v1/coordinator/requests", headers=beneficiary_headers, json=body).status_code == 403
    assert client.get("/api/v1/coordinator/requests", headers=beneficiary_headers).status_code == 403
    created = file(client, coordinator_headers, body)
    mine = client.get(f"/api/v1/voucher-requests/{created['id']}", headers=coordinator_headers)
    assert mine.status_code == 200 and mine.get_json()["status"] == "submitted"
    read = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "viewed",
                                                      AuditEntry.object_id == created["id"]))
    assert read is not None  # a coordinator's read of a member's file is audited
    other = bearer(client, make_user(db_session, Role.COORDINATOR).email)
    assert client.get(f"/api/v1/voucher-requests/{created['id']}", headers=other).status_code == 404
    assert client.get("/api/v1/coordinator/requests", headers=other).get_json()["items"] == []
    answered = client.post(f"/api/v1/voucher-requests/{created['id']}/complete", headers=other,
                           json={"answer": "Not mine."})
    assert answered.status_code == 404


def test_approval_waits_for_the_member_to_join(client, db_session, coordinator_headers, admin_headers, request_body,
                                               today):
    created = file(client, coordinator_headers, filing_body(request_body, today))
    refused = decide(client, admin_headers, created["id"], "approve")
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "member_not_joined"
    queue = client.get("/api/v1/admin/voucher-requests", headers=admin_headers).get_json()["items"]
    assert [i["beneficiary_name"] for i in queue if i["id"] == created["id"]] == ["Marie Dupont"]
    assert decide(client, admin_headers, created["id"], "reject", "Not in scope.").status_code == 200


# --- the caseload ------------------------------------------------------------------------------------------------

def test_the_caseload_shows_the_clock_the_question_and_the_voucher(
        app, client, db_session, coordinator, coordinator_headers, admin_headers, request_body, today):
    waiting = file(client, coordinator_headers, filing_body(request_body, today))
    asked = file(client, coordinator_headers, filing_body(request_body, today))
    assert decide(client, admin_headers, asked["id"], "request_info", "Send the C4 form.").status_code == 200
    items = client.get("/api/v1/coordinator/requests", headers=coordinator_headers).get_json()["items"]
    by_id = {item["id"]: item for item in items}
    assert list(by_id) == [asked["id"], waiting["id"]]  # newest first
    assert by_id[waiting["id"]]["days_left"] == 45 and by_id[waiting["id"]]["decision_reason"] is None
    assert by_id[asked["id"]]["status"] == "info_requested"
    assert by_id[asked["id"]]["decision_reason"] == "Send the C4 form."
    assert by_id[waiting["id"]]["member"]["joined"] is False and by_id[waiting["id"]]["voucher"] is None
    assert by_id[waiting["id"]]["consent_on"] == today.isoformat()
    only_asked = client.get("/api/v1/coordinator/requests?status=info_requested", headers=coordinator_headers)
    assert [i["id"] for i in only_asked.get_json()["items"]] == [asked["id"]]
    assert client.get("/api/v1/coordinator/requests?status=bogus", headers=coordinator_headers).status_code == 422
    # Once approved (the member joined): the voucher's status, hours used and balance.
    request = db_session.get(VoucherRequest, waiting["id"])
    member_user = make_user(db_session, Role.BENEFICIARY)
    profile = db_session.scalar(select(Beneficiary).where(Beneficiary.user_id == member_user.id))
    request.beneficiary_id = profile.id
    db_session.flush()
    assert decide(client, admin_headers, waiting["id"], "approve").status_code == 200
    voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == waiting["id"]))
    row = next(i for i in client.get("/api/v1/coordinator/requests", headers=coordinator_headers).get_json()["items"]
               if i["id"] == waiting["id"])
    assert row["status"] == "approved" and row["member"]["joined"] is True
    assert row["voucher"]["status"] == "approved" and row["voucher"]["code"] == voucher.code
    assert row["voucher"]["balance_cents"] == voucher.value_cents and row["voucher"]["individual_minutes_used"] == 0
    assert "note" not in str(row["voucher"])
    page = client.get("/api/v1/coordinator/requests?limit=1", headers=coordinator_headers).get_json()
    assert len(page["items"]) == 1 and page["next_cursor"]
    rest = client.get(f"/api/v1/coordinator/requests?limit=1&cursor={page['next_cursor']}",
                      headers=coordinator_headers).get_json()
    assert [i["id"] for i in rest["items"]] == [waiting["id"]] and rest["next_cursor"] is None
    assert client.get("/api/v1/coordinator/requests?limit=201", headers=coordinator_headers).status_code == 422


def _filed_directly(db_session, coordinator, provider, today, count: int) -> None:
    """Requests as the filing leaves them, written in bulk (the API path is tested above)."""
    for n in range(count):
        invitation = MemberInvitation(coordinator_id=coordinator.id, niss=f"{n:011d}", first_name="M",
                                      last_name=str(n), email=f"m{n}-{coordinator.id}@example.be", language="fr")
        db_session.add(invitation)
        db_session.flush()
        status = ("submitted", "info_requested", "waitlisted", "rejected")[n % 4]
        db_session.add(VoucherRequest(invitation_id=invitation.id, coordinator_id=coordinator.id, consent_on=today,
                                      provider_id=provider.id, status=status, route="B", initiative="coordinator",
                                      insurer_code=300, submitted_on=today, decision_due_on=today + timedelta(days=45),
                                      decision_reason="Send the C4." if status == "info_requested" else None))
    db_session.flush()


def test_the_caseload_reads_a_fixed_number_of_statements_whatever_its_size(
        app, client, db_session, coordinator, coordinator_headers, provider, today):
    def statements(limit: int) -> int:
        seen: list[str] = []

        def count(conn, cursor, statement, *args):  # type: ignore[no-untyped-def]
            seen.append(statement)

        connection = db_session.connection()
        event.listen(connection, "before_cursor_execute", count)
        try:
            response = client.get(f"/api/v1/coordinator/requests?limit={limit}", headers=coordinator_headers)
        finally:
            event.remove(connection, "before_cursor_execute", count)
        assert response.status_code == 200 and len(response.get_json()["items"]) == min(limit, total)
        return len([s for s in seen if not s.lstrip().upper().startswith(("SAVEPOINT", "RELEASE", "ROLLBACK"))])

    _filed_directly(db_session, coordinator, provider, today, 8)
    total = 8
    small = statements(8)
    _filed_directly(db_session, coordinator, provider, today, 292)
    total = 300
    assert statements(200) == small <= 12, small


def test_the_coordinators_pages_fit_their_work(client, db_session, coordinator, coordinator_headers, provider,
                                              request_body, today):
    created = file(client, coordinator_headers, filing_body(request_body, today))
    login(client, coordinator.email)
    home = client.get("/", headers=EN)
    assert home.status_code == 302 and home.headers["Location"].endswith("/coordinator/")
    page = client.get("/coordinator/", headers=EN).get_data(as_text=True)
    assert "Marie Dupont" in page and "Invited, not joined yet" in page and 'name="viewport"' in page
    detail = client.get(f"/coordinator/requests/{created['id']}", headers=EN)
    assert detail.status_code == 200 and "Send the member a new invitation" in detail.get_data(as_text=True)
    resent = post_form(client, f"/coordinator/requests/{created['id']}/invite", {},
                       token_from=f"/coordinator/requests/{created['id']}", headers=EN)
    assert resent.status_code == 302
    invitation = db_session.get(VoucherRequest, created["id"]).invitation
    assert len(mails_to(db_session, invitation.email)) == 2
    # The filing form: the same questions, for the member, with the consent day.
    form = {"first_name": "Jan", "last_name": "Peeters", "niss": member()["niss"], "email": "jan@example.be",
            "language": "nl", "consent_on": today.isoformat(), "force_majeure": "yes",
            "contract_end_on": (today - timedelta(days=20)).isoformat(), "in_approved_retraining": "no",
            "in_professional_rehabilitation": "no", "street": "Kerkstraat", "number": "3", "postcode": "1000",
            "municipality": "Brussel", "country": "BE", "provider_id": str(provider.id)}
    assert client.get("/coordinator/requests/new", headers=EN).status_code == 200
    sent = post_form(client, "/coordinator/requests/new", form, headers=EN)
    assert sent.status_code == 302, sent.get_data(as_text=True)
    filed = db_session.scalar(select(VoucherRequest).join(MemberInvitation).where(
        MemberInvitation.email == "jan@example.be"))
    assert filed.status == "submitted" and filed.coordinator_id == coordinator.id
    refused = post_form(client, "/coordinator/requests/new", {**form, "niss": "123"}, headers=EN)
    assert refused.status_code == 422 and "not valid" in refused.get_data(as_text=True)
    assert db_session.scalar(select(func.count(OutboxMessage.id)).where(
        OutboxMessage.recipient == "jan@example.be")) == 1


def test_the_fund_filters_its_queue_by_initiative_and_insurer(
        client, db_session, coordinator_headers, beneficiary_headers, admin, admin_headers, request_body, today):
    filed = file(client, coordinator_headers, filing_body(request_body, today))
    own = client.post("/api/v1/voucher-requests", headers=beneficiary_headers,
                      json=request_body(initiative="own", insurer_code=100)).get_json()

    def ids(query: str) -> list[int]:
        response = client.get(f"/api/v1/admin/voucher-requests?{query}", headers=admin_headers)
        assert response.status_code == 200, response.get_json()
        return [item["id"] for item in response.get_json()["items"]]

    assert ids("initiative=coordinator") == [filed["id"]] and ids("initiative=own") == [own["id"]]
    assert ids("insurer_code=300") == [filed["id"]] and ids("insurer_code=100") == [own["id"]]
    assert client.get("/api/v1/admin/voucher-requests?insurer_code=700", headers=admin_headers).status_code == 422
    [item] = client.get("/api/v1/admin/voucher-requests?initiative=coordinator", headers=admin_headers).get_json()[
        "items"]
    assert item["coordinator_id"] is not None and item["consent_on"] == today.isoformat()
    login(client, admin.email)
    page = client.get("/admin/requests?status=submitted&initiative=coordinator&insurer_code=300", headers=EN)
    assert page.status_code == 200
    text = page.get_data(as_text=True)
    assert f"/admin/requests/{filed['id']}" in text and f"/admin/requests/{own['id']}" not in text


def test_the_demo_coordinator_has_a_caseload_in_every_state(app, db_session):
    result = app.test_cli_runner().invoke(args=["seed-demo"])
    assert result.exit_code == 0, result.output
    assert "coordinator@demo.tnw.be" in result.output
    coordinator = db_session.scalar(User.by_email("coordinator@demo.tnw.be"))
    requests = db_session.scalars(select(VoucherRequest).where(VoucherRequest.coordinator_id == coordinator.id)).all()
    assert {r.status for r in requests} == {"submitted", "info_requested", "approved", "rejected", "withdrawn"}
    assert {r.beneficiary_id is None for r in requests} == {True, False}  # joined, and not yet
    again = app.test_cli_runner().invoke(args=["seed-demo"])
    assert again.exit_code == 0 and len(db_session.scalars(select(VoucherRequest.id).where(
        VoucherRequest.coordinator_id == coordinator.id)).all()) == len(requests)
