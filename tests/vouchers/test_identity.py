"""A NISS proven through FAS and its precedence over typed ones (vouchers/requests/services/identity.py; DOMAIN.md,
"Identity"), and a coordinator's request taken up by the member whose proven NISS it names, without the link."""

from __future__ import annotations

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.clock import utcnow
from portal.errors import Conflict, Forbidden
from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.identity import prove_niss
from tests.support.notices import told, told_exactly
from tests.support.web import bearer, login, post_form
from tests.vouchers.coordinator_support import EN, file, filing_body
from vouchers.requests.models import Beneficiary, MemberInvitation, VoucherRequest
from vouchers.requests.services import identity


def _profile(db_session, user) -> Beneficiary:
    return db_session.scalars(select(Beneficiary).where(Beneficiary.user_id == user.id)).one()


def _typing(db_session, niss: str) -> User:
    """An account that typed ``niss`` at registration."""
    user = make_user(db_session, Role.BENEFICIARY, language="en")
    _profile(db_session, user).niss = niss
    db_session.flush()
    return user


def test_proving_takes_the_number_from_the_accounts_that_only_typed_it(app, db_session):
    niss = new_niss()
    owner, impostor, another = _typing(db_session, niss), _typing(db_session, niss), _typing(db_session, niss)
    identity.prove(db_session, owner, niss, now=utcnow())
    assert _profile(db_session, owner).niss_proven and _profile(db_session, owner).niss == niss
    told_exactly(app, db_session, "niss_proven_elsewhere", [impostor, another])
    for other in (impostor, another):
        assert _profile(db_session, other).niss is None
        entry = db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "user",
                                                           AuditEntry.object_id == other.id,
                                                           AuditEntry.action == "niss_removed"))
        assert entry is not None and entry.actor_id == owner.id
    assert told(db_session, owner) == []
    assert identity.identity_of(db_session, owner) == {"proven": True, "niss_tail": niss[-4:], "invitation_ids": []}
    assert identity.identity_of(db_session, impostor) == {"proven": False, "niss_tail": "", "invitation_ids": []}


def test_a_person_proving_another_number_than_the_typed_one_gets_the_proven_one(db_session):
    person = make_user(db_session, Role.BENEFICIARY)
    typed = _profile(db_session, person).niss
    niss = new_niss()
    identity.prove(db_session, person, niss, now=utcnow())
    assert _profile(db_session, person).niss == niss != typed
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "niss_proven",
                                                       AuditEntry.object_id == person.id))
    assert "replaces the number typed" in entry.reason


def test_a_proven_number_stays_with_its_holder(db_session):
    niss = new_niss()
    holder = _typing(db_session, niss)
    identity.prove(db_session, holder, niss, now=utcnow())
    other = _typing(db_session, new_niss())
    with pytest.raises(Conflict) as refused:
        identity.prove(db_session, other, niss, now=utcnow())
    assert refused.value.code == "niss_proven_elsewhere"
    with pytest.raises(Conflict) as again:
        identity.prove(db_session, holder, new_niss(), now=utcnow())  # their own is proven: no other one
    assert again.value.code == "other_niss_proven"
    assert identity.prove(db_session, holder, niss, now=utcnow()).niss == niss  # proving it again changes nothing


def test_the_database_keeps_one_proven_holder_per_number_even_in_a_race(db_session):
    niss = new_niss()
    first, second = _typing(db_session, niss), _typing(db_session, niss)
    prove_niss(db_session, first)
    _profile(db_session, second).niss_proven_at = utcnow()
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.flush()


def test_only_a_beneficiary_holds_a_number(db_session):
    coach = make_user(db_session, Role.COACH)
    with pytest.raises(Forbidden):
        identity.prove(db_session, coach, new_niss(), now=utcnow())


def test_a_sign_in_opens_only_the_account_that_holds_the_number_proven(db_session):
    niss = new_niss()
    typed = _typing(db_session, niss)
    assert identity.account_for_sign_in(db_session, niss) is None  # a typed number opens nothing
    prove_niss(db_session, typed)
    assert identity.account_for_sign_in(db_session, niss) == typed
    typed.active = False
    db_session.flush()
    with pytest.raises(Forbidden):
        identity.account_for_sign_in(db_session, niss)


def test_a_proven_account_is_made_only_for_a_free_number_and_address(db_session):
    niss = new_niss()
    typed = _typing(db_session, niss)
    made = identity.create_proven_account(db_session, niss=niss, email="Owner@Example.be", language="nl",
                                          first_name="Ann", last_name="Claes", now=utcnow())
    assert made.email == "owner@example.be" and _profile(db_session, made).niss_proven
    assert _profile(db_session, typed).niss is None
    with pytest.raises(Conflict) as proven:
        identity.create_proven_account(db_session, niss=niss, email="second@example.be", language="fr",
                                       first_name="A", last_name="B", now=utcnow())
    assert proven.value.code == "niss_proven_elsewhere"
    with pytest.raises(Conflict) as address:
        identity.create_proven_account(db_session, niss=new_niss(), email=typed.email, language="fr",
                                       first_name="A", last_name="B", now=utcnow())
    assert address.value.code == "email_taken"


# --- a coordinator's request, taken up through a proven NISS ---------------------------------------------------


@pytest.fixture
def coordinator(db_session):
    return make_user(db_session, Role.COORDINATOR, language="en")


@pytest.fixture
def filed_for(client, db_session, coordinator, request_body, today):
    """A request a coordinator filed for a member: (its id, the invitation)."""
    body = filing_body(request_body, today)
    request_id = file(client.application.test_client(), bearer(client.application.test_client(), coordinator.email),
                      body)["id"]
    invitation = db_session.scalar(select(MemberInvitation).where(MemberInvitation.niss == body["beneficiary"]["niss"]))
    return request_id, invitation


def test_the_member_whose_proven_number_it_names_takes_the_request_without_the_link(client, db_session, filed_for):
    request_id, invitation = filed_for
    member = _typing(db_session, invitation.niss)  # another address than the one the coordinator gave
    member.confirmed_at = None  # not confirmed yet, and the proven path does not confirm it: no link went there
    login(client, member.email)
    path = f"/join/proven/{invitation.id}"
    assert client.get(path).status_code == 404  # typed only: the number proves nothing yet
    assert "Your coordinator asked for a voucher for you" not in client.get("/", headers=EN, follow_redirects=True) \
        .get_data(as_text=True)

    prove_niss(db_session, member)
    dashboard = client.get("/", headers=EN, follow_redirects=True).get_data(as_text=True)
    assert "Your coordinator asked for a voucher for you" in dashboard and path in dashboard
    assert client.get(path, headers=EN).status_code == 200
    taken = post_form(client, path, {}, headers=EN)
    assert taken.status_code == 302 and taken.headers["Location"].endswith(f"/requests/{request_id}")
    request = db_session.get(VoucherRequest, request_id)
    assert request.beneficiary_id == _profile(db_session, member).id and request.invitation.accepted_at is not None
    db_session.refresh(member)
    assert member.confirmed_at is None
    entry = db_session.scalar(select(AuditEntry).where(AuditEntry.action == "member_joined",
                                                       AuditEntry.object_id == request_id))
    assert "proven through FAS" in entry.reason
    assert client.get(path).status_code == 404  # taken up: gone


def test_the_coordinator_sees_that_the_member_has_not_confirmed_the_address(client, db_session, filed_for,
                                                                           coordinator):
    request_id, invitation = filed_for
    member = _typing(db_session, invitation.niss)
    member.confirmed_at = None
    prove_niss(db_session, member)
    login(client, member.email)
    assert post_form(client, f"/join/proven/{invitation.id}", {}, headers=EN).status_code == 302
    headers = bearer(client.application.test_client(), coordinator.email)
    def row() -> dict:
        items = client.get("/api/v1/coordinator/requests", headers=headers).get_json()["items"]
        return next(item for item in items if item["id"] == request_id)

    assert row()["member"]["joined"] is True and row()["member"]["email_confirmed"] is False
    staff = client.application.test_client()
    login(staff, coordinator.email)
    waiting = "Waiting for the member to confirm their e-mail address"
    assert waiting in staff.get("/coordinator/", headers=EN).get_data(as_text=True)
    assert "They have not confirmed this e-mail address yet" in staff.get(
        f"/coordinator/requests/{request_id}", headers=EN).get_data(as_text=True)
    member.confirmed_at = member.created_at
    db_session.flush()
    assert waiting not in staff.get("/coordinator/", headers=EN).get_data(as_text=True)
    assert row()["member"]["email_confirmed"] is True


def test_a_proven_account_with_another_number_cannot_take_it(client, db_session, filed_for):
    _, invitation = filed_for
    stranger = make_user(db_session, Role.BENEFICIARY, language="en")
    prove_niss(db_session, stranger)
    login(client, stranger.email)
    assert client.get(f"/join/proven/{invitation.id}").status_code == 404
    assert post_form(client, f"/join/proven/{invitation.id}", {}, token_from="/").status_code == 404
    assert db_session.get(MemberInvitation, invitation.id).accepted_at is None
