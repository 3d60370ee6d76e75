"""An employer account acts only once its e-mail address is confirmed: until then it may read, and it sees a page
that asks it to confirm (with "send again"), but declaring, importing, paying and inviting are refused: 403
``email_not_confirmed`` in the API, a redirect to that page on the web."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal.auth.models import User
from portal.clock import utcnow
from portal.permissions import Role
from tests.employers.ownership_support import EN, confirmation_path, mails_to
from tests.support.factories import make_user, new_niss
from tests.support.web import bearer, login, post_form
from vouchers.employers.models import Declaration
from vouchers.employers.services.declarations import DeclarationData, declare_dismissal

CSV = "worker_first_name;worker_last_name;worker_niss;contract_end_on\nAna;Peeters;{niss};{end}\n"


@pytest.fixture
def unconfirmed(db_session):
    """An employer account of a company whose address was never confirmed (made before the rule, say)."""
    return make_user(db_session, Role.EMPLOYER, confirmed=False, language="en")


@pytest.fixture
def declaration(db_session, unconfirmed, today):
    colleague = make_user(db_session, Role.EMPLOYER, employer_id=unconfirmed.employer_id, language="en")
    return declare_dismissal(db_session, colleague, DeclarationData(
        worker_first_name="Ana", worker_last_name="Peeters", worker_niss=new_niss(),
        contract_end_on=today - timedelta(days=10)), today=today, now=utcnow()).declaration


def test_the_api_refuses_every_action_with_its_code_and_still_lets_it_read(client, db_session, unconfirmed,
                                                                           declaration, dismissal_body, gateway,
                                                                           today):
    headers = bearer(client, unconfirmed.email)
    end = (today - timedelta(days=10)).isoformat()
    before = db_session.scalar(select(func.count(Declaration.id)))
    calls = {
        "declare": client.post("/api/v1/dismissals", headers=headers, json=dismissal_body()),
        "import": client.post("/api/v1/dismissals/import", headers=headers,
                              data=CSV.format(niss=new_niss(), end=end), content_type="text/csv"),
        "pay": client.post(f"/api/v1/dismissals/{declaration.id}/payment-intent", headers=headers),
        "invite an agent": client.post("/api/v1/employer/agents", headers=headers,
                                       json={"email": "agent@secretariat.example.be"}),
        "invite a colleague": client.post("/api/v1/employer/users", headers=headers,
                                          json={"email": "clerk@company.example.be"}),
    }
    for name, response in calls.items():
        assert response.status_code == 403, (name, response.get_json())
        assert response.get_json()["error"]["code"] == "email_not_confirmed", name
    assert db_session.scalar(select(func.count(Declaration.id))) == before
    assert gateway.intents == {}
    assert mails_to(db_session, "agent@secretariat.example.be") == []
    listed = client.get("/api/v1/dismissals", headers=headers)
    assert listed.status_code == 200 and [d["id"] for d in listed.get_json()["items"]] == [declaration.id]
    assert client.get(f"/api/v1/dismissals/{declaration.id}", headers=headers).status_code == 200


def test_the_refusal_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").get_json()["paths"]
    for path, method in (("/api/v1/dismissals", "post"), ("/api/v1/dismissals/import", "post"),
                         ("/api/v1/dismissals/{declaration_id}/payment-intent", "post"),
                         ("/api/v1/employer/agents", "post"), ("/api/v1/employer/users", "post")):
        assert "email_not_confirmed" in paths[path][method]["responses"]["403"]["description"], path


def test_the_pages_send_it_to_confirm_its_address(client, db_session, unconfirmed, declaration):
    login(client, unconfirmed.email)
    for path in ("/employer/", "/employer/declare", "/employer/import", "/employer/import/template.csv",
                 f"/employer/declarations/{declaration.id}/pay", "/employer/agents", "/employer/colleagues"):
        response = client.get(path, headers=EN)
        assert response.status_code == 302 and response.headers["Location"].endswith("/employer/confirm-email"), path
    # A form sent anyway does nothing either.
    sent = post_form(client, "/employer/declare", {"worker_first_name": "Ana", "worker_last_name": "Peeters",
                                                   "worker_niss": new_niss(), "contract_end_on": "2026-01-05"},
                     token_from="/employer/confirm-email", headers=EN)
    assert sent.status_code == 302 and sent.headers["Location"].endswith("/employer/confirm-email")
    # Reading stays possible.
    assert client.get(f"/employer/declarations/{declaration.id}", headers=EN).status_code == 200


def test_the_page_sends_the_link_again_a_few_times_and_the_link_opens_the_pages(app, client, db_session,
                                                                               unconfirmed):
    login(client, unconfirmed.email)
    page = client.get("/employer/confirm-email", headers=EN)
    assert page.status_code == 200 and "Send the e-mail again" in page.get_data(as_text=True)
    answers = [post_form(client, "/employer/confirm-email", {}, headers=EN).status_code for _ in range(4)]
    assert answers == [302, 302, 302, 429]  # CONFIRMATION_RESEND_LIMIT: 3 per hour
    assert len(mails_to(db_session, unconfirmed.email)) == 3
    opened = client.get(confirmation_path(db_session, unconfirmed.email), headers=EN)
    assert opened.status_code == 302
    assert db_session.get(User, unconfirmed.id).is_confirmed
    assert client.get("/employer/", headers=EN).status_code == 200
    assert client.get("/employer/confirm-email", headers=EN).status_code == 302  # nothing left to confirm


def test_the_api_sends_the_link_again_and_says_when_there_is_nothing_to_confirm(client, db_session, unconfirmed,
                                                                               employer_user):
    assert client.post("/api/v1/employer/confirmation-email",
                       headers=bearer(client, unconfirmed.email)).status_code == 202
    assert confirmation_path(db_session, unconfirmed.email).startswith("/employer/confirm/")
    done = client.post("/api/v1/employer/confirmation-email", headers=bearer(client, employer_user.email))
    assert done.status_code == 409 and done.get_json()["error"]["code"] == "already_confirmed"


def test_a_bad_link_changes_nothing(client, db_session, unconfirmed):
    response = client.get("/employer/confirm/not-a-token", headers=EN)
    assert response.status_code == 302 and "/login" in response.headers["Location"]
    assert not db_session.get(User, unconfirmed.id).is_confirmed


def test_accepting_an_invitation_proves_the_address(app, client, db_session, employer_user):
    """The invitation's link was e-mailed: opening it while logged in with that address confirms it."""
    from tests.employers.test_agents import LINK

    invitee = make_user(db_session, Role.EMPLOYER, confirmed=False, employer_id=None, language="en")
    client.post("/api/v1/employer/agents", headers=bearer(client, employer_user.email),
                json={"email": invitee.email})
    link = LINK.search(mails_to(db_session, invitee.email)[-1].body).group(1)
    browser = app.test_client()
    login(browser, invitee.email)
    accepted = post_form(browser, link, {}, headers=EN)
    assert accepted.status_code == 302
    assert db_session.get(User, invitee.id).is_confirmed
