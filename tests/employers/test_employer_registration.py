"""An employer's registration answers the same whether or not the e-mail address or the company is known, owns no
company by registering, and is rate-limited; what happened is said only to the mailbox."""

from __future__ import annotations

import re

from sqlalchemy import select

from portal.audit import AuditEntry
from portal.permissions import Role
from tests.employers.ownership_support import (
    EN,
    account,
    claim_of,
    confirmation_path,
    mails_to,
    registration_body,
)
from tests.support.factories import make_employer, make_user
from tests.support.web import post_form
from vouchers.employers.company_access.models import OwnershipClaim
from vouchers.employers.models import Employer

CSRF = re.compile(r'name="csrf_token"[^>]*value="[^"]+"')


def _web_form(body: dict) -> dict:
    return {**body, "password_repeat": body["password"]}


def test_the_api_answers_the_same_whatever_is_known(client, db_session):
    member = make_user(db_session, Role.EMPLOYER, language="en")
    known_company = db_session.get(Employer, member.employer_id)
    beneficiary = make_user(db_session, Role.BENEFICIARY, language="en")
    cases = {
        "all new": registration_body(),
        "known company": registration_body(enterprise_number=known_company.enterprise_number),
        "known address": registration_body(email=beneficiary.email),
        "both known": registration_body(email=member.email, enterprise_number=known_company.enterprise_number),
    }
    answers = {name: client.post("/api/v1/employers", json=body) for name, body in cases.items()}
    assert {(r.status_code, r.get_data(as_text=True)) for r in answers.values()} == {
        (202, answers["all new"].get_data(as_text=True))}
    assert answers["all new"].get_json()["status"] == "check_your_mailbox"
    assert "id" not in answers["all new"].get_json()

    # What happened, said only to the mailboxes.
    new = account(db_session, cases["all new"]["email"])
    assert new.role == Role.EMPLOYER and not new.is_confirmed and new.employer_id is None
    created = db_session.scalar(select(Employer).where(Employer.enterprise_number ==
                                                       cases["all new"]["enterprise_number"]))
    assert claim_of(db_session, new).employer_id == created.id and claim_of(db_session, new).status == "awaiting_email"
    assert confirmation_path(db_session, new.email).startswith("/employer/confirm/")

    second = account(db_session, cases["known company"]["email"])
    assert second.employer_id is None  # the company is not taken over
    assert claim_of(db_session, second).employer_id == known_company.id
    db_session.refresh(known_company)
    assert known_company.company_name != cases["known company"]["company_name"]  # nor its details changed

    for someone in (beneficiary, member):
        db_session.refresh(someone)
        mail = mails_to(db_session, someone.email)[-1]
        assert "already have an account" in mail.body and "/employer/confirm/" not in mail.body
        assert db_session.scalar(select(OwnershipClaim.id).where(OwnershipClaim.user_id == someone.id)) is None
    assert beneficiary.role == Role.BENEFICIARY
    assert member.employer_id == known_company.id
    # A company nobody could register again (the address was known) was not created either.
    assert db_session.scalar(select(Employer.id).where(
        Employer.enterprise_number == cases["known address"]["enterprise_number"])) is None


def test_an_unconfirmed_employer_registering_again_gets_its_link_again(client, db_session):
    body = registration_body()
    client.post("/api/v1/employers", json=body)
    again = client.post("/api/v1/employers", json=registration_body(email=body["email"].upper()))
    assert again.status_code == 202
    assert len([m for m in mails_to(db_session, body["email"]) if "/employer/confirm/" in m.body]) == 2
    assert len(db_session.scalars(select(OwnershipClaim).where(
        OwnershipClaim.user_id == account(db_session, body["email"]).id)).all()) == 1


def test_the_web_page_answers_the_same_and_logs_nobody_in(client, db_session):
    member = make_user(db_session, Role.EMPLOYER, language="en")
    known = db_session.get(Employer, member.employer_id)
    pages = []
    for body in (registration_body(), registration_body(enterprise_number=known.enterprise_number),
                 registration_body(email=member.email)):
        response = post_form(client, "/register/employer", _web_form(body), headers=EN, follow_redirects=True)
        assert response.status_code == 200
        text = response.get_data(as_text=True)
        pages.append(CSRF.sub("CSRF", text.replace(body["email"], "EMAIL")))
        assert "Log in" in text and "Log out" not in text  # nobody is logged in by a registration
    assert pages[0] == pages[1] == pages[2]
    assert "open its link to confirm your address" in pages[0]


def test_input_wrong_on_its_face_is_refused_field_by_field_whatever_is_known(client, db_session):
    member = make_user(db_session, Role.EMPLOYER, language="en")
    for email in (member.email, "someone.new@company.example.be"):
        bad = client.post("/api/v1/employers", json=registration_body(
            email=email, password=email, enterprise_number="0403.170.702", iban="BE68 5390 0754 7034",
            onss_number="123456789012"))
        assert bad.status_code == 422
        assert {"password", "enterprise_number", "iban", "onss_number"} <= set(bad.get_json()["error"]["fields"])
    page = post_form(client, "/register/employer", _web_form(registration_body(enterprise_number="123")),
                     headers=EN)
    assert page.status_code == 422 and "enterprise number" in page.get_data(as_text=True)
    assert mails_to(db_session, member.email) == []


def test_registrations_are_limited_per_client_and_per_address(app, client, db_session, monkeypatch):
    monkeypatch.setitem(app.config, "REGISTRATION_LIMIT_PER_IP", "3 per hour")
    answers = [client.post("/api/v1/employers", json=registration_body()).status_code for _ in range(3)]
    # The web page shares the counter: the fourth registration from this client is refused.
    answers.append(post_form(client, "/register/employer", _web_form(registration_body()), headers=EN).status_code)
    assert answers == [202, 202, 202, 429]
    monkeypatch.setitem(app.config, "REGISTRATION_LIMIT_PER_IP", "100 per hour")
    body = registration_body()
    per_address = [client.post("/api/v1/employers", json=registration_body(email=body["email"])).status_code
                   for _ in range(4)]
    assert per_address == [202, 202, 202, 429]  # REGISTRATION_LIMIT_PER_EMAIL: 3 per hour


def test_two_registrations_of_one_new_company_give_two_claims_and_no_owner(client, db_session):
    first, second = registration_body(), registration_body()
    second["enterprise_number"] = first["enterprise_number"]
    for body in (first, second):
        assert client.post("/api/v1/employers", json=body).status_code == 202
    company = db_session.scalar(select(Employer).where(Employer.enterprise_number == first["enterprise_number"]))
    claimants = db_session.scalars(select(OwnershipClaim.user_id).where(OwnershipClaim.employer_id == company.id))
    assert sorted(claimants) == sorted(account(db_session, b["email"]).id for b in (first, second))
    assert all(account(db_session, b["email"]).employer_id is None for b in (first, second))
    assert db_session.scalar(select(AuditEntry.id).where(AuditEntry.object_type == "employer",
                                                         AuditEntry.object_id == company.id,
                                                         AuditEntry.action == "registered")) is not None


def test_an_operator_made_company_is_claimed_like_any_other(client, db_session):
    company = make_employer(db_session)
    body = registration_body(enterprise_number=company.enterprise_number)
    assert client.post("/api/v1/employers", json=body).status_code == 202
    assert claim_of(db_session, account(db_session, body["email"])).employer_id == company.id
