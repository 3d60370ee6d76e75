"""Card and Bancontact payments: the portal talks to Stripe only through a ``PaymentGateway``.

- ``StripeGateway`` uses the ``stripe`` library (a ``StripeClient``, pointed at
  ``STRIPE_API_BASE`` when set, e.g. a localstripe on 127.0.0.1 in tests).
- ``FakeGateway`` keeps PaymentIntents in memory for unit tests and for a development or
  demo portal run without Stripe keys.
- ``gateway_for(app)`` picks Stripe when ``STRIPE_SECRET_KEY`` is set, else the fake in debug or
  testing mode (or with ``ALLOW_FAKE_PAYMENTS`` for a demo), else ``UnconfiguredGateway``, which
  refuses every payment: a production portal without a key never pretends to take money.

Only ids ever go to Stripe (``metadata`` carries the contribution and declaration
ids): never a name, a national number or anything about health. PaymentIntents
are created with ``payment_method_types=["card", "bancontact"]`` in EUR; localstripe
accepts (and ignores) that list, so the same call runs in tests and in production.
"""

from __future__ import annotations

import hashlib
import hmac
import itertools
import json
import secrets
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

PAYMENT_METHOD_TYPES = ("card", "bancontact")


class GatewayError(Exception):
    """The payment provider could not be reached or refused the call."""


class GatewayNotFound(GatewayError):
    """The payment provider has no such object, e.g. a PaymentIntent (a 404): asking again changes nothing."""


class CardDeclined(GatewayError):
    """The card was refused: the payer can try another one."""


class GatewayNotConfigured(GatewayError):
    """Card payments are off on this portal: no Stripe key, and the fake gateway is not allowed here."""


#: How far a webhook's signature time may be from ours, either way (Stripe's default is 300 s, in the past only).
WEBHOOK_TOLERANCE_SECONDS = 300


class WebhookRefused(Exception):
    """A webhook delivery that is not verifiably Stripe's, or not an event: ``code`` is the API error code."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def verify_webhook(payload: bytes, header: str, secret: str, *, now: float,
                   tolerance: int = WEBHOOK_TOLERANCE_SECONDS) -> dict[str, Any]:
    """The event of a Stripe webhook delivery, once its ``Stripe-Signature`` is checked on the raw body.

    Stripe's scheme: ``t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>">`` (several ``v1`` while a secret is
    rolled). Done here rather than by the stripe library, which compares text (a non-ASCII header made its
    ``compare_digest`` raise) and accepts any signature time in the future, so a signed delivery could be
    replayed for as long as it was post-dated. The body must be a JSON object.
    """
    timestamp: int | None = None
    signatures: list[bytes] = []
    for item in header.split(","):
        key, _, value = item.strip().partition("=")
        if key == "t" and value.isascii() and value.isdigit() and len(value) <= 12:
            timestamp = int(value)
        elif key == "v1":
            signatures.append(value.encode("utf-8", "replace"))
    if timestamp is None or not signatures:
        raise WebhookRefused("bad_signature", "The signature header is missing or not valid.")
    expected = hmac.new(secret.encode(), f"{timestamp}.".encode() + payload, hashlib.sha256).hexdigest().encode()
    if not any(hmac.compare_digest(expected, signature) for signature in signatures):
        raise WebhookRefused("bad_signature", "The signature is not valid.")
    if abs(now - timestamp) > tolerance:
        raise WebhookRefused("bad_signature", "The signature is too old, or dated in the future.")
    try:
        event = json.loads(payload)
    except (ValueError, RecursionError) as exc:  # RecursionError: nested past the parser's depth
        raise WebhookRefused("malformed_request", "The payload is not valid JSON.") from exc
    if not isinstance(event, dict):
        raise WebhookRefused("malformed_request", "The payload is not a JSON object.")
    return event


class CreatedIntent(NamedTuple):
    id: str
    client_secret: str
    status: str


class IntentState(NamedTuple):
    status: str
    amount_received: int
    metadata: dict[str, str]


class RefundState(NamedTuple):
    id: str
    amount: int
    status: str


class PaymentGateway(Protocol):
    def create_payment_intent(self, amount_cents: int, currency: str, metadata: dict[str, str],
                              idempotency_key: str) -> CreatedIntent: ...

    def retrieve_payment_intent(self, payment_intent_id: str) -> IntentState: ...

    def list_refunds(self, payment_intent_id: str) -> list[RefundState]: ...

    def confirm_with_card(self, payment_intent_id: str, *, payment_method: str | None = None,
                          token: str | None = None) -> str:
        """Server-side confirmation with a PaymentMethod (Stripe.js) or a card token; returns the status."""
        ...


def _ids_only(metadata: dict[str, Any]) -> dict[str, str]:
    """Metadata carries ids only: refuse anything that is not an ``*_id`` with a plain value."""
    clean: dict[str, str] = {}
    for key, value in metadata.items():
        text = str(value)
        if not key.endswith("_id") or not text.replace("_", "").isalnum():
            raise ValueError(f"metadata key {key!r} refused: only ids go to the payment provider")
        clean[key] = text
    return clean


class StripeGateway:
    def __init__(self, secret_key: str, *, api_base: str | None = None, max_network_retries: int = 2):
        import stripe

        options: dict[str, Any] = {"max_network_retries": max_network_retries}
        if api_base:
            options["base_addresses"] = {"api": api_base.rstrip("/")}
        self._stripe = stripe
        self._client = stripe.StripeClient(secret_key, **options)

    def _call(self, function: Any, *args: Any, **kwargs: Any) -> Any:
        stripe = self._stripe
        try:
            return function(*args, **kwargs)
        except stripe.CardError as exc:
            raise CardDeclined(exc.user_message or str(exc)) from exc
        except stripe.InvalidRequestError as exc:
            if exc.http_status == 404 or exc.code == "resource_missing":
                raise GatewayNotFound(str(exc)) from exc
            raise GatewayError(str(exc)) from exc
        except stripe.StripeError as exc:
            raise GatewayError(str(exc)) from exc

    def create_payment_intent(self, amount_cents: int, currency: str, metadata: dict[str, str],
                              idempotency_key: str) -> CreatedIntent:
        params = {"amount": amount_cents, "currency": currency, "payment_method_types": list(PAYMENT_METHOD_TYPES),
                  "metadata": _ids_only(metadata)}
        intent = self._call(self._client.v1.payment_intents.create, params=params,
                            options={"idempotency_key": idempotency_key})
        return CreatedIntent(intent.id, intent.client_secret, intent.status)

    def retrieve_payment_intent(self, payment_intent_id: str) -> IntentState:
        intent = self._call(self._client.v1.payment_intents.retrieve, payment_intent_id).to_dict()
        status = intent["status"]
        received = intent.get("amount_received")
        if received is None:  # localstripe leaves it out: a succeeded intent received its amount
            received = intent["amount"] if status == "succeeded" else 0
        return IntentState(status, int(received), {k: str(v) for k, v in (intent.get("metadata") or {}).items()})

    def list_refunds(self, payment_intent_id: str) -> list[RefundState]:
        page = self._call(self._client.v1.refunds.list, params={"payment_intent": payment_intent_id, "limit": 100})
        return [RefundState(r.id, int(r.amount), r.status) for r in page.data]

    def confirm_with_card(self, payment_intent_id: str, *, payment_method: str | None = None,
                          token: str | None = None) -> str:
        """Attach the payer's card to the intent and confirm it, on the server.

        The payment page confirms in the browser with real Stripe.js; this path serves
        localstripe's Stripe.js mock, which can only make a card token (its card id is the
        payment method there), and API clients that hold a PaymentMethod id.
        """
        if payment_method is None:
            if not token:
                raise GatewayError("a payment method or a card token is needed")
            payment_method = self._call(self._client.v1.tokens.retrieve, token).card.id
        self._call(self._client.v1.payment_intents.update, payment_intent_id,
                   params={"payment_method": payment_method})
        return str(self._call(self._client.v1.payment_intents.confirm, payment_intent_id).status)


@dataclass
class _FakeIntent:
    id: str
    amount: int
    currency: str
    metadata: dict[str, str]
    client_secret: str
    status: str = "requires_payment_method"
    amount_received: int = 0
    refunds: list[RefundState] = field(default_factory=list)


class FakeGateway:
    """PaymentIntents in memory. Tests move them with ``succeed``, ``fail``, ``set_status`` and ``refund``."""

    def __init__(self) -> None:
        self.intents: dict[str, _FakeIntent] = {}
        self.by_key: dict[str, str] = {}
        self.calls: list[tuple[str, Any]] = []
        self._ids = itertools.count(1)
        self.unavailable = False

    def _check(self) -> None:
        if self.unavailable:
            raise GatewayError("the fake gateway is switched off")

    def create_payment_intent(self, amount_cents: int, currency: str, metadata: dict[str, str],
                              idempotency_key: str) -> CreatedIntent:
        self._check()
        self.calls.append(("create", {"amount": amount_cents, "currency": currency, "metadata": dict(metadata),
                                      "idempotency_key": idempotency_key}))
        if idempotency_key in self.by_key:
            intent = self.intents[self.by_key[idempotency_key]]
        else:
            intent_id = f"pi_fake{next(self._ids)}"
            intent = _FakeIntent(intent_id, amount_cents, currency, _ids_only(metadata),
                                 f"{intent_id}_secret_{secrets.token_hex(8)}")
            self.intents[intent_id] = intent
            self.by_key[idempotency_key] = intent_id
        return CreatedIntent(intent.id, intent.client_secret, intent.status)

    def retrieve_payment_intent(self, payment_intent_id: str) -> IntentState:
        self._check()
        intent = self.intents.get(payment_intent_id)
        if intent is None:
            raise GatewayNotFound(f"no such payment intent {payment_intent_id}")
        return IntentState(intent.status, intent.amount_received, dict(intent.metadata))

    def list_refunds(self, payment_intent_id: str) -> list[RefundState]:
        self._check()
        return list(self.intents[payment_intent_id].refunds)

    def confirm_with_card(self, payment_intent_id: str, *, payment_method: str | None = None,
                          token: str | None = None) -> str:
        self._check()
        if (payment_method or token or "").endswith("declined"):
            raise CardDeclined("Your card was declined.")
        return self.succeed(payment_intent_id).status

    # Test controls -------------------------------------------------------------------------

    def set_status(self, payment_intent_id: str, status: str) -> _FakeIntent:
        intent = self.intents[payment_intent_id]
        intent.status = status
        return intent

    def succeed(self, payment_intent_id: str, amount_received: int | None = None) -> _FakeIntent:
        intent = self.set_status(payment_intent_id, "succeeded")
        intent.amount_received = intent.amount if amount_received is None else amount_received
        return intent

    def fail(self, payment_intent_id: str) -> _FakeIntent:
        return self.set_status(payment_intent_id, "requires_payment_method")

    def refund(self, payment_intent_id: str, amount: int | None = None) -> RefundState:
        intent = self.intents[payment_intent_id]
        refund = RefundState(f"re_fake{next(self._ids)}", intent.amount_received if amount is None else amount,
                             "succeeded")
        intent.refunds.append(refund)
        return refund


NOT_CONFIGURED = ("card payments are not configured: set STRIPE_SECRET_KEY (the in-memory fake gateway is only "
                  "used in debug or testing mode, or with ALLOW_FAKE_PAYMENTS=1 for a demo)")


class UnconfiguredGateway:
    """Stands in for Stripe when no key is set outside development: every call fails with
    ``GatewayNotConfigured``, so nobody believes a payment went through that no bank will ever see."""

    def _refuse(self) -> GatewayNotConfigured:
        return GatewayNotConfigured(NOT_CONFIGURED)

    def create_payment_intent(self, amount_cents: int, currency: str, metadata: dict[str, str],
                              idempotency_key: str) -> CreatedIntent:
        raise self._refuse()

    def retrieve_payment_intent(self, payment_intent_id: str) -> IntentState:
        raise self._refuse()

    def list_refunds(self, payment_intent_id: str) -> list[RefundState]:
        raise self._refuse()

    def confirm_with_card(self, payment_intent_id: str, *, payment_method: str | None = None,
                          token: str | None = None) -> str:
        raise self._refuse()


def fake_payments_allowed(app: Any) -> bool:
    """The in-memory fake is for development, tests and demos only: it "pays" without any money moving."""
    return bool(app.debug or app.testing or app.config.get("ALLOW_FAKE_PAYMENTS"))


def gateway_for(app: Any) -> PaymentGateway:
    """The app's gateway: Stripe when ``STRIPE_SECRET_KEY`` is set; else the in-memory fake where
    ``fake_payments_allowed``; else one that refuses every payment (and says why in the log).

    Kept on ``app.extensions["payment_gateway"]`` so tests can swap it.
    """
    gateway = app.extensions.get("payment_gateway")
    if gateway is None:
        secret = app.config.get("STRIPE_SECRET_KEY")
        if secret:
            gateway = StripeGateway(secret, api_base=app.config.get("STRIPE_API_BASE"))
        elif fake_payments_allowed(app):
            gateway = FakeGateway()
        else:
            app.logger.error("Card payments refused: %s.", NOT_CONFIGURED)
            gateway = UnconfiguredGateway()
        app.extensions["payment_gateway"] = gateway
    return gateway
