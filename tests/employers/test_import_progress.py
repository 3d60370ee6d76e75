"""The CSV import shows its progress: asked for application/x-ndjson, the upload is answered as the work goes
(checking, then importing, in steps), in one request and one transaction, still all or nothing."""

from __future__ import annotations

import io
import json
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from tests.support.factories import new_niss
from tests.support.web import csrf_token, login
from vouchers.employers.models import Declaration
from vouchers.employers.services import imports as csv_import

HEADER = "worker_first_name;worker_last_name;worker_niss;contract_end_on;physician_decision_on"
NDJSON = {"Accept": "application/x-ndjson", "Accept-Language": "en"}


@pytest.fixture
def small_steps(monkeypatch):
    monkeypatch.setattr(csv_import, "PROGRESS_EVERY", 10)


def _csv(today, n: int, *, bad_line: int | None = None) -> bytes:
    end = (today - timedelta(days=12)).isoformat()
    lines = [HEADER]
    for i in range(n):
        niss = "12345678901" if bad_line is not None and len(lines) + 1 == bad_line else new_niss()
        lines.append(f"Worker{i};Family{i};{niss};{end};")
    return ("\n".join(lines) + "\n").encode()


def _declared(db_session, employer_user) -> int:
    return db_session.scalar(select(func.count()).select_from(Declaration).where(
        Declaration.employer_id == employer_user.employer_id))


def _upload(client, body: bytes):
    token = csrf_token(client, "/employer/import")
    return client.post("/employer/import", data={"csrf_token": token, "file": (io.BytesIO(body), "d.csv")},
                       content_type="multipart/form-data", headers=NDJSON)


def _lines(response) -> list[dict]:
    """The streamed answer, one event per line."""
    return [json.loads(line) for line in response.get_data(as_text=True).splitlines() if line.strip()]


def test_the_page_has_the_progress_display(client, employer_user):
    login(client, employer_user.email)
    page = client.get("/employer/import", headers={"Accept-Language": "en"}).get_data(as_text=True)
    assert 'id="import-form"' in page and '<progress id="import-progress-bar"' in page
    assert 'role="status" aria-live="polite"' in page and "js/import-progress.js" in page


def test_progress_is_streamed_while_the_work_is_done(client, db_session, employer_user, today, small_steps):
    login(client, employer_user.email)
    response = _upload(client, _csv(today, 25))
    assert response.status_code == 200 and response.is_streamed
    assert response.mimetype == "application/x-ndjson" and response.headers["X-Accel-Buffering"] == "no"
    seen = []
    for chunk in response.response:  # as the browser reads it, step by step
        event = json.loads(chunk)
        seen.append((event["phase"], event.get("done"), event.get("total")))
        if event["phase"] == "checking":
            assert _declared(db_session, employer_user) == 0  # nothing is written while lines are checked
        if event["phase"] == "importing":
            assert _declared(db_session, employer_user) == event["done"]  # the rows really are there by then
        last = event
    response.close()
    assert seen == [("checking", 0, 25), ("checking", 10, 25), ("checking", 20, 25), ("checking", 25, 25),
                    ("importing", 10, 25), ("importing", 20, 25), ("importing", 25, 25), ("done", None, None)]
    assert last["imported"] == 25 and last["message"] == "25 dismissals are declared." and last["next"] == "/employer/"
    assert _declared(db_session, employer_user) == 25


def test_one_bad_line_streams_the_report_and_imports_nothing(client, db_session, employer_user, today, small_steps):
    login(client, employer_user.email)
    events = _lines(_upload(client, _csv(today, 25, bad_line=17)))
    assert [e["phase"] for e in events] == ["checking"] * 4 + ["failed"]  # never reaches "importing"
    failed = events[-1]
    assert failed["message"] == "Nothing was imported: 1 lines have problems"
    assert [(e["line"], e["field"]) for e in failed["errors"]] == [(17, "worker_niss")]
    assert _declared(db_session, employer_user) == 0


def test_a_clash_while_importing_rolls_everything_back(client, db_session, employer_user, today, small_steps,
                                                       monkeypatch):
    """Someone else declares one of these workers between the check and the insert of its batch."""
    from portal.errors import Conflict
    from vouchers.employers.services import declarations as declaration_services

    real = declaration_services.declare_many
    batches = []

    def clashing(*args, **kwargs):  # noqa: ANN002, ANN003
        batches.append(1)
        if len(batches) == 2:
            raise Conflict("Some of these dismissals were declared at the same time by someone else. "
                           "Nothing was imported: please try again.", code="already_declared")
        return real(*args, **kwargs)

    monkeypatch.setattr(declaration_services, "declare_many", clashing)
    login(client, employer_user.email)
    events = _lines(_upload(client, _csv(today, 25)))
    assert [e["phase"] for e in events][-2:] == ["importing", "failed"]
    assert "declared at the same time" in events[-1]["message"]
    assert _declared(db_session, employer_user) == 0  # the first batch was rolled back too


def test_form_errors_still_get_the_page(client, employer_user):
    login(client, employer_user.email)
    token = csrf_token(client, "/employer/import")
    response = client.post("/employer/import", data={"csrf_token": token}, content_type="multipart/form-data",
                           headers=NDJSON)
    assert response.status_code == 422 and response.mimetype == "text/html"  # the script then sends the form itself
