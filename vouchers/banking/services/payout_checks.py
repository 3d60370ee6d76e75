"""The payout part of the ledger consistency check (``ledger.services.consistency`` runs it): payout batches, their
transfers, the claims they pay and the refunds, agree with each other.

- A batch's count and total are those of its transfers (one per claim put in it); a batch waiting for the bank
  has a transfer waiting, a settled one has none (and a ``rejected`` one only refused transfers).
- A claim in a batch has its live transfer there (waiting or paid), and its state is the transfer's: approved
  while the transfer waits, paid once it is paid; a claim has at most one live transfer (a unique index, too).
- A refund's state is its transfer's: approved while it waits, paid, or returned once the bank refused or
  returned it.

One grouped query each; each mismatch one plain line.
"""

from __future__ import annotations

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import Session

from coaching.claims.models import Claim
from vouchers.banking.models import PayoutBatch
from vouchers.banking.payout_models import ContributionRefund, PayoutTransfer

#: The claim's state a live transfer of it says, and the refund's state each transfer state says.
CLAIM_STATE_OF_TRANSFER = {"pending": "approved", "paid": "paid"}


REFUND_STATE_OF_TRANSFER = {"pending": "approved", "paid": "paid", "rejected": "returned", "returned": "returned"}


def _batches(session: Session) -> list[str]:
    members = (
        select(PayoutTransfer.batch_id.label("batch_id"), func.count(PayoutTransfer.id).label("n"),
               func.sum(PayoutTransfer.amount_cents).label("total"),
               func.sum(case((PayoutTransfer.status == "pending", 1), else_=0)).label("waiting"),
               func.sum(case((PayoutTransfer.status == "rejected", 1), else_=0)).label("rejected"))
        .where(PayoutTransfer.batch_id.is_not(None)).group_by(PayoutTransfer.batch_id).subquery())
    rows = session.execute(
        select(PayoutBatch.id, PayoutBatch.status, PayoutBatch.claim_count, PayoutBatch.total_cents,
               *(func.coalesce(column, 0) for column in (members.c.n, members.c.total, members.c.waiting,
                                                         members.c.rejected)))
        .outerjoin(members, members.c.batch_id == PayoutBatch.id).order_by(PayoutBatch.id))
    problems = []
    for batch_id, status, count, total, n, transfers_total, waiting, rejected in rows:
        n, transfers_total, waiting, rejected = int(n), int(transfers_total), int(waiting), int(rejected)
        if (count, total) != (n, transfers_total):
            problems.append(f"payout batch {batch_id}: {count} claims / {total} cents recorded, "
                            f"but its claims are {n} / {transfers_total} cents")
        if status == "created" and n and not waiting:
            problems.append(f"payout batch {batch_id} (created): none of its transfers waits for the bank")
        elif status != "created" and waiting:
            problems.append(f"payout batch {batch_id} ({status}): {waiting} of its transfers still wait for the bank")
        if status == "rejected" and rejected != n:
            problems.append(f"payout batch {batch_id} (rejected): {n - rejected} of its transfers were not refused")
    return problems


def _claims(session: Session) -> list[str]:
    live = PayoutTransfer.status.in_(tuple(CLAIM_STATE_OF_TRANSFER))
    rows = session.execute(
        select(Claim.id, Claim.status, Claim.payout_batch_id, PayoutTransfer.batch_id, PayoutTransfer.status,
               PayoutTransfer.end_to_end_id)
        .outerjoin(PayoutTransfer, and_(PayoutTransfer.claim_id == Claim.id, live))
        .where(Claim.payout_batch_id.is_not(None) | PayoutTransfer.id.is_not(None))
        .order_by(Claim.id, PayoutTransfer.id))
    problems, seen = [], set()
    for claim_id, status, batch_id, transfer_batch, transfer_status, end_to_end in rows:
        if claim_id in seen:
            problems.append(f"claim {claim_id} has more than one transfer waiting or paid")
            continue
        seen.add(claim_id)
        where = f"claim {claim_id} ({status}"
        if transfer_status is None:
            problems.append(f"{where}, payout batch {batch_id}): no transfer of it waits or is paid in that batch")
        elif transfer_batch != batch_id:
            problems.append(f"{where}, payout batch {batch_id}): its transfer {end_to_end} is in payout batch "
                            f"{transfer_batch}")
        elif CLAIM_STATE_OF_TRANSFER[transfer_status] != status:
            problems.append(f"{where}): its transfer {end_to_end} is {transfer_status}")
    lost = session.scalars(select(Claim.id).where(Claim.payout_batch_id.is_not(None),
                                                  ~select(PayoutBatch.id).where(
                                                      PayoutBatch.id == Claim.payout_batch_id).exists())
                           .order_by(Claim.id)).all()
    problems.extend(f"claim {claim_id} names a payout batch that does not exist" for claim_id in lost)
    return problems


def _refunds(session: Session) -> list[str]:
    rows = session.execute(
        select(ContributionRefund.id, ContributionRefund.status, ContributionRefund.amount_cents,
               PayoutTransfer.status, PayoutTransfer.amount_cents)
        .outerjoin(PayoutTransfer, PayoutTransfer.refund_id == ContributionRefund.id)
        .where(ContributionRefund.status.not_in(("proposed", "refused")) | PayoutTransfer.id.is_not(None))
        .order_by(ContributionRefund.id))
    problems = []
    for refund_id, status, amount, transfer_status, transfer_amount in rows:
        if transfer_status is None:
            problems.append(f"refund {refund_id} ({status}): it has no transfer")
        elif REFUND_STATE_OF_TRANSFER[transfer_status] != status:
            problems.append(f"refund {refund_id} ({status}): its transfer is {transfer_status}")
        elif transfer_amount != amount:
            problems.append(f"refund {refund_id}: {amount} cents, but its transfer {transfer_amount}")
    return problems


def payout_problems(session: Session) -> list[str]:
    """Every disagreement between payout batches, transfers, claims and refunds; empty when all agree."""
    return _batches(session) + _claims(session) + _refunds(session)
