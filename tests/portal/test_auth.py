"""Accounts: login, logout, confirmation, password reset and change, sessions and tokens."""

from __future__ import annotations

import re

from portal.auth.models import User
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user
from tests.support.web import bearer, csrf_token, login, post_form


def test_login_and_logout(client, db_session):
    user = make_user(db_session)
    response = login(client, user.email)
    assert response.status_code == 302
    assert "Test" in client.get("/", follow_redirects=True).get_data(as_text=True)
    token = csrf_token(client, "/")
    assert client.post("/logout", data={"csrf_token": token}).status_code == 302
    assert "Log in" in client.get("/", headers={"Accept-Language": "en"}).get_data(as_text=True)


def test_wrong_password_keeps_email_and_explains(client, db_session):
    user = make_user(db_session)
    response = post_form(client, "/login", {"email": user.email, "password": "wrong password!"},
                         headers={"Accept-Language": "en"})
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "not right" in page
    assert f'value="{user.email}"' in page


def test_login_email_is_case_insensitive(client, db_session):
    user = make_user(db_session)
    assert login(client, user.email.upper()).status_code == 302


def test_inactive_account_cannot_log_in(client, db_session):
    user = make_user(db_session)
    user.active = False
    db_session.flush()
    assert login(client, user.email).status_code == 422


def test_logout_revokes_a_copied_session_cookie(app, client, db_session):
    user = make_user(db_session)
    login(client, user.email)
    cookie = client.get_cookie("session")
    assert cookie is not None
    thief = app.test_client()
    thief.set_cookie("session", cookie.value)
    assert thief.get("/account/password").status_code == 200
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    assert thief.get("/account/password").status_code == 302  # sent to the login page


def test_password_change_revokes_other_sessions_and_tokens(app, client, db_session):
    user = make_user(db_session)
    other_device = app.test_client()
    login(other_device, user.email)
    headers = bearer(client, user.email)
    login(client, user.email)
    response = post_form(client, "/account/password", {
        "current_password": PASSWORD, "password": "a brand new passphrase", "password_repeat": "a brand new passphrase",
    })
    assert response.status_code == 302
    assert client.get("/account/password").status_code == 200  # this session stays
    assert other_device.get("/account/password").status_code == 302
    assert client.get("/api/v1/me", headers=headers).status_code == 401
    assert login(app.test_client(), user.email, "a brand new passphrase").status_code == 302


def test_password_change_needs_the_current_password(client, db_session):
    user = make_user(db_session, language="en")
    login(client, user.email)
    response = post_form(client, "/account/password", {
        "current_password": "not it at all", "password": "a brand new passphrase",
        "password_repeat": "a brand new passphrase",
    }, headers={"Accept-Language": "en"})
    assert response.status_code == 200
    assert "not your current password" in response.get_data(as_text=True)


def _link(message, path: str) -> str:
    match = re.search(r"http://[^\s]+(" + re.escape(path) + r"[^\s]+)", message.get_content())
    assert match, message.get_content()
    return match.group(1)


def test_password_reset_by_email_is_single_use(client, db_session, mailbox):
    user = make_user(db_session, language="nl")
    response = post_form(client, "/password/forgot", {"email": user.email})
    assert response.status_code == 302
    assert len(mailbox) == 1 and mailbox[0]["To"] == user.email
    assert mailbox[0]["Subject"] != "Choose a new password"  # written in Dutch
    link = _link(mailbox[0], "/password/reset/")
    new = "another good passphrase"
    assert post_form(client, link, {"password": new, "password_repeat": new}).status_code == 302
    assert login(client, user.email, new).status_code == 302
    client.post("/logout", data={"csrf_token": csrf_token(client, "/")})
    # The same link cannot be used twice.
    assert client.get(link).status_code == 302


def test_forgot_password_does_not_reveal_unknown_addresses(client, db_session, mailbox):
    response = post_form(client, "/password/forgot", {"email": "nobody@example.be"})
    assert response.status_code == 302
    assert mailbox == []


def test_reset_link_with_a_bad_signature_is_refused(client, db_session):
    assert client.get("/password/reset/not-a-token").status_code == 302


def test_email_confirmation(client, db_session, mailbox):
    user = make_user(db_session, confirmed=False)
    login(client, user.email)
    post_form(client, "/confirm/resend", {}, token_from="/")
    assert len(mailbox) == 1
    link = _link(mailbox[0], "/confirm/")
    assert client.get(link).status_code == 302
    assert db_session.get(User, user.id).confirmed_at is not None


def test_api_token_lifecycle(client, db_session):
    user = make_user(db_session, Role.FUND_ADMIN)
    headers = bearer(client, user.email)
    me = client.get("/api/v1/me", headers=headers)
    assert me.status_code == 200 and me.get_json()["role"] == "fund_admin"
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    assert client.get("/api/v1/me", headers=headers).status_code == 401


def test_api_token_refuses_bad_credentials(client, db_session):
    user = make_user(db_session)
    response = client.post("/api/v1/auth/token", json={"email": user.email, "password": "wrong one!"})
    assert response.status_code == 401
    assert response.get_json()["error"]["code"] == "invalid_credentials"
    assert client.get("/api/v1/me", headers={"Authorization": "Bearer forged"}).status_code == 401


def test_login_is_rate_limited_per_account(app, client, db_session):
    user = make_user(db_session)
    statuses = []
    for _ in range(6):
        statuses.append(post_form(client, "/login", {"email": user.email, "password": "wrong guess!"}).status_code)
    assert statuses[:5] == [422] * 5
    assert statuses[5] == 429
    # Another account from the same address is not blocked by this account's limit.
    other = make_user(db_session)
    assert login(client, other.email).status_code == 302


def test_login_is_rate_limited_per_ip(app, client, db_session):
    app.config["LOGIN_LIMIT_PER_IP"] = "3 per minute"
    try:
        codes = [client.post("/api/v1/auth/token", json={"email": f"u{i}@example.be", "password": "x"}).status_code
                 for i in range(4)]
    finally:
        app.config["LOGIN_LIMIT_PER_IP"] = "30 per 5 minutes"
    assert codes == [401, 401, 401, 429]


def test_logging_in_gives_a_new_session_id_so_a_planted_one_is_worthless(app, client, db_session):
    """Session fixation: an id the visitor had before logging in (say, set by someone else) opens nothing after."""
    user = make_user(db_session, Role.BENEFICIARY)
    client.get("/login")  # the form's token starts a session
    before = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert before is not None
    assert login(client, user.email).status_code == 302
    after = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert after is not None and after.value != before.value
    planted = app.test_client()
    planted.set_cookie(app.config["SESSION_COOKIE_NAME"], before.value)
    assert planted.get("/my").status_code == 302  # the old id is not logged in: to the login page
    assert client.get("/my").status_code == 200
