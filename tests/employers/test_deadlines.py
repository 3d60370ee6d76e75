"""The employer deadlines job: a reminder 7 days before the contribution is due, an overdue flag after,
each told once to the employer's users and its agents, in their language."""

from __future__ import annotations

from datetime import date, timedelta

import pytest
from sqlalchemy import select

from portal.audit import AuditEntry
from portal.clock import utcnow
from portal.fund_settings import set_rule
from portal.mail import OutboxMessage
from portal.permissions import Role
from portal.rules import DEFAULT_RULES
from portal.scheduler import load_jobs, run_job
from tests.support.factories import make_user, new_niss
from tests.support.notices import told_exactly
from tests.support.web import login
from vouchers.employers import domain
from vouchers.employers.models import Contribution
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services import payments as payment_services


@pytest.fixture
def jobs(app):  # the app registers every package's jobs
    return load_jobs()


def _declare(db_session, user, today, *, ended_days_ago: int):
    data = declaration_services.DeclarationData(worker_first_name="Amélie", worker_last_name="Peeters", worker_niss=new_niss(),
                                    contract_end_on=today - timedelta(days=ended_days_ago))
    return declaration_services.declare_dismissal(db_session, user, data, today=today, now=utcnow()).declaration


def _mails(db_session, user, prefix: str) -> list[OutboxMessage]:
    return list(db_session.scalars(select(OutboxMessage).where(OutboxMessage.user_id == user.id,
                                                               OutboxMessage.dedupe_key.like(f"{prefix}%"))))


def test_the_job_is_registered(jobs):
    assert "employer_deadlines" in jobs


def test_the_reminder_window_follows_the_setting():
    today = date(2026, 3, 1)
    assert domain.reminder_window(today, DEFAULT_RULES) == (today, date(2026, 3, 8))


def test_a_reminder_seven_days_before_once_to_users_and_agents(app, db_session, jobs, employer_user, today):
    agent = make_user(db_session, Role.EMPLOYER, employer_id=None, language="nl")
    declaration_services.add_agent(db_session, agent_user_id=agent.id, employer_id=employer_user.employer_id)
    colleague = make_user(db_session, Role.EMPLOYER, employer_id=employer_user.employer_id, language="fr")
    stranger = make_user(db_session, Role.EMPLOYER, language="en")
    due_in_7 = _declare(db_session, employer_user, today, ended_days_ago=38)    # due in 7 days: reminded
    due_in_8 = _declare(db_session, employer_user, today, ended_days_ago=37)    # due in 8 days: not yet
    due_today = _declare(db_session, employer_user, today, ended_days_ago=45)   # due today: reminded, not overdue
    paid = _declare(db_session, employer_user, today, ended_days_ago=40)
    payment_services.record_bank_payment(db_session, paid.contribution.id, amount_cents=180_000, external_id="bank-1",
                                 booked_on=today, now=utcnow())
    processing = _declare(db_session, employer_user, today, ended_days_ago=40)
    processing.contribution.status = "processing"
    db_session.flush()

    with app.app_context():
        assert run_job(db_session, jobs["employer_deadlines"]) == "2 reminded, 0 flagged overdue"
        assert run_job(db_session, jobs["employer_deadlines"]).startswith("skipped")
        tomorrow = utcnow() + timedelta(days=1)
        # Tomorrow the 8-day one enters the window, and the one due today is overdue.
        assert run_job(db_session, jobs["employer_deadlines"], now=tomorrow) == "1 reminded, 1 flagged overdue"
        run_job(db_session, jobs["deliver_outbox"])  # the words are written as each e-mail is sent

    for contribution in (due_in_7.contribution, due_today.contribution, due_in_8.contribution):
        db_session.refresh(contribution)
        assert contribution.reminder_sent_at is not None
    assert due_in_7.contribution.overdue_flagged_at is None and due_today.contribution.overdue_flagged_at is not None
    for contribution in (paid.contribution, processing.contribution):
        db_session.refresh(contribution)
        assert contribution.reminder_sent_at is None
    for person in (employer_user, agent, colleague):
        assert len(_mails(db_session, person, "contribution-reminder-")) == 3  # one per contribution, never twice
    assert _mails(db_session, stranger, "contribution-") == []
    english = _mails(db_session, employer_user, f"contribution-reminder-{due_in_7.contribution.id}:")[0]
    dutch = _mails(db_session, agent, f"contribution-reminder-{due_in_7.contribution.id}:")[0]
    assert english.subject.startswith("Reminder: contribution of €1,800.00 due on")
    assert dutch.subject != english.subject and "1.800,00" in dutch.subject  # the agent reads Dutch
    reference = domain.format_structured_reference(due_in_7.contribution.structured_reference)
    assert reference in english.body and f"/employer/declarations/{due_in_7.id}" in english.body
    assert due_in_7.worker_niss not in english.body  # names the worker, never their national number


def test_overdue_is_flagged_and_told_once_and_the_flag_stays_after_payment(app, client, db_session, jobs, headers,
                                                                           employer_user, today):
    late = _declare(db_session, employer_user, today, ended_days_ago=50)  # due 5 days ago
    partly = _declare(db_session, employer_user, today, ended_days_ago=46)  # due yesterday, partly paid
    payment_services.record_bank_payment(db_session, partly.contribution.id, amount_cents=50_000, external_id="bank-2",
                                 booked_on=today, now=utcnow())
    cancelled = _declare(db_session, employer_user, today, ended_days_ago=60)
    cancelled.status = "cancelled"
    db_session.flush()

    with app.app_context():
        assert run_job(db_session, jobs["employer_deadlines"]) == "0 reminded, 2 flagged overdue"
        assert run_job(db_session, jobs["employer_deadlines"], now=utcnow() + timedelta(days=1)) == \
            "0 reminded, 0 flagged overdue"
        run_job(db_session, jobs["deliver_outbox"])

    notices = _mails(db_session, employer_user, "contribution-overdue-")
    assert len(notices) == 2
    told_exactly(app, db_session, "contribution_overdue", [employer_user, employer_user])
    partly_notice = next(m for m in notices if m.dedupe_key.startswith(f"contribution-overdue-{partly.contribution.id}:"))
    assert "Still to pay: €1,300.00" in partly_notice.body
    db_session.refresh(cancelled.contribution)
    assert cancelled.contribution.overdue_flagged_at is None
    flagged = db_session.scalars(select(AuditEntry).where(AuditEntry.object_type == "contribution",
                                                          AuditEntry.action == "overdue_flagged")).all()
    assert sorted(e.object_id for e in flagged) == sorted([late.contribution.id, partly.contribution.id])

    body = client.get(f"/api/v1/dismissals/{late.id}", headers=headers).get_json()["contribution"]
    assert body["is_overdue"] is True and body["overdue_flagged_at"] is not None
    payment_services.record_bank_payment(db_session, late.contribution.id, amount_cents=180_000, external_id="bank-3",
                                 booked_on=today, now=utcnow())
    body = client.get(f"/api/v1/dismissals/{late.id}", headers=headers).get_json()["contribution"]
    assert body["status"] == "paid" and body["is_overdue"] is False and body["overdue_flagged_at"] is not None
    login(client, employer_user.email)
    page = client.get(f"/employer/declarations/{late.id}").get_data(as_text=True)
    assert "The fund recorded this contribution as overdue on" in page
    still_overdue = client.get("/api/v1/dismissals?overdue=true", headers=headers).get_json()["items"]
    assert partly.id in [i["id"] for i in still_overdue] and late.id not in [i["id"] for i in still_overdue]


def test_the_reminder_days_are_a_setting(app, db_session, jobs, employer_user, today):
    agent = make_user(db_session, Role.EMPLOYER, employer_id=None, language="nl")
    declaration_services.add_agent(db_session, agent_user_id=agent.id, employer_id=employer_user.employer_id)
    set_rule(db_session, "contribution_reminder_days", 14, valid_from_on=today - timedelta(days=1))
    declared = _declare(db_session, employer_user, today, ended_days_ago=35)  # due in 10 days
    with app.app_context():
        assert run_job(db_session, jobs["employer_deadlines"]) == "1 reminded, 0 flagged overdue"
    for reminder in told_exactly(app, db_session, "contribution_due_soon", [employer_user, agent]):
        assert reminder.link == f"/employer/declarations/{declared.id}"


def test_the_notices_go_out_through_smtp(app, db_session, jobs, employer_user, today, mailbox):
    _declare(db_session, employer_user, today, ended_days_ago=44)
    with app.app_context():
        run_job(db_session, jobs["employer_deadlines"])
        assert run_job(db_session, jobs["deliver_outbox"]) == "1 sent"
    assert [m["To"] for m in mailbox] == [employer_user.email]
    assert mailbox[0]["Subject"].startswith("Reminder: contribution of")
    assert db_session.get(Contribution, db_session.scalar(select(Contribution.id).order_by(Contribution.id.desc())
                                                          .limit(1))).reminder_sent_at is not None


def test_each_payment_received_tells_the_company_and_its_agents_what_is_still_owed(app, db_session, employer_user,
                                                                                    today):
    agent = make_user(db_session, Role.EMPLOYER, employer_id=None, language="fr")
    declaration_services.add_agent(db_session, agent_user_id=agent.id, employer_id=employer_user.employer_id)
    declared = _declare(db_session, employer_user, today, ended_days_ago=10)
    payment_services.record_bank_payment(db_session, declared.contribution.id, amount_cents=50_000,
                                         external_id="bank-part", booked_on=today, now=utcnow())
    for_company, for_agent = told_exactly(app, db_session, "contribution_received", [employer_user, agent])
    assert "€1,300.00" in for_company.body and "1\u202f300,00" in for_agent.body.replace("\xa0", "\u202f")
    assert for_company.link == f"/employer/declarations/{declared.id}"
