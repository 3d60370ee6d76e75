"""How the pay page takes a card, and a demo's test payment.

A portal with Stripe keys shows Stripe.js (the card never reaches the portal). A demo or development run without
keys pays through the in-memory fake gateway: no card details are asked, and the payment goes through the same
services as a real card (the PaymentIntent is started, confirmed and re-read, as the webhook re-reads it), so the
contribution is marked paid, its ledger entry is written and the employer is told, once. A production portal
without keys takes no card at all (``UnconfiguredGateway``): only the bank transfer is offered.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, Literal

from sqlalchemy.orm import Session

from portal.errors import N_, NotFound
from portal.payments import FakeGateway, PaymentGateway, UnconfiguredGateway
from vouchers.employers.services.payments import (
    confirm_card_payment,
    start_card_payment,
)

CardPaymentMode = Literal["stripe", "test"]

#: The card of a test payment: the fake gateway accepts it (it is also the id of Stripe's own test Visa card).
TEST_PAYMENT_METHOD = "pm_card_visa"


def card_payment_mode(gateway: PaymentGateway, publishable_key: str | None) -> CardPaymentMode | None:
    """``"stripe"``: the pay page loads Stripe.js with the publishable key; ``"test"``: the in-memory fake of a demo
    or development run, paid with a test payment; None: card payments are off here, and no card button is shown."""
    if isinstance(gateway, UnconfiguredGateway):
        return None
    if publishable_key:
        return "stripe"
    if isinstance(gateway, FakeGateway):
        return "test"
    return None  # a Stripe secret key without the publishable key: Stripe.js could not load


def pay_with_test_card(session: Session, actor: Any, declaration_id: int, gateway: PaymentGateway, *, today: date,
                       now: datetime) -> str:
    """Pay what is still owed with the test card, through the services a real card payment takes; the
    PaymentIntent's status (``succeeded``).

    Only the in-memory fake gateway takes it: with Stripe, or with card payments off, there is no test payment
    (404). Refused like any card payment when the contribution is paid or its payment is being processed (409),
    or when the account may not act yet (403)."""
    if not isinstance(gateway, FakeGateway):
        raise NotFound(N_("There are no test payments on this portal."))
    start_card_payment(session, actor, declaration_id, gateway, today=today, now=now)
    return confirm_card_payment(session, actor, declaration_id, gateway, payment_method=TEST_PAYMENT_METHOD,
                                token=None, today=today, now=now)
