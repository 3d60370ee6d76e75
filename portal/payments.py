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

import itertools
import secrets
from dataclasses import dataclass, field
from typing import Any, NamedTuple, Protocol

PAYMENT_METHOD_TYPES = ("card", "bancontact")


class GatewayError(Exception):
    """The payment provider could not be reached or refused the call."""


class CardDeclined(GatewayError):
    """The card was refused: the payer can try another one."""


class GatewayNotConfigured(GatewayError):
    """Card payments are off on this portal: no Stripe key, and the fake gateway is not allowed here."""


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
            raise GatewayError(f"no such payment intent {payment_intent_id}")
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
