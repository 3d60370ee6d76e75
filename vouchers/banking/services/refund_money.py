"""A refund's money on its contribution: when the bank pays it, the contribution gives the money back (a negative
payment and a ``contribution_refunded`` ledger entry); when the bank returns it, a counter-entry of each brings the
money back. Nothing is ever changed or deleted. The contribution's state follows its money (an overpaid one
refunded of its excess is ``paid``), and the employer is told."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from portal import audit
from portal.db import lock_row
from portal.notifications.services import notify, page
from vouchers.banking.payout_models import ContributionRefund
from vouchers.employers import domain
from vouchers.employers.models import Contribution, ContributionPayment, Declaration
from vouchers.employers.services.contributions import payment_sums
from vouchers.employers.services.deadlines import people_to_tell
from vouchers.ledger.services import entries as ledger


def payment_id(refund: ContributionRefund, *, returned: bool = False) -> str:
    """The external id of the refund's payment in ``contribution_payments`` (and of its counter-entry)."""
    return f"refund-{refund.id}-returned" if returned else f"refund-{refund.id}"


def book(session: Any, refund: ContributionRefund, *, on: date, now: datetime, actor: Any = None,
         returned: bool = False, reason: str = "") -> Contribution:
    """Record the refund's money once: out when the bank paid it, back when the bank returned it."""
    contribution = session.get(Contribution, refund.contribution_id)
    assert contribution is not None
    lock_row(session, contribution)
    external_id = payment_id(refund, returned=returned)
    if session.scalar(select(ContributionPayment.id).where(ContributionPayment.external_id == external_id)):
        return contribution
    amount = refund.amount_cents if returned else -refund.amount_cents
    session.add(ContributionPayment(contribution_id=contribution.id, source="bank", amount_cents=amount,
                                    kind="payment" if returned else "refund",
                                    external_id=external_id, booked_on=on, created_at=now))
    ledger.post(session, account="cash", kind="contribution_refunded", amount_cents=amount, booked_on=on,
                contribution_id=contribution.id,
                memo=(f"refund {refund.id} returned by the bank" if returned else f"refund {refund.id} by transfer"))
    session.flush()
    new_status = domain.contribution_status(contribution.amount_cents, payment_sums(session, contribution.id),
                                            in_flight=contribution.status == "processing")
    if new_status != contribution.status:
        audit.record(session, actor=actor, object_type="contribution", object_id=contribution.id,
                     action="status_changed", from_state=contribution.status, to_state=new_status,
                     reason=(f"refund {refund.id} returned: {reason}" if returned else f"refund {refund.id} paid")[:500],
                     now=now)
        contribution.status = new_status
        contribution.updated_at = now
    return contribution


def tell_employer(session: Any, refund: ContributionRefund, kind: str, **params: Any) -> None:
    """The employer's users and agents hear of the refund (sent, or come back), on the declaration's page."""
    contribution = session.get(Contribution, refund.contribution_id)
    declaration = session.get(Declaration, contribution.declaration_id) if contribution else None
    if declaration is None:
        return
    notify(session, people_to_tell(session, declaration.employer_id), kind,
           link=page("employers.declaration", declaration_id=declaration.id), object_type="dismissal_declaration",
           object_id=declaration.id, number=declaration.id, amount_cents=refund.amount_cents,
           iban=masked_iban(refund.iban), **params)


def masked_iban(iban: str) -> str:
    """The account as people recognise it, without writing all of it into an e-mail: BE71 •••• 6769."""
    compact = (iban or "").replace(" ", "")
    return f"{compact[:4]} •••• {compact[-4:]}" if len(compact) > 8 else compact
