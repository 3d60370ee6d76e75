"""The in-memory fake payment gateway never runs in production: without STRIPE_SECRET_KEY, outside debug,
testing or an explicit demo (ALLOW_FAKE_PAYMENTS), every card payment is refused with a clear message."""

from __future__ import annotations

from datetime import timedelta

import pytest
from flask import Flask

from portal.clock import utcnow
from portal.payments import (
    FakeGateway,
    GatewayNotConfigured,
    StripeGateway,
    UnconfiguredGateway,
    gateway_for,
)
from portal.scheduler import load_jobs, run_job
from tests.support.web import login


def _bare_app(**config) -> Flask:  # noqa: ANN003
    app = Flask("payments-settings")
    app.config.update({"STRIPE_SECRET_KEY": "", "ALLOW_FAKE_PAYMENTS": False, **config})
    return app


@pytest.mark.parametrize("config,expected", [
    ({}, UnconfiguredGateway),                                     # production without a key
    ({"ALLOW_FAKE_PAYMENTS": True}, FakeGateway),                  # a demo, said out loud
    ({"DEBUG": True}, FakeGateway),                                # flask run --debug
    ({"TESTING": True}, FakeGateway),
    ({"STRIPE_SECRET_KEY": "sk_test_x"}, StripeGateway),           # a key always means Stripe
])
def test_which_gateway(config, expected):
    assert isinstance(gateway_for(_bare_app(**config)), expected)


def test_the_refusing_gateway_says_why():
    with pytest.raises(GatewayNotConfigured, match="set STRIPE_SECRET_KEY"):
        UnconfiguredGateway().create_payment_intent(180_000, "eur", {"contribution_id": "1"}, "contribution-1")


@pytest.fixture
def production_without_key(app, monkeypatch):
    """The test app as it would run in production with no Stripe key (restored afterwards)."""
    monkeypatch.setitem(app.config, "TESTING", False)
    monkeypatch.setitem(app.config, "DEBUG", False)
    monkeypatch.setitem(app.config, "STRIPE_SECRET_KEY", "")
    monkeypatch.setitem(app.config, "ALLOW_FAKE_PAYMENTS", False)
    monkeypatch.setitem(app.extensions, "payment_gateway", None)  # chosen again from the settings
    return app


def test_payment_start_is_refused_in_the_api_and_the_page(client, headers, dismissal_body, employer_user,
                                                          production_without_key):
    created = client.post("/api/v1/dismissals", json=dismissal_body(), headers=headers).get_json()
    refused = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers)
    assert refused.status_code == 503
    error = refused.get_json()["error"]
    assert error["code"] == "payments_not_configured" and "bank transfer" in error["message"]
    assert isinstance(production_without_key.extensions["payment_gateway"], UnconfiguredGateway)
    detail = client.get(f"/api/v1/dismissals/{created['id']}", headers=headers).get_json()
    assert detail["contribution"]["status"] == "due"  # nothing pretended to be paid

    login(client, employer_user.email)
    page = client.get(f"/employer/declarations/{created['id']}/pay", headers={"Accept-Language": "en"},
                      follow_redirects=True)
    assert "Card payment is not available on this portal" in page.get_data(as_text=True)


def test_the_repair_job_fails_loudly(app, db_session, employer_user, today, production_without_key):
    from vouchers.employers.services import declarations as declaration_services
    from vouchers.employers.services import payments as payment_services

    fake = FakeGateway()
    data = declaration_services.DeclarationData(worker_first_name="A", worker_last_name="B", worker_niss="85073003328",
                                    contract_end_on=today - timedelta(days=3))
    declaration = declaration_services.declare_dismissal(db_session, employer_user, data, today=today, now=utcnow()).declaration
    payment_services.start_card_payment(db_session, employer_user, declaration.id, fake, today=today, now=utcnow())
    declaration.contribution.status = "processing"
    declaration.contribution.updated_at = utcnow() - timedelta(hours=2)
    db_session.flush()
    with app.app_context():
        outcome = run_job(db_session, load_jobs()["stripe_repair"])
    assert outcome.startswith("failed: card payments are not configured")
