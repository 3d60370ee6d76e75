"""Each key page (and its API twin) runs a fixed, small number of SQL statements, whatever the data: at most 5 for a
page and 3 for an API call, the user's load counted. Every list shown holds 24 rows or more (tests/support/crowd.py),
so a query per row comes back as a red test here, never as a slow page.

Counted: the statements of one request, after a first one that warmed the app up, as the database receives them
(a SQLAlchemy ``before_cursor_execute`` listener on the engine). The test's own transaction control (savepoints) is
not a statement of the page. The pages also write nothing back: no session stored again, no cookie set again.
"""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import event
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from portal.clock import today_in_brussels
from tests.conftest import CommittingClient
from tests.support.crowd import Crowd, build
from tests.support.web import bearer, login

PAGE_BUDGET, API_BUDGET = 5, 3
_DATA_WORDS = ("SELECT", "WITH", "INSERT", "UPDATE", "DELETE")


class _ModuleSession(scoped_session):
    """One session for the module's tests and their requests, as ``tests.conftest.db_session`` but kept (and rolled
    back) once per module: the crowd is built once."""

    def remove(self) -> None:
        pass


@pytest.fixture(scope="module")
def crowd_session(app: Flask) -> Iterator[Session]:
    from portal.db import db
    from portal.extensions import limiter

    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        limiter.reset()
    original = db.session
    shared = _ModuleSession(sessionmaker(bind=connection, join_transaction_mode="create_savepoint"),
                            scopefunc=lambda: "page-budgets")
    db.session = shared
    try:
        yield shared  # type: ignore[misc]
    finally:
        scoped_session.remove(shared)
        db.session = original
        transaction.rollback()
        connection.close()


@pytest.fixture(scope="module")
def crowd(crowd_session: Session) -> Crowd:
    built = build(crowd_session, today_in_brussels())
    crowd_session.commit()
    return built


def _client(app: Flask) -> FlaskClient:
    app.test_client_class = CommittingClient
    return app.test_client()


@pytest.fixture(scope="module")
def browsers(app: Flask, crowd: Crowd) -> dict[str, FlaskClient]:
    """A logged-in browser per person."""
    clients = {}
    for who in ("beneficiary", "fresh_holder", "provider_admin", "employer", "fund_admin"):
        client = _client(app)
        assert login(client, getattr(crowd, who)).status_code == 302, who
        clients[who] = client
    return clients


@pytest.fixture(scope="module")
def tokens(app: Flask, crowd: Crowd) -> dict[str, dict[str, str]]:
    client = _client(app)
    return {who: bearer(client, getattr(crowd, who))
            for who in ("beneficiary", "provider_admin", "employer", "fund_admin")}


def statements_of(app: Flask, client: FlaskClient, path: str, headers: dict[str, str] | None = None):
    """The data statements one GET of ``path`` runs once warmed up, and its answer."""
    from portal.db import db

    assert client.get(path, headers=headers).status_code == 200, path  # warm-up
    db.session.expunge_all()  # nothing read before is at hand: each object the page needs is read again
    seen: list[str] = []

    def note(conn, cursor, statement, parameters, context, executemany):  # type: ignore[no-untyped-def]
        if statement.lstrip().split(None, 1)[0].upper() in _DATA_WORDS:
            seen.append(statement)

    with app.app_context():
        engine = db.engine
    event.listen(engine, "before_cursor_execute", note)
    try:
        response = client.get(path, headers=headers)
    finally:
        event.remove(engine, "before_cursor_execute", note)
    assert response.status_code == 200, (path, response.status_code)
    return seen, response


def assert_page(app: Flask, client: FlaskClient, path: str, budget: int = PAGE_BUDGET) -> str:
    seen, response = statements_of(app, client, path)
    assert len(seen) <= budget, f"{path}: {len(seen)} statements\n" + "\n".join(s[:160] for s in seen)
    # A read writes nothing back: the session is not stored again, the cookie not set again.
    assert "Set-Cookie" not in response.headers, path
    return response.get_data(as_text=True)


def assert_api(app: Flask, client: FlaskClient, path: str, headers: dict[str, str], budget: int = API_BUDGET):
    seen, response = statements_of(app, client, path, headers)
    assert len(seen) <= budget, f"{path}: {len(seen)} statements\n" + "\n".join(s[:160] for s in seen)
    return response.get_json()


def test_the_beneficiarys_page(app, crowd, browsers):
    page = assert_page(app, browsers["beneficiary"], "/my")
    assert page.count("/requests/") >= 24  # the whole history is listed


def test_the_beneficiarys_voucher_page(app, crowd, browsers):
    page = assert_page(app, browsers["beneficiary"], f"/vouchers/{crowd.voucher_id}")
    assert page.count('class="timeline"') == 1 and page.count("<li><strong>") >= 24
    assert "Choose another provider" not in page  # in use: no change of provider, no form built


def test_a_fresh_voucher_offers_the_change_of_provider(app, crowd, browsers):
    page = assert_page(app, browsers["fresh_holder"], f"/vouchers/{crowd.fresh_voucher_id}")
    assert "Choose another provider" in page


def test_the_voucher_api(app, crowd, browsers, tokens):
    body = assert_api(app, browsers["beneficiary"], f"/api/v1/vouchers/{crowd.voucher_id}", tokens["beneficiary"])
    assert body["spent_cents"] == 24 * 7500


def test_the_request_api(app, crowd, browsers, tokens):
    """The nearest the API has to the beneficiary's page (API.md lists no own-requests list). A request whose
    45-day clock still runs also reads the fund's settings: one statement more."""
    body = assert_api(app, browsers["beneficiary"], f"/api/v1/voucher-requests/{crowd.request_id}",
                      tokens["beneficiary"])
    assert body["voucher_id"] == crowd.voucher_id and len(body["timeline"]) >= 12


def test_the_coachs_week(app, crowd, browsers):
    page = assert_page(app, browsers["provider_admin"], f"/coach/week?coach_id={crowd.coach_id}")
    assert page.count('class="week__item') >= 24 and "Holder" in page
    assert 'name="voucher_ids"' not in page  # the booking form is built only when asked for
    # Next week: the coach's hours shaded and each free hour a link to book it, read in the same statements.
    monday = crowd.today - timedelta(days=crowd.today.weekday()) + timedelta(days=7)
    page = assert_page(app, browsers["provider_admin"], f"/coach/week?coach_id={crowd.coach_id}&day={monday}")
    assert page.count('class="wgrid__slot') >= 24 and page.count('class="wgrid__open') == 7


def test_the_providers_vouchers(app, crowd, browsers, tokens):
    page = assert_page(app, browsers["provider_admin"], "/provider/vouchers")
    assert page.count("/provider/vouchers/") >= 24 and "Waiting for your acceptance" in page
    body = assert_api(app, browsers["provider_admin"], "/api/v1/provider/vouchers", tokens["provider_admin"])
    assert len(body["items"]) >= 24 and all(item["beneficiary_name"] for item in body["items"])


def test_the_providers_claims(app, crowd, browsers, tokens):
    page = assert_page(app, browsers["provider_admin"], "/provider/claims")
    assert page.count('name="session_ids"') >= 24 and page.count("/provider/vouchers/") >= 24
    body = assert_api(app, browsers["provider_admin"], "/api/v1/provider/claims?limit=100", tokens["provider_admin"])
    assert len(body["items"]) >= 24


@pytest.mark.parametrize("query", ["", "?status=due", "?overdue=true", "?status=paid"])
def test_the_employers_dashboard_and_dismissals(app, crowd, browsers, query):
    page = assert_page(app, browsers["employer"], f"/employer/{query}")
    assert page.count("/employer/declarations/") >= (24 if not query else 1)


def test_the_dismissals_api(app, crowd, browsers, tokens):
    body = assert_api(app, browsers["employer"], "/api/v1/dismissals", tokens["employer"])
    assert len(body["items"]) >= 24 and all("contribution" in item for item in body["items"])


@pytest.mark.parametrize("query", ["", "?status=", "?status=waitlisted", "?status=submitted&overdue=y"])
def test_the_funds_queue(app, crowd, browsers, query):
    page = assert_page(app, browsers["fund_admin"], f"/admin/requests{query}")
    if query == "?status=":
        assert page.count("/admin/requests/") >= 24 and "Member Invited" in page


def test_the_funds_queue_api(app, crowd, browsers, tokens):
    body = assert_api(app, browsers["fund_admin"], "/api/v1/admin/voucher-requests?limit=100",
                      tokens["fund_admin"])
    assert len(body["items"]) >= 24
    waiting = [item for item in body["items"] if item["id"] == crowd.waitlisted_request_id]
    assert waiting and waiting[0]["waiting_list_position"] >= 1


def test_the_reconciliation(app, crowd, browsers, tokens):
    assert_page(app, browsers["fund_admin"], "/admin/fund/reconciliation")
    period = f"from_on={crowd.today - timedelta(days=90)}&to_on={crowd.today}"
    body = assert_api(app, browsers["fund_admin"], f"/api/v1/admin/reconciliation?{period}", tokens["fund_admin"])
    assert body


def test_the_funds_claims(app, crowd, browsers, tokens):
    page = assert_page(app, browsers["fund_admin"], "/admin/fund/claims?status=")
    assert page.count("/admin/fund/claims/") >= 24
    body = assert_api(app, browsers["fund_admin"], "/api/v1/admin/claims?limit=100", tokens["fund_admin"])
    assert len(body["items"]) >= 24
