"""Fixtures for the employers' side: employer users, a fake payment gateway and signed Stripe webhooks."""

from __future__ import annotations

import hashlib
import hmac
import json
import secrets
import time
from datetime import date, timedelta
from typing import Any

import pytest

from portal.clock import today_in_brussels
from portal.payments import FakeGateway
from portal.permissions import Role
from tests.support.factories import make_user, new_niss
from tests.support.localstripe import localstripe  # noqa: F401 - the session fixture
from tests.support.web import bearer

WEBHOOK_SECRET = "whsec_test_employers"


@pytest.fixture
def today() -> date:
    return today_in_brussels()


@pytest.fixture
def employer_user(db_session):
    return make_user(db_session, Role.EMPLOYER, language="en")


@pytest.fixture
def other_employer_user(db_session):
    return make_user(db_session, Role.EMPLOYER, language="en")


@pytest.fixture
def headers(client, employer_user) -> dict[str, str]:
    return bearer(client, employer_user.email)


@pytest.fixture
def gateway(app, monkeypatch) -> FakeGateway:
    fake = FakeGateway()
    monkeypatch.setitem(app.extensions, "payment_gateway", fake)
    return fake


@pytest.fixture
def webhook_secret(app, monkeypatch) -> str:
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    return WEBHOOK_SECRET


@pytest.fixture
def dismissal_body(today):
    def build(**overrides: Any) -> dict[str, Any]:
        body: dict[str, Any] = {
            "worker_first_name": "Amélie",
            "worker_last_name": "Peeters",
            "worker_niss": new_niss(),
            "contract_end_on": (today - timedelta(days=10)).isoformat(),
        }
        body.update(overrides)
        return body

    return build


def sign(payload: bytes, secret: str = WEBHOOK_SECRET, *, timestamp: int | None = None) -> str:
    """Stripe's scheme: t=<unix>,v1=<hex HMAC-SHA256 of "<t>.<raw body>">."""
    t = int(time.time()) if timestamp is None else timestamp
    digest = hmac.new(secret.encode(), f"{t}.".encode() + payload, hashlib.sha256).hexdigest()
    return f"t={t},v1={digest}"


def event_payload(event_type: str, data_object: dict[str, Any], *, event_id: str | None = None) -> bytes:
    return json.dumps({
        "id": event_id or f"evt_{secrets.token_hex(8)}",
        "object": "event",
        "type": event_type,
        "created": int(time.time()),
        "livemode": False,
        "data": {"object": data_object},
    }).encode()


def deliver(client, payload: bytes, *, signature: str | None = None):
    return client.post("/api/v1/webhooks/stripe", data=payload,
                       headers={"Stripe-Signature": signature or sign(payload), "Content-Type": "application/json"})
