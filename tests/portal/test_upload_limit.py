"""A request larger than MAX_UPLOAD_MB is refused with a 413 before anything reads it whole: the API's error
shape for /api/ paths, a page for the browser, never a 500 and nothing written. The employer CSV import has
its own, smaller limit and reads no more than that."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from flask import has_request_context
from sqlalchemy import func, select
from werkzeug.test import EnvironBuilder

from portal.clock import today_in_brussels
from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.web import bearer, csrf_token, login
from vouchers.banking.models import BankStatement
from vouchers.employers.models import Declaration

MB = 1024 * 1024
TOO_LARGE = b"a" * (26 * MB)


def post_multipart(client, path: str, data: dict, headers: dict | None = None):
    """POST a multipart form, closing the temporary file the test client spools a large body into."""
    environ = EnvironBuilder(path=path, method="POST", data=data, headers=headers,
                             content_type="multipart/form-data").get_environ()
    try:
        return client.open(environ)
    finally:
        environ["wsgi.input"].close()


def declarations(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(Declaration))


def statements(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(BankStatement))


def test_the_limit_comes_from_the_environment(monkeypatch):
    from portal.config import load_config

    monkeypatch.delenv("MAX_UPLOAD_MB", raising=False)
    assert load_config()["MAX_CONTENT_LENGTH"] == 25 * MB
    monkeypatch.setenv("MAX_UPLOAD_MB", "3")
    assert load_config()["MAX_CONTENT_LENGTH"] == 3 * MB


def test_the_app_has_a_limit(app):
    assert app.config["MAX_CONTENT_LENGTH"] and app.config["MAX_CONTENT_LENGTH"] < len(TOO_LARGE)


def _api_too_large(response, limit: str = "25 MB") -> None:
    assert response.status_code == 413, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    error = response.get_json()["error"]
    assert error["code"] == "payload_too_large" and error["fields"] == {}
    assert error["message"] == f"The request is larger than {limit}."


def test_a_26_mb_csv_to_the_api_is_a_413(client, db_session):
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    before = declarations(db_session)
    response = client.post("/api/v1/dismissals/import", data=TOO_LARGE,
                           headers={**bearer(client, employer.email), "Content-Type": "text/csv"})
    _api_too_large(response, "10 MB")  # the import's own limit, below the portal's 25 MB
    assert declarations(db_session) == before


def test_a_26_mb_statement_to_the_api_is_a_413(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    before = statements(db_session)
    response = post_multipart(client, "/api/v1/admin/bank-statements", {"file": (io.BytesIO(TOO_LARGE), "camt053.xml")},
                              headers=bearer(client, admin.email))
    _api_too_large(response)
    assert statements(db_session) == before


def _page_too_large(response) -> None:
    assert response.status_code == 413
    assert response.mimetype == "text/html"
    page = response.get_data(as_text=True)
    assert "The file is too large." in page and "25 MB" in page and "Something went wrong" not in page


def test_a_26_mb_csv_to_the_import_page_is_a_413_page(client, db_session):
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    login(client, employer.email)
    token = csrf_token(client, "/employer/import")
    before = declarations(db_session)
    response = post_multipart(client, "/employer/import", {"csrf_token": token,
                                                           "file": (io.BytesIO(TOO_LARGE), "declarations.csv")})
    _page_too_large(response)
    assert declarations(db_session) == before


def test_a_26_mb_statement_to_the_upload_page_is_a_413_page(client, db_session):
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    login(client, admin.email)
    token = csrf_token(client, "/admin/fund/bank-statements")
    before = statements(db_session)
    response = post_multipart(client, "/admin/fund/bank-statements", {"csrf_token": token,
                                                                      "file": (io.BytesIO(TOO_LARGE), "camt053.xml")})
    _page_too_large(response)
    assert statements(db_session) == before


# --- the CSV import's own limit ----------------------------------------------------------------


@pytest.fixture
def small_import_limit(monkeypatch):
    from vouchers.employers import api

    monkeypatch.setattr(api, "MAX_IMPORT_BYTES", 200)
    return 200


def _csv(lines: int) -> bytes:
    end = (today_in_brussels() - timedelta(days=10)).isoformat()
    rows = [f"Amélie;Peeters;{new_niss()};{end};" for _ in range(lines)]
    return ("worker_first_name;worker_last_name;worker_niss;contract_end_on;physician_decision_on\n"
            + "\n".join(rows) + "\n").encode()


def test_the_import_page_refuses_a_file_over_its_own_limit(client, db_session, small_import_limit):
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    login(client, employer.email)
    token = csrf_token(client, "/employer/import")
    body = _csv(5)
    assert len(body) > small_import_limit
    before = declarations(db_session)
    response = client.post("/employer/import", data={"csrf_token": token, "file": (io.BytesIO(body), "d.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    page = response.get_data(as_text=True)
    assert "The file is larger than" in page and 'id="import-form"' in page
    assert declarations(db_session) == before


def test_the_import_page_reads_no_more_than_its_limit(client, db_session, small_import_limit, monkeypatch):
    from werkzeug.datastructures import FileStorage

    asked: list[int] = []

    def read(self, size=-1):
        if has_request_context():  # not the test client encoding the upload
            asked.append(size)
        return self.stream.read(size)

    monkeypatch.setattr(FileStorage, "read", read, raising=False)  # FileStorage otherwise hands read to its stream
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    login(client, employer.email)
    token = csrf_token(client, "/employer/import")
    response = client.post("/employer/import", data={"csrf_token": token, "file": (io.BytesIO(_csv(5)), "d.csv")},
                           content_type="multipart/form-data")
    assert response.status_code == 422
    assert asked == [small_import_limit + 1]


def test_the_import_api_refuses_a_body_over_its_own_limit(client, db_session, small_import_limit):
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    before = declarations(db_session)
    response = client.post("/api/v1/dismissals/import", data=_csv(5),
                           headers={**bearer(client, employer.email), "Content-Type": "text/csv"})
    assert response.status_code == 413
    error = response.get_json()["error"]
    assert error["code"] == "payload_too_large" and error["fields"] == {}
    assert declarations(db_session) == before


def test_a_file_under_the_limits_is_still_imported(client, db_session):
    employer = make_user(db_session, Role.EMPLOYER, language="en")
    before = declarations(db_session)
    response = client.post("/api/v1/dismissals/import", data=_csv(2),
                           headers={**bearer(client, employer.email), "Content-Type": "text/csv"})
    assert response.status_code == 201, response.get_json()
    assert declarations(db_session) == before + 2
