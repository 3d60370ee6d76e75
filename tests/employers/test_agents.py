"""Agents: an employer's users invite a social secretariat by e-mail, list and cancel invitations, list and
remove agents; the invitee accepts through the e-mailed link (logging in, or creating an employer account);
the agent switches between the employers it acts for when declaring; the audit says who did what.

Inviting must tell the employer nothing about the address: an unknown address, a beneficiary's (a person
unable to work) and another company's account all get the same answer, and no account is created."""

from __future__ import annotations

import re
from datetime import timedelta
from urllib.parse import parse_qs, quote, urlsplit

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.clock import utcnow
from portal.mail import OutboxMessage
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_employer, make_user, new_niss
from tests.support.notices import told_exactly
from tests.support.web import bearer, login, post_form
from vouchers.employers.agents import services as agent_invitations
from vouchers.employers.models import (
    Declaration,
    Employer,
    EmployerAgent,
    EmployerAgentInvitation,
)
from vouchers.employers.services import declarations as declaration_services

EN = {"Accept-Language": "en"}
LINK = re.compile(r"https?://[^\s/]+(/employer/agents/accept/\S+)")
SENT = "An invitation was sent to {}. The agent appears here once they accept it."


def _audit(db_session, action: str) -> list[AuditEntry]:
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _mails_to(db_session, address: str) -> list[OutboxMessage]:
    return list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.recipient == address)
                                   .order_by(OutboxMessage.id)))


def _link(db_session, address: str) -> str:
    """The path of the accept link in the latest e-mail to ``address``."""
    match = LINK.search(_mails_to(db_session, address)[-1].body)
    assert match, _mails_to(db_session, address)[-1].body
    return match.group(1)


def _user_count(db_session) -> int:
    return db_session.scalar(select(func.count(User.id)))


def _invite(client, address: str, **extra: str):
    return post_form(client, "/employer/agents", {"email": address, **extra}, headers=EN)


def _invitation(db_session, address: str) -> EmployerAgentInvitation:
    return db_session.scalars(select(EmployerAgentInvitation).where(EmployerAgentInvitation.email == address)
                              .order_by(EmployerAgentInvitation.id.desc())).first()


# --- inviting: the same answer whatever the address --------------------------------------------------------

def test_inviting_gives_the_same_answer_for_any_address_and_creates_no_account(client, db_session, employer_user):
    beneficiary = make_user(db_session, Role.BENEFICIARY, language="nl")
    other_company_user = make_user(db_session, Role.EMPLOYER, language="en")
    inactive = make_user(db_session, Role.EMPLOYER, employer_id=None)
    inactive.active = False
    db_session.flush()
    unknown = "nobody-yet@secretariat.example.be"
    login(client, employer_user.email)
    users_before = _user_count(db_session)
    answers = set()
    for address in (unknown, beneficiary.email, other_company_user.email, inactive.email):
        response = _invite(client, address.upper())
        answers.add((response.status_code, response.headers.get("Location"),
                     response.get_data(as_text=True).replace(address.upper(), "ADDRESS")))
        page = client.get("/employer/agents", headers=EN).get_data(as_text=True)
        assert SENT.format(address) in page
        assert len(_mails_to(db_session, address)) == 1
    assert len(answers) == 1 and next(iter(answers))[:2] == (302, "/employer/agents")
    # Each invitation is listed the same way: nothing in its row tells what kind of address it is.
    rows = re.findall(r"<tr>\s*<td>[^<]*@.*?</tr>", page, re.DOTALL)
    assert len(rows) == 4
    varying = r"invitations/\d+/|<td>[^<]*@[^<]*</td>|to [^\s\"]*@[^\s\"]*|<td>[^<]*\d{4}[^<]*</td>"
    assert len({re.sub(varying, "", row) for row in rows}) == 1  # the address, the id and the time aside
    assert _user_count(db_session) == users_before  # no account is created when inviting
    assert db_session.scalar(select(User).where(User.email == unknown)) is None
    assert db_session.get(User, beneficiary.id).role == Role.BENEFICIARY
    assert db_session.scalars(select(EmployerAgent)).all() == []
    assert [e.actor_id for e in _audit(db_session, "agent_invited")] == [employer_user.id] * 4
    # The invitee's language where there is an account (the catalogs come later: see the test below).
    assert _mails_to(db_session, beneficiary.email)[0].user_id == beneficiary.id
    assert _mails_to(db_session, unknown)[0].user_id is None


def test_the_api_gives_the_same_answer_for_any_address(client, db_session, employer_user, headers):
    beneficiary = make_user(db_session, Role.BENEFICIARY)
    other_company_user = make_user(db_session, Role.EMPLOYER)
    users_before = _user_count(db_session)
    bodies = []
    for address in ("unknown@secretariat.example.be", beneficiary.email, other_company_user.email):
        response = client.post("/api/v1/employer/agents", json={"email": f" {address.upper()} ", "name": "Paula"},
                               headers=headers)
        assert response.status_code == 202, response.get_json()
        invitation = response.get_json()["invitation"]
        assert invitation["email"] == address and invitation["name"] == "Paula"
        bodies.append({k: v for k, v in invitation.items() if k not in ("id", "email", "created_at", "sent_at",
                                                                        "expires_at")})
        assert set(response.get_json()) == {"invitation"}
    assert bodies[0] == bodies[1] == bodies[2] == {"name": "Paula"}
    assert _user_count(db_session) == users_before


def test_an_invited_address_can_still_register_as_a_beneficiary(app, client, db_session, employer_user):
    login(client, employer_user.email)
    assert _invite(client, "worker@example.be").status_code == 302
    person = app.test_client()
    registered = post_form(person, "/register", {
        "email": "worker@example.be", "password": PASSWORD, "password_repeat": PASSWORD, "first_name": "Amélie",
        "last_name": "Peeters", "niss": new_niss(), "language": "en"}, headers=EN)
    assert registered.status_code == 302, registered.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.email == "worker@example.be")).role == Role.BENEFICIARY


def test_the_invitation_is_written_in_the_invitees_language_or_else_the_inviters(client, db_session, monkeypatch):
    from vouchers.employers.agents import views as agent_views

    inviter = make_user(db_session, Role.EMPLOYER, language="de")
    dutch = make_user(db_session, Role.BENEFICIARY, language="nl")
    used: list[str] = []
    real = agent_views.force_locale

    def recording(locale):
        used.append(locale)
        return real(locale)

    monkeypatch.setattr(agent_views, "force_locale", recording)
    login(client, inviter.email)
    _invite(client, dutch.email)
    _invite(client, "unknown@secretariat.example.be")
    assert used == ["nl", "de"]


def test_refusals_the_employer_already_knows_keep_the_form(client, db_session, employer_user):
    colleague = make_user(db_session, Role.EMPLOYER, employer_id=employer_user.employer_id)
    agent = make_user(db_session, Role.EMPLOYER, employer_id=None)
    declaration_services.add_agent(db_session, agent_user_id=agent.id, employer_id=employer_user.employer_id)
    login(client, employer_user.email)
    for email, problem in ((colleague.email, "already a user of your company"),
                           (agent.email, "already acts for your company"),
                           ("not-an-address", "this e-mail address is not valid")):
        response = _invite(client, email)
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and problem in page.lower() and f'value="{email}"' in page
    assert db_session.scalars(select(EmployerAgentInvitation)).all() == []
    assert _mails_to(db_session, colleague.email) == [] and _mails_to(db_session, agent.email) == []


def test_inviting_again_sends_the_same_invitation_again(client, db_session, employer_user):
    login(client, employer_user.email)
    _invite(client, "clerk@secretariat.example.be", name="Paula Payroll")
    first = _link(db_session, "clerk@secretariat.example.be")
    _invite(client, "clerk@secretariat.example.be")
    rows = db_session.scalars(select(EmployerAgentInvitation)).all()
    assert len(rows) == 1 and rows[0].name == "Paula Payroll"  # an empty name keeps the one given before
    assert len(_mails_to(db_session, "clerk@secretariat.example.be")) == 2
    assert first.startswith("/employer/agents/accept/")


def test_the_database_keeps_one_open_invitation_per_employer_and_address(db_session, employer_user):
    employer_id = employer_user.employer_id
    db_session.add(EmployerAgentInvitation(employer_id=employer_id, email="a@example.be",
                                           cancelled_at=utcnow()))
    db_session.add(EmployerAgentInvitation(employer_id=employer_id, email="a@example.be", accepted_at=utcnow()))
    db_session.add(EmployerAgentInvitation(employer_id=employer_id, email="a@example.be"))
    db_session.add(EmployerAgentInvitation(employer_id=make_employer(db_session).id, email="a@example.be"))
    db_session.flush()  # closed ones and another employer's do not count
    with pytest.raises(IntegrityError), db_session.begin_nested():
        db_session.add(EmployerAgentInvitation(employer_id=employer_id, email="a@example.be"))
        db_session.flush()
    with pytest.raises(IntegrityError), db_session.begin_nested():  # accepted or cancelled, not both
        db_session.add(EmployerAgentInvitation(employer_id=employer_id, email="b@example.be",
                                               accepted_at=utcnow(), cancelled_at=utcnow()))
        db_session.flush()


def test_an_employer_cannot_have_too_many_pending_invitations(client, db_session, employer_user, monkeypatch):
    monkeypatch.setattr(agent_invitations, "MAX_OPEN_INVITATIONS", 2)
    login(client, employer_user.email)
    for n in (1, 2):
        assert _invite(client, f"clerk{n}@secretariat.example.be").status_code == 302
    refused = _invite(client, "clerk3@secretariat.example.be")
    assert refused.status_code == 422 and "too many pending invitations" in refused.get_data(as_text=True)
    assert _invite(client, "clerk1@secretariat.example.be").status_code == 302  # sending one again is fine


# --- accepting -----------------------------------------------------------------------------------------------

def test_an_employer_account_accepts_after_logging_in_then_declares(app, client, db_session, employer_user, today):
    secretariat = make_user(db_session, Role.EMPLOYER, language="en")  # has a company of its own too
    company = db_session.get(Employer, employer_user.employer_id)
    login(client, employer_user.email)
    assert "No agent acts for your company." in client.get("/employer/agents", headers=EN).get_data(as_text=True)
    _invite(client, secretariat.email)
    page = client.get("/employer/agents", headers=EN).get_data(as_text=True)
    assert "Invitations waiting for an answer" in page and f"<td>{secretariat.email}</td>" in page
    link = _link(db_session, secretariat.email)

    agent = app.test_client()
    to_login = agent.get(link, headers=EN)
    assert to_login.status_code == 302
    location = urlsplit(to_login.headers["Location"])
    assert location.path == "/login" and parse_qs(location.query)["next"] == [link]
    logged_in = post_form(agent, f"/login?next={quote(link)}", {"email": secretariat.email, "password": PASSWORD})
    assert logged_in.status_code == 302 and logged_in.headers["Location"] == link
    confirm = agent.get(link, headers=EN).get_data(as_text=True)
    assert f"Accept and act for {company.company_name}" in confirm
    assert db_session.scalars(select(EmployerAgent)).all() == []  # opening the link changes nothing
    accepted = post_form(agent, link, {}, headers=EN)
    assert accepted.status_code == 302, accepted.get_data(as_text=True)
    link_row = db_session.scalar(select(EmployerAgent).where(EmployerAgent.employer_id == company.id))
    assert link_row.agent_user_id == secretariat.id
    invitation = _invitation(db_session, secretariat.email)
    assert invitation.accepted_at is not None and not invitation.is_open
    entry = _audit(db_session, "agent_linked")[-1]
    assert entry.actor_id == secretariat.id and entry.object_id == company.id  # the agent acted
    assert entry.reason == f"invitation {invitation.id} accepted by user {secretariat.id}"
    assert any("now acts for" in m.subject for m in _mails_to(db_session, employer_user.email))
    [joined] = told_exactly(app, db_session, "agent_joined", [employer_user])
    assert company.company_name in joined.title and joined.link == "/employer/agents"
    page = client.get("/employer/agents", headers=EN).get_data(as_text=True)
    assert "Invitations waiting for an answer" not in page and f"<td>{secretariat.email}</td>" in page

    dashboard = agent.get("/employer/", headers=EN).get_data(as_text=True)
    assert company.company_name in dashboard and "Employer:" in dashboard  # it switches between two employers
    form = agent.get(f"/employer/declare?employer_id={company.id}", headers=EN).get_data(as_text=True)
    assert f'<option selected value="{company.id}">' in form or f'value="{company.id}" selected' in form
    declared = post_form(agent, "/employer/declare", {
        "employer_id": str(company.id), "worker_first_name": "Jan", "worker_last_name": "Peeters",
        "worker_niss": new_niss(), "contract_end_on": (today - timedelta(days=3)).isoformat()})
    assert declared.status_code == 302, declared.get_data(as_text=True)
    declaration = db_session.scalar(select(Declaration).where(Declaration.employer_id == company.id))
    assert declaration.declared_by_id == secretariat.id and declaration.on_behalf_of_agent_id == secretariat.id
    acted = db_session.scalar(select(AuditEntry).where(AuditEntry.object_type == "dismissal_declaration",
                                                       AuditEntry.object_id == declaration.id))
    assert acted.actor_id == secretariat.id and acted.on_behalf_of == f"employer {company.id}"
    only_company = agent.get(f"/employer/?employer_id={company.id}", headers=EN).get_data(as_text=True)
    assert "Jan Peeters" in only_company
    own_only = agent.get(f"/employer/?employer_id={secretariat.employer_id}", headers=EN).get_data(as_text=True)
    assert "Jan Peeters" not in own_only

    used = agent.get(link, headers=EN)
    assert used.status_code == 410 and "already accepted" in used.get_data(as_text=True)


def test_a_new_address_creates_its_employer_account_when_accepting(app, client, db_session, employer_user):
    login(client, employer_user.email)
    _invite(client, "clerk@secretariat.example.be", name="Paula Payroll")
    link = _link(db_session, "clerk@secretariat.example.be")
    invitee = app.test_client()
    form = invitee.get(link, headers=EN)
    page = form.get_data(as_text=True)
    assert form.status_code == 200 and 'value="Paula"' in page and 'value="Payroll"' in page
    weak = post_form(invitee, link, {"first_name": "Paula", "last_name": "Payroll", "password": "short",
                                     "password_repeat": "short", "language": "en"}, headers=EN)
    assert weak.status_code == 422 and 'value="Payroll"' in weak.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.email == "clerk@secretariat.example.be")) is None
    created = post_form(invitee, link, {"first_name": "Paula", "last_name": "Payroll", "password": PASSWORD,
                                        "password_repeat": PASSWORD, "language": "nl"}, headers=EN)
    assert created.status_code == 302, created.get_data(as_text=True)
    clerk = db_session.scalar(select(User).where(User.email == "clerk@secretariat.example.be"))
    assert clerk.role == Role.EMPLOYER and clerk.employer_id is None and clerk.first_name == "Paula"
    assert clerk.language == "nl" and clerk.confirmed_at is not None  # the link proved the address
    assert declaration_services.is_agent_for(db_session, clerk, employer_user.employer_id)
    entry = _audit(db_session, "agent_linked")[-1]
    assert entry.actor_id == clerk.id and entry.reason.endswith("(account created)")
    page = invitee.get("/employer/agents").get_data(as_text=True)  # logged in, in Dutch, as the new account
    assert '<html lang="nl">' in page and f"/employer/?employer_id={employer_user.employer_id}" in page
    assert 'name="email"' not in page  # it acts for the company, it does not manage its agents


def test_a_beneficiary_account_cannot_accept(app, client, db_session, employer_user):
    beneficiary = make_user(db_session, Role.BENEFICIARY, language="en")
    login(client, employer_user.email)
    _invite(client, beneficiary.email)
    link = _link(db_session, beneficiary.email)
    person = app.test_client()
    assert urlsplit(person.get(link).headers["Location"]).path == "/login"
    login(person, beneficiary.email)
    for response in (person.get(link, headers=EN), post_form(person, link, {}, token_from="/account/password",
                                                             headers=EN)):
        assert response.status_code == 403 and "cannot act for an employer" in response.get_data(as_text=True)
    assert db_session.scalars(select(EmployerAgent)).all() == []
    assert _invitation(db_session, beneficiary.email).is_open


def test_another_account_than_the_invited_one_is_refused(app, client, db_session, employer_user):
    stranger = make_user(db_session, Role.EMPLOYER, language="en")
    login(client, employer_user.email)
    _invite(client, "clerk@secretariat.example.be")
    link = _link(db_session, "clerk@secretariat.example.be")
    other = app.test_client()
    login(other, stranger.email)
    for response in (other.get(link, headers=EN), post_form(other, link, {}, token_from="/account/password",
                                                            headers=EN)):
        page = response.get_data(as_text=True)
        assert response.status_code == 403 and "sent to another e-mail address" in page
        assert "clerk@secretariat.example.be" not in page
    assert db_session.scalars(select(EmployerAgent)).all() == []
    # The company's own user cannot become its agent either.
    colleague_invitation = EmployerAgentInvitation(employer_id=employer_user.employer_id, email=stranger.email)
    db_session.add(colleague_invitation)
    db_session.flush()
    stranger.employer_id = employer_user.employer_id
    db_session.flush()
    token = agent_invitations.make_token(app.config["SECRET_KEY"], colleague_invitation)
    assert other.get(f"/employer/agents/accept/{token}", headers=EN).status_code == 409


def test_unusable_links_get_a_clear_page(app, client, db_session, employer_user):
    login(client, employer_user.email)
    _invite(client, "clerk@secretariat.example.be")
    invitation = _invitation(db_session, "clerk@secretariat.example.be")
    secret = app.config["SECRET_KEY"]
    visitor = app.test_client()
    for path, status, text in (
            ("/employer/agents/accept/bogus", 404, "not valid"),
            (_link(db_session, "clerk@secretariat.example.be") + "x", 404, "not valid"),
            ("/employer/agents/accept/" + agent_invitations._serializer(secret, utcnow()).dumps({"i": "1"}), 404,
             "not valid"),
            ("/employer/agents/accept/" + agent_invitations._serializer("another-key", utcnow()).dumps(
                {"i": invitation.id}), 404, "not valid")):
        response = visitor.get(path, headers=EN)
        assert response.status_code == status and text in response.get_data(as_text=True), path
    # Signed 15 days ago: past the 14 days.
    invitation.sent_at = utcnow() - timedelta(days=agent_invitations.INVITATION_DAYS, hours=1)
    expired = "/employer/agents/accept/" + agent_invitations.make_token(secret, invitation)
    for response in (visitor.get(expired, headers=EN), post_form(visitor, expired, {}, token_from="/login",
                                                                 headers=EN)):
        assert response.status_code == 410 and "has expired" in response.get_data(as_text=True)
    invitation.sent_at = utcnow() - timedelta(days=agent_invitations.INVITATION_DAYS - 1)
    assert visitor.get("/employer/agents/accept/" + agent_invitations.make_token(secret, invitation)
                       ).status_code == 200  # still in time
    page = client.get("/employer/agents", headers=EN).get_data(as_text=True)
    assert "Link valid until" in page

    cancelled = post_form(client, f"/employer/agents/invitations/{invitation.id}/cancel", {},
                          token_from="/employer/agents", headers=EN, follow_redirects=True)
    assert "The invitation to clerk@secretariat.example.be is cancelled" in cancelled.get_data(as_text=True)
    gone = visitor.get(_link(db_session, "clerk@secretariat.example.be"), headers=EN)
    assert gone.status_code == 410 and "cancelled this invitation" in gone.get_data(as_text=True)
    assert db_session.scalar(select(User).where(User.email == "clerk@secretariat.example.be")) is None


def test_cancelling_an_invitation(client, db_session, employer_user):
    login(client, employer_user.email)
    _invite(client, "clerk@secretariat.example.be")
    invitation = _invitation(db_session, "clerk@secretariat.example.be")
    path = f"/employer/agents/invitations/{invitation.id}/cancel"
    assert post_form(client, path, {}, token_from="/employer/agents").status_code == 302
    assert db_session.get(EmployerAgentInvitation, invitation.id).cancelled_at is not None
    entry = _audit(db_session, "agent_invitation_cancelled")[-1]
    assert entry.actor_id == employer_user.id and entry.reason == f"invitation {invitation.id}"
    again = post_form(client, path, {}, token_from="/employer/agents", headers=EN, follow_redirects=True)
    assert "already accepted or cancelled" in again.get_data(as_text=True)
    # A new invitation to the same address is a new row with a new link.
    _invite(client, "clerk@secretariat.example.be")
    assert _invitation(db_session, "clerk@secretariat.example.be").id != invitation.id
    others = EmployerAgentInvitation(employer_id=make_employer(db_session).id, email="x@example.be")
    db_session.add(others)
    db_session.flush()
    assert post_form(client, f"/employer/agents/invitations/{others.id}/cancel", {},
                     token_from="/employer/agents").status_code == 404
    assert db_session.get(EmployerAgentInvitation, others.id).cancelled_at is None


# --- removing, the API ---------------------------------------------------------------------------------------

def test_remove_an_agent_and_it_loses_access(app, client, db_session, employer_user, today):
    secretariat = make_user(db_session, Role.EMPLOYER, employer_id=None, language="en")
    link = declaration_services.add_agent(db_session, agent_user_id=secretariat.id, employer_id=employer_user.employer_id)
    declaration = declaration_services.declare_dismissal(db_session, secretariat, declaration_services.DeclarationData(
        worker_first_name="A", worker_last_name="B", worker_niss=new_niss(), contract_end_on=today),
        today=today, now=utcnow()).declaration
    agent = app.test_client()
    login(agent, secretariat.email)
    assert agent.get(f"/employer/declarations/{declaration.id}").status_code == 200
    page = agent.get("/employer/agents", headers=EN).get_data(as_text=True)
    assert "Employers you act for" in page and "Invite an agent" not in page  # an agent does not manage agents
    assert post_form(agent, "/employer/agents", {"email": "x@example.be"}, token_from="/employer/agents"
                     ).status_code == 403

    login(client, employer_user.email)
    removed = post_form(client, f"/employer/agents/{link.id}/remove", {}, token_from="/employer/agents",
                        headers=EN, follow_redirects=True)
    assert f"{secretariat.email} no longer acts for your company" in removed.get_data(as_text=True)
    assert db_session.get(EmployerAgent, link.id) is None
    entry = _audit(db_session, "agent_removed")[-1]
    assert entry.actor_id == employer_user.id and entry.reason == f"agent user {secretariat.id}"
    assert agent.get(f"/employer/declarations/{declaration.id}").status_code == 404
    assert db_session.get(Declaration, declaration.id).declared_by_id == secretariat.id  # what it did stays
    other_link = declaration_services.add_agent(db_session, agent_user_id=secretariat.id,
                                    employer_id=make_employer(db_session).id)
    assert post_form(client, f"/employer/agents/{other_link.id}/remove", {}, token_from="/employer/agents"
                     ).status_code == 404


def test_the_api(app, client, db_session, employer_user, headers):
    secretariat = make_user(db_session, Role.EMPLOYER, employer_id=None, language="en")
    sent = client.post("/api/v1/employer/agents", json={"email": secretariat.email}, headers=headers)
    assert sent.status_code == 202, sent.get_json()
    invitation = sent.get_json()["invitation"]
    assert invitation["email"] == secretariat.email and invitation["expires_at"] > invitation["sent_at"]
    listed = client.get("/api/v1/employer/agents", headers=headers).get_json()
    assert listed["items"] == [] and [i["id"] for i in listed["invitations"]] == [invitation["id"]]
    assert db_session.scalars(select(EmployerAgent)).all() == []

    agent = app.test_client()
    login(agent, secretariat.email)
    assert post_form(agent, _link(db_session, secretariat.email), {}).status_code == 302
    listed = client.get("/api/v1/employer/agents", headers=headers).get_json()
    assert [i["agent_user_id"] for i in listed["items"]] == [secretariat.id] and listed["invitations"] == []
    linked = client.post("/api/v1/employer/agents", json={"email": secretariat.email}, headers=headers)
    assert linked.status_code == 409 and linked.get_json()["error"]["code"] == "agent_exists"
    colleague = make_user(db_session, Role.EMPLOYER, employer_id=employer_user.employer_id)
    own = client.post("/api/v1/employer/agents", json={"email": colleague.email}, headers=headers)
    assert own.status_code == 422 and own.get_json()["error"]["fields"]["email"]
    bad = client.post("/api/v1/employer/agents", json={"email": "nope"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]["email"]

    second = make_user(db_session, Role.EMPLOYER, employer_id=None)
    declaration_services.add_agent(db_session, agent_user_id=second.id, employer_id=employer_user.employer_id)
    first = client.get("/api/v1/employer/agents?limit=1", headers=headers).get_json()
    assert [i["agent_user_id"] for i in first["items"]] == [secretariat.id] and first["next_cursor"]
    rest = client.get(f"/api/v1/employer/agents?limit=1&cursor={first['next_cursor']}", headers=headers).get_json()
    assert [i["email"] for i in rest["items"]] == [second.email] and rest["next_cursor"] is None

    pending = client.post("/api/v1/employer/agents", json={"email": "new@secretariat.example.be"},
                          headers=headers).get_json()["invitation"]
    agent_headers = bearer(client, secretariat.email)
    assert client.delete(f"/api/v1/employer/agents/invitations/{pending['id']}",
                         headers=agent_headers).status_code == 403
    assert client.delete(f"/api/v1/employer/agents/invitations/{pending['id']}", headers=headers).status_code == 204
    again = client.delete(f"/api/v1/employer/agents/invitations/{pending['id']}", headers=headers)
    assert again.status_code == 409 and again.get_json()["error"]["code"] == "invitation_closed"
    assert client.delete("/api/v1/employer/agents/invitations/999999999", headers=headers).status_code == 404
    assert client.get("/api/v1/employer/agents", headers=headers).get_json()["invitations"] == []

    link_id = first["items"][0]["id"]
    employers = client.get("/api/v1/employer/employers", headers=agent_headers).get_json()["items"]
    assert [(e["employer_id"], e["own"]) for e in employers] == [(employer_user.employer_id, False)]
    assert client.get("/api/v1/employer/agents", headers=agent_headers).status_code == 403
    assert client.post("/api/v1/employer/agents", json={"email": "x@example.be"},
                       headers=agent_headers).status_code == 403
    assert client.delete(f"/api/v1/employer/agents/{link_id}", headers=agent_headers).status_code == 403
    assert client.delete(f"/api/v1/employer/agents/{link_id}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/employer/agents/{link_id}", headers=headers).status_code == 404
    assert client.get("/api/v1/employer/employers", headers=agent_headers).get_json()["items"] == []
    own_list = client.get("/api/v1/employer/employers", headers=headers).get_json()["items"]
    assert [(e["employer_id"], e["own"]) for e in own_list] == [(employer_user.employer_id, True)]


def test_openapi_documents_the_agent_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    post = paths["/api/v1/employer/agents"]["post"]
    assert "202" in post["responses"] and "201" not in post["responses"]
    assert "get" in paths["/api/v1/employer/agents"]
    assert "delete" in paths["/api/v1/employer/agents/{agent_id}"]
    assert "delete" in paths["/api/v1/employer/agents/invitations/{invitation_id}"]
    assert "get" in paths["/api/v1/employer/employers"]
