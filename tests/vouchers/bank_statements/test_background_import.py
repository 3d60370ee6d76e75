"""Large statements are read in the background (issue #20): the upload answers at once (202, ``importing``), the
import is a one-off APScheduler job in the database job store, its progress is on the statement's page and in the
API, and it is all or nothing. Here the job runs synchronously, as the scheduler process runs it: the stored job's
own callable with its own arguments (``test_background_scheduler`` runs it in a real scheduler)."""

from __future__ import annotations

import pickle
from datetime import timedelta

import pytest
from sqlalchemy import func, select

from portal import background
from portal.clock import utcnow
from tests.vouchers.bank_statements.conftest import Entry, Tx, camt
from tests.vouchers.bank_statements.test_pages_and_api import (
    page,
    upload_api,
    upload_page,
)
from vouchers.banking.models import BankLine, BankStatement, BankStatementFile
from vouchers.banking.services import background_import
from vouchers.banking.services import matching as matching_services
from vouchers.banking.services import statements as statement_services
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.ledger.models import LedgerEntry

LARGE = statement_services.BACKGROUND_ABOVE_LINES + 1


@pytest.fixture
def large(declare):
    """A statement of 201 lines: 60 paying contributions by reference, the others strangers' credits."""
    contributions = [declare() for _ in range(60)]
    entries = [Entry("1800.00", acct_svcr_ref=f"BIG-{i}", txs=[Tx(reference=c.structured_reference)])
               for i, c in enumerate(contributions)]
    entries += [Entry("25.00", acct_svcr_ref=f"BIG-X{i}", txs=[Tx(ustrd="gift", debtor="Someone")])
                for i in range(LARGE - len(entries))]
    return {"data": camt(entries, statement_id="STMT-BIG"), "contributions": contributions}


def stored_jobs(db_session) -> list[dict]:
    """The background jobs waiting in APScheduler's job store, as the scheduler reads them (unpickled)."""
    return [pickle.loads(state) for state in db_session.scalars(select(background.jobs_table.c.job_state))]


def run_stored_jobs(app, db_session) -> int:
    """What the scheduler process does with each job of the store: call its callable with its arguments."""
    from apscheduler.util import ref_to_obj

    background.bind(app)
    jobs = stored_jobs(db_session)
    db_session.execute(background.jobs_table.delete())  # APScheduler removes a one-off job when it runs it,
    db_session.commit()  # in a transaction of its own
    for job in jobs:
        ref_to_obj(job["func"])(*job["args"], **job["kwargs"])
    return len(jobs)


def _count(db_session, model) -> int:
    return db_session.scalar(select(func.count()).select_from(model))


def test_a_large_file_is_answered_at_once_and_read_by_its_job(app, client, db_session, admin_headers, large):
    answer = upload_api(client, admin_headers, large["data"])
    assert answer.status_code == 202, answer.get_json()
    body = answer.get_json()
    assert (body["status"], body["lines_total"], body["lines_done"], body["matched"]) == ("importing", LARGE, 0, 0)
    assert _count(db_session, BankLine) == 0 and _count(db_session, ContributionPayment) == 0
    shown = client.get(f"/api/v1/admin/bank-statements/{body['id']}", headers=admin_headers).get_json()
    assert (shown["status"], shown["lines_total"], shown["lines_done"]) == ("importing", LARGE, 0)

    (job,) = stored_jobs(db_session)
    upload = db_session.scalar(select(BankStatementFile))
    assert job["id"] == background_import.job_id(upload.id) and job["func"] == "portal.background:run_task"
    assert job["args"] == (background_import.TASK,) and job["kwargs"] == {"file_id": upload.id}

    # The same file again while it is read: nothing more (the statement being imported is the answer).
    again = upload_api(client, admin_headers, large["data"])
    assert again.status_code == 200 and again.get_json()["duplicate"] is True
    assert len(stored_jobs(db_session)) == 1

    assert run_stored_jobs(app, db_session) == 1
    shown = client.get(f"/api/v1/admin/bank-statements/{body['id']}", headers=admin_headers).get_json()
    assert (shown["status"], shown["lines_total"], shown["lines_done"]) == ("imported", LARGE, LARGE)
    assert (shown["matched"], shown["unmatched"], shown["failure_reason"]) == (60, LARGE - 60, None)
    assert shown["schema_valid"] is None or isinstance(shown["schema_valid"], bool)
    assert _count(db_session, BankStatementFile) == 0  # the file is forgotten once read
    listed = client.get(f"/api/v1/admin/bank-lines?statement_id={body['id']}&status=matched&limit=10",
                        headers=admin_headers)
    assert listed.status_code == 200 and listed.get_json()["total_count"] == 60
    for contribution in large["contributions"]:
        db_session.refresh(contribution)
    assert {c.status for c in large["contributions"]} == {"paid"}
    assert db_session.scalar(select(func.sum(LedgerEntry.amount_cents)).where(
        LedgerEntry.kind == "contribution_paid")) == 60 * 180000
    # Run again (a job delivered twice): nothing more happens.
    background_import.run_import(db_session, now=utcnow(), file_id=upload.id)
    assert _count(db_session, ContributionPayment) == 60


def test_the_statement_page_follows_the_import(app, admin_client, db_session, large):
    response = upload_page(admin_client, large["data"], follow_redirects=True)
    assert response.status_code == 200
    text = page(response)
    statement = db_session.scalar(select(BankStatement))
    assert "it is read in the background" in text
    assert '<progress id="background-progress-bar"' in text and "js/background-progress.js" in text
    assert f'data-status-url="/api/v1/admin/bank-statements/{statement.id}"' in text
    assert f"0 of {LARGE} lines done." in text
    listing = page(admin_client.get("/admin/fund/bank-statements"))
    assert f"Importing: 0 of {LARGE} lines" in listing

    statement.lines_done = 120  # as the job writes it, on a connection of its own, while it works
    db_session.flush()
    assert f"120 of {LARGE} lines done." in page(admin_client.get(f"/admin/fund/bank-statements/{statement.id}"))
    statement.lines_done = 0
    db_session.flush()

    run_stored_jobs(app, db_session)
    text = page(admin_client.get(f"/admin/fund/bank-statements/{statement.id}"))
    assert "background-progress" not in text and 'id="statement-lines"' in text


def test_a_failed_import_books_nothing_says_why_and_may_be_tried_again(app, client, db_session, admin_headers, large,
                                                                        monkeypatch, admin_client):
    monkeypatch.setattr(statement_services, "BOOK_BATCH", 20)
    real_book, batches = matching_services.book, []

    def failing(*args, **kwargs):  # the third batch fails, after two were written
        batches.append(1)
        if len(batches) == 3:
            raise RuntimeError("disk full")
        return real_book(*args, **kwargs)

    monkeypatch.setattr(matching_services, "book", failing)
    body = upload_api(client, admin_headers, large["data"]).get_json()
    run_stored_jobs(app, db_session)
    shown = client.get(f"/api/v1/admin/bank-statements/{body['id']}", headers=admin_headers).get_json()
    assert shown["status"] == "failed" and "nothing of this file was booked" in shown["failure_reason"]
    assert (_count(db_session, BankLine), _count(db_session, ContributionPayment), _count(db_session, LedgerEntry)) == (
        0, 0, 0)
    assert {c.status for c in db_session.scalars(select(Contribution))} == {"due"}
    assert _count(db_session, BankStatementFile) == 0
    text = page(admin_client.get(f"/admin/fund/bank-statements/{body['id']}"))
    assert "The import failed: nothing of this statement was booked." in text
    assert "Import failed: nothing booked" in page(admin_client.get("/admin/fund/bank-statements"))

    # Uploaded again, the statement is read afresh (its failed import is forgotten).
    monkeypatch.setattr(matching_services, "book", real_book)
    again = upload_api(client, admin_headers, large["data"])
    assert again.status_code == 202, again.get_json()
    run_stored_jobs(app, db_session)
    (statement,) = db_session.scalars(select(BankStatement))
    assert (statement.status, statement.lines_done) == ("imported", LARGE)
    assert _count(db_session, ContributionPayment) == 60


def test_a_small_file_is_still_read_within_the_upload(client, db_session, admin_headers, declare):
    contribution = declare()
    answer = upload_api(client, admin_headers, camt([Entry("1800.00", acct_svcr_ref="SMALL-1",
                                                           txs=[Tx(reference=contribution.structured_reference)])]))
    assert answer.status_code == 201 and answer.get_json()["status"] == "imported"
    assert stored_jobs(db_session) == []


def test_an_import_whose_process_stopped_is_marked_failed(app, db_session, admin, large):
    now = utcnow()
    result = background_import.receive_upload(db_session, admin, large["data"], file_name="big.xml",
                                              now=now - background_import.STALLED_AFTER - timedelta(minutes=1))
    assert result.importing
    statement = result.statements[0].statement
    # Its job is still waiting in the store: it has not started, so it is not stalled.
    assert background_import.fail_stalled_imports(db_session, now=now) == 0
    db_session.execute(background.jobs_table.delete())  # handed to a worker thread, which then died
    assert background_import.fail_stalled_imports(db_session, now=now) == 1
    db_session.refresh(statement)
    assert statement.status == "failed" and statement.failure_reason == background_import.STOPPED
    assert _count(db_session, BankStatementFile) == 0
