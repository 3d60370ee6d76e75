"""What the bank did with each transfer of our pain.001 files, and what follows from it.

A transfer is ``pending`` until the bank says something final. Three sources say it, all through ``mark_paid`` and
``mark_failed``: the fund's own statement (``services.outgoing``: a debit naming the transfer, a credit bringing it
back), a pain.002 status report (``services.status_reports``), or a person (a batch marked paid by hand, a return
recorded by hand). Each change happens once: the transfer is locked and its state checked first, so the same
news twice, or from two sources, books nothing twice.

- **Paid:** a claim becomes ``paid`` and the money leaves the ledger (cash and payable, each minus the claim's
  amount); a refund becomes ``paid`` and the contribution gives the money back (``refund_money``).
- **Refused before it was paid:** nothing was booked, so nothing is undone; the claim waits for a new batch (or
  the refund is ``returned``).
- **Returned after it was paid:** counter-entries of the same kinds bring the money back (the ledger is
  append-only), and the claim is ``approved`` again, out of its batch, waiting for a new one.

The provider (or the employer) is told each time, and every change is in the audit log. Services flush and never
commit.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import select

from coaching.claims.models import Claim
from coaching.claims.services import tell_provider
from portal import audit
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.notifications.services import Msg, notify, page, provider_admins
from portal.permissions import Permission, can
from vouchers.banking import pain002
from vouchers.banking.models import BankLine, PayoutBatch
from vouchers.banking.payout_models import (
    ContributionRefund,
    PayoutStatusReport,
    PayoutTransfer,
)
from vouchers.banking.services import refund_money
from vouchers.ledger.services import entries as ledger

MAX_REASON = 500


def require_payouts(actor: Any) -> None:
    if not can(actor, Permission.ADMIN_PAYOUTS_MANAGE):
        raise Forbidden(N_("Only the fund's administrators may do this."))


def get_transfer(session: Any, actor: Any, transfer_id: int) -> PayoutTransfer:
    require_payouts(actor)
    transfer = session.get(PayoutTransfer, transfer_id)
    if transfer is None:
        raise NotFound(N_("This transfer does not exist."))
    return transfer


def list_transfers(session: Any, actor: Any, *, batch_id: int | None = None, status: str | None = None,
                   limit: int = 50, after_id: int | None = None) -> list[PayoutTransfer]:
    """Transfers in the order they were made (keyset pages: ask for ``limit + 1`` to know if more follow)."""
    require_payouts(actor)
    query = select(PayoutTransfer)
    if batch_id is not None:
        query = query.where(PayoutTransfer.batch_id == batch_id)
    if status:
        query = query.where(PayoutTransfer.status == status)
    if after_id is not None:
        query = query.where(PayoutTransfer.id > after_id)
    return list(session.scalars(query.order_by(PayoutTransfer.id).limit(limit)))


def transfers_of_batch(session: Any, batch_id: int) -> list[PayoutTransfer]:
    return list(session.scalars(select(PayoutTransfer).where(PayoutTransfer.batch_id == batch_id)
                                .order_by(PayoutTransfer.id)))


def _where(transfer: PayoutTransfer) -> str:
    if transfer.claim_id is not None:
        return f"claim {transfer.claim_id}, payout batch {transfer.batch_id}"
    return f"refund {transfer.refund_id}"


def told_reason(reason_code: str | None, reason: str | None, *, came_back: bool = False) -> str:
    """Why a transfer failed, as the people told read it: the usual ISO reasons in words of their language."""
    if reason_code and reason_code.upper() in pain002.REASON_WORDS:
        return Msg(pain002.REASON_WORDS[reason_code.upper()])
    if reason_code or reason:
        return " ".join(part for part in (reason_code, reason) if part)
    return Msg(N_("the bank sent the money back") if came_back else pain002.REASON_WORDS["MS03"])


def _source_text(line: BankLine | None, report: PayoutStatusReport | None, by_hand: str | None) -> str:
    if line is not None:
        return f"bank line {line.id}"
    if report is not None:
        return f"pain.002 {report.message_id}"
    return by_hand or "by hand"


def mark_paid(session: Any, transfer: PayoutTransfer, *, on: date, now: datetime, actor: Any = None,
              line: BankLine | None = None, report: PayoutStatusReport | None = None, by_hand: str | None = None) -> bool:
    """The bank executed the transfer. Returns whether anything changed: a transfer already paid only gains the
    statement line that shows it (when it had none); a refused or returned one stays as it is."""
    lock_row(session, transfer)
    if transfer.status != "pending":
        if transfer.status == "paid" and line is not None and transfer.paid_line_id is None:
            transfer.paid_line_id = line.id
        return False
    source = _source_text(line, report, by_hand)
    if transfer.claim_id is not None:
        _claim_paid(session, transfer, on=on, now=now, actor=actor, source=source)
    else:
        _refund_paid(session, transfer, on=on, now=now, actor=actor)
    transfer.status = "paid"
    transfer.paid_on = on
    transfer.paid_line_id = line.id if line is not None else transfer.paid_line_id
    transfer.status_report_id = report.id if report is not None else transfer.status_report_id
    transfer.updated_at = now
    audit.record(session, actor=actor, object_type="payout_transfer", object_id=transfer.id, action="status_changed",
                 from_state="pending", to_state="paid", reason=f"{transfer.end_to_end_id} ({_where(transfer)}): {source}",
                 now=now)
    if transfer.batch_id is not None:
        settle_batch(session, transfer.batch_id, on=on, now=now, actor=actor)
    session.flush()
    return True


def mark_failed(session: Any, transfer: PayoutTransfer, *, on: date, now: datetime, actor: Any = None,
                reason_code: str | None = None, reason: str | None = None, line: BankLine | None = None,
                report: PayoutStatusReport | None = None, by_hand: str | None = None) -> str | None:
    """The bank refused the transfer, or gave its money back. Returns the new state (``rejected``: refused while
    nothing was booked; ``returned``: its money had left, or was on its way), or None when it had already failed."""
    lock_row(session, transfer)
    if transfer.status not in ("pending", "paid"):
        return None
    was_paid = transfer.status == "paid"
    target = "returned" if was_paid or line is not None else "rejected"
    source = _source_text(line, report, by_hand)
    why = " ".join(part for part in (reason_code, reason) if part) or source
    told = told_reason(reason_code, reason, came_back=line is not None)
    if transfer.claim_id is not None:
        _claim_failed(session, transfer, was_paid=was_paid, on=on, now=now, actor=actor, why=why, told=told)
    else:
        _refund_failed(session, transfer, was_paid=was_paid, on=on, now=now, actor=actor, why=why, told=told)
    transfer.status = target
    transfer.failed_on = on
    transfer.reason_code = reason_code
    transfer.reason = (reason or "")[:MAX_REASON] or None
    transfer.return_line_id = line.id if line is not None else transfer.return_line_id
    transfer.status_report_id = report.id if report is not None else transfer.status_report_id
    transfer.updated_at = now
    audit.record(session, actor=actor, object_type="payout_transfer", object_id=transfer.id, action="status_changed",
                 from_state="paid" if was_paid else "pending", to_state=target,
                 reason=f"{transfer.end_to_end_id} ({_where(transfer)}): {source}: {why}"[:500], now=now)
    if transfer.batch_id is not None:
        settle_batch(session, transfer.batch_id, on=on, now=now, actor=actor)
    session.flush()
    return target


def settle_batch(session: Any, batch_id: int, *, on: date, now: datetime, actor: Any = None) -> None:
    """A batch is done once none of its transfers waits: ``paid`` when the bank paid any, ``rejected`` when it
    refused them all. A transfer returned later leaves a paid batch paid: the file was executed."""
    batch = session.get(PayoutBatch, batch_id)
    if batch is None:
        return
    lock_row(session, batch)  # two imports settling its last two transfers at once: the second one sees the first
    if batch.status != "created":
        return
    statuses = [status for (status,) in session.execute(select(PayoutTransfer.status)
                                                          .where(PayoutTransfer.batch_id == batch_id))]
    if not statuses or "pending" in statuses:
        return
    target = "rejected" if all(status == "rejected" for status in statuses) else "paid"
    batch.status = target
    if target == "paid":
        batch.paid_on = on
        batch.paid_by = getattr(actor, "id", None)
    audit.record(session, actor=actor, object_type="payout_batch", object_id=batch.id, action="status_changed",
                 from_state="created", to_state=target,
                 reason=f"{statuses.count('paid')} paid, {statuses.count('rejected')} rejected, "
                        f"{statuses.count('returned')} returned",
                 now=now)


# --- what it means for a claim ----------------------------------------------------------------------------


def _claim(session: Any, transfer: PayoutTransfer) -> Claim:
    claim = session.get(Claim, transfer.claim_id)
    assert claim is not None
    lock_row(session, claim)
    return claim


def _claim_paid(session: Any, transfer: PayoutTransfer, *, on: date, now: datetime, actor: Any, source: str) -> None:
    claim = _claim(session, transfer)
    if claim.status != "approved":
        raise Conflict(N_("Some claims of this batch cannot be paid: they are not approved any more."),
                       code="claims_not_payable", fields={"claims": [f"claim {claim.id}: {claim.status}"]})
    claim.status = "paid"
    claim.paid_on = on
    if claim.amount_cents:
        for account in ("cash", "payable"):
            ledger.post(session, account=account, kind="claim_paid", amount_cents=-claim.amount_cents, booked_on=on,
                        voucher_id=claim.voucher_id, claim_id=claim.id,
                        memo=f"payout batch {transfer.batch_id}, {transfer.end_to_end_id}")
    audit.record(session, actor=actor, object_type="claim", object_id=claim.id, action="status_changed",
                 from_state="approved", to_state="paid", reason=f"payout batch {transfer.batch_id}: {source}", now=now)
    tell_provider(session, claim, "claim_paid")


def _claim_failed(session: Any, transfer: PayoutTransfer, *, was_paid: bool, on: date, now: datetime, actor: Any,
                  why: str, told: str) -> None:
    claim = _claim(session, transfer)
    before = claim.status
    if was_paid and claim.amount_cents:
        # The money is back: counter-entries of the payment, never a change to it.
        for account in ("cash", "payable"):
            ledger.post(session, account=account, kind="claim_paid", amount_cents=claim.amount_cents, booked_on=on,
                        voucher_id=claim.voucher_id, claim_id=claim.id,
                        memo=f"returned by the bank: {transfer.end_to_end_id} {why}"[:200])
    claim.status = "approved"
    claim.paid_on = None
    claim.payout_batch_id = None  # waits for the next batch, in a new transfer
    audit.record(session, actor=actor, object_type="claim", object_id=claim.id, action="status_changed",
                 from_state=before, to_state="approved",
                 reason=f"transfer {transfer.end_to_end_id} of payout batch {transfer.batch_id} failed: {why}"[:500],
                 now=now)
    notify(session, provider_admins(session, claim.provider_id), "claim_payout_returned", link=page("claims.claims"),
           object_type="claim", object_id=claim.id, number=claim.id, amount_cents=claim.amount_cents,
           iban=refund_money.masked_iban(transfer.creditor_iban), reason=told)


# --- what it means for a refund ---------------------------------------------------------------------------


def _refund(session: Any, transfer: PayoutTransfer) -> ContributionRefund:
    refund = session.get(ContributionRefund, transfer.refund_id)
    assert refund is not None
    lock_row(session, refund)
    return refund


def _refund_paid(session: Any, transfer: PayoutTransfer, *, on: date, now: datetime, actor: Any) -> None:
    refund = _refund(session, transfer)
    refund_money.book(session, refund, on=on, now=now, actor=actor)
    audit.record(session, actor=actor, object_type="contribution_refund", object_id=refund.id,
                 action="status_changed", from_state=refund.status, to_state="paid", now=now)
    refund.status = "paid"


def _refund_failed(session: Any, transfer: PayoutTransfer, *, was_paid: bool, on: date, now: datetime, actor: Any,
                   why: str, told: str) -> None:
    refund = _refund(session, transfer)
    if was_paid:
        refund_money.book(session, refund, on=on, now=now, actor=actor, returned=True, reason=why)
    audit.record(session, actor=actor, object_type="contribution_refund", object_id=refund.id,
                 action="status_changed", from_state=refund.status, to_state="returned", reason=why[:500], now=now)
    refund.status = "returned"
    refund_money.tell_employer(session, refund, "contribution_refund_returned", reason=told)


# --- a return recorded by a person ------------------------------------------------------------------------


def record_return(session: Any, actor: Any, transfer_id: int, *, reason: str, reason_code: str | None = None,
                  line_id: int | None = None, today: date, now: datetime) -> PayoutTransfer:
    """A person records that the bank refused or gave back a transfer (a letter, a line the import did not
    recognise). With ``line_id``, the fund's statement line that brought the money back."""
    transfer = get_transfer(session, actor, transfer_id)
    text = (reason or "").strip()
    problems: dict[str, list[str]] = {}
    if not text:
        problems["reason"] = [N_("Please give the reason.")]
    elif len(text) > MAX_REASON:
        problems["reason"] = [N_("At most 500 characters.")]
    code = (reason_code or "").strip().upper() or None
    if code is not None and (len(code) > 35 or not code.isalnum()):
        problems["reason_code"] = [N_("A reason code is letters and digits, like AC04.")]
    line = None
    if line_id is not None:
        line = session.get(BankLine, line_id)
        taken = line is not None and session.scalar(select(PayoutTransfer.id).where(
            PayoutTransfer.return_line_id == line.id, PayoutTransfer.id != transfer.id))
        if (line is None or line.direction != "credit" or line.amount_cents != transfer.amount_cents or taken
                or not (line.status == "unmatched" or (line.status, line.ignore_reason) == ("ignored", "reversal"))):
            problems["line_id"] = [N_("Give a credit line of the fund's statement for the transfer's amount, that "
                                      "paid no contribution and brought no other transfer back.")]
    if problems:
        raise ValidationFailed(N_("The return cannot be recorded as it is."), fields=problems)
    if code is None and line is not None:
        code = line.return_reason_code  # the reason the bank gave on the statement
    if transfer.status not in ("pending", "paid"):
        raise Conflict(N_("This transfer was already refused or returned."), code="transfer_already_failed",
                       extra={"transfer_status": transfer.status})
    mark_failed(session, transfer, on=line.booked_on if line is not None else today, now=now, actor=actor,
                reason_code=code, reason=text, line=line, by_hand="recorded by hand")
    if line is not None and line.status == "unmatched" and line.hold_reason is None:
        set_line_aside(session, line, transfer, actor=actor, now=now)
    return transfer


def set_line_aside(session: Any, line: BankLine, transfer: PayoutTransfer, *, actor: Any, now: datetime) -> None:
    """A credit that brought a transfer of ours back is no contribution's money: it leaves the queue, as a
    reversal of money out."""
    line.status = "ignored"
    line.ignore_reason = "reversal"
    line.decided_by = getattr(actor, "id", None)
    line.decided_at = now
    line.decision_reason = f"returned transfer {transfer.end_to_end_id} ({_where(transfer)})"
    audit.record(session, actor=actor, object_type="bank_line", object_id=line.id, action="payout_returned",
                 from_state="unmatched", to_state="ignored", reason=line.decision_reason, now=now)

