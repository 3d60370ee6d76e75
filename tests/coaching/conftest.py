"""A provider with an approved voucher, ready for a course of coaching."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta

import pytest
from sqlalchemy import select

from portal.clock import BRUSSELS, today_in_brussels, utcnow
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer

ISSUED_DAYS_AGO = 40


@pytest.fixture
def today():
    return today_in_brussels()


@pytest.fixture
def provider(db_session):
    return make_provider(db_session)


@pytest.fixture
def provider_admin(db_session, provider):
    return make_user(db_session, Role.PROVIDER_ADMIN, provider_id=provider.id, language="en")


@pytest.fixture
def admin_headers(client, provider_admin):
    return bearer(client, provider_admin.email)


@pytest.fixture
def fund_admin(db_session):
    return make_user(db_session, Role.FUND_ADMIN, language="en")


@pytest.fixture
def make_voucher(db_session, provider, fund_admin, today):
    from vouchers.requests.models import Voucher
    from vouchers.requests.services.requests import (
        RequestData,
        decide_voucher_request,
        submit_voucher_request,
    )

    # Issued a month ago, so that sessions can be booked and logged in the recent past (``slot``).
    issued_on = today - timedelta(days=ISSUED_DAYS_AGO)

    def build(person=None):
        person = person or make_user(db_session, Role.BENEFICIARY, language="en")
        data = RequestData(provider_id=provider.id, insurer_code=100, initiative="coordinator", force_majeure=True,
                           contract_end_on=issued_on - timedelta(days=5),
                           address={"street": "Rue", "number": "1", "postcode": "1000", "municipality": "Bruxelles"})
        request = submit_voucher_request(db_session, person, data, today=issued_on, now=utcnow())
        decide_voucher_request(db_session, fund_admin, request.id, "approve", None, today=issued_on, now=utcnow())
        voucher = db_session.scalar(select(Voucher).where(Voucher.request_id == request.id))
        return voucher, person

    return build


@pytest.fixture
def offer(db_session, provider_admin, today):
    from coaching.providers.services.offers import create_offer

    return create_offer(db_session, provider_admin, name="9 h + 3 groups", individual_hours=9, collective_sessions=3,
                        individual_unit_cents=None, collective_unit_cents=None, today=today)


@pytest.fixture
def coach(db_session, provider_admin):
    from coaching.providers.services.offers import add_coach

    coach, _user = add_coach(db_session, provider_admin, name="Inès Dubois", email="ines@example.be")
    return coach


@pytest.fixture
def slot(today):
    """Successive free 2-hour slots in the past weeks, in Brussels time, within voucher validity: a
    session can be logged only once it has started."""
    counter = {"n": 0}

    def next_slot(hours_apart: int = 3) -> datetime:
        counter["n"] += 1
        day = today - timedelta(days=ISSUED_DAYS_AGO - 2) + timedelta(days=counter["n"] // 3)
        assert day < today, "more slots than the past weeks hold: use future_slot"
        local = datetime.combine(day, time(9, 0), tzinfo=BRUSSELS) + timedelta(hours=hours_apart * (counter["n"] % 3))
        return local.astimezone(UTC)

    return next_slot


@pytest.fixture
def future_slot(today):
    """Successive free 2-hour slots in the coming days (sessions still to come)."""
    counter = {"n": 0}

    def next_slot(hours_apart: int = 3) -> datetime:
        counter["n"] += 1
        day = today + timedelta(days=1 + counter["n"] // 3)
        local = datetime.combine(day, time(9, 0), tzinfo=BRUSSELS) + timedelta(hours=hours_apart * (counter["n"] % 3))
        return local.astimezone(UTC)

    return next_slot
