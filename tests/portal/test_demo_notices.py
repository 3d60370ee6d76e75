"""The demo's people find notifications that their story explains (``portal/demo/notices.py``), made by what tells
people in real life, once however often the demo is seeded."""

from __future__ import annotations

from collections import Counter

from sqlalchemy import func, select

from portal.auth.models import User
from portal.mail import OutboxMessage
from portal.notifications.models import Notification

DEMO_DOMAIN = "demo.tnw.be"


def _kinds(db_session, local: str) -> Counter[str]:
    user = db_session.scalar(select(User).where(User.email == f"{local}@{DEMO_DOMAIN}"))
    return Counter(db_session.scalars(select(Notification.kind).where(Notification.user_id == user.id)))


def test_each_demo_person_has_notifications_and_seeding_again_adds_none(app, db_session):
    from coaching.disputes.models import SessionDispute
    from vouchers.ledger.services.consistency import check_ledger

    runner = app.test_cli_runner()
    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    told = {local: _kinds(db_session, local) for local in ("beneficiary", "provider", "employer", "admin")}
    assert told["beneficiary"]["session_logged"] == 1 and told["beneficiary"]["request_approved"] == 1
    assert told["provider"]["session_disputed"] == 1 and told["provider"]["voucher_assigned"] >= 1
    assert told["employer"]["contribution_due_soon"] == 1 and told["employer"]["contribution_overdue"] == 1
    assert told["admin"]["decisions_due"] == 1 and told["admin"]["label_expiring"] == 1
    for local, kinds in told.items():
        assert sum(kinds.values()) >= 2, (local, kinds)
    # Each notice has its e-mail waiting in the outbox, as a real one has.
    notices = db_session.scalar(select(func.count()).select_from(Notification))
    assert db_session.scalar(select(func.count()).select_from(OutboxMessage)
                             .where(OutboxMessage.notification_id.is_not(None))) == notices
    # The disputed session waits for the demo provider, and the money still agrees with the ledger.
    assert db_session.scalar(select(SessionDispute.status)) == "open"
    assert check_ledger(db_session) == []

    assert runner.invoke(args=["seed-demo"]).exit_code == 0
    assert db_session.scalar(select(func.count()).select_from(Notification)) == notices
    assert _kinds(db_session, "admin") == told["admin"]
