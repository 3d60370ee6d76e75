"""Large CSV files of declarations, read in the background (``portal.background``): the upload resolves the employer,
counts the lines, keeps the file and stores a one-off job, in its one transaction, and answers at once; the scheduler
process then runs ``run_import``, and the page shows its progress.

The import itself is ``imports.import_steps``: every line checked before anything is written, then all declared, in
the job's one transaction: all or nothing. Its progress (``phase``, ``lines_done``) is written on a connection of
its own (``background.progress_writer``), so the page sees it while that transaction is still open.
"""

from __future__ import annotations

import json
import logging
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import background
from portal.auth.models import User
from portal.clock import today_in_brussels
from portal.errors import N_, DomainError, NotFound
from vouchers.employers.models import DeclarationImport
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services import imports as csv_import

log = logging.getLogger(__name__)

TASK = "declaration_import"

#: A file with more lines than this is read in the background; smaller ones within the upload (about a second).
BACKGROUND_ABOVE_LINES = 500

UNEXPECTED = N_("Something went wrong. Nothing was imported: please try again.")
STOPPED = N_("The import stopped before its end (the background process was interrupted): nothing was imported. "
             "Send the file again.")

#: An import still running after this long, its job no longer waiting, is taken for dead (its process stopped).
STALLED_AFTER = timedelta(minutes=30)


def is_large(text: str) -> bool:
    """Whether the file has more lines than ``BACKGROUND_ABOVE_LINES`` (read, not yet checked)."""
    rows, _problems = csv_import.read_rows(text)
    return len(rows) > BACKGROUND_ABOVE_LINES


def job_id(import_id: int) -> str:
    return f"declaration-import-{import_id}"


def start_import(session: Session, actor: Any, text: str, *, employer_id: int | None, file_name: str | None,
                 now: datetime) -> DeclarationImport:
    """Keep the file and store the job that reads it. Who may declare for which employer is checked now (403, or
    a 422 asking which employer when the person acts for several); the lines, in the job."""
    chosen = declaration_services.resolve_employer_id(session, actor, employer_id)
    rows, _problems = csv_import.read_rows(text)
    job = DeclarationImport(uploaded_by=actor.id, employer_id=chosen, file_name=(file_name or "")[:255] or None,
                            csv_text=text, status="importing", phase="checking", lines_total=len(rows),
                            lines_done=0, created_at=now)
    session.add(job)
    session.flush()
    background.enqueue(session, TASK, job_id=job_id(job.id), now=now, import_id=job.id)
    return job


def get_import(session: Session, actor: Any, import_id: int) -> DeclarationImport:
    """An import, for the person who sent it (anyone else: 404)."""
    job = session.get(DeclarationImport, import_id)
    if job is None or job.uploaded_by != getattr(actor, "id", None):
        raise NotFound(N_("This import does not exist."))
    return job


def line_errors(job: DeclarationImport) -> list[csv_import.LineError]:
    return [csv_import.LineError(e["line"], e["field"], e["message"], e.get("params") or {})
            for e in json.loads(job.errors or "[]")]


def run_import(session: Session, *, now: datetime, import_id: int) -> None:
    """The background job: check every line, then declare them all, or none. Owns its transaction."""
    job = session.get(DeclarationImport, import_id)
    if job is None or job.status != "importing":
        return  # ended already (a job delivered twice)
    actor, text, employer_id = session.get(User, job.uploaded_by), job.csv_text or "", job.employer_id
    write = background.progress_writer(session)
    report: csv_import.ImportReport | None = None
    reason: str | None = None
    try:
        steps = csv_import.import_steps(session, actor, text, employer_id=employer_id, today=today_in_brussels(now), now=now)
        while True:
            try:
                step = next(steps)
            except StopIteration as finished:
                report = finished.value
                break
            if write is not None:  # the job's row is written in this transaction only at the end
                write(update(DeclarationImport).where(DeclarationImport.id == import_id)
                      .values(phase=step.phase, lines_done=step.done, lines_total=step.total))
    except DomainError as error:
        reason = error.message
    except Exception:
        log.exception("declaration import %s failed", import_id)
        reason = UNEXPECTED
    if report is not None and report.ok:
        job.status, job.phase, job.lines_done, job.imported_count = "imported", "importing", report.lines, \
            len(report.imported_ids)
    else:
        session.rollback()
        job = session.get(DeclarationImport, import_id)
        assert job is not None
        job.status, job.failure_reason = "failed", reason
        job.errors = json.dumps([{"line": e.line, "field": e.field, "message": e.message, "params": e.params}
                                 for e in report.errors]) if report is not None else None
    job.csv_text, job.finished_at = None, now
    session.commit()


def fail_stalled_imports(session: Session, *, now: datetime) -> int:
    """Imports whose job is no longer waiting in the job store and that have run for longer than ``STALLED_AFTER``:
    their process stopped, and their transaction with it (nothing was declared). Returns how many were failed."""
    waiting = background.stored_job_ids(session)
    stalled = [job for job in session.scalars(select(DeclarationImport).where(
        DeclarationImport.status == "importing", DeclarationImport.created_at < now - STALLED_AFTER))
        if job_id(job.id) not in waiting]
    for job in stalled:
        job.status, job.failure_reason, job.csv_text, job.finished_at = "failed", STOPPED, None, now
    session.flush()
    return len(stalled)
