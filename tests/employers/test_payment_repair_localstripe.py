"""The Stripe repair job against localstripe on 127.0.0.1: real PaymentIntents paid with a test card, whose
webhooks never reached the portal, are found paid by re-reading them, and counted once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from portal.clock import utcnow
from portal.payments import StripeGateway
from portal.scheduler import load_jobs, run_job
from vouchers.employers.models import Contribution
from vouchers.ledger.models import LedgerEntry


@pytest.fixture
def stripe_gateway(app, monkeypatch, localstripe) -> StripeGateway:
    localstripe.reset()
    gateway = StripeGateway(localstripe.secret_key, api_base=localstripe.url, max_network_retries=0)
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)
    return gateway


def _paid_in_localstripe(client, headers, dismissal_body, localstripe, card: str = "pm_card_visa"):
    """Declare, start the payment through the portal, and pay it in localstripe: no webhook is delivered."""
    created = client.post("/api/v1/dismissals", json=dismissal_body(), headers=headers).get_json()
    intent = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers).get_json()
    stripe = localstripe.client()
    stripe.v1.payment_intents.update(intent["payment_intent_id"], params={"payment_method": card})
    return created["id"], intent["payment_intent_id"], stripe


def _contribution(db_session, declaration_id) -> Contribution:
    return db_session.scalar(select(Contribution).where(Contribution.declaration_id == declaration_id))


def test_a_processing_payment_whose_webhook_was_missed_is_paid_once(app, client, db_session, headers,
                                                                    dismissal_body, stripe_gateway, localstripe):
    declaration_id, intent_id, stripe = _paid_in_localstripe(client, headers, dismissal_body, localstripe)
    assert stripe.v1.payment_intents.confirm(intent_id).status == "succeeded"
    contribution = _contribution(db_session, declaration_id)
    # We had heard payment_intent.processing two hours ago; localstripe never gets there itself.
    contribution.status = "processing"
    now = utcnow()
    contribution.updated_at = now - timedelta(hours=2)
    db_session.flush()
    jobs = load_jobs()
    with app.app_context():
        assert run_job(db_session, jobs["stripe_repair"], now=now) == "1 checked, 1 changed, 0 unreachable"
        assert run_job(db_session, jobs["stripe_repair"], now=now + timedelta(hours=1)) == \
            "0 checked, 0 changed, 0 unreachable"
    detail = client.get(f"/api/v1/dismissals/{declaration_id}", headers=headers).get_json()["contribution"]
    assert detail["status"] == "paid" and detail["paid_cents"] == 180_000
    entries = db_session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "contribution_paid",
                                                           LedgerEntry.contribution_id == contribution.id)).all()
    assert [e.amount_cents for e in entries] == [180_000]


def test_a_card_payment_never_heard_of_and_a_declined_one(app, client, db_session, headers, dismissal_body,
                                                          stripe_gateway, localstripe):
    import stripe as stripe_module

    paid_id, paid_intent, stripe = _paid_in_localstripe(client, headers, dismissal_body, localstripe)
    stripe.v1.payment_intents.confirm(paid_intent)
    declined_id, declined_intent, _ = _paid_in_localstripe(client, headers, dismissal_body, localstripe,
                                                            card="pm_card_chargeCustomerFail")
    with pytest.raises(stripe_module.CardError):
        stripe.v1.payment_intents.confirm(declined_intent)
    now = utcnow()
    for declaration_id in (paid_id, declined_id):
        contribution = _contribution(db_session, declaration_id)
        assert contribution.status == "due"
        contribution.updated_at = now - timedelta(hours=2)
    db_session.flush()
    with app.app_context():
        assert run_job(db_session, load_jobs()["stripe_repair"], now=now) == "2 checked, 1 changed, 0 unreachable"
    assert _contribution(db_session, paid_id).status == "paid"
    assert _contribution(db_session, declined_id).status == "due"
