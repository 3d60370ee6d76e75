"""A large CSV file of declarations is read in the background (issue #20): the upload answers at once and leads to a
page that follows the import's progress (``lines_done`` of ``lines_total``, checking then declaring); the import is
a one-off APScheduler job in the database job store, still all or nothing. Here the stored job runs synchronously,
as the scheduler process runs it (its own callable, with its own arguments)."""

from __future__ import annotations

import io
import pickle
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import background
from tests.support.factories import new_niss
from tests.support.web import csrf_token, login
from vouchers.employers.models import Declaration, DeclarationImport
from vouchers.employers.services import background_imports
from vouchers.employers.services import imports as csv_import

HEADER = "worker_first_name;worker_last_name;worker_niss;contract_end_on;physician_decision_on"
EN = {"Accept-Language": "en"}
LARGE = background_imports.BACKGROUND_ABOVE_LINES + 1


@pytest.fixture
def small_steps(monkeypatch):
    monkeypatch.setattr(csv_import, "PROGRESS_EVERY", 100)


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


def _upload(client, body: bytes, **kwargs):
    token = csrf_token(client, "/employer/import")
    return client.post("/employer/import", data={"csrf_token": token, "file": (io.BytesIO(body), "d.csv")},
                       content_type="multipart/form-data", headers=EN, **kwargs)


def run_stored_jobs(app, db_session) -> list[dict]:
    """What the scheduler process does with each job of the store: take it out (in a transaction of its own), then
    call its callable with its arguments."""
    from apscheduler.util import ref_to_obj

    background.bind(app)
    jobs = [pickle.loads(state) for state in db_session.scalars(select(background.jobs_table.c.job_state))]
    db_session.execute(background.jobs_table.delete())
    db_session.commit()
    for job in jobs:
        ref_to_obj(job["func"])(*job["args"], **job["kwargs"])
    return jobs


def test_a_small_file_is_still_imported_within_the_upload(client, db_session, employer_user, today):
    login(client, employer_user.email)
    response = _upload(client, _csv(today, 5))
    assert response.status_code == 302 and response.headers["Location"].endswith("/employer/")
    assert _declared(db_session, employer_user) == 5
    assert db_session.scalar(select(func.count()).select_from(DeclarationImport)) == 0


def test_a_large_file_is_read_in_the_background_and_its_page_follows_it(app, client, db_session, employer_user,
                                                                          today, small_steps):
    login(client, employer_user.email)
    response = _upload(client, _csv(today, LARGE))
    assert response.status_code == 302
    job = db_session.scalar(select(DeclarationImport))
    assert response.headers["Location"].endswith(f"/employer/import/{job.id}")
    assert (job.status, job.phase, job.lines_total, job.lines_done) == ("importing", "checking", LARGE, 0)
    assert _declared(db_session, employer_user) == 0  # nothing yet: the job does it

    page = client.get(f"/employer/import/{job.id}", headers=EN).get_data(as_text=True)
    assert '<progress id="background-progress-bar"' in page and "js/background-progress.js" in page
    assert f'data-status-url="/api/v1/dismissals/imports/{job.id}"' in page
    assert f"Checking the lines: 0 of {LARGE}" in page and 'data-phase-importing="Declaring: {done} of {total}"' in page
    status = client.get(f"/api/v1/dismissals/imports/{job.id}").get_json()
    assert (status["status"], status["phase"], status["lines_done"], status["lines_total"]) == (
        "importing", "checking", 0, LARGE)

    (stored,) = run_stored_jobs(app, db_session)
    assert stored["id"] == background_imports.job_id(job.id) and stored["kwargs"] == {"import_id": job.id}
    assert _declared(db_session, employer_user) == LARGE
    db_session.refresh(job)
    assert (job.status, job.imported_count, job.csv_text) == ("imported", LARGE, None)
    page = client.get(f"/employer/import/{job.id}", headers=EN).get_data(as_text=True)
    assert f"{LARGE} dismissals are declared." in page and "background-progress" not in page
    assert client.get(f"/api/v1/dismissals/imports/{job.id}").get_json()["imported"] == LARGE
    run_stored_jobs(app, db_session)  # nothing left to run; and running the import again does nothing
    background_imports.run_import(db_session, now=job.created_at, import_id=job.id)
    assert _declared(db_session, employer_user) == LARGE


def test_one_bad_line_imports_nothing_and_the_page_lists_it(app, client, db_session, employer_user, today):
    login(client, employer_user.email)
    _upload(client, _csv(today, LARGE, bad_line=317))
    job = db_session.scalar(select(DeclarationImport))
    run_stored_jobs(app, db_session)
    db_session.refresh(job)
    assert job.status == "failed" and _declared(db_session, employer_user) == 0
    page = client.get(f"/employer/import/{job.id}", headers=EN).get_data(as_text=True)
    assert "Nothing was imported: 1 line has problems" in page and "<td>317</td><td>worker_niss</td>" in page
    errors = client.get(f"/api/v1/dismissals/imports/{job.id}").get_json()["errors"]
    assert [(e["line"], e["field"]) for e in errors] == [(317, "worker_niss")]


def test_a_clash_while_declaring_rolls_everything_back(app, client, db_session, employer_user, today, monkeypatch,
                                                       small_steps):
    """Someone else declares one of these workers between the check and the insert of a batch."""
    from portal.errors import Conflict
    from vouchers.employers.services import declarations as declaration_services

    real, batches = declaration_services.declare_many, []

    def clashing(*args, **kwargs):  # the second batch clashes, after the first was written
        batches.append(1)
        if len(batches) == 2:
            raise Conflict("Some of these dismissals were declared at the same time by someone else. "
                           "Nothing was imported: please try again.", code="already_declared")
        return real(*args, **kwargs)

    monkeypatch.setattr(declaration_services, "declare_many", clashing)
    login(client, employer_user.email)
    _upload(client, _csv(today, LARGE))
    job = db_session.scalar(select(DeclarationImport))
    run_stored_jobs(app, db_session)
    db_session.refresh(job)
    assert job.status == "failed" and "declared at the same time" in job.failure_reason
    assert _declared(db_session, employer_user) == 0  # the first batch was rolled back too
    assert "declared at the same time" in client.get(f"/employer/import/{job.id}", headers=EN).get_data(as_text=True)


def test_only_the_sender_sees_an_import(app, client, db_session, employer_user, other_employer_user, today):
    login(client, employer_user.email)
    _upload(client, _csv(today, LARGE))
    job = db_session.scalar(select(DeclarationImport))
    client.post("/logout", data={"csrf_token": csrf_token(client, "/employer/")})
    login(client, other_employer_user.email)
    assert client.get(f"/employer/import/{job.id}").status_code == 404
    assert client.get(f"/api/v1/dismissals/imports/{job.id}").status_code == 404


def test_the_api_answers_202_for_a_large_file(app, client, db_session, headers, employer_user, today):
    response = client.post("/api/v1/dismissals/import", data=_csv(today, LARGE),
                           headers={**headers, "Content-Type": "text/csv"})
    assert response.status_code == 202, response.get_json()
    body = response.get_json()
    assert (body["status"], body["lines_total"], body["lines_done"], body["imported"]) == ("importing", LARGE, 0, None)
    run_stored_jobs(app, db_session)
    done = client.get(f"/api/v1/dismissals/imports/{body['id']}", headers=headers).get_json()
    assert (done["status"], done["imported"], done["errors"]) == ("imported", LARGE, [])
    assert _declared(db_session, employer_user) == LARGE


def test_form_errors_still_get_the_page(client, employer_user):
    login(client, employer_user.email)
    token = csrf_token(client, "/employer/import")
    response = client.post("/employer/import", data={"csrf_token": token}, content_type="multipart/form-data")
    assert response.status_code == 422 and response.mimetype == "text/html"


def test_an_import_whose_process_stopped_is_marked_failed(client, db_session, employer_user, today):
    login(client, employer_user.email)
    _upload(client, _csv(today, LARGE))
    job = db_session.scalar(select(DeclarationImport))
    later = job.created_at + background_imports.STALLED_AFTER + timedelta(minutes=1)
    assert background_imports.fail_stalled_imports(db_session, now=later) == 0  # its job still waits: not started
    db_session.execute(background.jobs_table.delete())  # handed to a worker thread, which then died
    assert background_imports.fail_stalled_imports(db_session, now=later) == 1
    assert (job.status, job.failure_reason, job.csv_text) == ("failed", background_imports.STOPPED, None)
    assert "Send the file again." in client.get(f"/employer/import/{job.id}", headers=EN).get_data(as_text=True)
