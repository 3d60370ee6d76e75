"""What a coordinator is told about the requests they filed (issue 17): every notice about the request, in words
about their member (not "your request"), with a link to their own case page, and never what stays between the
member and the fund (a refusal's reasons)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.auth.models import User
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user
from tests.support.notices import told, told_exactly, words
from tests.support.web import bearer, login, post_form
from tests.vouchers.coordinator_support import EN, decide, file, filing_body, join_link
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.tasks import expiry_notices


def _joined_member(client, db_session, identity) -> User:
    joined = post_form(client.application.test_client(), join_link(db_session, identity["email"]), {
        "first_name": identity["first_name"], "last_name": identity["last_name"], "password": PASSWORD,
        "password_repeat": PASSWORD, "language": "en"}, headers=EN)
    assert joined.status_code == 302
    return db_session.scalar(User.by_email(identity["email"]))


def test_a_refusal_tells_the_coordinator_about_the_member_without_the_reasons(app, client, db_session, request_body,
                                                                             today, admin_headers):
    coordinator = make_user(db_session, Role.COORDINATOR, language="en")
    body = filing_body(request_body, today)
    request_id = file(client, bearer(client, coordinator.email), body)["id"]
    [received] = told(db_session, coordinator, "request_submitted")
    assert "Marie Dupont" in words(app, db_session, received).title  # not yet joined: the name the coordinator gave
    member = _joined_member(client, db_session, body["beneficiary"])
    reason = "Your incapacity started less than a year ago."
    assert decide(client, admin_headers, request_id, "reject", reason).status_code == 200
    to_member, to_coordinator = told_exactly(app, db_session, "request_rejected", [member, coordinator])
    assert reason in to_member.body and to_member.link == f"/requests/{request_id}"
    assert reason not in to_coordinator.body and member.display_name in to_coordinator.title
    assert to_coordinator.link == f"/coordinator/requests/{request_id}"
    login(client, coordinator.email)
    assert client.get(to_coordinator.link, headers=EN).status_code == 200  # the link opens their page


def test_an_approval_and_the_voucher_s_end_reach_the_coordinator_in_their_words(app, client, db_session,
                                                                               request_body, today, admin_headers):
    coordinator = make_user(db_session, Role.COORDINATOR, language="nl")
    body = filing_body(request_body, today)
    request_id = file(client, bearer(client, coordinator.email), body)["id"]
    member = _joined_member(client, db_session, body["beneficiary"])
    assert decide(client, admin_headers, request_id, "approve").status_code == 200
    to_member, to_coordinator = told_exactly(app, db_session, "request_approved", [member, coordinator])
    assert to_member.title != to_coordinator.title and member.display_name in to_coordinator.title
    assert to_coordinator.link == f"/coordinator/requests/{request_id}"
    voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == request_id))
    due = voucher.valid_until_on - timedelta(days=10)
    expiry_notices(db_session, today=due, now=None)
    to_member, to_coordinator = told_exactly(app, db_session, "voucher_expiring", [member, coordinator])
    assert member.display_name in to_coordinator.title and voucher.code in to_coordinator.body
    expiry_notices(db_session, today=due, now=None)  # the job runs again: nobody is told twice
    assert len(told(db_session, coordinator, "voucher_expiring")) == 1
    assert db_session.get(VoucherRequest, request_id).coordinator_id == coordinator.id
