"""Issue #19: no byte breaks the portal. PostgreSQL refuses NUL (U+0000) in text and no driver can encode a lone
surrogate, so each answered 500 there. Now one guard (portal/input_guard.py) refuses them in the path, the query
string, forms and JSON bodies before any view runs, the CSV import names the line and column, and nothing is
written. Run with DATABASE_URL set to check it on PostgreSQL, where each of these was a 500.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest
from flask.testing import FlaskClient
from sqlalchemy import func, select

from portal.clock import today_in_brussels
from portal.input_guard import json_strings, printable
from portal.permissions import Role
from tests.support.factories import PASSWORD, make_user, new_niss
from tests.support.web import bearer, csrf_token, login
from tests.vouchers.bank_statements.conftest import Entry, camt
from tests.vouchers.bank_statements.support import bank_world

NUL = "\x00"
EN = {"Accept-Language": "en"}
CSV_HEADER = "worker_first_name;worker_last_name;worker_niss;contract_end_on;physician_decision_on"


@dataclass(frozen=True)
class Probe:
    """One hostile request: who sends it, and how. ``form`` is the page whose CSRF token a page post needs."""

    who: str | None
    send: Callable[[FlaskClient, dict[str, Any]], Any]
    field: str | None = None  # the field the API's error names
    form: Callable[[dict[str, Any]], str] | None = None

    @property
    def api(self) -> bool:
        return self.who is None or not self.who.endswith("page")


def _day(days: int) -> str:
    return (today_in_brussels() + timedelta(days=days)).isoformat()


def _dismissal(**overrides: str) -> dict[str, str]:
    return {"worker_first_name": "Amélie", "worker_last_name": "Peeters", "worker_niss": new_niss(),
            "contract_end_on": _day(-10), **overrides}


def _csv(first_name: str) -> bytes:
    return f"{CSV_HEADER}\n{first_name};Peeters;{new_niss()};{_day(-10)};\n".encode()


def _page_post(path: Callable[[dict[str, Any]], str], data: Callable[[dict[str, Any]], dict[str, Any]], **kwargs: Any):
    def send(client: FlaskClient, w: dict[str, Any]) -> Any:
        return client.post(path(w), data={"csrf_token": w["csrf"], **data(w)}, headers=EN, **kwargs)
    return send


PROBES: dict[str, Probe] = {
    # anonymous
    "api providers ?q=": Probe(None, lambda c, w: c.get("/api/v1/providers?q=%00"), "q"),
    "api providers query name": Probe(None, lambda c, w: c.get("/api/v1/providers?q%00=a"), "q\\u0000"),
    "page providers ?place=": Probe("anonymous page", lambda c, w: c.get("/providers?place=a%00b", headers=EN)),
    "api auth token e-mail": Probe(None, lambda c, w: c.post("/api/v1/auth/token", json={
        "email": f"nobody{NUL}@example.be", "password": PASSWORD}), "email"),
    "api beneficiary registration": Probe(None, lambda c, w: c.post("/api/v1/beneficiaries", json={
        "email": "new-person@example.be", "password": "a long enough password", "first_name": f"Am{NUL}élie",
        "last_name": "Peeters", "niss": new_niss(), "language": "fr"}), "first_name"),
    "api lone surrogate": Probe(None, lambda c, w: c.post("/api/v1/beneficiaries", data=(
        '{"email": "new-person@example.be", "password": "a long enough password", "first_name": "A\\ud800",'
        f' "last_name": "Peeters", "niss": "{new_niss()}", "language": "fr"}}'),
        content_type="application/json"), "first_name"),
    "api path": Probe(None, lambda c, w: c.get("/api/v1/providers/1%00"), "path"),
    "api calendar token": Probe(None, lambda c, w: c.get(f"/api/v1/coaches/{w['coach_id']}/calendar.ics?token=a%00"),
                                "token"),
    "page path": Probe("anonymous page", lambda c, w: c.get("/employer/agents/accept/a%00b", headers=EN)),
    "page password reset path": Probe("anonymous page", lambda c, w: c.get("/password/reset/a%00b", headers=EN)),
    # an employer
    "api dismissal": Probe("employer", lambda c, w: c.post("/api/v1/dismissals", headers=w["headers"],
                                                           json=_dismissal(worker_last_name=f"Pee{NUL}ters")),
                           "worker_last_name"),
    "api dismissal key": Probe("employer", lambda c, w: c.post("/api/v1/dismissals", headers=w["headers"], json={
        **_dismissal(), f"agent{NUL}": "x"}), "agent\\u0000"),
    "api dismissal list query": Probe("employer", lambda c, w: c.get("/api/v1/dismissals?cursor=%00",
                                                                     headers=w["headers"]), "cursor"),
    "api agents": Probe("employer", lambda c, w: c.post("/api/v1/employer/agents", headers=w["headers"], json={
        "email": "secretariat@example.be", "name": f"Sec{NUL}"}), "name"),
    "page dismissal": Probe("employer page", _page_post(lambda w: "/employer/declare", lambda w: _dismissal(
        worker_first_name=f"Am{NUL}élie")), form=lambda w: "/employer/declare"),
    "page agents": Probe("employer page", _page_post(lambda w: "/employer/agents", lambda w: {
        "email": "secretariat@example.be", "name": f"Sec{NUL}"}), form=lambda w: "/employer/agents"),
    # a provider's administrator
    "api coach": Probe("provider_admin", lambda c, w: c.post("/api/v1/provider/coaches", headers=w["headers"], json={
        "name": f"Inès{NUL}", "email": "new-coach@example.be"}), "name"),
    "api offer": Probe("provider_admin", lambda c, w: c.post("/api/v1/provider/offers", headers=w["headers"], json={
        "name": f"9 h{NUL}", "individual_hours": 9, "collective_sessions": 3}), "name"),
    "api availability exception": Probe("provider_admin", lambda c, w: c.post(
        f"/api/v1/coaches/{w['coach_id']}/availability/exceptions", headers=w["headers"],
        json={"from_on": _day(10), "reason": f"Leave{NUL}"}), "reason"),
    "page coach": Probe("provider_admin page", _page_post(lambda w: "/provider/coaches", lambda w: {
        "name": f"Inès{NUL}", "email": "new-coach@example.be", "timezone": "Europe/Brussels", "language": "fr"}),
        form=lambda w: "/provider/coaches"),
    "page offer": Probe("provider_admin page", _page_post(lambda w: "/provider/offers", lambda w: {
        "name": f"9 h{NUL}", "individual_hours": "9", "collective_sessions": "3"}), form=lambda w: "/provider/offers"),
    "page availability exception": Probe("provider_admin page", _page_post(
        lambda w: f"/coach/availability/{w['coach_id']}/exceptions",
        lambda w: {"kind": "off", "from_on": _day(10), "reason": f"Leave{NUL}"}),
        form=lambda w: f"/coach/availability/{w['coach_id']}"),
    # the fund
    "api bank-line dismissal": Probe("fund_admin", lambda c, w: c.post(
        f"/api/v1/admin/bank-lines/{w['line_id']}/dismiss", headers=w["headers"], json={"reason": f"Not{NUL}ours"}),
        "reason"),
    "api bank statement file name": Probe("fund_admin", lambda c, w: c.post(
        "/api/v1/admin/bank-statements", headers=w["headers"],
        data={"file": (io.BytesIO(camt([Entry("10.00")], statement_id="NUL-1")), f"statement{NUL}.xml")}), "file"),
    "page bank-line dismissal": Probe("fund_admin page", _page_post(
        lambda w: f"/admin/fund/bank-lines/{w['line_id']}/dismiss", lambda w: {"reason": f"Not{NUL}ours"}),
        form=lambda w: f"/admin/fund/bank-lines/{w['line_id']}"),
}


@pytest.fixture
def world(db_session, provider_admin, coach, fund_admin) -> dict[str, Any]:
    return {"employer": make_user(db_session, Role.EMPLOYER, language="en"), "provider_admin": provider_admin,
            "fund_admin": fund_admin, "coach_id": coach.id, **bank_world(db_session)}


def row_counts(db_session) -> dict[str, int]:
    """Rows in every table: a refused request leaves each count as it was."""
    from portal.db import db

    return {table.name: db_session.scalar(select(func.count()).select_from(table))
            for table in db.metadata.sorted_tables}


def _sign_in(client: FlaskClient, probe: Probe, w: dict[str, Any]) -> None:
    if probe.who is None or probe.who == "anonymous page":
        return
    user = w[probe.who.removesuffix(" page")]
    if probe.api:
        w["headers"] = bearer(client, user.email)
    else:
        login(client, user.email)
        assert probe.form is not None
        w["csrf"] = csrf_token(client, probe.form(w))


@pytest.mark.parametrize("name", PROBES)
def test_a_nul_is_refused_and_nothing_is_written(client, db_session, world, name):
    probe = PROBES[name]
    _sign_in(client, probe, world)
    before = row_counts(db_session)
    response = probe.send(client, world)
    if probe.api:
        assert response.status_code == 422, response.get_data(as_text=True)[:500]
        error = response.get_json()["error"]
        assert error["code"] == "invalid_characters"
        assert probe.field in error["fields"], error
    else:
        assert response.status_code in (400, 422), response.get_data(as_text=True)[:500]
        assert "invisible control character" in response.get_data(as_text=True)
    assert row_counts(db_session) == before


def test_the_page_says_it_in_the_persons_language(client, db_session):
    employer = make_user(db_session, Role.EMPLOYER, language="fr")
    login(client, employer.email)
    token = csrf_token(client, "/employer/declare")
    response = client.post("/employer/declare", data={"csrf_token": token, **_dismissal(worker_first_name=NUL)},
                           headers={"Accept-Language": "fr"})
    assert response.status_code == 422
    assert "caractère de contrôle invisible" in response.get_data(as_text=True)


def test_tabs_newlines_and_other_text_pass(client, db_session):
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    headers = bearer(client, employer.email)
    response = client.post("/api/v1/dismissals", headers=headers,
                           json=_dismissal(worker_first_name="Anne\tMarie", agent_name="Line 1\nLine 2 \u2603 \x07"))
    assert response.status_code == 201, response.get_json()


def test_a_too_deeply_nested_body_is_400(client, db_session):
    response = client.post("/api/v1/eligibility", data="[" * 100_000, content_type="application/json")
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "malformed_request"


@pytest.mark.parametrize("via", ["api", "page"])
def test_a_nul_in_the_csv_import_names_the_line_and_column(client, db_session, via):
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    body = _csv(f"Am{NUL}élie")
    if via == "api":
        headers = bearer(client, employer.email)
        before = row_counts(db_session)
        response = client.post("/api/v1/dismissals/import", data=body, headers={**headers, "Content-Type": "text/csv"})
        assert response.status_code == 422, response.get_json()
        error = response.get_json()["error"]
        assert error["code"] == "csv_invalid"
        assert [(line["line"], line["field"]) for line in error["lines"]] == [(2, "worker_first_name")]
    else:
        login(client, employer.email)
        token = csrf_token(client, "/employer/import")
        before = row_counts(db_session)
        response = client.post("/employer/import", data={"csrf_token": token, "file": (io.BytesIO(body), "a.csv")},
                               headers=EN)
        assert response.status_code == 422
        assert "invisible control character" in response.get_data(as_text=True)
    assert row_counts(db_session) == before


def test_the_guard_walks_keys_and_values_at_any_depth():
    document = {"a": [{"b": "x"}, "y"], "c": {"d\x00": 1}}
    assert sorted(json_strings(document)) == [("a", "a"), ("a.0.b", "b"), ("a.0.b", "x"), ("a.1", "y"),
                                              ("c", "c"), ("c.d\x00", "d\x00")]
    assert printable("a\x00b\ud800") == "a\\u0000b\\ud800"
