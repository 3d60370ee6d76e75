"""The scheduler process's APScheduler (``portal.scheduler.run_scheduler``), apart so that web workers never import
it (``tests/portal/test_scheduler.py`` checks they do not)."""

from __future__ import annotations

from apscheduler.schedulers.blocking import BlockingScheduler

from portal import background


class ProcessScheduler(BlockingScheduler):
    """Looks into its job stores at least every ``background.NEW_JOB_LATENCY`` seconds: web workers add one-off
    jobs to the database job store, and APScheduler 3 only sees a job added by another process when it wakes."""

    def _process_jobs(self) -> float | None:
        wait = super()._process_jobs()
        return background.NEW_JOB_LATENCY if wait is None else min(wait, background.NEW_JOB_LATENCY)
