"""The Stripe repair job heals missed webhooks: PaymentIntents still processing after an hour (or started and
silent) are re-read once per hour, and their money is recorded once however often it runs.
With the fake gateway here; against localstripe in test_payment_repair_localstripe.py."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.scheduler import load_jobs, run_job
from tests.support.factories import new_niss
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services import payments as payment_services
from vouchers.employers.services.payment_repair import stale_payment_intents
from vouchers.ledger.models import LedgerEntry


@pytest.fixture
def jobs(app):  # the app registers every package's jobs
    return load_jobs()


def _started_payment(db_session, user, gateway, today):
    data = declaration_services.DeclarationData(worker_first_name="Jan", worker_last_name="Peeters", worker_niss=new_niss(),
                                    contract_end_on=today - timedelta(days=10))
    declaration = declaration_services.declare_dismissal(db_session, user, data, today=today, now=utcnow()).declaration
    intent = payment_services.start_card_payment(db_session, user, declaration.id, gateway, today=today, now=utcnow())
    return declaration.contribution, intent.id


def _processing(db_session, gateway, contribution, intent_id, today, *, since):
    """A payment_intent.processing that was heard, then nothing: the status says processing since ``since``."""
    gateway.set_status(intent_id, "processing")
    payment_services.sync_payment_intent(db_session, gateway, intent_id, today=today, now=utcnow())
    assert contribution.status == "processing"
    contribution.updated_at = since
    db_session.flush()


def _paid_entries(db_session, contribution_id):
    return db_session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "contribution_paid",
                                                        LedgerEntry.contribution_id == contribution_id)).all()


def test_job_is_registered(jobs):
    assert jobs["stripe_repair"].period == "hour"


def test_a_missed_success_is_healed_once(app, db_session, jobs, employer_user, gateway, today):
    now = utcnow()
    contribution, intent_id = _started_payment(db_session, employer_user, gateway, today)
    _processing(db_session, gateway, contribution, intent_id, today, since=now - timedelta(hours=2))
    gateway.succeed(intent_id)  # Stripe's payment_intent.succeeded never reached us
    with app.app_context():
        assert run_job(db_session, jobs["stripe_repair"], now=now) == "1 checked, 1 changed, 0 unreachable"
        assert run_job(db_session, jobs["stripe_repair"], now=now).startswith("skipped")
        assert run_job(db_session, jobs["stripe_repair"], now=now + timedelta(hours=1)) == \
            "0 checked, 0 changed, 0 unreachable"
    db_session.refresh(contribution)
    assert contribution.status == "paid"
    assert [e.amount_cents for e in _paid_entries(db_session, contribution.id)] == [180_000]


def test_only_stale_ones_are_read(app, db_session, employer_user, gateway, today):
    now = utcnow()
    fresh, fresh_intent = _started_payment(db_session, employer_user, gateway, today)
    _processing(db_session, gateway, fresh, fresh_intent, today, since=now - timedelta(minutes=30))
    old_processing, old_intent = _started_payment(db_session, employer_user, gateway, today)
    _processing(db_session, gateway, old_processing, old_intent, today, since=now - timedelta(days=10))
    silent, silent_intent = _started_payment(db_session, employer_user, gateway, today)  # due, intent 2 h old
    silent.updated_at = now - timedelta(hours=2)
    abandoned, _ = _started_payment(db_session, employer_user, gateway, today)  # due, intent 4 days old
    abandoned.updated_at = now - timedelta(days=4)
    never_started = declaration_services.declare_dismissal(db_session, employer_user, declaration_services.DeclarationData(
        worker_first_name="A", worker_last_name="B", worker_niss=new_niss(), contract_end_on=today),
        today=today, now=now - timedelta(hours=5)).declaration.contribution
    never_started.updated_at = now - timedelta(hours=5)
    db_session.flush()
    found = {cid for cid, _, _ in stale_payment_intents(db_session, now=now)}
    assert found == {old_processing.id, silent.id}


def test_a_card_payment_that_succeeded_without_processing_is_healed(app, db_session, jobs, employer_user, gateway,
                                                                    today):
    now = utcnow()
    contribution, intent_id = _started_payment(db_session, employer_user, gateway, today)
    contribution.updated_at = now - timedelta(hours=3)
    db_session.flush()
    gateway.succeed(intent_id)
    with app.app_context():
        assert run_job(db_session, jobs["stripe_repair"], now=now) == "1 checked, 1 changed, 0 unreachable"
    db_session.refresh(contribution)
    assert contribution.status == "paid" and len(_paid_entries(db_session, contribution.id)) == 1


def test_a_failed_payment_goes_back_to_due_and_stripe_down_is_counted(app, db_session, jobs, employer_user, gateway,
                                                                      today):
    now = utcnow()
    failed, failed_intent = _started_payment(db_session, employer_user, gateway, today)
    _processing(db_session, gateway, failed, failed_intent, today, since=now - timedelta(hours=2))
    gateway.fail(failed_intent)
    with app.app_context():
        assert run_job(db_session, jobs["stripe_repair"], now=now) == "1 checked, 1 changed, 0 unreachable"
    db_session.refresh(failed)
    assert failed.status == "due" and _paid_entries(db_session, failed.id) == []

    waiting, waiting_intent = _started_payment(db_session, employer_user, gateway, today)
    _processing(db_session, gateway, waiting, waiting_intent, today, since=now - timedelta(hours=2))
    gateway.succeed(waiting_intent)
    gateway.unavailable = True
    with app.app_context():
        # failed (due, intent quiet for 2 h) and waiting are both looked at; Stripe answers neither
        assert run_job(db_session, jobs["stripe_repair"], now=now + timedelta(hours=1)) == \
            "2 checked, 0 changed, 2 unreachable"
        gateway.unavailable = False
        assert run_job(db_session, jobs["stripe_repair"], now=now + timedelta(hours=2)) == \
            "2 checked, 1 changed, 0 unreachable"
    db_session.refresh(waiting)
    assert waiting.status == "paid" and len(_paid_entries(db_session, waiting.id)) == 1
