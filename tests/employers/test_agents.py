"""Agents: an employer's users link a social secretariat's account by e-mail, list and remove it; the agent
switches between the employers it acts for when declaring; the audit says who did what."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from portal.audit import AuditEntry
from portal.clock import utcnow
from portal.auth.models import User
from portal.mail import OutboxMessage
from portal.permissions import Role
from tests.support.factories import make_employer, make_user, new_niss
from tests.support.web import bearer, login, post_form
from vouchers.employers.models import Declaration, EmployerAgent
from vouchers.models import Employer

EN = {"Accept-Language": "en"}


def _audit(db_session, action: str) -> list[AuditEntry]:
    return list(db_session.scalars(select(AuditEntry).where(AuditEntry.action == action).order_by(AuditEntry.id)))


def _mail_keys(db_session, user) -> list[str]:
    return [k or "" for k in db_session.scalars(select(OutboxMessage.dedupe_key).where(OutboxMessage.user_id == user.id))]


def test_an_employer_links_an_agent_who_then_declares_for_it(app, client, db_session, employer_user, today):
    secretariat = make_user(db_session, Role.EMPLOYER, language="en")  # has a company of its own too
    company = db_session.get(Employer, employer_user.employer_id)
    login(client, employer_user.email)
    page = client.get("/employer/agents", headers=EN).get_data(as_text=True)
    assert "No agent acts for your company." in page
    linked = post_form(client, "/employer/agents", {"email": secretariat.email.upper()}, headers=EN,
                       follow_redirects=True)
    page = linked.get_data(as_text=True)
    assert linked.status_code == 200 and f"{secretariat.email} can now declare for your company" in page
    assert "<td>" + secretariat.email + "</td>" in page
    entry = _audit(db_session, "agent_linked")[-1]
    assert entry.actor_id == employer_user.id and entry.object_id == company.id
    assert any(k.startswith("agent-linked-") for k in _mail_keys(db_session, secretariat))

    agent = app.test_client()
    login(agent, secretariat.email)
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


def test_a_new_address_gets_an_account_and_an_invitation(client, db_session, employer_user):
    login(client, employer_user.email)
    response = post_form(client, "/employer/agents", {"email": "clerk@secretariat.example.be",
                                                      "name": "Paula Payroll"}, headers=EN)
    assert response.status_code == 302
    clerk = db_session.scalar(select(User).where(User.email == "clerk@secretariat.example.be"))
    assert clerk.role == Role.EMPLOYER and clerk.employer_id is None and clerk.first_name == "Paula"
    subjects = [m.subject for m in db_session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == clerk.id))]
    assert len(subjects) == 2 and "Choose a new password" in subjects  # the invitation, then the link notice
    assert "(account created)" in _audit(db_session, "agent_linked")[-1].reason


def test_refusals_keep_the_form(client, db_session, employer_user):
    beneficiary = make_user(db_session, Role.BENEFICIARY)
    colleague = make_user(db_session, Role.EMPLOYER, employer_id=employer_user.employer_id)
    login(client, employer_user.email)
    for email, problem in ((beneficiary.email, "cannot act for an employer"),
                           (colleague.email, "already a user of your company"),
                           ("not-an-address", "invalid email address")):
        response = post_form(client, "/employer/agents", {"email": email}, headers=EN)
        page = response.get_data(as_text=True)
        assert response.status_code == 422 and problem in page.lower() and f'value="{email}"' in page
    assert db_session.scalars(select(EmployerAgent)).all() == []


def test_remove_an_agent_and_it_loses_access(app, client, db_session, employer_user, today):
    from vouchers.employers import services

    secretariat = make_user(db_session, Role.EMPLOYER, employer_id=None, language="en")
    link = services.add_agent(db_session, agent_user_id=secretariat.id, employer_id=employer_user.employer_id)
    declaration = services.declare_dismissal(db_session, secretariat, services.DeclarationData(
        worker_first_name="A", worker_last_name="B", worker_niss=new_niss(), contract_end_on=today),
        today=today, now=utcnow()).declaration
    agent = app.test_client()
    login(agent, secretariat.email)
    assert agent.get(f"/employer/declarations/{declaration.id}").status_code == 200
    page = agent.get("/employer/agents", headers=EN).get_data(as_text=True)
    assert "Employers you act for" in page and "Link an agent" not in page  # an agent does not manage agents
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
    other_link = services.add_agent(db_session, agent_user_id=secretariat.id,
                                    employer_id=make_employer(db_session).id)
    assert post_form(client, f"/employer/agents/{other_link.id}/remove", {}, token_from="/employer/agents"
                     ).status_code == 404


def test_the_api(client, db_session, employer_user, headers):
    secretariat = make_user(db_session, Role.EMPLOYER, employer_id=None, language="en")
    created = client.post("/api/v1/employer/agents", json={"email": secretariat.email}, headers=headers)
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["agent_user_id"] == secretariat.id and body["invited"] is False
    assert client.post("/api/v1/employer/agents", json={"email": secretariat.email},
                       headers=headers).status_code == 409
    new = client.post("/api/v1/employer/agents", json={"email": "new@secretariat.example.be"}, headers=headers)
    assert new.status_code == 201 and new.get_json()["invited"] is True
    bad = client.post("/api/v1/employer/agents", json={"email": "nope"}, headers=headers)
    assert bad.status_code == 422 and bad.get_json()["error"]["fields"]["email"]
    first = client.get("/api/v1/employer/agents?limit=1", headers=headers).get_json()
    assert [i["id"] for i in first["items"]] == [body["id"]] and first["next_cursor"]
    rest = client.get(f"/api/v1/employer/agents?limit=1&cursor={first['next_cursor']}", headers=headers).get_json()
    assert [i["email"] for i in rest["items"]] == ["new@secretariat.example.be"] and rest["next_cursor"] is None

    agent_headers = bearer(client, secretariat.email)
    employers = client.get("/api/v1/employer/employers", headers=agent_headers).get_json()["items"]
    assert [(e["employer_id"], e["own"]) for e in employers] == [(employer_user.employer_id, False)]
    assert client.get("/api/v1/employer/agents", headers=agent_headers).status_code == 403
    assert client.delete(f"/api/v1/employer/agents/{body['id']}", headers=agent_headers).status_code == 403
    assert client.delete(f"/api/v1/employer/agents/{body['id']}", headers=headers).status_code == 204
    assert client.delete(f"/api/v1/employer/agents/{body['id']}", headers=headers).status_code == 404
    assert client.get("/api/v1/employer/employers", headers=agent_headers).get_json()["items"] == []
    own = client.get("/api/v1/employer/employers", headers=headers).get_json()["items"]
    assert [(e["employer_id"], e["own"]) for e in own] == [(employer_user.employer_id, True)]


def test_openapi_documents_the_agent_endpoints(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    assert {"get", "post"} <= set(paths["/api/v1/employer/agents"])
    assert "delete" in paths["/api/v1/employer/agents/{agent_id}"]
    assert "get" in paths["/api/v1/employer/employers"]
