"""Fixtures for the voucher journey through the API."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

import pytest

from portal.clock import today_in_brussels
from portal.permissions import Role
from tests.support.factories import make_provider, make_user
from tests.support.web import bearer


@pytest.fixture
def today() -> date:
    return today_in_brussels()


@pytest.fixture
def provider(db_session):
    return make_provider(db_session)


@pytest.fixture
def beneficiary(db_session):
    return make_user(db_session, Role.BENEFICIARY, language="en")


@pytest.fixture
def admin(db_session):
    return make_user(db_session, Role.FUND_ADMIN, language="en")


@pytest.fixture
def beneficiary_headers(client, beneficiary) -> dict[str, str]:
    return bearer(client, beneficiary.email)


@pytest.fixture
def admin_headers(client, admin) -> dict[str, str]:
    return bearer(client, admin.email)


@pytest.fixture
def request_body(provider, today):
    def build(**overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "provider_id": provider.id,
            "insurer_code": 300,
            "initiative": "coordinator",
            "force_majeure": True,
            "contract_end_on": (today - timedelta(days=30)).isoformat(),
            "address": {"street": "Rue Haute", "number": "12", "postcode": "1000", "municipality": "Bruxelles",
                        "country": "BE"},
        }
        body.update(overrides)
        return body

    return build


@pytest.fixture
def fund_money(db_session, today):
    """Give the fund money so route-B approvals are not waitlisted."""
    from vouchers.ledger.services import entries as ledger

    def add(cents: int) -> None:
        ledger.record_funding(db_session, amount_cents=cents, booked_on=today, memo="test budget")
        db_session.flush()

    return add
