"""The short-lived cache of logged-in people's own pages (portal/private_cache.py): a copy is served only to the
same session, while neither the session nor any data changed, and never past its time."""

from __future__ import annotations

import os
import socket
import time
from collections.abc import Iterator
from datetime import timedelta
from types import SimpleNamespace
from typing import Any

import pytest
from cachelib import SimpleCache
from flask import Flask, flash, get_flashed_messages, make_response, redirect
from flask_login import LoginManager, UserMixin, login_user
from flask_session import Session as ServerSessions
from sqlalchemy import (
    Column,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    event,
    insert,
    select,
    text,
    update,
)

from portal import private_cache
from portal.clock import utcnow
from portal.permissions import Role
from portal.private_cache import (
    MARK,
    LocalStore,
    PrivatePageCache,
    RedisStore,
    private_page,
    statement_writes,
)
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer, csrf_token, login, post_form


class FakeClock:
    def __init__(self) -> None:
        self.now = time.time()

    def __call__(self) -> float:
        return self.now


class CountingApp:
    """The app behind the cache, counting the requests that reach it."""

    def __init__(self, wsgi_app: Any) -> None:
        self.wsgi_app, self.calls = wsgi_app, 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        self.calls += 1
        return self.wsgi_app(environ, start_response)


def put_in_front(app: Flask, clock: FakeClock) -> tuple[PrivatePageCache, CountingApp, Any]:
    original = app.wsgi_app
    # With TNW_TEST_PRIVATE_CACHE=1 the suite's app has a cache already: this one takes its place.
    suite_cache = app.extensions.get("private_page_cache")
    behind = CountingApp(original if suite_cache is None else suite_cache.wsgi_app)
    store = LocalStore(app.session_interface.cache, app.config["SESSION_KEY_PREFIX"], clock=clock)  # type: ignore[attr-defined]
    cache = PrivatePageCache(behind, store=store, seconds=10, session_cookie=app.config["SESSION_COOKIE_NAME"],
                             clock=clock)
    private_cache.attach(app, cache)
    return cache, behind, (original, suite_cache)


def take_away(app: Flask, cache: PrivatePageCache, saved: Any) -> None:
    original, suite_cache = saved
    app.wsgi_app = original  # type: ignore[method-assign]
    if suite_cache is None:
        app.extensions.pop("private_page_cache", None)
    else:
        app.extensions["private_page_cache"] = suite_cache
    private_cache._installed.discard(cache)


@pytest.fixture
def cached(app: Flask, client) -> Iterator[SimpleNamespace]:
    clock = FakeClock()
    cache, behind, original = put_in_front(app, clock)
    try:
        yield SimpleNamespace(cache=cache, behind=behind, clock=clock)
    finally:
        take_away(app, cache, original)


def reaches_app(cached: SimpleNamespace, call: Any) -> tuple[bool, Any]:
    before = cached.behind.calls
    response = call()
    return cached.behind.calls > before, response


def settle(client, path: str, **kwargs: Any) -> None:
    """The first answers after logging in may still change the session (a CSRF secret): read until stable."""
    for _ in range(3):
        client.get(path, **kwargs)


@pytest.fixture
def voucher_holder(db_session):
    from portal.clock import today_in_brussels
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    today = today_in_brussels()
    holder = make_user(db_session, Role.BENEFICIARY, language="en")
    holder.first_name = "Amélie"
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    data = RequestData(provider_id=make_provider(db_session).id, insurer_code=100, initiative="coordinator",
                       force_majeure=True, contract_end_on=today - timedelta(days=5),
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
    request = submit_voucher_request(db_session, holder, data, today=today, now=utcnow())
    decide_voucher_request(db_session, admin, request.id, "approve", None, today=today, now=utcnow())
    db_session.commit()
    voucher_id = db_session.scalar(select(Voucher.id).where(Voucher.request_id == request.id))
    return SimpleNamespace(user=holder, admin=admin, voucher_id=voucher_id)


def test_a_persons_page_comes_from_the_copy_until_any_data_changes(app, client, db_session, cached,
                                                                   voucher_holder) -> None:
    login(client, voucher_holder.user.email)
    settle(client, "/my")
    went, page = reaches_app(cached, lambda: client.get("/my"))
    assert not went and page.status_code == 200 and "Amélie" in page.text
    assert MARK not in page.headers and "Set-Cookie" not in page.headers
    assert page.headers["X-Private-Cache"] == "hit"
    # Any committed write, here outside any request, ends every copy.
    voucher_holder.user.first_name = "Béatrice"
    db_session.commit()
    went, page = reaches_app(cached, lambda: client.get("/my"))
    assert went and "Béatrice" in page.text
    went, _page = reaches_app(cached, lambda: client.get("/my"))
    assert not went
    # Nothing changes, but time passes: the copy lives PRIVATE_CACHE_SECONDS at most.
    cached.clock.now += 11
    went, _page = reaches_app(cached, lambda: client.get("/my"))
    assert went


def test_a_copy_is_never_served_to_another_session_or_after_logging_out(app, client, db_session, cached,
                                                                         voucher_holder) -> None:
    login(client, voucher_holder.user.email)
    settle(client, f"/vouchers/{voucher_holder.voucher_id}")
    assert not reaches_app(cached, lambda: client.get(f"/vouchers/{voucher_holder.voucher_id}"))[0]
    # Someone else logged in, on the same URL, reaches the app and is refused.
    stranger = make_user(db_session, Role.BENEFICIARY)
    other = app.test_client()
    login(other, stranger.email)
    went, page = reaches_app(cached, lambda: other.get(f"/vouchers/{voucher_holder.voucher_id}"))
    assert went and page.status_code == 404
    # A copy of the session cookie is worth nothing once its owner logged out.
    cookie = client.get_cookie(app.config["SESSION_COOKIE_NAME"])
    assert cookie is not None
    client.post("/logout", data={"csrf_token": csrf_token(client, "/my")})
    thief = app.test_client()
    thief.set_cookie(app.config["SESSION_COOKIE_NAME"], cookie.value)
    went, page = reaches_app(cached, lambda: thief.get(f"/vouchers/{voucher_holder.voucher_id}"))
    assert went and page.status_code == 302 and "/login" in page.headers["Location"]


def test_a_password_changed_elsewhere_ends_the_copies_of_every_other_session(app, client, db_session, cached,
                                                                             voucher_holder) -> None:
    login(client, voucher_holder.user.email)
    settle(client, "/my")
    assert not reaches_app(cached, lambda: client.get("/my"))[0]
    elsewhere = app.test_client()
    login(elsewhere, voucher_holder.user.email)
    changed = post_form(elsewhere, "/account/password", {"current_password": "correct horse battery",
                                                         "password": "a brand new long password",
                                                         "password_repeat": "a brand new long password"})
    assert changed.status_code == 302, changed.text
    went, page = reaches_app(cached, lambda: client.get("/my"))
    assert went and page.status_code == 302 and "/login" in page.headers["Location"]


def test_api_answers_are_kept_per_token_and_die_with_it(app, client, db_session, cached, voucher_holder) -> None:
    path = f"/api/v1/vouchers/{voucher_holder.voucher_id}"
    headers = bearer(client, voucher_holder.user.email)
    first = client.get(path, headers=headers)
    assert first.status_code == 200
    went, again = reaches_app(cached, lambda: client.get(path, headers=headers))
    assert not went and again.get_json() == first.get_json()
    # Another valid token of the same person is another key; the fund's queue by API is kept too.
    admin_headers = bearer(client, voucher_holder.admin.email)
    queue = "/api/v1/admin/voucher-requests?status=approved"
    client.get(queue, headers=admin_headers)
    assert not reaches_app(cached, lambda: client.get(queue, headers=admin_headers))[0]
    # Revoking the token is a write: the next call reaches the app and is refused.
    assert client.post("/api/v1/auth/logout", headers=headers).status_code == 204
    went, refused = reaches_app(cached, lambda: client.get(path, headers=headers))
    assert went and refused.status_code == 401
    # A bearer header on an HTML page is not a login: the cache decides by the session, like the app.
    went, page = reaches_app(cached, lambda: app.test_client().get("/my", headers=admin_headers))
    assert went and page.status_code == 302


def test_a_copy_does_not_outlive_the_api_token(app, client, db_session, cached, voucher_holder) -> None:
    from portal.auth.models import ApiToken

    path = f"/api/v1/vouchers/{voucher_holder.voucher_id}"
    headers = bearer(client, voucher_holder.user.email)
    token = db_session.scalar(select(ApiToken).where(ApiToken.user_id == voucher_holder.user.id))
    assert token is not None
    token.expires_at = utcnow() + timedelta(seconds=5)
    db_session.commit()
    client.get(path, headers=headers)
    assert not reaches_app(cached, lambda: client.get(path, headers=headers))[0]
    cached.clock.now += 6  # the copy's 10 s are not over, the token's 5 s are
    assert reaches_app(cached, lambda: client.get(path, headers=headers))[0]


# --- The rules, on a small app of their own ------------------------------------------------------------

class Person(UserMixin):
    id = "1"


def tiny_app(clock: FakeClock) -> tuple[Flask, PrivatePageCache, CountingApp]:
    app = Flask(__name__)
    app.config.update(SECRET_KEY="x", SESSION_TYPE="cachelib", SESSION_CACHELIB=SimpleCache(),
                      SESSION_KEY_PREFIX="tiny:", SESSION_PERMANENT=False)
    ServerSessions(app)
    logins = LoginManager(app)
    logins.user_loader(lambda user_id: Person() if user_id == "1" else None)
    counter = {"n": 0}

    @app.get("/login")
    def log_in():  # type: ignore[no-untyped-def]
        login_user(Person())
        return "in"

    @app.get("/page")
    @private_page
    def page():  # type: ignore[no-untyped-def]
        counter["n"] += 1
        return f"page {counter['n']} {' '.join(get_flashed_messages())}"

    @app.get("/unmarked")
    def unmarked():  # type: ignore[no-untyped-def]
        counter["n"] += 1
        return f"unmarked {counter['n']}"

    @app.get("/flash")
    def add_flash():  # type: ignore[no-untyped-def]
        flash("saved")
        return redirect("/page")

    @app.get("/writes")
    @private_page
    def writes():  # type: ignore[no-untyped-def]
        from flask import current_app

        current_app.extensions["private_page_cache"].data_changed()  # as a committed write would
        return "wrote"

    @app.get("/cookie")
    @private_page
    def cookie():  # type: ignore[no-untyped-def]
        response = make_response("cookie")
        response.set_cookie("seen", "1")
        return response

    @app.route("/form", methods=["GET", "POST"])
    @private_page
    def form():  # type: ignore[no-untyped-def]
        counter["n"] += 1
        return f"form {counter['n']}"

    behind = CountingApp(app.wsgi_app)
    store = LocalStore(app.session_interface.cache, "tiny:", clock=clock)  # type: ignore[attr-defined]
    cache = PrivatePageCache(behind, store=store, seconds=10, session_cookie="session", clock=clock)
    private_cache.attach(app, cache)
    return app, cache, behind


@pytest.fixture
def tiny() -> Iterator[SimpleNamespace]:
    clock = FakeClock()
    app, cache, behind = tiny_app(clock)
    try:
        yield SimpleNamespace(app=app, client=app.test_client(), behind=behind, clock=clock, cache=cache)
    finally:
        private_cache._installed.discard(cache)


def test_only_marked_reads_of_logged_in_people_that_change_nothing_are_kept(tiny) -> None:
    assert tiny.client.get("/page").text == "page 1 "  # not logged in: no session to key a copy on
    tiny.client.get("/login")
    reads = []
    store_read = tiny.cache.store.read
    tiny.cache.store.read = lambda *args: reads.append(args) or store_read(*args)
    assert tiny.client.get("/page").text == "page 2 "  # the shared generation starts: nothing kept yet
    assert [tiny.client.get("/page").text for _ in range(3)] == ["page 3 "] * 3
    looked = len(reads)
    assert [tiny.client.get("/unmarked").text for _ in range(2)] == ["unmarked 4", "unmarked 5"]
    assert tiny.client.get("/nowhere").status_code == 404
    assert len(reads) == looked  # an unmarked view or no view at all: not a single look in the store
    assert [tiny.client.post("/form").text for _ in range(2)] == ["form 6", "form 7"]
    for path in ("/writes", "/cookie"):  # wrote while answering; set a cookie of its own
        before = tiny.behind.calls
        assert [tiny.client.get(path).status_code for _ in range(2)] == [200, 200]
        assert tiny.behind.calls == before + 2


def test_a_flash_message_is_shown_once_and_never_replayed(tiny) -> None:
    tiny.client.get("/login")
    tiny.client.get("/page")
    kept = tiny.client.get("/page").text
    assert tiny.client.get("/page").text == kept
    shown = tiny.client.get("/flash", follow_redirects=True).text
    assert "saved" in shown and shown != kept
    assert "saved" not in tiny.client.get("/page").text


def test_without_a_generation_nothing_is_served_from_a_copy_until_one_starts() -> None:
    clock = FakeClock()
    store = LocalStore(SimpleCache(), "tiny:", clock=clock)
    assert store.read(None, "k")[1] is None
    store.start_generation()
    first = store.read(None, "k")[1]
    store.start_generation()
    assert store.read(None, "k")[1] == first
    store.bump()
    assert store.read(None, "k")[1] == str(int(first) + 1).encode()
    store.write("k", b"value", 5)
    assert store.read(None, "k")[2] == b"value"
    clock.now += 6
    assert store.read(None, "k")[2] is None


# --- Knowing a write when SQLAlchemy runs one --------------------------------------------------------

def test_statement_writes_tells_reads_from_writes() -> None:
    engine = create_engine("sqlite://")
    metadata = MetaData()
    things = Table("things", metadata, Column("id", Integer, primary_key=True), Column("name", String(10)))
    seen: list[bool] = []
    event.listen(engine, "before_cursor_execute",
                 lambda conn, cursor, statement, params, context, many: seen.append(statement_writes(statement,
                                                                                                     context)))
    metadata.create_all(engine)
    with engine.begin() as conn:
        seen.clear()
        conn.execute(insert(things).values(name="a"))
        conn.execute(select(things))
        conn.execute(update(things).values(name="b"))
        conn.execute(delete(things))
        conn.execute(text("SELECT 1"))
        conn.execute(text("  update things set name = 'c'"))
        conn.execute(text("WITH x AS (SELECT 1) DELETE FROM things"))
        conn.exec_driver_sql("select 2")
        conn.exec_driver_sql("INSERT INTO things (name) VALUES ('d')")
    assert seen == [True, False, True, True, False, True, True, False, True]


def test_a_write_rolled_back_moves_nothing_and_a_committed_one_moves_the_generation(app, db_session,
                                                                                   cached) -> None:
    store = cached.cache.store
    store.start_generation()
    with app.app_context():
        from portal.db import db

        db.session.commit()  # whatever this thread wrote before the test (a spare move is harmless)
        start = store.read(None, None)[1]
        db.session.execute(text("SELECT 1"))
        db.session.commit()
        assert store.read(None, None)[1] == start  # a read-only commit
        user = make_user(db.session, Role.BENEFICIARY)  # releases a savepoint: not a commit yet
        assert store.read(None, None)[1] == start
        db.session.rollback()
        db.session.commit()
        assert store.read(None, None)[1] == start  # the write was rolled back
        user = make_user(db.session, Role.BENEFICIARY)
        assert store.read(None, None)[1] == start
        db.session.commit()
        assert user.id and store.read(None, None)[1] == str(int(start) + 1).encode()


# --- The shared store --------------------------------------------------------------------------------

REDIS_URL = "redis://127.0.0.1:6379/12"


def redis_client():  # type: ignore[no-untyped-def]
    try:
        with socket.create_connection(("127.0.0.1", 6379), timeout=1):
            pass
    except OSError:
        if os.environ.get("CI") or os.environ.get("E2E_REQUIRE_BROWSER") == "1":
            pytest.fail("Redis is required on 127.0.0.1:6379 for the shared private cache")
        pytest.skip("no Redis on 127.0.0.1:6379 (CI runs this test)")
    import redis

    client = redis.from_url(REDIS_URL)
    client.flushdb()
    return client


def test_the_redis_store_reads_session_generation_and_copy_in_one_round_trip() -> None:
    client = redis_client()
    try:
        store = RedisStore(client, "tnw:session:")
        assert store.read("sid", "entry") == (None, None, None)
        client.set("tnw:session:sid", b"session data")
        store.bump()  # starts at a random value, then moves on
        generation = store.read(None, None)[1]
        assert generation is not None and int(generation) > 0
        store.start_generation()
        assert store.read(None, None)[1] == generation
        store.bump()
        store.write("entry", b"copy", 0.2)
        assert store.read("sid", "entry") == (b"session data", str(int(generation) + 1).encode(), b"copy")
        time.sleep(0.3)
        assert store.read("sid", "entry")[2] is None
    finally:
        client.flushdb()


def test_the_portals_marked_views_are_found_from_the_url(app) -> None:
    from werkzeug.test import EnvironBuilder

    from portal.private_cache import marked_views

    marked = marked_views(app)

    def goes(method: str, path: str) -> bool:
        return marked(EnvironBuilder(method=method, path=path).get_environ())

    assert goes("GET", "/my") and goes("GET", "/coach/week") and goes("GET", "/api/v1/vouchers/5")
    assert goes("GET", "/api/v1/admin/voucher-requests") and goes("HEAD", "/admin/requests")
    assert not goes("GET", "/account/password") and not goes("GET", "/admin/requests/5")
    assert not goes("POST", "/api/v1/provider/vouchers") and not goes("GET", "/no/such/page")
