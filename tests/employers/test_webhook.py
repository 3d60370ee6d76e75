"""The Stripe webhook: signatures on the raw body, replays, reordering and refunds."""

from __future__ import annotations

import time

import pytest
from sqlalchemy import func, select

from tests.employers.conftest import deliver, event_payload, sign
from vouchers.employers.models import Contribution, ContributionPayment, StripeEvent
from vouchers.ledger.models import LedgerEntry


def _declared_with_intent(client, headers, dismissal_body):
    created = client.post("/api/v1/dismissals", json=dismissal_body(), headers=headers).get_json()
    intent = client.post(f"/api/v1/dismissals/{created['id']}/payment-intent", headers=headers).get_json()
    return created, intent["payment_intent_id"]


def _contribution(client, headers, declaration_id):
    return client.get(f"/api/v1/dismissals/{declaration_id}", headers=headers).get_json()["contribution"]


def _ledger(db_session, kind="contribution_paid"):
    return db_session.scalars(select(LedgerEntry).where(LedgerEntry.kind == kind)).all()


def test_a_bad_signature_is_400_and_changes_nothing(client, db_session, headers, dismissal_body, gateway,
                                                    webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    payload = event_payload("payment_intent.succeeded", {"id": pi, "object": "payment_intent"})
    wrong_secret = deliver(client, payload, signature=sign(payload, "whsec_someone_else"))
    assert wrong_secret.status_code == 400
    assert wrong_secret.get_json()["error"]["code"] == "bad_signature"
    tampered = payload.replace(b'"livemode": false', b'"livemode": true')
    assert deliver(client, tampered, signature=sign(payload)).status_code == 400
    assert client.post("/api/v1/webhooks/stripe", data=payload).status_code == 400  # no header at all
    assert db_session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    assert _contribution(client, headers, created["id"])["status"] == "due"
    assert _ledger(db_session) == []


def test_a_stale_timestamp_is_400(client, db_session, headers, dismissal_body, gateway, webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    payload = event_payload("payment_intent.succeeded", {"id": pi, "object": "payment_intent"})
    stale = deliver(client, payload, signature=sign(payload, timestamp=int(time.time()) - 1000))
    assert stale.status_code == 400
    assert _contribution(client, headers, created["id"])["status"] == "due"
    assert db_session.scalar(select(func.count()).select_from(StripeEvent)) == 0


def test_malformed_json_is_400(client, webhook_secret):
    payload = b"{not json"
    response = deliver(client, payload)
    assert response.status_code == 400


def test_not_configured_is_503(client, app, monkeypatch):
    monkeypatch.setitem(app.config, "STRIPE_WEBHOOK_SECRET", "")
    payload = event_payload("payment_intent.succeeded", {"id": "pi_x"})
    assert deliver(client, payload).status_code == 503


def test_success_marks_paid_with_one_ledger_entry_and_a_replay_does_nothing(client, db_session, headers,
                                                                             dismissal_body, gateway, webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    payload = event_payload("payment_intent.succeeded", {"id": pi, "object": "payment_intent", "status": "succeeded"})
    first = deliver(client, payload)
    assert first.status_code == 200 and first.get_json() == {"received": True, "duplicate": False}
    second = deliver(client, payload)
    assert second.status_code == 200 and second.get_json() == {"received": True, "duplicate": True}
    contribution = _contribution(client, headers, created["id"])
    assert contribution["status"] == "paid" and contribution["paid_cents"] == 180_000
    entries = _ledger(db_session)
    assert len(entries) == 1
    assert entries[0].account == "cash" and entries[0].amount_cents == 180_000
    assert entries[0].contribution_id is not None
    assert db_session.scalar(select(func.count()).select_from(ContributionPayment)) == 1


def test_two_different_events_for_the_same_payment_count_the_money_once(client, db_session, headers,
                                                                         dismissal_body, gateway, webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    for event_type in ("payment_intent.succeeded", "payment_intent.succeeded", "payment_intent.processing"):
        assert deliver(client, event_payload(event_type, {"id": pi})).status_code == 200
    assert len(_ledger(db_session)) == 1
    assert _contribution(client, headers, created["id"])["status"] == "paid"


def test_out_of_order_processing_after_succeeded_stays_paid(client, db_session, headers, dismissal_body, gateway,
                                                            webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    processing = event_payload("payment_intent.processing", {"id": pi, "status": "processing"})
    succeeded = event_payload("payment_intent.succeeded", {"id": pi, "status": "succeeded"})
    gateway.succeed(pi)
    assert deliver(client, succeeded).status_code == 200
    assert deliver(client, processing).status_code == 200  # arrives late, and says "processing" in its body
    contribution = _contribution(client, headers, created["id"])
    assert contribution["status"] == "paid"
    assert len(_ledger(db_session)) == 1


def test_processing_then_failed_goes_back_to_due(client, headers, dismissal_body, gateway, webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.set_status(pi, "processing")
    deliver(client, event_payload("payment_intent.processing", {"id": pi}))
    assert _contribution(client, headers, created["id"])["status"] == "processing"
    gateway.fail(pi)
    deliver(client, event_payload("payment_intent.payment_failed", {"id": pi}))
    assert _contribution(client, headers, created["id"])["status"] == "due"


def test_a_late_failure_event_does_not_undo_a_payment(client, db_session, headers, dismissal_body, gateway,
                                                      webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    deliver(client, event_payload("payment_intent.succeeded", {"id": pi}))
    deliver(client, event_payload("payment_intent.payment_failed", {"id": pi, "status": "requires_payment_method"}))
    assert _contribution(client, headers, created["id"])["status"] == "paid"


def test_refund_after_payment(client, db_session, headers, dismissal_body, gateway, webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    deliver(client, event_payload("payment_intent.succeeded", {"id": pi}))
    refund = gateway.refund(pi)
    event = event_payload("charge.refunded", {"id": "ch_x", "object": "charge", "payment_intent": pi,
                                              "amount_refunded": 180_000})
    assert deliver(client, event).status_code == 200
    assert deliver(client, event).get_json()["duplicate"] is True
    deliver(client, event_payload("refund.created", {"id": refund.id, "object": "refund", "payment_intent": pi}))
    contribution = _contribution(client, headers, created["id"])
    assert contribution["status"] == "refunded" and contribution["paid_cents"] == 0
    refunds = _ledger(db_session, "contribution_refunded")
    assert len(refunds) == 1 and refunds[0].amount_cents == -180_000 and refunds[0].account == "cash"
    # A late "succeeded" replayed under a new event id does not bring the money back.
    deliver(client, event_payload("payment_intent.succeeded", {"id": pi}))
    assert _contribution(client, headers, created["id"])["status"] == "refunded"
    assert len(_ledger(db_session)) == 1


def test_unknown_events_and_foreign_intents_are_acknowledged(client, db_session, gateway, webhook_secret):
    assert deliver(client, event_payload("customer.created", {"id": "cus_1"})).status_code == 200
    foreign = gateway.create_payment_intent(500, "eur", {"order_id": "7"}, "someone-else")
    gateway.succeed(foreign.id)
    assert deliver(client, event_payload("payment_intent.succeeded", {"id": foreign.id})).status_code == 200
    assert _ledger(db_session) == []


def test_gateway_down_rolls_back_the_event_so_stripe_retries(client, db_session, headers, dismissal_body, gateway,
                                                             webhook_secret):
    _created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    payload = event_payload("payment_intent.succeeded", {"id": pi})
    gateway.unavailable = True
    assert deliver(client, payload).status_code == 503
    assert db_session.scalar(select(func.count()).select_from(StripeEvent)) == 0
    gateway.unavailable = False
    assert deliver(client, payload).get_json() == {"received": True, "duplicate": False}
    assert db_session.scalar(select(Contribution.status).where(Contribution.payment_intent_id == pi)) == "paid"


# --- issue #19: no signed body breaks the webhook; post-dated signatures; PaymentIntents Stripe does not know ----


def _events(db_session) -> int:
    return db_session.scalar(select(func.count()).select_from(StripeEvent))


@pytest.mark.parametrize("payload", [
    b"[]", b'[{"id": "evt_1", "type": "payment_intent.succeeded"}]', b'"evt_1"', b"null", b"\xff\xfe{}",
    b"[" * 100_000,
    b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": []}',
    b'{"id": "evt_1", "type": "payment_intent.succeeded", "data": {"object": "pi_1"}}',
    b'{"id": "evt_\\u0000", "type": "payment_intent.succeeded", "data": {"object": {}}}',
    b'{"id": "evt_1", "type": "payment_intent.\\u0000", "data": {"object": {}}}',
    b'{"id": "' + b"e" * 256 + b'", "type": "payment_intent.succeeded", "data": {"object": {}}}',
], ids=["array", "array of events", "string", "null", "not utf-8", "deep", "data a list", "object a string",
        "nul in the id", "nul in the type", "id too long"])
def test_a_signed_body_that_is_no_event_is_400(client, db_session, webhook_secret, payload):
    response = deliver(client, payload)
    assert response.status_code == 400, response.get_json()
    assert response.get_json()["error"]["code"] == "malformed_request"
    assert _events(db_session) == 0


@pytest.mark.parametrize("offset", [3600, 301])
def test_a_post_dated_signature_is_400(client, db_session, headers, dismissal_body, gateway, webhook_secret, offset):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    payload = event_payload("payment_intent.succeeded", {"id": pi})
    response = deliver(client, payload, signature=sign(payload, timestamp=int(time.time()) + offset))
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_signature"
    assert _events(db_session) == 0
    assert _contribution(client, headers, created["id"])["status"] == "due"


def test_a_signature_a_little_ahead_of_our_clock_is_accepted(client, headers, dismissal_body, gateway, webhook_secret):
    created, pi = _declared_with_intent(client, headers, dismissal_body)
    gateway.succeed(pi)
    payload = event_payload("payment_intent.succeeded", {"id": pi})
    assert deliver(client, payload, signature=sign(payload, timestamp=int(time.time()) + 60)).status_code == 200
    assert _contribution(client, headers, created["id"])["status"] == "paid"


@pytest.mark.parametrize("signature", ["t=1,v1=\u00e9\u00e9", "t=\u00b2,v1=ab", "v1=ab", "t=1", "garbage", ""])
def test_an_odd_signature_header_is_400(client, db_session, webhook_secret, signature):
    payload = event_payload("payment_intent.succeeded", {"id": "pi_1"})
    response = client.post("/api/v1/webhooks/stripe", data=payload,
                           headers={"Stripe-Signature": signature, "Content-Type": "application/json"})
    assert response.status_code == 400
    assert response.get_json()["error"]["code"] == "bad_signature"


def test_a_payment_intent_stripe_does_not_know_is_acknowledged_once(client, db_session, gateway, webhook_secret,
                                                                    caplog):
    payload = event_payload("payment_intent.succeeded", {"id": "pi_nobody_knows"})
    first = deliver(client, payload)
    assert first.status_code == 200 and first.get_json() == {"received": True, "duplicate": False}
    assert "pi_nobody_knows" in caplog.text
    assert _events(db_session) == 1  # kept: Stripe's retries and replays find it
    assert deliver(client, payload).get_json() == {"received": True, "duplicate": True}
    refund = event_payload("charge.refunded", {"id": "ch_1", "payment_intent": "pi_nobody_knows"})
    assert deliver(client, refund).status_code == 200
    assert _ledger(db_session) == [] and _ledger(db_session, "contribution_refunded") == []


@pytest.mark.parametrize("contribution_id", ["3000000000", "\u00b2", "0"])
def test_foreign_metadata_that_is_no_id_of_ours_is_ignored(client, db_session, gateway, webhook_secret,
                                                           contribution_id):
    foreign = gateway.create_payment_intent(500, "eur", {"contribution_id": contribution_id, "declaration_id": "1"},
                                            f"someone-else-{contribution_id}")
    gateway.succeed(foreign.id)
    response = deliver(client, event_payload("payment_intent.succeeded", {"id": foreign.id}))
    assert response.status_code == 200
    assert _ledger(db_session) == []
