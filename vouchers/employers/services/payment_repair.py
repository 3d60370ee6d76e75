"""Healing missed Stripe webhooks: re-read the PaymentIntents whose result the portal is still waiting for.

Stripe retries a webhook for days, but an endpoint that was down, a secret that was rotated
or localstripe (which sends each event once) can still leave a payment unheard of. Two cases:

- ``processing`` for more than an hour: a Bancontact or card payment Stripe told us was under
  way, whose ``succeeded`` or ``payment_failed`` never arrived;
- still ``due``/``partially_paid`` with a PaymentIntent started between one hour and three days
  ago: a card payment goes straight from ``requires_payment_method`` to ``succeeded``, so a
  missed webhook and a closed browser tab leave it looking unpaid. Three days is as long as
  Stripe itself keeps retrying; older intents are abandoned attempts.

Each is re-read with ``services.sync_payment_intent``, which records money once per PaymentIntent
and moves the status only forward: a rerun changes nothing more.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from portal.payments import GatewayError, GatewayNotConfigured, PaymentGateway
from vouchers.employers.models import Contribution
from vouchers.employers.services import payments as payment_services

STALE_AFTER = timedelta(hours=1)


LOOK_BACK = timedelta(days=3)


#: Re-read at most this many per run (oldest first); the rest wait for the next hour.
MAX_PER_RUN = 500


@dataclass
class RepairOutcome:
    checked: int = 0
    changed: int = 0
    unreachable: int = 0


def stale_payment_intents(session: Session, *, now: datetime, limit: int = MAX_PER_RUN) -> list[tuple[int, str, str]]:
    """(contribution id, PaymentIntent id, status) of the contributions still waiting for Stripe's word."""
    settled_before = now - STALE_AFTER
    processing = and_(Contribution.status == "processing", Contribution.updated_at <= settled_before)
    started = and_(Contribution.status.in_(("due", "partially_paid")), Contribution.updated_at <= settled_before,
                   Contribution.updated_at > now - LOOK_BACK)
    rows = session.execute(select(Contribution.id, Contribution.payment_intent_id, Contribution.status)
                           .where(Contribution.payment_intent_id.is_not(None), or_(processing, started))
                           .order_by(Contribution.updated_at, Contribution.id).limit(limit))
    return [(cid, intent_id, status) for cid, intent_id, status in rows]


def repair_stale_payments(session: Session, gateway: PaymentGateway, *, today: date, now: datetime) -> RepairOutcome:
    """Re-read each stale PaymentIntent and apply what Stripe says now. Stripe being unreachable for one
    intent is counted and the others go on (the next hour tries again); a portal without card payments
    configured is an error."""
    outcome = RepairOutcome()
    for contribution_id, intent_id, status in stale_payment_intents(session, now=now):
        outcome.checked += 1
        try:
            payment_services.sync_payment_intent(session, gateway, intent_id, today=today, now=now)
        except GatewayNotConfigured:
            raise  # not a passing outage: the job fails, and says why on the scheduler page
        except GatewayError:
            outcome.unreachable += 1
            continue
        contribution = session.get(Contribution, contribution_id)
        if contribution is not None and contribution.status != status:
            outcome.changed += 1
    return outcome
