"""The member's side of a coordinator's request (issue 17): the e-mailed invitation binds the request to the
member's own account (registering with the invited address, or logging in with it), never a typed NISS; then
the member sees it as their own and may withdraw it, and member and coordinator act on it together."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.auth.models import User
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user
from tests.support.notices import told
from tests.support.web import bearer, login, post_form
from tests.vouchers.coordinator_support import (
    EN,
    decide,
    file,
    filing_body,
    join_link,
    member,
)
from vouchers.requests.models import (
    Beneficiary,
    MemberInvitation,
    Voucher,
    VoucherRequest,
)
from vouchers.requests.services.notices import people_of


@pytest.fixture
def coordinator(db_session):
    return make_user(db_session, Role.COORDINATOR, language="en")


@pytest.fixture
def coordinator_headers(client, coordinator):
    return bearer(client, coordinator.email)


@pytest.fixture
def filed(client, db_session, coordinator_headers, request_body, today):
    """A request filed for a member who has no account yet: (its id, the member's identity)."""
    body = filing_body(request_body, today)
    return file(client, coordinator_headers, body)["id"], body["beneficiary"]


def _register(client, db_session, identity):
    link = join_link(db_session, identity["email"])
    page = client.get(link, headers=EN)
    assert page.status_code == 200 and "Create my account and take up the request" in page.get_data(as_text=True)
    return post_form(client, link, {"first_name": identity["first_name"], "last_name": identity["last_name"],
                                    "password": PASSWORD, "password_repeat": PASSWORD, "language": "en"},
                     headers=EN)


def test_the_member_registers_through_the_link_and_the_request_is_theirs(client, db_session, filed, coordinator):
    request_id, identity = filed
    joined = _register(client, db_session, identity)
    assert joined.status_code == 302 and joined.headers["Location"].endswith(f"/requests/{request_id}")
    user = db_session.scalar(User.by_email(identity["email"]))
    assert user.role == "beneficiary" and user.is_confirmed  # the link proved the address
    profile = db_session.scalar(select(Beneficiary).where(Beneficiary.user_id == user.id))
    assert profile.niss == identity["niss"]
    request = db_session.get(VoucherRequest, request_id)
    assert request.beneficiary_id == profile.id and request.invitation.accepted_at is not None
    # Logged in: the request is on their page and in the API as their own; they may withdraw it.
    assert f"/requests/{request_id}" in client.get("/my", headers=EN).get_data(as_text=True)
    own = client.get(f"/requests/{request_id}", headers=EN)
    assert own.status_code == 200 and "Withdraw my request" in own.get_data(as_text=True)
    assert coordinator.display_name in own.get_data(as_text=True)  # who filed it for them
    headers = bearer(client.application.test_client(), identity["email"])
    assert client.get(f"/api/v1/voucher-requests/{request_id}", headers=headers).status_code == 200
    withdrawn = client.post(f"/api/v1/voucher-requests/{request_id}/withdraw", headers=headers, json={})
    assert withdrawn.status_code == 200 and withdrawn.get_json()["status"] == "withdrawn"
    # The link is used up.
    assert client.get(join_link(db_session, identity["email"]), headers=EN).status_code == 410
    assert [n.kind for n in told(db_session, coordinator)] == ["request_submitted"]


def test_a_member_with_an_account_accepts_by_logging_in(app, client, db_session, coordinator_headers, request_body,
                                                        today):
    existing = make_user(db_session, Role.BENEFICIARY, language="en")
    profile = db_session.scalar(select(Beneficiary).where(Beneficiary.user_id == existing.id))
    draft = VoucherRequest(beneficiary_id=profile.id, status="draft")  # their own, never sent
    db_session.add(draft)
    db_session.flush()
    body = filing_body(request_body, today, beneficiary=member(niss=profile.niss, email=existing.email.upper()))
    request_id = file(client, coordinator_headers, body)["id"]
    link = join_link(db_session, existing.email)
    assert db_session.get(VoucherRequest, request_id).beneficiary_id is None  # the NISS bound nothing
    to_login = client.get(link, headers=EN)
    assert to_login.status_code == 302 and "/login" in to_login.headers["Location"]
    login(client, existing.email)
    confirm = client.get(link, headers=EN)
    assert confirm.status_code == 200 and "Take up the request in my account" in confirm.get_data(as_text=True)
    accepted = post_form(client, link, {}, headers=EN)
    assert accepted.status_code == 302 and accepted.headers["Location"].endswith(f"/requests/{request_id}")
    assert db_session.get(VoucherRequest, request_id).beneficiary_id == profile.id
    assert db_session.get(VoucherRequest, draft.id).status == "withdrawn"  # set aside for the filed one


def test_the_link_binds_only_the_invited_address_and_the_given_niss(client, db_session, coordinator_headers,
                                                                    request_body, today):
    someone = make_user(db_session, Role.BENEFICIARY, language="en")
    body = filing_body(request_body, today, beneficiary=member(email=someone.email))  # another NISS than theirs
    request_id = file(client, coordinator_headers, body)["id"]
    link = join_link(db_session, someone.email)
    login(client, someone.email)
    other_niss = client.get(link, headers=EN)
    assert other_niss.status_code == 409 and "national register number" in other_niss.get_data(as_text=True)
    assert post_form(client, link, {}, token_from="/my", headers=EN).status_code == 409
    assert db_session.get(VoucherRequest, request_id).beneficiary_id is None
    stranger = make_user(db_session, Role.BENEFICIARY, language="en")
    second = filing_body(request_body, today)
    file(client, coordinator_headers, second)
    client.post("/logout", data={})
    other = client.application.test_client()
    login(other, stranger.email)
    wrong = other.get(join_link(db_session, second["beneficiary"]["email"]), headers=EN)
    assert wrong.status_code == 403 and "another e-mail address" in wrong.get_data(as_text=True)
    assert other.get("/join/not-a-real-token", headers=EN).status_code == 404


def test_member_and_coordinator_are_told_and_either_may_answer(app, client, db_session, filed, coordinator,
                                                               coordinator_headers, admin_headers):
    request_id, identity = filed
    assert _register(client.application.test_client(), db_session, identity).status_code == 302
    member_user = db_session.scalar(User.by_email(identity["email"]))
    request = db_session.get(VoucherRequest, request_id)
    assert people_of(request) == [member_user, coordinator]
    assert decide(client, admin_headers, request_id, "request_info", "Send the C4 form.").status_code == 200
    assert told(db_session, member_user, "request_info_requested")
    [asked] = told(db_session, coordinator, "request_info_requested")
    assert asked.object_id == request_id
    # The notice's link takes the coordinator to their own page of the request.
    login(client, coordinator.email)
    assert client.get(f"/requests/{request_id}", headers=EN).headers["Location"].endswith(
        f"/coordinator/requests/{request_id}")
    page = client.get(f"/coordinator/requests/{request_id}", headers=EN).get_data(as_text=True)
    assert "Send the C4 form." in page and "Send the answer" in page
    answered = post_form(client, f"/coordinator/requests/{request_id}/answer", {"answer": "The C4 is attached."},
                         token_from=f"/coordinator/requests/{request_id}", headers=EN)
    assert answered.status_code == 302
    assert db_session.get(VoucherRequest, request_id).status == "submitted"
    # Asked again, the member answers this time (through the API, as on their own request).
    assert decide(client, admin_headers, request_id, "request_info", "And the C4.2?").status_code == 200
    member_headers = bearer(client.application.test_client(), identity["email"])
    again = client.post(f"/api/v1/voucher-requests/{request_id}/complete", headers=member_headers,
                        json={"answer": "Here it is."})
    assert again.status_code == 200 and again.get_json()["status"] == "submitted"
    coordinator_answer = client.post(f"/api/v1/voucher-requests/{request_id}/complete", headers=coordinator_headers,
                                     json={"answer": "Too late."})
    assert coordinator_answer.status_code == 409  # nothing is asked any more
    # Approved: both are told and both see the voucher; the coordinator never its sessions' notes.
    assert decide(client, admin_headers, request_id, "approve").status_code == 200
    voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == request_id))
    assert told(db_session, member_user, "request_approved") and told(db_session, coordinator, "request_approved")
    seen = client.get(f"/api/v1/vouchers/{voucher.id}", headers=coordinator_headers)
    assert seen.status_code == 200 and seen.get_json()["code"] == voucher.code
    assert client.get(f"/api/v1/vouchers/{voucher.id}", headers=member_headers).status_code == 200
    assert client.get(f"/vouchers/{voucher.id}", headers=EN).headers["Location"].endswith(
        f"/coordinator/requests/{request_id}")
    voucher_page = client.get(f"/coordinator/requests/{request_id}", headers=EN).get_data(as_text=True)
    assert voucher.code in voucher_page and "Left to use" in voucher_page
    other = bearer(client.application.test_client(), make_user(db_session, Role.COORDINATOR).email)
    assert client.get(f"/api/v1/vouchers/{voucher.id}", headers=other).status_code == 404


def test_the_fund_sees_who_filed_and_the_member_export_shows_it(client, db_session, filed, coordinator, admin):
    request_id, identity = filed
    member_client = client.application.test_client()
    assert _register(member_client, db_session, identity).status_code == 302
    exported = member_client.get("/account/data.json").get_json()
    [row] = exported["voucher_requests"]
    assert row["coordinator"]["email"] == coordinator.email and row["coordinator"]["insurer_code"] == 300
    assert row["consent_on"] == db_session.get(VoucherRequest, request_id).consent_on.isoformat()
    login(client, admin.email)
    page = client.get(f"/admin/requests/{request_id}", headers=EN).get_data(as_text=True)
    assert "return-to-work coordinator of mutual insurer 300" in page and 'id="consent-on"' in page


def test_a_closed_account_leaves_no_identity_on_its_invitation(client, db_session, filed):
    request_id, identity = filed
    member_client = client.application.test_client()
    assert _register(member_client, db_session, identity).status_code == 302
    member_headers = bearer(client.application.test_client(), identity["email"])
    client.post(f"/api/v1/voucher-requests/{request_id}/withdraw", headers=member_headers, json={})
    closed = post_form(member_client, "/account/close", {"password": PASSWORD}, headers=EN)
    assert closed.status_code == 302
    invitation = db_session.scalar(select(MemberInvitation).where(MemberInvitation.id == db_session.get(
        VoucherRequest, request_id).invitation_id))
    db_session.refresh(invitation)
    assert invitation.niss is None and invitation.first_name == "" and identity["email"] not in invitation.email


def test_a_pending_request_tells_its_coordinator_only_and_an_old_link_expires(
        app, client, db_session, filed, coordinator, today):
    from portal.clock import utcnow
    from vouchers.coordinators.services import invitations

    request_id, _identity = filed
    request = db_session.get(VoucherRequest, request_id)
    assert people_of(request) == [coordinator]
    request.invitation.sent_at = utcnow() - timedelta(days=invitations.INVITATION_DAYS + 1)
    db_session.flush()
    token = invitations.make_token(app.config["SECRET_KEY"], request.invitation)
    assert client.get(f"/join/{token}", headers=EN).status_code == 410
