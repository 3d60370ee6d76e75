"""CSRF, security headers, error pages and JSON errors, languages and money."""

from __future__ import annotations

from datetime import date

import pytest

from tests.support.factories import make_user
from tests.support.web import bearer, login


def test_forms_refuse_posts_without_csrf(client, db_session):
    user = make_user(db_session)
    response = client.post("/login", data={"email": user.email, "password": "x"})
    assert response.status_code == 400


def test_api_calls_on_a_browser_session_need_csrf_but_bearer_calls_do_not(client, db_session):
    user = make_user(db_session)
    login(client, user.email)
    response = client.post("/api/v1/auth/logout")
    assert response.status_code == 403
    assert response.get_json()["error"]["code"] == "csrf_failed"
    other = make_user(db_session)
    headers = bearer(client.application.test_client(), other.email)
    assert client.application.test_client().post("/api/v1/auth/logout", headers=headers).status_code == 204


def test_security_headers(client):
    response = client.get("/")
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp and "default-src 'self'" in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "strict-origin-when-cross-origin"
    assert response.headers["X-Frame-Options"] == "DENY"


@pytest.mark.parametrize("lang,text", [("fr", "introuvable"), ("nl", "niet vinden"), ("en", "could not find")])
def test_error_pages_speak_the_users_language(client, lang, text):
    response = client.get("/no-such-page", headers={"Accept-Language": lang})
    assert response.status_code == 404
    assert text in response.get_data(as_text=True)
    assert f'<html lang="{lang}">' in response.get_data(as_text=True)


def test_api_errors_have_the_contract_shape(client):
    response = client.get("/api/v1/no-such-thing")
    assert response.status_code == 404
    body = response.get_json()
    assert set(body["error"]) == {"code", "message", "fields"}
    assert body["error"]["code"] == "not_found"


def test_malformed_json_is_a_400_not_a_500(client):
    response = client.post("/api/v1/auth/token", data="{not json", content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_request"


def test_validation_errors_name_the_fields(client):
    response = client.post("/api/v1/auth/token", json={"email": 42})
    assert response.status_code == 422
    fields = response.get_json()["error"]["fields"]
    assert "password" in fields and "email" in fields


def test_method_not_allowed_is_json_under_the_api(client):
    response = client.delete("/api/v1/auth/token")
    assert response.status_code == 405
    assert response.get_json()["error"]["code"] == "method_not_allowed"


def test_unexpected_errors_give_a_friendly_500(app):
    from portal import create_app

    fresh = create_app({**app.config, "TESTING": False})

    @fresh.get("/__boom")
    def boom():
        raise RuntimeError("boom")

    from portal.permissions import api_access

    @fresh.get("/api/v1/__boom")
    @api_access(public=True)
    def api_boom():
        raise RuntimeError("boom")

    client = fresh.test_client()
    response = client.get("/__boom", headers={"Accept-Language": "en"})
    assert response.status_code == 500
    assert "Nothing was saved" in response.get_data(as_text=True)
    api_response = client.get("/api/v1/__boom")
    assert api_response.status_code == 500
    assert api_response.get_json()["error"]["code"] == "internal_error"


def test_language_switch_overrides_the_browser(client):
    from tests.support.web import csrf_token

    token = csrf_token(client, "/login")
    response = client.post("/language", data={"csrf_token": token, "lang": "nl", "next": "/login"})
    assert response.status_code == 302 and response.headers["Location"] == "/login"
    page = client.get("/login", headers={"Accept-Language": "fr"}).get_data(as_text=True)
    assert '<html lang="nl">' in page


def test_language_switch_refuses_foreign_redirects(client):
    from tests.support.web import csrf_token

    token = csrf_token(client, "/login")
    response = client.post("/language", data={"csrf_token": token, "lang": "fr", "next": "https://evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("locale,expected", [
    ("fr", "1\u202f800,00\xa0€"), ("nl", "€\xa01.800,00"), ("de", "1.800,00\xa0€"), ("en", "€1,800.00"),
])
def test_money_is_formatted_per_locale(app, locale, expected):
    from portal.i18n import money

    assert money(180000, locale) == expected


def test_dates_are_formatted_per_locale(app):
    from flask_babel import force_locale

    from portal.i18n import long_date

    with app.test_request_context("/"):
        with force_locale("nl"):
            assert long_date(date(2026, 3, 1)) == "1 maart 2026"
        with force_locale("fr"):
            assert long_date(date(2026, 3, 1)) == "1 mars 2026"


def test_openapi_document_is_served(client):
    spec = client.get("/api/v1/openapi.json").get_json()
    assert spec["openapi"].startswith("3.")
    assert "/api/v1/auth/token" in spec["paths"]
    assert "bearerAuth" in spec["components"]["securitySchemes"]
