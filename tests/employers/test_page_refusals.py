"""How the employer pages answer a refusal the service gives after the form was fine: as the code field's (the code of a
letter that can no longer be used, with the refusal's status), on the form with 422 (the address of a letter sent
meanwhile), or flashed on the page (a letter marked sent twice)."""

from __future__ import annotations

from datetime import timedelta

from portal.clock import utcnow
from tests.employers.ownership_support import (
    EN,
    account,
    claim_of,
    confirmation_path,
    fund_admin,
    post_letter,
    registration_body,
)
from tests.support.web import login, post_form

LETTERS = "/admin/fund/ownership-letters/"


def _registered_and_confirmed(app, client, db_session):
    body = registration_body()
    client.post("/api/v1/employers", json=body)
    user = account(db_session, body["email"])
    app.test_client().get(confirmation_path(db_session, user.email))
    return user


def test_the_code_of_an_expired_letter_is_refused_as_the_code_field_s(app, client, db_session):
    user = _registered_and_confirmed(app, client, db_session)
    claim = claim_of(db_session, user)
    code = post_letter(db_session, claim)
    claim.expires_at = utcnow() - timedelta(days=1)
    db_session.flush()
    login(client, user.email)
    refused = post_form(client, f"/employer/ownership/{claim.id}/code", {f"claim-{claim.id}-code": code},
                        token_from="/employer/ownership", headers=EN)
    assert refused.status_code == 409
    page = refused.get_data(as_text=True)
    # The expired letter's row offers a new letter, not the code's field: the reason is said at the top of the page,
    # as the code field's.
    assert f'<a href="#claim-{claim.id}-code">Code on the letter: This code has expired. Ask for a new letter.</a>' \
        in page
    db_session.refresh(claim)
    assert claim.status == "letter_sent" and user.employer_id is None


def test_a_letter_sent_meanwhile_is_refused_on_the_address_form_and_flashed_when_marked_again(app, client,
                                                                                            db_session):
    user = _registered_and_confirmed(app, client, db_session)
    claim = claim_of(db_session, user)
    admin = fund_admin(db_session)
    login(client, admin.email)
    token_page = client.get(LETTERS, headers=EN)  # the forms of the letter are on the page while it is due
    assert token_page.status_code == 200
    post_letter(db_session, claim, admin)  # another administrator marks it sent meanwhile
    address = post_form(client, f"{LETTERS}{claim.id}/address", {f"office-{claim.id}-address": "Avenue Louise 54"},
                        token_from=LETTERS, headers=EN)
    assert address.status_code == 422  # a conflict too is this form's 422
    page = address.get_data(as_text=True)
    assert "<li>This letter was sent already, or is no longer needed: its code cannot be printed again.</li>" in page
    sent = post_form(client, f"{LETTERS}{claim.id}/sent", {f"sent-{claim.id}-checked": "y"}, token_from=LETTERS,
                     headers=EN)
    assert sent.status_code == 302 and sent.headers["Location"].endswith(LETTERS)
    shown = client.get(sent.headers["Location"], headers=EN).get_data(as_text=True)
    assert "This letter was sent already" in shown and "is marked as sent" not in shown
