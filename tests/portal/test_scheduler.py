"""The scheduler: each job's effect happens once per period, two schedulers never double it,
a standby takes over from a dead leader, and the web app never starts it."""

from __future__ import annotations

import subprocess
import sys
import textwrap
import threading
import time
from datetime import timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from portal.clock import utcnow
from portal.mail import OutboxMessage
from portal.permissions import Role
from portal.scheduler import JobRun, LeaderLock, load_jobs, run_job, wait_for_leadership
from tests.support.committed import wipe_all
from tests.support.factories import make_provider, make_user
from tests.support.notices import told, told_exactly, words


@pytest.fixture
def jobs(app):  # the app registers every package's jobs
    return load_jobs()


def _approved_voucher(db_session, today):
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    provider = make_provider(db_session)
    person = make_user(db_session, Role.BENEFICIARY, language="nl")
    fund = make_user(db_session, Role.FUND_ADMIN)
    data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                       contract_end_on=today - timedelta(days=5),
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
    request = submit_voucher_request(db_session, person, data, today=today, now=utcnow())
    decide_voucher_request(db_session, fund, request.id, "approve", None, today=today, now=utcnow())
    return db_session.scalar(select(Voucher).where(Voucher.request_id == request.id))


def test_every_package_registers_its_jobs(jobs):
    assert {"deliver_outbox", "decision_deadlines", "expire_vouchers", "serve_waiting_list", "confirm_by_silence",
            "session_reminders", "quality_label_warnings", "ledger_consistency"} <= set(jobs)


def test_expiry_job_twice_in_a_period_has_one_effect(app, db_session, jobs):
    from portal.clock import today_in_brussels
    from vouchers.ledger.models import LedgerEntry

    today = today_in_brussels()
    voucher = _approved_voucher(db_session, today)
    voucher.valid_from_on, voucher.valid_until_on = today - timedelta(days=183), today - timedelta(days=1)
    db_session.flush()
    with app.app_context():
        first = run_job(db_session, jobs["expire_vouchers"])
        second = run_job(db_session, jobs["expire_vouchers"])
    assert first == "1 expired" and second.startswith("skipped")
    assert voucher.status == "expired"
    released = db_session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "voucher_released")).all()
    assert len(released) == 1
    notices = db_session.scalars(select(OutboxMessage).where(OutboxMessage.dedupe_key.like("voucher-expired-%"))).all()
    assert len(notices) == 1 and notices[0].subject != "Your coaching voucher has ended"  # in Dutch


def test_a_new_period_runs_again_but_does_nothing_twice(app, db_session, jobs):
    from portal.clock import today_in_brussels

    today = today_in_brussels()
    voucher = _approved_voucher(db_session, today)
    voucher.valid_from_on, voucher.valid_until_on = today - timedelta(days=183), today - timedelta(days=1)
    db_session.flush()
    tomorrow = utcnow() + timedelta(days=1)
    with app.app_context():
        assert run_job(db_session, jobs["expire_vouchers"]) == "1 expired"
        assert run_job(db_session, jobs["expire_vouchers"], now=tomorrow) == "0 expired"


def test_decision_digest_is_sent_once_a_day(app, db_session, jobs):
    from portal.clock import today_in_brussels
    from vouchers.requests.models import VoucherRequest
    from vouchers.requests.services.requests import RequestData, submit_voucher_request

    today = today_in_brussels()
    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    provider = make_provider(db_session)
    person = make_user(db_session, Role.BENEFICIARY)
    data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                       contract_end_on=today - timedelta(days=5),
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
    request = submit_voucher_request(db_session, person, data, today=today, now=utcnow())
    request.submitted_on = today - timedelta(days=50)
    db_session.flush()
    with app.app_context():
        assert run_job(db_session, jobs["decision_deadlines"]) == "0 due soon, 1 overdue, 0 bank lines waiting"
        run_job(db_session, jobs["decision_deadlines"])
    mails = db_session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == admin.id)).all()
    [digest] = told_exactly(app, db_session, "decisions_due", [admin])
    assert len(mails) == 1 and "1 overdue" in digest.title
    assert db_session.get(VoucherRequest, request.id).status == "submitted"  # overdue is shown, never decided


def test_waiting_list_job_serves_and_tells_the_person(app, db_session, jobs):
    from portal.clock import today_in_brussels
    from vouchers.ledger.services import entries as ledger
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    today = today_in_brussels()
    provider = make_provider(db_session)
    person = make_user(db_session, Role.BENEFICIARY, language="en")
    fund = make_user(db_session, Role.FUND_ADMIN)
    data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=False,
                       incapacity_start_on=today - timedelta(days=800), benefits_scheme="employee",
                       address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
    request = submit_voucher_request(db_session, person, data, today=today, now=utcnow())
    decide_voucher_request(db_session, fund, request.id, "approve", None, today=today, now=utcnow())
    assert request.status == "waitlisted"
    ledger.record_funding(db_session, amount_cents=180000, booked_on=today, memo="budget")
    with app.app_context():
        assert run_job(db_session, jobs["serve_waiting_list"]) == "1 served"
    assert request.status == "approved"
    [approved] = told(db_session, person, "request_approved")
    assert words(app, db_session, approved).title == "Your coaching voucher is approved"
    assert db_session.scalar(select(OutboxMessage).where(OutboxMessage.notification_id == approved.id)) is not None


def test_label_warnings_go_to_fund_and_provider_once(app, db_session, jobs):
    from portal.clock import today_in_brussels

    today = today_in_brussels()
    provider = make_provider(db_session, label_valid_until_on=today + timedelta(days=30), quality_label="EQUASS")
    far = make_provider(db_session, label_valid_until_on=today + timedelta(days=200))
    staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="nl")
    far_staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=far.id)
    admin = make_user(db_session, Role.FUND_ADMIN, language="fr")
    with app.app_context():
        run_job(db_session, jobs["quality_label_warnings"])
        run_job(db_session, jobs["quality_label_warnings"], now=utcnow() + timedelta(days=1))
    for shown in told_exactly(app, db_session, "label_expiring", [staff, admin]):
        assert provider.name in shown.body
    for user in (staff, admin):
        assert len(db_session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id)).all()) == 1
    assert db_session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == far_staff.id)).all() == []


def test_session_reminders_once_per_person(app, db_session, jobs):
    from coaching.calendar.models import CoachingSession, SessionSeat
    from coaching.providers.services.offers import add_coach
    from portal.clock import today_in_brussels

    today = today_in_brussels()
    voucher = _approved_voucher(db_session, today)
    staff = make_user(db_session, Role.PROVIDER_ADMIN, provider_id=voucher.provider_id)
    coach, coach_user = add_coach(db_session, staff, name="Ana Coach", email="ana@example.be")
    coach_user.language = "nl"
    start = utcnow() + timedelta(hours=24)
    booked = CoachingSession(provider_id=voucher.provider_id, coach_id=coach.id, kind="individual", starts_at=start,
                             ends_at=start + timedelta(hours=1), duration_minutes=60, location="Rue 1")
    db_session.add(booked)
    db_session.flush()
    db_session.add(SessionSeat(session_id=booked.id, voucher_id=voucher.id))
    db_session.flush()
    with app.app_context():
        assert run_job(db_session, jobs["session_reminders"]) == "2 reminders"
        assert run_job(db_session, jobs["session_reminders"], now=utcnow() + timedelta(minutes=61)) == "0 reminders"
    [for_person] = told_exactly(app, db_session, "session_reminder", [voucher.beneficiary.user])
    [for_coach] = told_exactly(app, db_session, "session_reminder_coach", [coach_user])
    assert "Rue 1" in for_person.body and voucher.beneficiary.user.display_name in for_coach.body


def test_outbox_delivery_through_real_smtp(app, db_session, jobs, mailbox):
    from portal.mail import queue_mail

    queue_mail(db_session, to="someone@example.be", subject="Hello", body="A test message")
    with app.app_context():
        assert run_job(db_session, jobs["deliver_outbox"]) == "1 sent"
        run_job(db_session, jobs["deliver_outbox"], now=utcnow() + timedelta(minutes=5))
    assert [m["Subject"] for m in mailbox] == ["Hello"]


def test_two_schedulers_at_once_do_the_work_once(app):
    """Two leaders (or a double start) run the same job for the same period at the same moment."""
    from portal.db import db
    from portal.scheduler import Job

    with app.app_context():
        engine = db.engine
    effects = []
    lock = threading.Lock()
    # On PostgreSQL both start the job before either commits. SQLite serialises whole
    # transactions, so there the second simply finds the period done.
    barrier = threading.Barrier(2) if engine.dialect.name == "postgresql" else None

    def effect(session, *, today, now):
        if barrier is not None:
            barrier.wait(timeout=10)
        with lock:
            effects.append(1)
        session.add(OutboxMessage(recipient="x@example.be", subject="job effect", body="."))
        return "did it"

    job = Job("test_double_start", effect, "day", {"trigger": "interval", "hours": 1}, "test")
    outcomes = []

    def run() -> None:
        with Session(engine) as session:
            outcomes.append(run_job(session, job))

    try:
        threads = [threading.Thread(target=run) for _ in range(2)]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert sorted(outcomes)[0] == "did it" and sorted(outcomes)[1].startswith("skipped")
        assert len(effects) == (2 if barrier is not None else 1)  # both may work; only one effect commits
        with Session(engine) as check:
            assert check.scalar(select(func.count()).select_from(OutboxMessage)
                                .where(OutboxMessage.subject == "job effect")) == 1
            assert check.scalar(select(func.count()).select_from(JobRun).where(JobRun.status == "done")) == 1
    finally:
        wipe_all(engine)


HOLDER = textwrap.dedent("""
    import sys, time
    from portal import create_app
    from portal.db import db
    from portal.scheduler import LeaderLock
    app = create_app({"SQLALCHEMY_DATABASE_URI": sys.argv[1], "INSTANCE_PATH": sys.argv[2]})
    with app.app_context():
        lock = LeaderLock(db.engine, sys.argv[2])
        assert lock.try_acquire()
        print("leading", flush=True)
        time.sleep(120)
""")


def test_a_standby_takes_over_when_the_leader_dies(app, tmp_path):
    from portal.db import db

    uri = app.config["SQLALCHEMY_DATABASE_URI"]
    instance = app.config["INSTANCE_PATH"]
    leader = subprocess.Popen([sys.executable, "-c", HOLDER, uri, instance], stdout=subprocess.PIPE, text=True)
    try:
        assert leader.stdout is not None and leader.stdout.readline().strip() == "leading"
        with app.app_context():
            standby = LeaderLock(db.engine, instance)
            assert standby.try_acquire() is False
            leader.kill()
            leader.wait(timeout=10)
            started = time.monotonic()
            assert wait_for_leadership(standby, poll_seconds=0.2, give_up_after=20)
            assert time.monotonic() - started < 20
            standby.release()
    finally:
        if leader.poll() is None:
            leader.kill()
            leader.wait(timeout=10)
        if leader.stdout is not None:
            leader.stdout.close()


def test_the_web_app_never_starts_a_scheduler():
    code = ("import sys; from portal import create_app; app = create_app(); client = app.test_client(); "
            "client.get('/'); print('apscheduler.schedulers.blocking' in sys.modules, "
            "'apscheduler.schedulers.background' in sys.modules)")
    output = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120, check=True)
    assert output.stdout.strip().endswith("False False")


def test_scheduler_once_from_the_command_line(app, db_session):
    result = app.test_cli_runner().invoke(args=["scheduler", "--once"])
    assert result.exit_code == 0, result.output
    assert "scheduler: leading" in result.output and "expire_vouchers:" in result.output


def test_admin_page_shows_each_jobs_last_run(app, client, db_session, jobs):
    from tests.support.web import login

    admin = make_user(db_session, Role.FUND_ADMIN, language="en")
    with app.app_context():
        run_job(db_session, jobs["confirm_by_silence"])
    login(client, admin.email)
    page = client.get("/admin/scheduler").get_data(as_text=True)
    assert "confirm_by_silence" in page and "0 confirmed" in page and "never" in page
    person = make_user(db_session, Role.BENEFICIARY)
    other = app.test_client()
    login(other, person.email)
    assert other.get("/admin/scheduler").status_code == 403


def test_people_see_their_notifications(app, client, db_session):
    from portal.notifications.services import notify, page
    from tests.support.web import login

    person = make_user(db_session, Role.BENEFICIARY, language="en")
    other = make_user(db_session, Role.BENEFICIARY, language="en")
    notify(db_session, [person], "request_waitlisted", link=page("vouchers.dashboard"))
    notify(db_session, [other], "voucher_expired", link=page("vouchers.dashboard"), code="X", valid_until_on=None)
    login(client, person.email)
    shown = client.get("/notifications").get_data(as_text=True)
    assert "on the waiting list" in shown and "has ended" not in shown


def test_a_voucher_ending_in_30_days_tells_its_beneficiary_once_with_a_link_to_it(app, db_session, jobs):
    from portal.clock import today_in_brussels

    today = today_in_brussels()
    ending = _approved_voucher(db_session, today)
    later = _approved_voucher(db_session, today)
    ending.valid_until_on = today + timedelta(days=30)
    later.valid_until_on = today + timedelta(days=31)
    db_session.flush()
    with app.app_context():
        assert run_job(db_session, jobs["voucher_expiry_notices"]) == "1 told"
        assert run_job(db_session, jobs["voucher_expiry_notices"], now=utcnow() + timedelta(days=1)) == "1 told"
        run_job(db_session, jobs["voucher_expiry_notices"], now=utcnow() + timedelta(days=2))
    # Each once, the later one the next day.
    shown, _later = told_exactly(app, db_session, "voucher_expiring", [ending.beneficiary.user, later.beneficiary.user])
    assert shown.link == f"/vouchers/{ending.id}" and ending.code in shown.body
