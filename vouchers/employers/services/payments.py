from __future__ import annotations

import logging
import re
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.db import lock_row
from portal.errors import N_, Conflict, NotFound, ValidationFailed
from portal.notifications.services import notify, page
from portal.payments import (
    CardDeclined,
    CreatedIntent,
    GatewayError,
    GatewayNotConfigured,
    GatewayNotFound,
    PaymentGateway,
    WebhookRefused,
)
from portal.permissions import Permission
from portal.schema_fields import id_from_text
from vouchers.employers import domain
from vouchers.employers.company_access.gate import ensure_may_act
from vouchers.employers.models import (
    Contribution,
    ContributionPayment,
    Declaration,
    StripeEvent,
)
from vouchers.employers.services.contributions import payment_sums
from vouchers.employers.services.deadlines import people_to_tell
from vouchers.employers.services.declarations import get_declaration
from vouchers.ledger.services import entries as ledger

CURRENCY = "eur"
log = logging.getLogger(__name__)


ALREADY_SETTLED = ("paid", "overpaid", "refunded")


class PaymentUnavailable(Conflict):
    status = 503
    code = "payment_unavailable"

    def __init__(self) -> None:
        super().__init__(N_("Card payment is not available right now. Please try again later, "
                            "or pay by bank transfer."))


class PaymentsNotConfigured(PaymentUnavailable):
    """The portal takes no card payments (no Stripe key outside development): the transfer still works."""

    code = "payments_not_configured"

    def __init__(self) -> None:
        Conflict.__init__(self, N_("Card payment is not available on this portal. Please pay by bank transfer "
                                   "with the structured reference."))


def _unavailable(exc: GatewayError) -> PaymentUnavailable:
    return PaymentsNotConfigured() if isinstance(exc, GatewayNotConfigured) else PaymentUnavailable()


def start_card_payment(session: Session, actor: Any, declaration_id: int, gateway: PaymentGateway, *,
                       today: date, now: datetime) -> CreatedIntent:
    """A Stripe PaymentIntent for what is still owed, created with the contribution's idempotency key.

    Asking again returns the same PaymentIntent (same key, same parameters). A canceled one is
    replaced by a new attempt. A contribution that is paid, or whose card payment is being
    processed, cannot be paid again (409). An account that may not act yet is refused (403).
    """
    declaration = get_declaration(session, actor, declaration_id, Permission.CONTRIBUTION_PAY)
    ensure_may_act(session, actor)
    contribution = declaration.contribution
    lock_row(session, contribution)
    if contribution.payment_intent_id:
        try:  # what became of the previous attempt decides whether a new one may start
            state = sync_payment_intent(session, gateway, contribution.payment_intent_id, today=today, now=now)
        except GatewayError as exc:
            raise _unavailable(exc) from exc
        if state is not None and state.status == "canceled":
            contribution.payment_attempt += 1
    if contribution.status in ALREADY_SETTLED:
        raise Conflict(N_("This contribution is already paid."), code="already_paid")
    if contribution.status == "processing":
        raise Conflict(N_("A payment for this contribution is being processed. Please wait for its result."),
                       code="payment_processing")
    owed = contribution.amount_cents - payment_sums(session, contribution.id).net_cents
    if owed <= 0:  # pragma: no cover - covered by the statuses above
        raise Conflict(N_("This contribution is already paid."), code="already_paid")
    try:
        intent = gateway.create_payment_intent(
            owed, CURRENCY, {"contribution_id": str(contribution.id), "declaration_id": str(declaration.id)},
            contribution.idempotency_key)
    except GatewayError as exc:
        raise _unavailable(exc) from exc
    if contribution.payment_intent_id != intent.id:
        contribution.payment_intent_id = intent.id
        audit.record(session, actor=actor, object_type="contribution", object_id=contribution.id,
                     action="payment_started", reason=intent.id, now=now)
    session.flush()
    return intent


def confirm_card_payment(session: Session, actor: Any, declaration_id: int, gateway: PaymentGateway, *,
                         payment_method: str | None, token: str | None, today: date, now: datetime) -> str:
    """Server-side confirmation of the contribution's PaymentIntent with the payer's card.

    Returns the PaymentIntent's status (``requires_action`` means the page must finish 3-D Secure).
    """
    declaration = get_declaration(session, actor, declaration_id, Permission.CONTRIBUTION_PAY)
    ensure_may_act(session, actor)
    contribution = declaration.contribution
    if not contribution.payment_intent_id:
        raise Conflict(N_("Start the payment first."), code="payment_not_started")
    try:
        status = gateway.confirm_with_card(contribution.payment_intent_id, payment_method=payment_method, token=token)
    except CardDeclined as exc:
        message = N_("The card was refused. Please try another card, or pay by bank transfer.")
        raise ValidationFailed(message, code="card_declined", fields={"card": [message]}) from exc
    except GatewayError as exc:
        raise _unavailable(exc) from exc
    try:
        sync_payment_intent(session, gateway, contribution.payment_intent_id, today=today, now=now)
    except GatewayError:  # the card was confirmed; the webhook or the hourly repair records the money
        pass
    return status


def _record_money(session: Session, contribution: Contribution, *, source: str, external_id: str, amount_cents: int,
                  booked_on: date, now: datetime) -> bool:
    """Append one movement and its ledger entry, once per external id. Call with the contribution locked."""
    if session.scalar(select(ContributionPayment.id).where(ContributionPayment.external_id == external_id)):
        return False
    try:
        with session.begin_nested():
            # Card money going back is a Stripe refund; a bank credit going back is the bank's reversal.
            kind = "payment" if amount_cents > 0 else ("reversal" if source == "bank" else "refund")
            session.add(ContributionPayment(contribution_id=contribution.id, source=source, kind=kind,
                                            amount_cents=amount_cents, external_id=external_id, booked_on=booked_on,
                                            created_at=now))
            session.flush()
    except IntegrityError:
        return False
    ledger.post(session, account="cash", kind="contribution_paid" if amount_cents > 0 else "contribution_refunded",
                amount_cents=amount_cents, booked_on=booked_on, contribution_id=contribution.id,
                memo=f"{source} {external_id}"[:200])
    if amount_cents > 0:
        _tell_received(session, contribution, amount_cents)
    return True


def _tell_received(session: Session, contribution: Contribution, amount_cents: int) -> None:
    """The employer and its agents hear of every payment received, with what is still owed."""
    declaration = session.get(Declaration, contribution.declaration_id)
    if declaration is None:
        return
    owed = max(0, contribution.amount_cents - payment_sums(session, contribution.id).net_cents)
    notify(session, people_to_tell(session, declaration.employer_id), "contribution_received",
           link=page("employers.declaration", declaration_id=declaration.id), object_type="dismissal_declaration",
           object_id=declaration.id, number=declaration.id, amount_cents=amount_cents, owed_cents=owed)


def _set_status(session: Session, contribution: Contribution, new_status: str, *, reason: str, now: datetime) -> None:
    if new_status == contribution.status:
        return
    audit.record(session, actor=None, object_type="contribution", object_id=contribution.id, action="status_changed",
                 from_state=contribution.status, to_state=new_status, reason=reason, now=now)
    contribution.status = new_status
    contribution.updated_at = now


def _contribution_from_metadata(session: Session, metadata: dict[str, str]) -> Contribution | None:
    """The contribution a PaymentIntent pays, if it is ours: both ids in its metadata must agree."""
    # Any system on the same Stripe account may set metadata: "²" or 3000000000 is no contribution of ours.
    contribution_id = id_from_text(metadata.get("contribution_id", ""))
    if contribution_id is None:
        return None
    contribution = session.get(Contribution, contribution_id)
    if contribution is None or metadata.get("declaration_id") != str(contribution.declaration_id):
        return None
    return contribution


def sync_payment_intent(session: Session, gateway: PaymentGateway, payment_intent_id: str, *, today: date,
                        now: datetime):  # type: ignore[no-untyped-def]
    """Re-read a PaymentIntent and apply its current state to its contribution.

    Money is recorded once per PaymentIntent (its id is the payment's unique external id),
    with one ledger entry. Returns the PaymentIntent's state, or None when it is not ours.
    """
    state = gateway.retrieve_payment_intent(payment_intent_id)
    contribution = _contribution_from_metadata(session, state.metadata)
    if contribution is None:
        return None
    lock_row(session, contribution)
    if state.status == "succeeded" and state.amount_received > 0:
        _record_money(session, contribution, source="stripe", external_id=payment_intent_id,
                      amount_cents=state.amount_received, booked_on=today, now=now)
    sums = payment_sums(session, contribution.id)
    if contribution.payment_intent_id in (None, payment_intent_id):
        new_status = domain.status_after_intent(contribution.status, contribution.amount_cents, sums, state.status)
    else:  # an older attempt: its money counts, its in-flight signals no longer do
        new_status = domain.contribution_status(contribution.amount_cents, sums,
                                                in_flight=contribution.status == "processing")
    _set_status(session, contribution, new_status, reason=f"stripe {payment_intent_id} {state.status}", now=now)
    session.flush()
    return state


def sync_refunds(session: Session, gateway: PaymentGateway, payment_intent_id: str, *, today: date,
                 now: datetime) -> Contribution | None:
    """Re-read a PaymentIntent's refunds and record each succeeded one once (negative money)."""
    state = sync_payment_intent(session, gateway, payment_intent_id, today=today, now=now)
    if state is None or state.status != "succeeded":
        return None
    contribution = _contribution_from_metadata(session, state.metadata)
    assert contribution is not None
    for refund in gateway.list_refunds(payment_intent_id):
        if refund.status == "succeeded" and refund.amount > 0:
            _record_money(session, contribution, source="stripe", external_id=refund.id, amount_cents=-refund.amount,
                          booked_on=today, now=now)
    sums = payment_sums(session, contribution.id)
    new_status = domain.contribution_status(contribution.amount_cents, sums,
                                            in_flight=contribution.status == "processing")
    _set_status(session, contribution, new_status, reason=f"stripe refunds of {payment_intent_id}", now=now)
    session.flush()
    return contribution


def record_bank_payment(session: Session, contribution_id: int, *, amount_cents: int, external_id: str,
                        booked_on: date, now: datetime) -> bool:
    """A bank transfer matched to a contribution (by the reconciliation). Recorded once per bank line id."""
    contribution = session.get(Contribution, contribution_id)
    if contribution is None:
        raise NotFound(N_("This contribution does not exist."))
    lock_row(session, contribution)
    added = _record_money(session, contribution, source="bank", external_id=external_id, amount_cents=amount_cents,
                          booked_on=booked_on, now=now)
    sums = payment_sums(session, contribution.id)
    new_status = domain.contribution_status(contribution.amount_cents, sums,
                                            in_flight=contribution.status == "processing")
    _set_status(session, contribution, new_status, reason=f"bank {external_id}", now=now)
    session.flush()
    return added


PAYMENT_INTENT_EVENTS = frozenset({
    "payment_intent.created", "payment_intent.processing", "payment_intent.succeeded",
    "payment_intent.payment_failed", "payment_intent.canceled", "payment_intent.requires_action",
    "payment_intent.amount_capturable_updated", "payment_intent.partially_funded",
})


REFUND_EVENTS = frozenset({"charge.refunded", "charge.refund.updated", "refund.created", "refund.updated",
                           "refund.failed"})


# Stripe's event ids (evt_...) and types (payment_intent.succeeded): anything else is no event of Stripe's, and
# would not fit the stripe_events columns (255 and 100 characters).
_EVENT_ID = re.compile(r"[A-Za-z0-9_-]{1,255}")
_EVENT_TYPE = re.compile(r"[a-z0-9_.]{1,100}")


def event_parts(event: dict[str, Any]) -> tuple[str, str, dict[str, Any]]:
    """A verified event's id, type and object, or ``WebhookRefused`` when it has not the shape of one."""
    event_id, event_type = event.get("id"), event.get("type")
    data = {} if event.get("data") is None else event["data"]
    data_object = (data.get("object") if isinstance(data, dict) else None) or {}
    if not (isinstance(event_id, str) and _EVENT_ID.fullmatch(event_id) and isinstance(event_type, str)
            and _EVENT_TYPE.fullmatch(event_type) and isinstance(data, dict) and isinstance(data_object, dict)):
        raise WebhookRefused("malformed_request", "The event has no valid id, type or object.")
    return event_id, event_type, data_object


def handle_stripe_event(session: Session, gateway: PaymentGateway, *, event_id: str, event_type: str,
                        data_object: dict[str, Any], today: date, now: datetime) -> bool:
    """Apply one verified Stripe event at most once. Returns False for a replay (nothing done).

    The event id is inserted in the caller's transaction, together with the effect: if
    anything fails, both are rolled back and Stripe's retry finds nothing recorded. The
    event's own copy of the object is not trusted for state: the PaymentIntent is re-read.
    A PaymentIntent Stripe does not know (a 404, final) is acknowledged and logged, the event id
    kept: answering an error would only make Stripe retry it for three days. Stripe being
    unreachable still raises ``GatewayError``, so that Stripe retries.
    """
    if session.get(StripeEvent, event_id) is not None:
        return False
    try:
        with session.begin_nested():
            session.add(StripeEvent(id=event_id, type=event_type, processed_at=now))
            session.flush()
    except IntegrityError:  # the same event delivered twice at once: the other delivery owns it
        return False
    try:
        if event_type in PAYMENT_INTENT_EVENTS and isinstance(data_object.get("id"), str):
            if sync_payment_intent(session, gateway, data_object["id"], today=today, now=now) is None:
                log.info("stripe event %s (%s): payment intent %s pays no contribution: ignored", event_id,
                         event_type, data_object["id"])
        elif event_type in REFUND_EVENTS and isinstance(data_object.get("payment_intent"), str):
            sync_refunds(session, gateway, data_object["payment_intent"], today=today, now=now)
    except GatewayNotFound as exc:
        log.warning("stripe event %s (%s): Stripe does not know its payment intent (%s): acknowledged, nothing done",
                    event_id, event_type, exc)
    return True
