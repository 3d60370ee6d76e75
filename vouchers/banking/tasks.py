"""Jobs of the bank side: the background import of a large statement file (a one-off job, ``portal.background``),
and the hourly look for imports that stopped halfway."""

from __future__ import annotations

from datetime import date, datetime

from flask import current_app
from sqlalchemy.orm import Session

from portal.background import background_task
from portal.errors import N_
from portal.scheduler import scheduled
from vouchers.banking.services import background_import


@background_task(background_import.TASK)
def import_statement_file(session: Session, *, now: datetime, file_id: int) -> None:
    """Read a large statement file uploaded by a fund administrator (``background_import.run_import``)."""
    background_import.run_import(session, now=now, file_id=file_id,
                                 xsd_path=current_app.config.get("CAMT053_XSD_PATH"))


@scheduled("bank_imports_stalled", period="minute", trigger="interval", minutes=15,
           description=N_("Mark failed the statement imports whose background process stopped halfway."))
def fail_stalled_imports(session: Session, *, today: date, now: datetime) -> str:
    return f"{background_import.fail_stalled_imports(session, now=now)} stalled imports marked failed"
