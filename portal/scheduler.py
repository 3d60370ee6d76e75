"""The one scheduler process: every deadline, expiry, reminder and repair, run safely.

- Jobs are plain functions ``job(session, *, today, now) -> str`` registered by each
  package's ``tasks.py`` with ``@scheduled(...)``. They are safe to run twice.
- A run claims its period (job name + day or hour) with a row that commits in the
  same transaction as the job's effect: a second leader, or a rerun after a crash,
  finds the period done and does nothing. A failed run leaves a "failed" row that
  does not block a retry.
- One process leads: on PostgreSQL it holds ``pg_try_advisory_lock`` on a connection
  it keeps open (a standby polls and takes over when the leader dies); on SQLite a
  file lock in the instance folder plays the same part.
- It never runs inside the web workers: only ``flask --app portal scheduler`` starts it.
- It also runs the one-off background jobs that web workers store in the database job store
  (``portal.background``): a large bank statement, a large CSV file.
"""

from __future__ import annotations

import fcntl
import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Index, String, Text, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Mapped, Session, mapped_column

from portal import background
from portal.clock import today_in_brussels, utcnow
from portal.db import UTCDateTime, db

log = logging.getLogger("portal.scheduler")
LEADER_LOCK_KEY = 704_512_001  # any constant shared by every scheduler of this portal


class JobRun(db.Model):
    __tablename__ = "job_runs"
    __table_args__ = (
        # Exactly one successful run per job and period, enforced by the database.
        Index("uq_job_runs_done_once", "job_name", "period_key", unique=True,
              sqlite_where=text("status = 'done'"), postgresql_where=text("status = 'done'")),
        Index("ix_job_runs_recent", "job_name", "id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    job_name: Mapped[str] = mapped_column(String(100))
    period_key: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(10))  # done | failed
    started_at: Mapped[datetime] = mapped_column(UTCDateTime())
    finished_at: Mapped[datetime] = mapped_column(UTCDateTime())
    result: Mapped[str | None] = mapped_column(Text)


JobFunction = Callable[..., str | None]


@dataclass(frozen=True)
class Job:
    name: str
    function: JobFunction
    period: str  # "day", "hour" or "minute": how often it does its work
    trigger: dict[str, Any]  # APScheduler trigger arguments
    description: str

    def period_key(self, now: datetime) -> str:
        if self.period == "day":
            return today_in_brussels(now).isoformat()
        return now.strftime("%Y-%m-%dT%H" if self.period == "hour" else "%Y-%m-%dT%H:%M")


JOBS: dict[str, Job] = {}


def scheduled(name: str, *, period: str = "day", description: str = "", **trigger: Any) -> Callable[[JobFunction], JobFunction]:
    """Register a job. Trigger arguments are APScheduler's (``trigger="cron", hour=2`` or ``trigger="interval", minutes=5``)."""

    def register(function: JobFunction) -> JobFunction:
        JOBS[name] = Job(name, function, period, trigger or {"trigger": "interval", "hours": 1},
                         description or (function.__doc__ or "").strip().split("\n")[0])
        return function

    return register


def load_jobs() -> dict[str, Job]:
    """Every registered job. Packages register theirs when ``create_app`` composes the portal (their
    ``tasks`` modules apply ``@scheduled``), so this module knows none of them."""
    return JOBS


def run_job(session: Session, job: Job, *, now: datetime | None = None) -> str:
    """Run ``job`` for the current period unless it already ran. Returns what happened."""
    now = now or utcnow()
    key = job.period_key(now)
    if session.scalar(select(JobRun.id).where(JobRun.job_name == job.name, JobRun.period_key == key,
                                              JobRun.status == "done")) is not None:
        return "skipped: already done for " + key
    started = utcnow()
    try:
        result = job.function(session, today=today_in_brussels(now), now=now) or "ok"
        session.add(JobRun(job_name=job.name, period_key=key, status="done", started_at=started,
                           finished_at=utcnow(), result=str(result)[:2000]))
        session.commit()  # the claim and the effect, together
    except IntegrityError:
        session.rollback()  # another leader finished the same period first: its effect stands alone
        return "skipped: done by another scheduler"
    except Exception as exc:
        session.rollback()
        log.exception("job %s failed", job.name)
        session.add(JobRun(job_name=job.name, period_key=key, status="failed", started_at=started,
                           finished_at=utcnow(), result=f"{type(exc).__name__}: {exc}"[:2000]))
        session.commit()
        return f"failed: {exc}"
    return str(result)


def last_runs(session: Session) -> dict[str, JobRun]:
    runs: dict[str, JobRun] = {}
    for name in JOBS:
        row = session.scalar(select(JobRun).where(JobRun.job_name == name).order_by(JobRun.id.desc()).limit(1))
        if row is not None:
            runs[name] = row
    return runs


# --- leadership ------------------------------------------------------------------

class LeaderLock:
    """Held by the one scheduler that runs jobs; others wait as standbys."""

    def __init__(self, engine: Any, instance_path: str):
        self.engine = engine
        self.path = os.path.join(instance_path, "scheduler.lock")
        self._connection: Any = None
        self._file: Any = None

    def try_acquire(self) -> bool:
        if self.engine.dialect.name == "postgresql":
            connection = self.engine.connect()
            got = connection.execute(text("SELECT pg_try_advisory_lock(:key)"), {"key": LEADER_LOCK_KEY}).scalar()
            connection.commit()
            if got:
                self._connection = connection  # kept open: the lock lives as long as this connection
                return True
            connection.close()
            return False
        handle = open(self.path, "a+")  # noqa: SIM115 - kept open while leading
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            handle.close()
            return False
        self._file = handle
        return True

    def release(self) -> None:
        if self._connection is not None:
            self._connection.close()
            self._connection = None
        if self._file is not None:
            self._file.close()
            self._file = None


def wait_for_leadership(lock: LeaderLock, *, poll_seconds: float = 1.0, give_up_after: float | None = None) -> bool:
    started = time.monotonic()
    while not lock.try_acquire():
        if give_up_after is not None and time.monotonic() - started > give_up_after:
            return False
        time.sleep(poll_seconds)
    return True


def run_scheduler(app: Any, *, once: bool = False, poll_seconds: float = 1.0) -> None:
    """The body of ``flask --app portal scheduler``: the scheduled jobs, and the one-off background jobs of the
    database job store (``portal.background``)."""
    from portal.scheduler_loop import ProcessScheduler

    jobs = load_jobs()
    with app.app_context():
        lock = LeaderLock(db.engine, app.config["INSTANCE_PATH"])
        log.info("waiting to lead the scheduler")
        wait_for_leadership(lock, poll_seconds=poll_seconds)
        print("scheduler: leading", flush=True)

        def tick(job: Job) -> None:
            with app.app_context():
                outcome = run_job(db.session, job)
                log.info("%s: %s", job.name, outcome)
                db.session.remove()

        if once:
            for job in jobs.values():
                print(f"{job.name}: {run_job(db.session, job)}", flush=True)
            lock.release()
            return
        background.bind(app)
        scheduler = ProcessScheduler(timezone="Europe/Brussels",
                                     jobstores={background.JOB_STORE: background.job_store(db.engine)})
        for job in jobs.values():
            scheduler.add_job(tick, args=[job], id=job.name, replace_existing=True, max_instances=1,
                              coalesce=True, next_run_time=datetime.now().astimezone(), **job.trigger)
        try:
            scheduler.start()
        finally:
            lock.release()


def next_run_hint(job: Job, now: datetime) -> str:
    """A plain description of when a job runs next, for the admin page."""
    trigger = dict(job.trigger)
    kind = trigger.pop("trigger", "interval")
    if kind == "interval":
        return "every " + ", ".join(f"{v} {k}" for k, v in trigger.items())
    return "daily at " + f"{trigger.get('hour', 0):02d}:{trigger.get('minute', 0):02d}"


