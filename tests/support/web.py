"""Helpers to drive the HTML pages like a browser would (with CSRF tokens), and to sign in as any account:
for one with two-step sign-in they enter the code its authenticator app would show."""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from flask import Flask
from flask.testing import FlaskClient

from tests.support.factories import PASSWORD

_TOKEN = re.compile(r'name="csrf_token"[^>]*value="([^"]+)"')


def csrf_token(client: FlaskClient, path: str = "/login") -> str:
    page = client.get(path, follow_redirects=True).get_data(as_text=True)
    match = _TOKEN.search(page)
    assert match, f"no CSRF token on {path}"
    return match.group(1)


def post_form(client: FlaskClient, path: str, data: dict[str, str], *, token_from: str | None = None, **kwargs):
    token = csrf_token(client, token_from or path)
    return client.post(path, data={"csrf_token": token, **data}, **kwargs)


def one_time_code(app: Flask, email: str) -> str | None:
    """The code the account's authenticator app would show now, or None if it has no two-step sign-in.

    A code is usable once, and the portal accepts the current 30-second step and one either side: this gives the
    code of the current step, or of the next one if the current one is used up. A test that signs in as the same
    person more than twice within a step makes the portal forget the step last used (the test is not the attacker
    that the rule is for)."""
    from portal.auth import two_step
    from portal.auth.models import User
    from portal.clock import utcnow
    from portal.db import db

    with app.app_context():
        user = db.session.scalar(User.by_email(email))
        if user is None or not two_step.is_on(user):
            return None
        assert user.totp_secret is not None
        now = two_step.time_step(utcnow())
        last = user.totp_last_step
        step = next((s for s in (now, now + 1) if last is None or s > last), None)
        if step is None:
            user.totp_last_step, step = None, now
            db.session.commit()
        return two_step.code_at(user.totp_secret, step)


def login(client: FlaskClient, email: str, password: str = PASSWORD):
    """Log in on the web; with two-step sign-in on, the second step too. The last page's answer."""
    response = post_form(client, "/login", {"email": email, "password": password})
    if response.status_code == 302 and urlsplit(response.headers["Location"]).path == "/login/two-step":
        code = one_time_code(client.application, email)
        assert code is not None
        response = post_form(client, "/login/two-step", {"code": code})
    return response


def bearer(client: FlaskClient, email: str, password: str = PASSWORD) -> dict[str, str]:
    body = {"email": email, "password": password}
    code = one_time_code(client.application, email)
    if code is not None:
        body["otp"] = code
    response = client.post("/api/v1/auth/token", json=body)
    assert response.status_code == 201, response.get_json()
    return {"Authorization": f"Bearer {response.get_json()['token']}"}
