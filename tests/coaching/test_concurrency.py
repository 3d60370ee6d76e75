"""Two bookings at the same moment: the database keeps the caps (real commits, separate connections)."""

from __future__ import annotations

import threading
from datetime import time, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.calendar.models import CoachingSession
from portal.clock import BRUSSELS, today_in_brussels, utcnow
from portal.errors import Conflict
from portal.permissions import Role
from tests.support.committed import wipe_all
from tests.support.factories import make_provider, make_user


def _setup(engine, *, individual_hours: int):
    from datetime import datetime

    from coaching.providers.services.offers import (
        accept_voucher,
        add_coach,
        create_offer,
    )
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    today = today_in_brussels()
    with Session(engine) as setup:
        provider = make_provider(setup)
        staff = make_user(setup, Role.PROVIDER_ADMIN, provider_id=provider.id)
        fund = make_user(setup, Role.FUND_ADMIN)
        offer = create_offer(setup, staff, name="small", individual_hours=individual_hours, collective_sessions=0,
                             individual_unit_cents=None, collective_unit_cents=None, today=today)
        coaches = [add_coach(setup, staff, name=f"Coach {n}", email=f"coach{n}-{provider.id}@example.be")[0]
                   for n in range(2)]
        vouchers = []
        for _ in range(2):
            person = make_user(setup, Role.BENEFICIARY)
            data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                               contract_end_on=today - timedelta(days=5),
                               address={"street": "Rue", "number": "1", "postcode": "1000",
                                        "municipality": "Bruxelles"})
            request = submit_voucher_request(setup, person, data, today=today, now=utcnow())
            decide_voucher_request(setup, fund, request.id, "approve", None, today=today, now=utcnow())
            voucher = setup.scalar(select(Voucher).where(Voucher.request_id == request.id))
            accept_voucher(setup, staff, voucher.id, offer.id, now=utcnow())
            vouchers.append(voucher.id)
        setup.commit()
        start = datetime.combine(today + timedelta(days=2), time(10, 0), tzinfo=BRUSSELS)
        return staff.id, [c.id for c in coaches], vouchers, start


def _race(engine, staff_id, plans):
    from coaching.calendar.services.sessions import schedule_session
    from portal.auth.models import User

    barrier = threading.Barrier(len(plans)) if engine.dialect.name == "postgresql" else None
    outcomes: list[str] = []
    lock = threading.Lock()

    def book(plan):
        with Session(engine) as session:
            staff = session.get(User, staff_id)
            if barrier is not None:
                barrier.wait(timeout=10)
            try:
                schedule_session(session, staff, plan, now=utcnow())
                session.commit()
                result = "ok"
            except Conflict as error:
                session.rollback()
                result = error.code
            with lock:
                outcomes.append(result)

    threads = [threading.Thread(target=book, args=(plan,)) for plan in plans]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(timeout=30)
    return sorted(outcomes)


def test_the_last_hour_of_a_voucher_is_booked_once(app):
    from coaching.calendar.services.sessions import SessionPlan
    from portal.db import db

    with app.app_context():
        engine = db.engine
    try:
        staff_id, coaches, vouchers, start = _setup(engine, individual_hours=1)
        plans = [SessionPlan(coach_id=coaches[n], kind="individual", voucher_ids=[vouchers[0]],
                             starts_at=start + timedelta(hours=3 * n), duration_minutes=60) for n in range(2)]
        assert _race(engine, staff_id, plans) == ["balance_exceeded", "ok"]
        with Session(engine) as check:
            assert check.scalar(select(func.count()).select_from(CoachingSession)) == 1
    finally:
        wipe_all(engine)


def test_a_coach_is_never_double_booked(app):
    from coaching.calendar.services.sessions import SessionPlan
    from portal.db import db

    with app.app_context():
        engine = db.engine
    try:
        staff_id, coaches, vouchers, start = _setup(engine, individual_hours=5)
        plans = [SessionPlan(coach_id=coaches[0], kind="individual", voucher_ids=[vouchers[n]],
                             starts_at=start + timedelta(minutes=30 * n), duration_minutes=60) for n in range(2)]
        assert _race(engine, staff_id, plans) == ["double_booking", "ok"]
    finally:
        wipe_all(engine)
