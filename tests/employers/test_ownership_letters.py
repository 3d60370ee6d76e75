"""Nobody owns a company by registering it: the fund sends a code by post to the registered office; until the
right code is typed, the account acts for nothing. Wrong codes are counted and limited, codes expire, and each step
is told to the person who acts next."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.clock import utcnow
from portal.notifications.models import Notification
from portal.permissions import Role
from tests.employers.ownership_support import (
    EN,
    account,
    claim_of,
    confirmation_path,
    fund_admin,
    mails_to,
    post_letter,
    prove_ownership,
    registration_body,
)
from tests.employers.test_agents import LINK
from tests.support.factories import make_user, new_iban
from tests.support.notices import told_exactly
from tests.support.web import bearer, login, post_form
from vouchers.employers.company_access import claims, domain
from vouchers.employers.company_access.models import OwnershipClaim
from vouchers.employers.models import Employer


def _register_and_confirm(client, db_session, **overrides) -> User:
    body = registration_body(**overrides)
    assert client.post("/api/v1/employers", json=body).status_code == 202
    assert client.get(confirmation_path(db_session, body["email"]), headers=EN).status_code == 302
    return account(db_session, body["email"])


def test_the_whole_way_from_registration_to_declaring(app, client, db_session, dismissal_body):
    admin = fund_admin(db_session)
    body = registration_body()
    client.post("/api/v1/employers", json=body)
    user = account(db_session, body["email"])
    assert claim_of(db_session, user).status == "awaiting_email"
    client.get(confirmation_path(db_session, body["email"]), headers=EN)

    # Confirmed: the letter is due, and the fund is told.
    claim = claim_of(db_session, user)
    assert claim.status == "letter_due"
    [notice] = told_exactly(app, db_session, "ownership_letter_due", [admin])
    assert body["company_name"] in notice.title and notice.link == "/admin/fund/ownership-letters/"

    # Until the code is typed the account acts for nothing.
    headers = bearer(client, user.email)
    refused = client.post("/api/v1/dismissals", headers=headers, json=dismissal_body())
    assert refused.status_code == 403 and refused.get_json()["error"]["code"] == "ownership_not_proven"
    [listed] = client.get("/api/v1/employer/ownership-claims", headers=headers).get_json()["items"]
    assert listed["status"] == "letter_due" and listed["company_name"] == body["company_name"]
    early = client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=headers,
                        json={"code": "ABCDE-23456"})
    assert early.status_code == 409 and early.get_json()["error"]["code"] == "letter_not_sent"

    # The fund posts the letter: the code is no longer readable, the person is told.
    code = post_letter(db_session, claim, admin)
    db_session.refresh(claim)
    assert claim.code is None and claim.status == "letter_sent" and code not in claim.code_hash
    assert claim.expires_at - claim.letter_sent_at == timedelta(days=domain.CODE_VALID_DAYS)
    [told] = told_exactly(app, db_session, "ownership_letter_sent", [user])
    assert body["company_name"] in told.title and told.link == "/employer/ownership"

    wrong = client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=headers,
                        json={"code": "ABCDE-23456" if code != "ABCDE23456" else "ABCDE-23457"})
    assert wrong.status_code == 422 and wrong.get_json()["error"]["code"] == "wrong_code"
    assert wrong.get_json()["error"]["attempts_left"] == domain.MAX_WRONG_CODES - 1
    typed = f" {code[:5].lower()}-{code[5:]} "  # as a person types it from the letter
    right = client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=headers, json={"code": typed})
    assert right.status_code == 200, right.get_json()
    assert right.get_json()["status"] == "proven"
    company = db_session.scalar(select(Employer).where(Employer.enterprise_number == body["enterprise_number"]))
    assert db_session.get(User, user.id).employer_id == company.id
    declared = client.post("/api/v1/dismissals", headers=headers, json=dismissal_body())
    assert declared.status_code == 201
    actions = set(db_session.scalars(select(AuditEntry.action).where(AuditEntry.object_type == "employer",
                                                                      AuditEntry.object_id == company.id)))
    assert {"ownership_claimed", "ownership_letter_sent", "ownership_code_refused", "ownership_proven"} <= actions
    again = client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=headers, json={"code": code})
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "already_proven"


def test_a_second_registrant_does_not_become_owner_nor_see_anything(client, db_session, employer_user,
                                                                    dismissal_body):
    company = db_session.get(Employer, employer_user.employer_id)
    own = client.post("/api/v1/dismissals", headers=bearer(client, employer_user.email), json=dismissal_body())
    assert own.status_code == 201
    stranger = _register_and_confirm(client, db_session, enterprise_number=company.enterprise_number)
    headers = bearer(client, stranger.email)
    assert client.get("/api/v1/dismissals", headers=headers).get_json()["items"] == []
    assert client.get(f"/api/v1/dismissals/{own.get_json()['id']}", headers=headers).status_code == 404
    assert client.post("/api/v1/dismissals", headers=headers, json=dismissal_body()).status_code == 403
    assert client.get("/api/v1/employer/employers", headers=headers).get_json()["items"] == []
    # Once the company's office hands over the code, the person is one of its users; the company keeps its data.
    claim = claim_of(db_session, stranger)
    claims.prove(db_session, stranger, claim.id, post_letter(db_session, claim), now=utcnow())
    db_session.refresh(company)
    assert stranger.employer_id == company.id and company.company_name.startswith("Company ")


def test_the_first_proven_user_sets_the_company_data_a_stranger_typed_first(client, db_session):
    stranger = _register_and_confirm(client, db_session, iban="BE71096123456769", company_name="Fake SRL")
    company = db_session.get(Employer, claim_of(db_session, stranger).employer_id)
    assert company.iban == "BE71096123456769"
    real_iban = new_iban()
    real = _register_and_confirm(client, db_session, enterprise_number=company.enterprise_number,
                                 company_name="Menuiserie Lambert SRL", iban=real_iban)
    claim = claim_of(db_session, real)
    claims.prove(db_session, real, claim.id, post_letter(db_session, claim), now=utcnow())
    db_session.refresh(company)
    assert (company.company_name, company.iban, company.email) == ("Menuiserie Lambert SRL", real_iban, real.email)
    assert stranger.employer_id is None and claim_of(db_session, stranger).status == "letter_due"


def test_wrong_codes_lock_the_letter_and_a_new_one_can_be_asked(app, client, db_session):
    admin = fund_admin(db_session)
    user = _register_and_confirm(client, db_session)
    headers = bearer(client, user.email)
    claim = claim_of(db_session, user)
    code = post_letter(db_session, claim, admin)
    wrong = "ABCDE23456" if code != "ABCDE23456" else "ABCDE23457"
    lefts = [client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=headers,
                         json={"code": wrong}).get_json()["error"]["attempts_left"]
             for _ in range(domain.MAX_WRONG_CODES)]
    assert lefts == list(range(domain.MAX_WRONG_CODES - 1, -1, -1))
    locked = client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=headers, json={"code": code})
    assert locked.status_code == 409 and locked.get_json()["error"]["code"] == "too_many_wrong_codes"
    assert db_session.get(User, user.id).employer_id is None

    asked = client.post(f"/api/v1/employer/ownership-claims/{claim.id}/letter", headers=headers)
    assert asked.status_code == 202 and asked.get_json()["status"] == "letter_due"
    new = db_session.get(OwnershipClaim, asked.get_json()["id"])
    assert new.id != claim.id and new.code != code
    db_session.refresh(claim)
    assert claim.status == "replaced"
    letters_due = db_session.scalars(select(Notification.object_id).where(
        Notification.kind == "ownership_letter_due", Notification.user_id == admin.id)).all()
    assert letters_due == [claim.employer_id, claim.employer_id]  # the fund is told of the new letter too
    twice = client.post(f"/api/v1/employer/ownership-claims/{new.id}/letter", headers=headers)
    assert twice.status_code == 409 and twice.get_json()["error"]["code"] == "letter_pending"


def test_an_expired_code_no_longer_works(client, db_session):
    user = _register_and_confirm(client, db_session)
    headers = bearer(client, user.email)
    claim = claim_of(db_session, user)
    code = post_letter(db_session, claim)
    claim.expires_at = utcnow() - timedelta(minutes=1)
    db_session.flush()
    late = client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=headers, json={"code": code})
    assert late.status_code == 409 and late.get_json()["error"]["code"] == "code_expired"
    [listed] = client.get("/api/v1/employer/ownership-claims", headers=headers).get_json()["items"]
    assert listed["status"] == "expired" and listed["may_ask_new_letter"] is True
    assert client.post(f"/api/v1/employer/ownership-claims/{claim.id}/letter", headers=headers).status_code == 202


def test_wrong_codes_are_rate_limited_per_account(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "OWNERSHIP_CODE_LIMIT", "2 per hour")
    user = _register_and_confirm(client, db_session)
    headers = bearer(client, user.email)
    claim = claim_of(db_session, user)
    code = post_letter(db_session, claim)
    wrong = "ABCDE23456" if code != "ABCDE23456" else "ABCDE23457"
    answers = [client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=headers,
                           json={"code": wrong}).status_code for _ in range(3)]
    assert answers == [422, 422, 429]
    db_session.refresh(claim)
    assert claim.failed_attempts == 2  # the refused call was not even tried


def test_someone_elses_claim_is_not_found(client, db_session, employer_user):
    user = _register_and_confirm(client, db_session)
    claim = claim_of(db_session, user)
    other = bearer(client, employer_user.email)
    assert client.post(f"/api/v1/employer/ownership-claims/{claim.id}/code", headers=other,
                       json={"code": "ABCDE23456"}).status_code == 404
    assert client.post(f"/api/v1/employer/ownership-claims/{claim.id}/letter", headers=other).status_code == 404
    assert client.get("/api/v1/employer/ownership-claims", headers=other).get_json()["items"] == []


def test_joining_through_a_colleagues_invitation_closes_the_claim(app, client, db_session, employer_user):
    company = db_session.get(Employer, employer_user.employer_id)
    user = _register_and_confirm(client, db_session, enterprise_number=company.enterprise_number)
    client.post("/api/v1/employer/users", headers=bearer(client, employer_user.email), json={"email": user.email})
    link = LINK.search(mails_to(db_session, user.email)[-1].body).group(1)
    browser = app.test_client()
    login(browser, user.email)
    assert post_form(browser, link, {}, headers=EN).status_code == 302
    db_session.refresh(user)
    assert user.employer_id == company.id and claim_of(db_session, user).status == "withdrawn"


def test_the_helper_gives_ownership_the_way_the_portal_does(db_session):
    user = make_user(db_session, Role.EMPLOYER, employer_id=None, language="en")
    company = db_session.get(Employer, make_user(db_session, Role.EMPLOYER).employer_id)
    claim = prove_ownership(db_session, user, company)
    assert claim.status == "proven" and user.employer_id == company.id
