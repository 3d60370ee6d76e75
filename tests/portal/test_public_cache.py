"""The short-lived cache of public pages (portal/public_cache.py), and the session-free language switch
that lets anonymous visitors' pages be cached at all."""

from __future__ import annotations

from flask import Flask, make_response, session
from werkzeug.test import Client

from portal.public_cache import MARK, PublicPageCache, public_page
from tests.support.factories import make_provider, make_user
from tests.support.web import login


class FakeClock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def tiny_app() -> tuple[Flask, dict[str, int]]:
    app = Flask(__name__)
    app.secret_key = "x"
    calls = {"public": 0, "plain": 0, "cookie": 0}

    @app.get("/public")
    @public_page
    def public():  # type: ignore[no-untyped-def]
        calls["public"] += 1
        return f"public {calls['public']}"

    @app.get("/plain")
    def plain():  # type: ignore[no-untyped-def]
        calls["plain"] += 1
        return f"plain {calls['plain']}"

    @app.get("/cookie")
    @public_page
    def cookie():  # type: ignore[no-untyped-def]
        calls["cookie"] += 1
        session["seen"] = True
        return make_response(f"cookie {calls['cookie']}")

    @app.get("/missing")
    @public_page
    def missing():  # type: ignore[no-untyped-def]
        return "no", 404

    from flask_login import LoginManager

    LoginManager(app).user_loader(lambda user_id: None)
    return app, calls


def test_a_marked_page_is_served_again_until_it_expires() -> None:
    app, calls = tiny_app()
    clock = FakeClock()
    client = Client(PublicPageCache(app.wsgi_app, seconds=30, session_cookie="session", clock=clock))
    first = client.get("/public")
    assert first.text == "public 1" and MARK not in first.headers
    assert client.get("/public").text == "public 1"
    clock.now += 29
    assert client.get("/public").text == "public 1"
    clock.now += 2
    assert client.get("/public").text == "public 2"
    assert calls["public"] == 2


def test_what_is_never_kept() -> None:
    app, calls = tiny_app()
    client = Client(PublicPageCache(app.wsgi_app, seconds=30, session_cookie="session", clock=FakeClock()))
    # Unmarked views, answers that set a cookie, errors and POSTs go to the app every time.
    assert [client.get("/plain").text for _ in range(2)] == ["plain 1", "plain 2"]
    assert [client.get("/cookie").text for _ in range(2)] == ["cookie 1", "cookie 2"]
    assert client.get("/missing").status_code == 404
    assert client.post("/public").status_code == 405
    # A visitor with a session cookie or an API token (maybe logged in) always reaches the app.
    client.get("/public")
    assert client.get("/public", headers={"Authorization": "Bearer x"}).text == "public 2"
    client.set_cookie("session", "abc")
    assert client.get("/public").text == "public 3"
    assert calls == {"public": 3, "plain": 2, "cookie": 2}


def test_each_language_and_query_has_its_own_copy_and_old_entries_go_first() -> None:
    app, _calls = tiny_app()
    cache = PublicPageCache(app.wsgi_app, seconds=30, session_cookie="session", clock=FakeClock(), max_entries=2)
    client = Client(cache)
    assert client.get("/public", headers={"Accept-Language": "nl"}).text == "public 1"
    assert client.get("/public", headers={"Accept-Language": "fr"}).text == "public 2"
    assert client.get("/public", headers={"Accept-Language": "nl"}).text == "public 1"
    assert client.get("/public?page=2", headers={"Accept-Language": "nl"}).text == "public 3"  # evicts "fr"
    assert client.get("/public", headers={"Accept-Language": "fr"}).text == "public 4"
    assert len(cache._entries) == 2


def test_the_marketplace_is_cached_for_visitors_and_never_for_logged_in_people(app, client, db_session) -> None:
    provider = make_provider(db_session, name="Cache Coaching")
    clock = FakeClock()
    cache = PublicPageCache(app.wsgi_app, seconds=30, session_cookie=app.config["SESSION_COOKIE_NAME"], clock=clock)
    visitor = Client(cache)
    for path in (f"/providers/{provider.id}", f"/api/v1/providers/{provider.id}"):
        page = visitor.get(path)
        assert page.status_code == 200 and "Cache Coaching" in page.text and "Set-Cookie" not in page.headers
    provider.name = "Renamed Coaching"
    db_session.flush()
    # Visitors get the copy until it expires; staff (logged in, so with a session cookie) see the change at once.
    assert "Cache Coaching" in visitor.get(f"/providers/{provider.id}").text
    assert "Cache Coaching" in visitor.get(f"/api/v1/providers/{provider.id}").text
    staff = make_user(db_session, "fund_admin")
    login(client, staff.email)
    assert "Renamed Coaching" in client.get(f"/providers/{provider.id}").text
    clock.now += 31
    assert "Renamed Coaching" in visitor.get(f"/providers/{provider.id}").text


def test_public_pages_start_no_session_and_visitors_switch_language_with_a_cookie(client) -> None:
    home = client.get("/", headers={"Accept-Language": "fr"})
    assert home.status_code == 200 and "Set-Cookie" not in home.headers and "csrf_token" not in home.text
    assert 'method="get" action="/language"' in home.text
    switched = client.get("/language?lang=nl&next=/providers")
    assert switched.status_code == 302 and switched.headers["Location"].endswith("/providers")
    assert "lang=nl" in switched.headers["Set-Cookie"] and "session=" not in switched.headers["Set-Cookie"]
    assert 'lang="nl"' in client.get("/providers", headers={"Accept-Language": "fr"}).text
    # An unknown language or a foreign next page changes nothing and stays on the site.
    refused = client.get("/language?lang=xx&next=https://evil.example/")
    assert refused.status_code == 302 and "evil.example" not in refused.headers["Location"]
    assert "Set-Cookie" not in refused.headers
