"""End to end against localstripe on 127.0.0.1: the stripe library, real PaymentIntents, real events."""

from __future__ import annotations

import json

import pytest
from sqlalchemy import select

from portal.payments import StripeGateway
from tests.employers.conftest import WEBHOOK_SECRET, deliver, event_payload, sign
from tests.support.web import csrf_token, login
from vouchers.ledger.models import LedgerEntry


@pytest.fixture
def stripe_gateway(app, monkeypatch, localstripe) -> StripeGateway:
    localstripe.reset()
    gateway = StripeGateway(localstripe.secret_key, api_base=localstripe.url, max_network_retries=0)
    monkeypatch.setitem(app.extensions, "payment_gateway", gateway)
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", WEBHOOK_SECRET)
    return gateway


def _paid_entries(db_session, contribution_id=None):
    query = select(LedgerEntry).where(LedgerEntry.kind == "contribution_paid")
    if contribution_id is not None:
        query = query.where(LedgerEntry.contribution_id == contribution_id)
    return db_session.scalars(query).all()


def test_api_payment_intent_confirmed_with_pm_card_visa_then_the_webhook(client, db_session, headers, dismissal_body,
                                                                        stripe_gateway, localstripe):
    created = client.post("/api/v1/dismissals", json=dismissal_body(), headers=headers).get_json()
    response = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers)
    assert response.status_code == 200, response.get_json()
    intent = response.get_json()
    assert intent["client_secret"].startswith(intent["payment_intent_id"])

    stripe = localstripe.client()
    remote = stripe.v1.payment_intents.retrieve(intent["payment_intent_id"]).to_dict()
    assert remote["amount"] == 180_000 and remote["currency"] == "eur"
    assert set(remote["metadata"]) == {"contribution_id", "declaration_id"}  # ids only, never names or NISS
    # localstripe refuses `payment_method` on confirm: attach it first, then confirm.
    stripe.v1.payment_intents.update(intent["payment_intent_id"], params={"payment_method": "pm_card_visa"})
    confirmed = stripe.v1.payment_intents.confirm(intent["payment_intent_id"])
    assert confirmed.status == "succeeded"

    event = localstripe.event_for("payment_intent.succeeded", intent["payment_intent_id"])
    payload = json.dumps(event).encode()
    assert deliver(client, payload).get_json() == {"received": True, "duplicate": False}
    assert deliver(client, payload).get_json() == {"received": True, "duplicate": True}

    detail = client.get(f"/api/v1/dismissals/{created['id']}", headers=headers).get_json()
    assert detail["contribution"]["status"] == "paid"
    assert detail["contribution"]["paid_cents"] == 180_000
    contribution_id = int(remote["metadata"]["contribution_id"])
    entries = _paid_entries(db_session, contribution_id)
    assert len(entries) == 1 and entries[0].account == "cash" and entries[0].amount_cents == 180_000
    again = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers)
    assert again.status_code == 409


def test_declined_card_leaves_the_contribution_due(client, headers, dismissal_body, stripe_gateway, localstripe):
    import stripe as stripe_module

    created = client.post("/api/v1/dismissals", json=dismissal_body(), headers=headers).get_json()
    intent = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers).get_json()
    stripe = localstripe.client()
    stripe.v1.payment_intents.update(intent["payment_intent_id"],
                                     params={"payment_method": "pm_card_chargeCustomerFail"})
    with pytest.raises(stripe_module.CardError):
        stripe.v1.payment_intents.confirm(intent["payment_intent_id"])
    event = localstripe.event_for("payment_intent.payment_failed", intent["payment_intent_id"])
    assert deliver(client, json.dumps(event).encode()).status_code == 200
    assert client.get(f"/api/v1/dismissals/{created['id']}", headers=headers).get_json()["contribution"][
        "status"] == "due"


def test_refund_through_localstripe(client, db_session, headers, dismissal_body, stripe_gateway, localstripe):
    created = client.post("/api/v1/dismissals", json=dismissal_body(), headers=headers).get_json()
    intent = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers).get_json()
    stripe = localstripe.client()
    stripe.v1.payment_intents.update(intent["payment_intent_id"], params={"payment_method": "pm_card_visa"})
    stripe.v1.payment_intents.confirm(intent["payment_intent_id"])
    deliver(client, json.dumps(localstripe.event_for("payment_intent.succeeded", intent["payment_intent_id"])).encode())
    refund = stripe.v1.refunds.create(params={"payment_intent": intent["payment_intent_id"]})
    # localstripe emits no refund events: Stripe's charge.refunded is signed here.
    payload = event_payload("charge.refunded", {"id": "ch_1", "object": "charge",
                                                "payment_intent": intent["payment_intent_id"]})
    assert deliver(client, payload, signature=sign(payload)).status_code == 200
    detail = client.get(f"/api/v1/dismissals/{created['id']}", headers=headers).get_json()
    assert detail["contribution"]["status"] == "refunded" and detail["contribution"]["paid_cents"] == 0
    refunds = db_session.scalars(select(LedgerEntry).where(LedgerEntry.kind == "contribution_refunded")).all()
    assert [r.amount_cents for r in refunds] == [-refund.amount]


def test_the_payment_page_confirms_a_card_token_like_the_stripe_js_mock(client, db_session, employer_user,
                                                                        dismissal_body, stripe_gateway, localstripe,
                                                                        app, monkeypatch):
    """What static/js/pay.js does with localstripe's Stripe.js: a card token, confirmed on the server."""
    monkeypatch.setitem(app.config, "STRIPE_PUBLISHABLE_KEY", localstripe.publishable_key)
    login(client, employer_user.email)
    token_page = "/employer/declare"
    created = client.post("/api/v1/dismissals", json=dismissal_body(),
                          headers={"X-CSRFToken": csrf_token(client, token_page)}).get_json()
    page = client.get(f"/employer/declarations/{created['id']}/pay")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'data-client-secret="pi_' in html and localstripe.publishable_key in html
    token = localstripe.client().v1.tokens.create(params={"card": {
        "number": "4242424242424242", "exp_month": "12", "exp_year": "2031", "cvc": "123"}})
    answer = client.post(f"/employer/declarations/{created['id']}/pay/confirm", json={"token": token.id},
                         headers={"X-CSRFToken": csrf_token(client, token_page)})
    assert answer.status_code == 200, answer.get_json()
    assert answer.get_json()["status"] == "succeeded"
    back = client.get(answer.get_json()["next"], follow_redirects=True)
    assert "the contribution is paid" in back.get_data(as_text=True)
    detail = client.get(f"/api/v1/dismissals/{created['id']}").get_json()
    assert detail["contribution"]["status"] == "paid"
    assert len(_paid_entries(db_session)) == 1


def test_an_event_for_a_payment_intent_stripe_does_not_know_is_acknowledged(client, db_session, stripe_gateway,
                                                                            localstripe):
    """Stripe answers 404 for it: final, so the event is acknowledged, not answered 503 for three days of retries."""
    payload = event_payload("payment_intent.succeeded", {"id": "pi_unknown_to_stripe", "object": "payment_intent"})
    response = deliver(client, payload)
    assert response.status_code == 200, response.get_json()
    assert response.get_json() == {"received": True, "duplicate": False}
    assert _paid_entries(db_session) == []
