"""Two administrators deciding the same request at the same moment leave exactly one decision.

This test commits for real on separate connections (no rolled-back wrapper), then cleans up.
"""

from __future__ import annotations

import threading
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.audit import AuditEntry
from portal.clock import today_in_brussels, utcnow
from portal.errors import Conflict
from portal.permissions import Role
from tests.support.committed import wipe_all
from tests.support.factories import make_provider, make_user
from vouchers.requests.models import Voucher, VoucherRequest
from vouchers.requests.services.requests import (
    RequestData,
    decide_voucher_request,
    submit_voucher_request,
)


def test_two_decisions_at_once_leave_exactly_one(app):
    from portal.db import db

    today = today_in_brussels()
    with app.app_context():
        engine = db.engine
    created: dict[str, int] = {}
    with Session(engine) as setup:
        provider = make_provider(setup)
        person = make_user(setup, Role.BENEFICIARY)
        admins = [make_user(setup, Role.FUND_ADMIN) for _ in range(2)]
        data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                           contract_end_on=today - timedelta(days=20),
                           address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
        request = submit_voucher_request(setup, person, data, today=today, now=utcnow())
        setup.commit()
        created = {"request": request.id, "provider": provider.id, "person": person.id,
                   "admin0": admins[0].id, "admin1": admins[1].id}

    # On PostgreSQL both read the request before either writes. SQLite serialises
    # whole transactions (BEGIN IMMEDIATE), so there the two simply queue.
    barrier = threading.Barrier(2) if engine.dialect.name == "postgresql" else None
    outcomes: list[str] = []
    lock = threading.Lock()

    def decide(admin_key: str, decision: str, reason: str | None) -> None:
        with Session(engine) as session:
            from portal.auth.models import User

            admin = session.get(User, created[admin_key])
            session.get(VoucherRequest, created["request"])  # both read the submitted request first
            if barrier is not None:
                barrier.wait(timeout=10)
            try:
                decide_voucher_request(session, admin, created["request"], decision, reason, today=today, now=utcnow())
                session.commit()
                result = f"ok:{decision}"
            except Conflict as error:
                session.rollback()
                result = f"conflict:{error.code}"
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=decide, args=("admin0", "approve", None)),
               threading.Thread(target=decide, args=("admin1", "reject", "duplicate"))]
    try:
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join(timeout=30)
        assert len(outcomes) == 2
        assert sum(o.startswith("ok:") for o in outcomes) == 1, outcomes
        assert sum(o.startswith("conflict:") for o in outcomes) == 1, outcomes
        with Session(engine) as check:
            request = check.get(VoucherRequest, created["request"])
            vouchers = check.scalars(select(Voucher).where(Voucher.request_id == request.id)).all()
            decisions = check.scalars(select(AuditEntry.to_state).where(
                AuditEntry.object_type == "voucher_request", AuditEntry.object_id == request.id,
                AuditEntry.from_state == "submitted")).all()
            assert len(decisions) == 1
            assert request.status == decisions[0]
            assert len(vouchers) == (1 if request.status == "approved" else 0)
    finally:
        wipe_all(engine)
