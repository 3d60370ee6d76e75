"""Refunds of overpaid contributions, by bank transfer to the employer's IBAN, with four eyes.

- One fund administrator **proposes** a refund of (part of) what an employer paid beyond the contribution, with a
  reason; the employer's IBAN is taken then, and the other administrators are told.
- **Another** administrator **approves** it (the one who proposed it may not: the database refuses it too), which
  makes its pain.001 file (one transfer, end-to-end id ``TNW-REFUND-<id>``) and tells the employer; or anyone
  **refuses** it with a reason (the proposer withdrawing it, too).
- The refund is **paid** once the bank executes it (the fund's statement or a pain.002 report, or a person marking
  it paid): only then does the contribution give the money back and the ledger move (``refund_money``); a
  transfer the bank refuses or returns makes it **returned** (``services.transfers``).

What may be refunded is what the contribution received beyond its amount, less the refunds on their way: one
refund at a time per contribution (a unique index), each checked again when it is approved. Services flush and
never commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from stdnum import iban as stdnum_iban
from stdnum.exceptions import ValidationError as StdnumError

from portal import audit
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.notifications.services import fund_admins, notify, page
from portal.schema_fields import MAX_ID
from vouchers.banking.payout_models import (
    OPEN_REFUND_STATUSES,
    ContributionRefund,
    PayoutTransfer,
)
from vouchers.banking.services import payouts, refund_money
from vouchers.banking.services import transfers as transfer_states
from vouchers.employers.models import Contribution, Declaration, Employer
from vouchers.employers.services.contributions import payment_sums, payment_sums_for

MAX_REASON = 2000


def end_to_end_id(refund_id: int) -> str:
    return f"TNW-REFUND-{refund_id}"


def message_id_for(refund_id: int, on: date) -> str:
    return f"TNW-RFND-{on:%Y%m%d}-{refund_id:08d}"


def remittance_text(declaration_id: int) -> str:
    """What the employer's statement shows: the declaration it is about (no 12 digits in a row, so a return of it
    is never taken for a payment with a structured reference)."""
    return f"TNW refund of overpaid contribution, declaration {declaration_id}"


def _clean_reason(reason: str | None, field: str = "reason") -> str:
    text = (reason or "").strip()
    if not text:
        raise ValidationFailed(N_("Please give the reason."), code="reason_required",
                               fields={field: [N_("Please give the reason.")]})
    if len(text) > MAX_REASON:
        raise ValidationFailed(N_("At most 2000 characters."), code="reason_too_long",
                               fields={field: [N_("At most 2000 characters.")]})
    return text


def refundable_cents(session: Session, contribution: Contribution, *, leaving_out: int | None = None) -> int:
    """What the contribution received beyond its amount, less the refunds proposed or approved (but ``leaving_out``)."""
    query = select(func.coalesce(func.sum(ContributionRefund.amount_cents), 0)).where(
        ContributionRefund.contribution_id == contribution.id, ContributionRefund.status.in_(OPEN_REFUND_STATUSES))
    if leaving_out is not None:
        query = query.where(ContributionRefund.id != leaving_out)
    on_the_way = int(session.scalar(query) or 0)
    return max(0, payment_sums(session, contribution.id).net_cents - contribution.amount_cents - on_the_way)


def _employer_account(employer: Employer) -> tuple[str, str]:
    try:
        iban = stdnum_iban.validate(employer.iban or "")
    except StdnumError as exc:
        raise Conflict(N_("The employer's IBAN is not valid: the refund cannot be sent to it. Ask the employer for "
                          "its bank account first."), code="employer_iban_invalid",
                       fields={"iban": [N_("The employer's IBAN is not valid.")]}) from exc
    return iban, employer.company_name.strip()[:140] or employer.enterprise_number


def _parties(session: Session, contribution: Contribution) -> tuple[Declaration, Employer]:
    declaration = session.get(Declaration, contribution.declaration_id)
    assert declaration is not None
    employer = session.get(Employer, declaration.employer_id)
    assert employer is not None
    return declaration, employer


def propose_refund(session: Session, admin: Any, contribution_id: int | None, *, amount_cents: int | None,
                   reason: str | None, now: datetime) -> ContributionRefund:
    """Propose to refund ``amount_cents`` (by default all that may be refunded) of a contribution to its employer.
    422 for a missing reason or contribution, or an amount beyond what may be refunded; 409 when nothing may be
    refunded, a refund of it is already open, or the employer's IBAN is not valid."""
    transfer_states.require_payouts(admin)
    problems: dict[str, list[str]] = {}
    text = (reason or "").strip()
    if not text:
        problems["reason"] = [N_("Please give the reason.")]
    elif len(text) > MAX_REASON:
        problems["reason"] = [N_("At most 2000 characters.")]
    contribution = session.get(Contribution, contribution_id) if contribution_id and contribution_id <= MAX_ID else None
    if contribution is None:
        problems["contribution_id"] = [N_("No contribution has this number.")]
        raise ValidationFailed(N_("The refund cannot be proposed as it is."), fields=problems)
    lock_row(session, contribution)
    available = refundable_cents(session, contribution)
    amount = available if amount_cents is None else amount_cents
    if available > 0 and not 0 < amount <= available:
        problems["amount_cents"] = [N_("Give an amount above zero and at most what was paid too much.")]
    if problems:  # every problem of the form at once
        raise ValidationFailed(N_("The refund cannot be proposed as it is."), fields=problems,
                               extra={"refundable_cents": available})
    if session.scalar(select(ContributionRefund.id).where(ContributionRefund.contribution_id == contribution.id,
                                                          ContributionRefund.status.in_(OPEN_REFUND_STATUSES))):
        raise Conflict(N_("A refund of this contribution is already waiting: decide it first."), code="refund_open")
    if available <= 0:
        raise Conflict(N_("This contribution was not paid more than it asks: there is nothing to refund."),
                       code="nothing_to_refund")
    declaration, employer = _parties(session, contribution)
    iban, name = _employer_account(employer)
    refund = ContributionRefund(contribution_id=contribution.id, amount_cents=amount, iban=iban, account_name=name,
                                reason=text, status="proposed", proposed_by=getattr(admin, "id", None),
                                proposed_at=now)
    session.add(refund)
    session.flush()
    audit.record(session, actor=admin, object_type="contribution_refund", object_id=refund.id, action="proposed",
                 to_state="proposed", reason=f"contribution {contribution.id}: {amount} cents to {iban}: {text}"[:500],
                 now=now)
    others = [user for user in fund_admins(session) if user.id != getattr(admin, "id", None)]
    notify(session, others, "refund_proposed", link=page("refunds.refund", refund_id=refund.id),
           object_type="contribution_refund", object_id=refund.id, amount_cents=amount, number=declaration.id,
           company=employer.company_name, iban=refund_money.masked_iban(iban), reason=text,
           proposer=" ".join(filter(None, (getattr(admin, "first_name", ""), getattr(admin, "last_name", ""))))
           or getattr(admin, "email", ""))
    return refund


def get_refund(session: Session, admin: Any, refund_id: int) -> ContributionRefund:
    transfer_states.require_payouts(admin)
    refund = session.get(ContributionRefund, refund_id)
    if refund is None:
        raise NotFound(N_("This refund does not exist."))
    return refund


def _open(session: Session, admin: Any, refund_id: int, *, status: str) -> ContributionRefund:
    refund = get_refund(session, admin, refund_id)
    lock_row(session, refund)
    if refund.status != status:
        raise Conflict(N_("This refund was already decided."), code="illegal_transition",
                       extra={"refund_status": refund.status})
    return refund


def approve_refund(session: Session, admin: Any, refund_id: int, *, today: date, now: datetime, debtor_iban: str,
                   debtor_name: str, debtor_bic: str | None, xsd_path: str | None = None) -> ContributionRefund:
    """Approve a proposed refund: its pain.001 file is made and the employer told. 403 for the administrator who
    proposed it; 409 when it was decided already, or the contribution no longer holds that much too much."""
    refund = _open(session, admin, refund_id, status="proposed")
    if refund.proposed_by is not None and refund.proposed_by == getattr(admin, "id", None):
        raise Forbidden(N_("Another fund administrator must approve this refund: you proposed it."),
                        code="four_eyes")
    debtor = payouts.clean_debtor(debtor_iban, debtor_name, debtor_bic)
    contribution = session.get(Contribution, refund.contribution_id)
    assert contribution is not None
    lock_row(session, contribution)
    if refundable_cents(session, contribution, leaving_out=refund.id) < refund.amount_cents:
        raise Conflict(N_("The contribution no longer holds that much paid too much (a payment was taken back "
                          "since): refuse this refund and propose a new one."), code="refund_exceeds_overpayment")
    declaration, _employer = _parties(session, contribution)
    message_id = message_id_for(refund.id, today)
    payment = payouts.Payment(refund.account_name, refund.iban, refund.amount_cents, end_to_end_id(refund.id),
                              remittance_text(declaration.id))
    xml = payouts.build_credit_transfers(debtor, [payment], message_id=message_id, execution_on=today, now=now)
    if xsd_path:
        payouts.validate_pain001(xml, xsd_path)
    refund.status = "approved"
    refund.decided_by = getattr(admin, "id", None)
    refund.decided_at = now
    refund.message_id = message_id
    refund.xml = xml.decode("utf-8")
    refund.execution_on = today
    session.add(PayoutTransfer(refund_id=refund.id, end_to_end_id=payment.end_to_end_id, creditor_name=payment.name,
                               creditor_iban=payment.iban, amount_cents=payment.amount_cents, status="pending",
                               created_at=now, updated_at=now))
    audit.record(session, actor=admin, object_type="contribution_refund", object_id=refund.id,
                 action="status_changed", from_state="proposed", to_state="approved", reason=message_id, now=now)
    refund_money.tell_employer(session, refund, "contribution_refund_sent")
    session.flush()
    return refund


def refuse_refund(session: Session, admin: Any, refund_id: int, *, reason: str | None,
                  now: datetime) -> ContributionRefund:
    """Refuse a proposed refund with a reason (its proposer may withdraw it so). 409 once it was decided."""
    text = _clean_reason(reason)
    refund = _open(session, admin, refund_id, status="proposed")
    refund.status = "refused"
    refund.decided_by = getattr(admin, "id", None)
    refund.decided_at = now
    refund.decision_reason = text
    audit.record(session, actor=admin, object_type="contribution_refund", object_id=refund.id,
                 action="status_changed", from_state="proposed", to_state="refused", reason=text[:500], now=now)
    session.flush()
    return refund


def refund_transfer(session: Session, refund: ContributionRefund) -> PayoutTransfer | None:
    return session.scalar(select(PayoutTransfer).where(PayoutTransfer.refund_id == refund.id))


def mark_refund_paid(session: Session, admin: Any, refund_id: int, *, today: date, now: datetime) -> ContributionRefund:
    """A person says the bank executed the refund's file: the contribution gives the money back, once. 409 unless
    the refund is approved and its transfer still waits for the bank."""
    refund = _open(session, admin, refund_id, status="approved")
    transfer = refund_transfer(session, refund)
    if transfer is None or not transfer_states.mark_paid(session, transfer, on=today, now=now, actor=admin,
                                                         by_hand="refund marked paid by hand"):
        raise Conflict(N_("This refund was already decided."), code="illegal_transition",
                       extra={"refund_status": refund.status})
    return refund


def list_refunds(session: Session, admin: Any, *, status: str | None = None, limit: int = 50,
                 before_id: int | None = None) -> list[ContributionRefund]:
    """Newest first (keyset pages: ask for ``limit + 1`` to know if more follow)."""
    transfer_states.require_payouts(admin)
    query = select(ContributionRefund)
    if status:
        query = query.where(ContributionRefund.status == status)
    if before_id is not None:
        query = query.where(ContributionRefund.id < before_id)
    return list(session.scalars(query.order_by(ContributionRefund.id.desc()).limit(limit)))


def overpaid_contributions(session: Session, admin: Any, *, limit: int = 50) -> list[tuple[Contribution, Employer, int]]:
    """Overpaid contributions with something left to refund, oldest first: each with its employer and that sum
    (three queries whatever the number)."""
    transfer_states.require_payouts(admin)
    rows = list(session.execute(
        select(Contribution, Employer).join(Declaration, Declaration.id == Contribution.declaration_id)
        .join(Employer, Employer.id == Declaration.employer_id)
        .where(Contribution.status == "overpaid").order_by(Contribution.id).limit(limit)).tuples())
    ids = [contribution.id for contribution, _employer in rows]
    sums = payment_sums_for(session, ids)
    on_the_way = dict(session.execute(
        select(ContributionRefund.contribution_id, func.sum(ContributionRefund.amount_cents))
        .where(ContributionRefund.contribution_id.in_(ids), ContributionRefund.status.in_(OPEN_REFUND_STATUSES))
        .group_by(ContributionRefund.contribution_id)).all()) if ids else {}
    found = []
    for contribution, employer in rows:
        paid = sums[contribution.id].net_cents if contribution.id in sums else 0
        left = paid - contribution.amount_cents - int(on_the_way.get(contribution.id, 0))
        if left > 0:
            found.append((contribution, employer, left))
    return found


def refund_context(session: Session, refund: ContributionRefund) -> dict[str, Any]:
    """What a page or the API shows beside a refund: its contribution, declaration and employer, and its transfer."""
    contribution = session.get(Contribution, refund.contribution_id)
    assert contribution is not None
    declaration, employer = _parties(session, contribution)
    return {"contribution": contribution, "declaration": declaration, "employer": employer,
            "transfer": refund_transfer(session, refund)}
