"""One-off background work (a large bank statement, a large CSV file): a one-off APScheduler job in the database
job store, run by the scheduler process, so that no web worker is held for minutes.

- A package registers what may run in the background with ``@background_task("name")``: a function
  ``task(session, *, now, **arguments)`` that owns its transaction (it commits, or rolls back and records why).
- A web request calls ``enqueue(session, "name", job_id=..., **arguments)``: the job is written to APScheduler's own
  SQLAlchemy job store (table ``apscheduler_jobs``) through the request's session, so it is stored in the same
  transaction as the rows it will work on: both are committed, or neither. The arguments are small (ids): the
  job store holds the job, the domain's tables hold the data and the progress the pages show.
- The scheduler process (``portal.scheduler.run_scheduler``) runs that job store beside its scheduled jobs and
  looks into it at least every ``NEW_JOB_LATENCY`` seconds, since jobs are added by other processes.
  APScheduler calls ``run_task``, which is also what tests call to run a job synchronously.
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from typing import Any

from apscheduler.jobstores.base import BaseJobStore
from apscheduler.jobstores.sqlalchemy import SQLAlchemyJobStore
from apscheduler.schedulers.base import BaseScheduler
from sqlalchemy import Column, Float, LargeBinary, Table, Unicode
from sqlalchemy.engine import Connection
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.db import db

log = logging.getLogger("portal.background")

#: The job store's alias in the scheduler, and its table (APScheduler's own layout, made by the migrations).
JOB_STORE = "background"
JOB_TABLE = "apscheduler_jobs"

#: The longest a job added by a web worker waits before the scheduler process sees it.
NEW_JOB_LATENCY = 2.0

# APScheduler's table, declared here too so that the migrations and the models agree (the job store builds its
# own copy of it in a metadata of its own).
jobs_table = Table(
    JOB_TABLE, db.metadata,
    Column("id", Unicode(191), primary_key=True),
    Column("next_run_time", Float(25), index=True),
    Column("job_state", LargeBinary, nullable=False),
)

Task = Callable[..., None]
TASKS: dict[str, Task] = {}

_app: Any = None  # the scheduler process's application, set by ``bind`` before its scheduler starts


def background_task(name: str) -> Callable[[Task], Task]:
    """Register ``task(session, *, now, **arguments)`` under ``name``, for ``enqueue`` and ``run_task``."""

    def register(function: Task) -> Task:
        TASKS[name] = function
        return function

    return register


class _SessionEngine:
    """Stands in for the job store's engine: its writes go through the caller's session, in its transaction."""

    def __init__(self, session: Session):
        self.session = session

    @contextmanager
    def begin(self) -> Iterator[Any]:
        yield self.session.connection()

    def dispose(self) -> None:
        pass


class _TransactionJobStore(SQLAlchemyJobStore):
    """APScheduler's SQLAlchemy job store, writing in the caller's transaction (the table exists: no DDL)."""

    def __init__(self, session: Session):
        super().__init__(engine=_SessionEngine(session), tablename=JOB_TABLE)

    def start(self, scheduler: Any, alias: str) -> None:
        BaseJobStore.start(self, scheduler, alias)


class _Enqueuer(BaseScheduler):
    """A scheduler that only adds jobs to the store (started paused, it never runs any): web workers use it."""

    def wakeup(self) -> None:
        pass

    def shutdown(self, wait: bool = True) -> None:
        super().shutdown(wait)


def enqueue(session: Session, task: str, *, job_id: str, now: datetime | None = None, **arguments: Any) -> str:
    """Store a one-off job that runs ``task`` with ``arguments`` as soon as the scheduler process sees it, in the
    session's transaction. ``job_id`` names the work (one job per piece of work). Returns it."""
    if task not in TASKS:
        raise KeyError(f"no background task named {task!r}")
    enqueuer = _Enqueuer(jobstores={JOB_STORE: _TransactionJobStore(session)}, timezone="UTC")
    enqueuer.start(paused=True)
    try:
        enqueuer.add_job(run_task, trigger="date", run_date=now or utcnow(), args=[task], kwargs=arguments,
                         id=job_id, name=task, jobstore=JOB_STORE, misfire_grace_time=None, coalesce=True,
                         max_instances=1)
    finally:
        enqueuer.shutdown(wait=False)
    return job_id


def bind(app: Any) -> None:
    """The application the scheduler process runs background jobs in."""
    global _app
    _app = app


def run_task(task: str, **arguments: Any) -> None:
    """What the scheduler process runs for a background job (and what tests call to run one synchronously): the
    task, in an application context, with its own session."""
    if _app is None:
        raise RuntimeError("portal.background.bind(app) was not called in this process")
    with _app.app_context():
        try:
            TASKS[task](db.session, now=utcnow(), **arguments)
        except Exception:
            log.exception("background task %s %s failed", task, arguments)
            db.session.rollback()
            raise
        finally:
            db.session.remove()


def progress_writer(session: Session) -> Callable[[Any], None] | None:
    """A function that runs a statement (an UPDATE of a progress column) on a connection of its own, committed at
    once, so that pages see a task's progress while the task's own transaction is still open; None on SQLite, whose
    one writer at a time is that transaction (there the progress shows when the task ends). The task must not
    write the same row in its own transaction before it is done reporting, or the two would wait on each other."""
    bind = session.get_bind()
    engine = bind.engine if isinstance(bind, Connection) else bind
    if engine.dialect.name == "sqlite":
        return None

    def write(statement: Any) -> None:
        with engine.begin() as connection:
            connection.execute(statement)

    return write


def job_store(engine: Any) -> SQLAlchemyJobStore:
    """The job store as the scheduler process reads it (its own connections)."""
    return SQLAlchemyJobStore(engine=engine, tablename=JOB_TABLE)


def stored_job_ids(session: Session) -> set[str]:
    """The ids of the background jobs waiting in the job store (not yet handed to a worker thread)."""
    return set(session.scalars(jobs_table.select().with_only_columns(jobs_table.c.id)))
