"""The voucher side's share of a person's data (vouchers/requests/services/privacy.py): a member a coordinator filed
for finds the filing, the invitation and their consent in the export; closing the account erases the invitation's
identity and the e-mails it sent. (The whole person, every table: tests/coaching/test_personal_data.py.)"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from portal.mail import OutboxMessage
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user
from tests.support.web import bearer, post_form
from tests.vouchers.coordinator_support import EN, file, filing_body, join_link
from vouchers.requests.models import MemberInvitation, VoucherRequest


@pytest.fixture
def coordinator(db_session):
    return make_user(db_session, Role.COORDINATOR, language="en")


@pytest.fixture
def member_client(client, db_session, coordinator, request_body, today):
    """A member who took up, through the e-mailed link, the request a coordinator filed for them."""
    body = filing_body(request_body, today)
    request_id = file(client, bearer(client, coordinator.email), body)["id"]
    identity = body["beneficiary"]
    member = client.application.test_client()
    link = join_link(db_session, identity["email"])
    joined = post_form(member, link, {"first_name": identity["first_name"], "last_name": identity["last_name"],
                                      "password": PASSWORD, "password_repeat": PASSWORD, "language": "en"},
                       headers=EN)
    assert joined.status_code == 302
    member.request_id, member.identity = request_id, identity
    return member


def test_the_export_shows_the_filing_the_invitation_and_the_consent(db_session, member_client, coordinator):
    data = member_client.get("/account/data.json").get_json()
    request = db_session.get(VoucherRequest, member_client.request_id)
    [filed] = data["voucher_requests"]
    assert filed["coordinator"]["email"] == coordinator.email and filed["consent_on"] == request.consent_on.isoformat()
    [invitation] = data["coordinator_invitations"]
    identity = member_client.identity
    assert (invitation["email"], invitation["niss"], invitation["last_name"]) == (
        identity["email"], identity["niss"], identity["last_name"])
    assert invitation["sent_at"] and invitation["accepted_at"] and invitation["coordinator_id"] == coordinator.id
    assert any(e["to"] == identity["email"] for e in data["emails"])  # the invitation itself


def test_closing_erases_the_invitation_and_its_e_mails(client, db_session, member_client):
    identity = member_client.identity
    headers = bearer(client.application.test_client(), identity["email"])
    assert client.post(f"/api/v1/voucher-requests/{member_client.request_id}/withdraw", headers=headers,
                       json={}).status_code == 200
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.recipient == identity["email"]))
    closed = post_form(member_client, "/account/close", {"password": PASSWORD}, headers=EN)
    assert closed.status_code == 302
    invitation = db_session.scalar(select(MemberInvitation).where(
        MemberInvitation.id == db_session.get(VoucherRequest, member_client.request_id).invitation_id))
    db_session.refresh(invitation)
    assert (invitation.niss, invitation.first_name, invitation.last_name) == (None, "", "")
    assert identity["email"] not in invitation.email
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(func.lower(OutboxMessage.recipient) == identity["email"].lower())) == 0
