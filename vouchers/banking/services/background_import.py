"""Large statement files, read in the background (``portal.background``): the upload checks the file, records its
statements as ``importing`` with their number of lines, keeps the file and stores a one-off job, all in its one
transaction; the scheduler process then runs ``run_import``.

- All or nothing: every statement of the file is imported in one transaction. When anything fails, nothing of it is
  booked, and its statements are ``failed`` with a plain reason; uploading the file again starts afresh.
- Progress: ``lines_done`` is written on a connection of its own after each batch of lines, committed at once, so
  the statement's page and ``GET /admin/bank-statements/{id}`` show it while the import's transaction is still open.
  (Not on SQLite, where the import's transaction holds the database's one write lock: there the statement goes
  from ``importing`` to ``imported`` at once.)
- An import that never ends (the scheduler process stopped in its middle) is found by ``fail_stalled_imports``.
"""

from __future__ import annotations

import logging
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from portal import audit, background
from portal.auth.models import User
from portal.errors import N_, DomainError
from vouchers.banking import camt
from vouchers.banking.models import BankStatement, BankStatementFile
from vouchers.banking.services import statements as statement_services
from vouchers.banking.services.lines import _require

log = logging.getLogger(__name__)

TASK = "bank_statement_import"

#: An import whose progress has not moved for this long is taken for dead (its process stopped).
STALLED_AFTER = timedelta(minutes=30)

UNEXPECTED = N_("The import stopped on an unexpected error: nothing of this file was booked. Upload it again; if "
                "it fails again, tell the portal's administrators.")
STOPPED = N_("The import stopped before its end (the background process was interrupted): nothing of this file "
             "was booked. Upload it again.")


def job_id(file_id: int) -> str:
    return f"bank-statement-file-{file_id}"


def receive_upload(session: Session, actor: Any, data: bytes, *, file_name: str | None, now: datetime,
                   xsd_path: str | Path | None = None) -> statement_services.ImportResult:
    """What an upload does: a file of at most ``statement_services.BACKGROUND_ABOVE_LINES`` lines is imported within
    the upload (``statement_services.import_statement``); a larger one is checked, and read in the background
    (``ImportResult.importing``). A file or statement imported before adds nothing, either way."""
    _require(actor)
    parsed = statement_services.parse_upload(data)
    known = statement_services.known_file(session, parsed)
    if known is not None:
        return known
    if sum(len(statement.lines) for statement in parsed.statements) > statement_services.BACKGROUND_ABOVE_LINES:
        return start_import(session, actor, parsed, data, file_name=file_name, now=now)
    return statement_services.import_parsed(session, actor, parsed, file_name=file_name, now=now, xsd_path=xsd_path)


def start_import(session: Session, actor: Any, parsed: camt.ParsedFile, data: bytes, *, file_name: str | None,
                 now: datetime) -> statement_services.ImportResult:
    """Record the file's new statements as ``importing`` and store the job that will read them. Statements imported
    before are returned as duplicates, as an import within the upload would."""
    results: list[statement_services.StatementImport] = []
    rows: list[BankStatement] = []
    upload = BankStatementFile(file_name=(file_name or "")[:255] or None, data=data,
                               uploaded_by=getattr(actor, "id", None), created_at=now)
    for statement in parsed.statements:
        existing = statement_services.existing_statement(session, statement)
        if existing is not None:
            results.append(statement_services.StatementImport(existing, duplicate=True))
            continue
        row = statement_services.statement_row(parsed, statement, None, file_name=file_name, actor=actor, now=now,
                                               status="importing", lines_total=len(statement.lines), lines_done=0)
        rows.append(row)
        results.append(statement_services.StatementImport(row, duplicate=False))
    if rows:
        session.add(upload)
        session.flush()
        for row in rows:
            row.file_id = upload.id
        statement_services.add_statement_rows(session, rows)
        background.enqueue(session, TASK, job_id=job_id(upload.id), now=now, file_id=upload.id)
        for row in rows:
            audit.record(session, actor=actor, object_type="bank_statement", object_id=row.id,
                         action="import_started", reason=f"{row.lines_total} lines, read in the background", now=now)
        session.flush()
    return statement_services.ImportResult(results)


class _Progress:
    """Writes a statement's ``lines_done`` on a connection of its own (``background.progress_writer``)."""

    def __init__(self, session: Session, statement_id: int):
        self.write = background.progress_writer(session)
        self.statement_id = statement_id

    def __call__(self, lines_done: int) -> None:
        if self.write is not None:
            self.write(update(BankStatement).where(BankStatement.id == self.statement_id,
                                                   BankStatement.status == "importing").values(lines_done=lines_done))


def run_import(session: Session, *, now: datetime, file_id: int, xsd_path: str | Path | None = None) -> None:
    """The background job: import every statement waiting for this file, then forget the file; or, when anything
    fails, book nothing and mark them ``failed`` with the reason. Owns its transaction (commits)."""
    upload = session.get(BankStatementFile, file_id)
    if upload is None:
        return  # this import has ended already
    rows = list(session.scalars(select(BankStatement).where(BankStatement.file_id == file_id,
                                                            BankStatement.status == "importing")
                                .order_by(BankStatement.id)))
    actor = session.get(User, upload.uploaded_by) if upload.uploaded_by else None
    try:
        parsed = statement_services.parse_upload(upload.data)
        valid = camt.schema_valid(parsed, xsd_path)
        by_identity = {(s.account, s.statement_ref, s.sequence): s for s in parsed.statements}
        for row in rows:
            statement = by_identity[(row.account, row.statement_ref, row.sequence)]
            statement_services.import_lines(session, actor, statement, row, now=now,
                                            on_progress=_Progress(session, row.id))
            # Only now is the statement's own row written in this transaction: the progress above updates it
            # from another connection, which would otherwise wait for this one.
            row.status, row.lines_done, row.file_id, row.schema_valid = "imported", row.lines_total, None, valid
        session.delete(upload)
        session.commit()
    except Exception as error:
        session.rollback()
        if isinstance(error, DomainError):
            reason = error.message
        else:
            log.exception("bank statement file %s: import failed", file_id)
            reason = UNEXPECTED
        _fail(session, file_id, reason, now=now)
        session.commit()


def _fail(session: Session, file_id: int, reason: str, *, now: datetime) -> None:
    """Mark the file's importing statements failed (they booked nothing) and forget the file."""
    for row in session.scalars(select(BankStatement).where(BankStatement.file_id == file_id,
                                                           BankStatement.status == "importing")):
        row.status, row.failure_reason, row.file_id = "failed", reason, None
        audit.record(session, actor=None, object_type="bank_statement", object_id=row.id, action="import_failed",
                     reason=reason, now=now)
    session.flush()
    upload = session.get(BankStatementFile, file_id)
    if upload is not None:
        session.delete(upload)
    session.flush()


def fail_stalled_imports(session: Session, *, now: datetime) -> int:
    """Imports whose job is no longer waiting in the job store and that have been running for longer than
    ``STALLED_AFTER``: their process stopped, and their transaction with it (nothing was booked). Returns how many
    files were marked failed."""
    waiting = background.stored_job_ids(session)
    stalled = [upload_id for upload_id, created_at in session.execute(
        select(BankStatementFile.id, BankStatementFile.created_at)
        .where(BankStatementFile.created_at < now - STALLED_AFTER)).tuples() if job_id(upload_id) not in waiting]
    for upload_id in stalled:
        _fail(session, upload_id, STOPPED, now=now)
    return len(stalled)
