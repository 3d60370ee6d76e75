"""An employer's user invites colleagues (a payroll clerk) to the company's own account, with the same answer
whatever the address; the colleague joins through the e-mailed link."""

from __future__ import annotations

from sqlalchemy import select

from portal.auth.models import User
from portal.permissions import Role
from tests.employers.test_agents import EN, LINK, _mails_to
from tests.support.factories import PASSWORD, make_employer, make_user
from tests.support.web import bearer, login, post_form
from vouchers.employers.models import EmployerAgent


def test_the_api_answers_the_same_whatever_the_address(client, db_session, employer_user):
    headers = bearer(client, employer_user.email)
    colleague = make_user(db_session, Role.EMPLOYER, employer_id=employer_user.employer_id)
    other_company = make_user(db_session, Role.EMPLOYER, employer_id=make_employer(db_session).id)
    answers = []
    for address in ("new.clerk@company.example.be", colleague.email, other_company.email):
        response = client.post("/api/v1/employer/users", headers=headers, json={"email": address,
                                                                                "first_name": "Paula"})
        answers.append((response.status_code, response.get_json()))
    assert answers == [(202, {"status": "invitation_sent"})] * 3
    assert _mails_to(db_session, colleague.email) == []  # already a user: nothing is sent
    assert len(_mails_to(db_session, "new.clerk@company.example.be")) == 1
    bad = client.post("/api/v1/employer/users", headers=headers, json={"email": "not an address"})
    assert bad.status_code == 422


def test_a_new_colleague_creates_an_account_of_the_company_through_the_link(app, client, db_session, employer_user):
    login(client, employer_user.email)
    sent = post_form(client, "/employer/colleagues", {"email": "clerk@company.example.be", "first_name": "Paula",
                                                      "last_name": "Payroll"}, headers=EN)
    assert sent.status_code == 302
    link = LINK.search(_mails_to(db_session, "clerk@company.example.be")[-1].body).group(1)
    invitee = app.test_client()
    created = post_form(invitee, link, {"first_name": "Paula", "last_name": "Payroll", "password": PASSWORD,
                                        "password_repeat": PASSWORD, "language": "nl"}, headers=EN)
    assert created.status_code == 302, created.get_data(as_text=True)
    clerk = db_session.scalar(select(User).where(User.email == "clerk@company.example.be"))
    assert clerk.role == Role.EMPLOYER and clerk.employer_id == employer_user.employer_id
    assert db_session.scalar(select(EmployerAgent.id).where(EmployerAgent.agent_user_id == clerk.id)) is None
    assert invitee.get("/employer/").status_code == 200


def test_another_companys_user_cannot_join(app, client, db_session, employer_user):
    other = make_user(db_session, Role.EMPLOYER, employer_id=make_employer(db_session).id, language="en")
    client.post("/api/v1/employer/users", headers=bearer(client, employer_user.email), json={"email": other.email})
    link = LINK.search(_mails_to(db_session, other.email)[-1].body).group(1)
    browser = app.test_client()
    login(browser, other.email)
    refused = browser.get(link, headers=EN)
    assert refused.status_code == 409 and "another company" in refused.get_data(as_text=True)
    db_session.refresh(other)
    assert other.employer_id != employer_user.employer_id
