"""Secure defaults: cookies only over HTTPS and HSTS outside debug and test mode (SESSION_COOKIE_SECURE=0 for a
plain-http local run), and a session written, with its cookie, only when it changed."""

from __future__ import annotations

import pytest

from tests.support.factories import make_user
from tests.support.web import login, post_form

SECURITY_KEYS = ("SESSION_COOKIE_SECURE", "REMEMBER_COOKIE_SECURE", "HSTS_SECONDS", "TESTING", "DEBUG")


@pytest.fixture
def app_like_production(app, monkeypatch, tmp_path):
    """Builds a second app on the test database, as ``flask run`` or gunicorn would build it; its connections are
    closed at the end (a connection left to the garbage collector warns on PostgreSQL)."""
    from portal import create_app
    from portal.db import db

    made = []

    def build(env: dict[str, str] | None = None, **overrides):
        monkeypatch.delenv("SESSION_COOKIE_SECURE", raising=False)
        monkeypatch.delenv("HSTS_SECONDS", raising=False)
        monkeypatch.delenv("FLASK_DEBUG", raising=False)
        for name, value in (env or {}).items():
            monkeypatch.setenv(name, value)
        keep = {k: v for k, v in app.config.items() if k not in SECURITY_KEYS}
        # The extensions are shared with the suite's app: its settings stay (RATELIMIT_ENABLED would switch the
        # limiter off for every later test).
        made.append(create_app({**keep, "SESSION_DIRECTORY": str(tmp_path), **overrides}))
        return made[-1]

    yield build
    for other in made:
        with other.app_context():
            db.engine.dispose()


def _cookie_attributes(response, name: str = "session") -> list[str]:
    cookies = [value for value in response.headers.getlist("Set-Cookie") if value.startswith(f"{name}=")]
    assert cookies, f"no {name} cookie set"
    return [part.strip().lower() for part in cookies[0].split(";")]


def test_outside_debug_and_tests_cookies_are_secure_and_hsts_is_sent(app_like_production):
    production = app_like_production()
    assert production.config["SESSION_COOKIE_SECURE"] is True and production.config["REMEMBER_COOKIE_SECURE"] is True
    response = production.test_client().get("/login")  # the form's CSRF token starts a session
    assert "secure" in _cookie_attributes(response) and "httponly" in _cookie_attributes(response)
    assert response.headers["Strict-Transport-Security"] == "max-age=31536000"
    language = production.test_client().get("/language?lang=nl&next=/")
    assert "secure" in _cookie_attributes(language, "lang")
    assert production.test_client().get("/api/v1/providers").headers["Strict-Transport-Security"]


@pytest.mark.parametrize("how", [{"env": {"SESSION_COOKIE_SECURE": "0"}}, {"DEBUG": True}, {"TESTING": True}])
def test_plain_http_runs_on_request_and_when_debugging_or_testing(app_like_production, how):
    local = app_like_production(**how)
    response = local.test_client().get("/login")
    assert "secure" not in _cookie_attributes(response)
    assert "Strict-Transport-Security" not in response.headers


def test_hsts_can_be_left_out_while_cookies_stay_secure(app_like_production):
    production = app_like_production(env={"HSTS_SECONDS": "0"})
    response = production.test_client().get("/login")
    assert "secure" in _cookie_attributes(response) and "Strict-Transport-Security" not in response.headers


def test_the_session_is_sent_again_only_when_it_changed(client, db_session):
    person = make_user(db_session, language="en")
    signed_in = login(client, person.email)
    assert "session=" in " ".join(signed_in.headers.getlist("Set-Cookie"))  # a new session id at sign-in
    client.get("/notifications")  # may start the CSRF token of the page's forms: a change, written once
    for path in ("/notifications", "/account/password", "/notifications"):
        response = client.get(path)
        assert response.status_code == 200
        assert not response.headers.getlist("Set-Cookie"), f"GET {path} set a cookie without a change"
    assert client.get("/account/password").status_code == 200  # still logged in: the session was kept as is
    # A change is written and sent: the language saved in the session.
    changed = post_form(client, "/language", {"lang": "nl", "next": "/notifications"}, token_from="/notifications")
    assert changed.status_code == 302 and "session=" in " ".join(changed.headers.getlist("Set-Cookie"))


def test_a_visitor_reading_a_form_again_and_again_gets_no_new_cookie(client):
    first = client.get("/login")
    assert "session=" in " ".join(first.headers.getlist("Set-Cookie"))  # the form's CSRF token
    # The next view writes once more: Flask-Login marks a session without a login "not fresh" (its session
    # protection). From then on nothing changes, and nothing is written or sent.
    client.get("/login")
    for _ in range(3):
        assert not client.get("/login").headers.getlist("Set-Cookie")
        assert not client.get("/password/forgot").headers.getlist("Set-Cookie")
