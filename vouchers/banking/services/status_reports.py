"""pain.002 status reports uploaded by a fund administrator: what the bank says of the transfers of one of our
pain.001 files (a payout batch, or a refund), applied through ``services.transfers``.

- The report names the file by its message id; a report about a file the portal did not make is refused (422).
- Each transfer takes the most precise status given: its own (``TxInfAndSts``, found by end-to-end id), else its
  payment block's, else the whole file's. Accepted: paid. Rejected: refused if it was waiting, returned if it was
  paid already (a rejection after acceptance). A status that is not final (received, technically valid, pending,
  "partially accepted" for the file as a whole) changes nothing: the fund's statement or a later report settles it.
- The same report twice (same bytes, or the bank's same message id) changes nothing and answers as the first did.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from portal import audit
from portal.clock import BRUSSELS
from portal.errors import N_, NotFound, ValidationFailed
from vouchers.banking import pain002
from vouchers.banking.models import PayoutBatch
from vouchers.banking.payout_models import (
    ContributionRefund,
    PayoutStatusReport,
    PayoutTransfer,
)
from vouchers.banking.services import transfers as transfer_states


class InvalidStatusReport(ValidationFailed):
    """The upload is no pain.002 report we can read, or not about a file of ours (422; 413 when too large).
    ``template``/``params`` translate it."""

    def __init__(self, template: str, code: str, **params: Any):
        message = template % params if params else template
        super().__init__(message, code=code, fields={"file": [message]})
        self.template = template
        self.params = params
        if code == "file_too_large":
            self.status = 413


@dataclass
class ReportImport:
    report: PayoutStatusReport
    duplicate: bool
    changed: list[PayoutTransfer] = field(default_factory=list)


def read_upload(stream: Any) -> bytes:
    """At most one byte more than a report may have, so a larger one is refused without reading it all."""
    return stream.read(pain002.MAX_FILE_BYTES + 1)


def _statuses(report: pain002.StatusReport) -> tuple[dict[str, pain002.TransactionStatus], list[pain002.PaymentStatus]]:
    by_id: dict[str, pain002.TransactionStatus] = {}
    for block in report.payments:
        for tx in block.transactions:
            key = (tx.end_to_end_id or tx.instruction_id or "").upper()
            if key and (tx.status is not None or key not in by_id):
                by_id[key] = tx
    return by_id, list(report.payments)


def _block_of(blocks: list[pain002.PaymentStatus], message_id: str) -> pain002.PaymentStatus | None:
    """Our files have one payment block (``<message id>-1``): its status, when the report gives one."""
    for block in blocks:
        if block.status is not None and (block.payment_info_id or "").upper() in ("", f"{message_id}-1".upper()):
            return block
    return None


def _verdict(transfer: PayoutTransfer, txs: dict[str, pain002.TransactionStatus],
             block: pain002.PaymentStatus | None, report: pain002.StatusReport) -> tuple[str | None, pain002.Reason]:
    tx = txs.get(transfer.end_to_end_id.upper())
    if tx is not None and tx.status is not None:
        return tx.status, tx.reason or (block.reason if block else pain002.Reason()) or report.group_reason
    if block is not None:
        return block.status, (tx.reason if tx else None) or block.reason or report.group_reason
    if report.group_status is not None and report.group_status != "PART":
        return report.group_status, (tx.reason if tx else None) or report.group_reason
    return None, pain002.Reason()


def import_status_report(session: Session, admin: Any, data: bytes, *, file_name: str | None, today: date,
                         now: datetime) -> ReportImport:
    """Apply a pain.002 file to the transfers of the file it is about."""
    transfer_states.require_payouts(admin)
    try:
        parsed = pain002.parse_status_report(data)
    except pain002.StatusReportError as error:
        raise InvalidStatusReport(error.template, error.code, **error.params) from error
    known = session.scalar(select(PayoutStatusReport).where(or_(PayoutStatusReport.file_sha256 == parsed.sha256,
                                                                PayoutStatusReport.message_id == parsed.message_id)))
    if known is not None:
        return ReportImport(known, duplicate=True)
    original = parsed.original_message_id.upper()
    batch = session.scalar(select(PayoutBatch).where(PayoutBatch.message_id == original))
    refund = None if batch else session.scalar(select(ContributionRefund).where(
        ContributionRefund.message_id == original))
    if batch is None and refund is None:
        raise InvalidStatusReport(N_("This status report is about the file %(id)s, which this portal did not make."),
                                  "pain002_unknown_file", id=parsed.original_message_id)
    if batch is not None:
        transfers = transfer_states.transfers_of_batch(session, batch.id)
    else:
        transfers = list(session.scalars(select(PayoutTransfer).where(PayoutTransfer.refund_id == refund.id)))
    row = PayoutStatusReport(message_id=parsed.message_id, original_message_id=parsed.original_message_id,
                             version=parsed.version, group_status=parsed.group_status,
                             created_at_bank=parsed.created_at, file_name=(file_name or "")[:255] or None,
                             file_sha256=parsed.sha256, batch_id=batch.id if batch else None,
                             refund_id=refund.id if refund else None, paid_count=0, rejected_count=0,
                             returned_count=0, unchanged_count=0, imported_at=now,
                             imported_by=getattr(admin, "id", None))
    session.add(row)
    session.flush()
    on = min(parsed.created_at.astimezone(BRUSSELS).date(), today) if parsed.created_at else today
    txs, blocks = _statuses(parsed)
    block = _block_of(blocks, original)
    result = ReportImport(row, duplicate=False)
    for transfer in transfers:
        status, reason = _verdict(transfer, txs, block, parsed)
        outcome = pain002.outcome(status)
        if outcome == "paid" and transfer.amount_cents > 0 and transfer_states.mark_paid(
                session, transfer, on=on, now=now, actor=admin, report=row):
            row.paid_count += 1
            result.changed.append(transfer)
        elif outcome == "rejected" and transfer.amount_cents > 0 and (state := transfer_states.mark_failed(
                session, transfer, on=on, now=now, actor=admin, reason_code=reason.code, reason=reason.text,
                report=row)):
            row.rejected_count += state == "rejected"
            row.returned_count += state == "returned"
            result.changed.append(transfer)
        else:
            row.unchanged_count += 1
    ours = {transfer.end_to_end_id.upper() for transfer in transfers}
    unknown = sorted(key for key in txs if key not in ours)
    row.unknown_ids = " ".join(unknown)[:4000] or None
    audit.record(session, actor=admin, object_type="payout_status_report", object_id=row.id, action="imported",
                 reason=f"{parsed.message_id} about {parsed.original_message_id} ({parsed.group_status or '-'}): "
                        f"{row.paid_count} paid, {row.rejected_count} rejected, {row.returned_count} returned, "
                        f"{row.unchanged_count} unchanged, {len(unknown)} unknown"[:500], now=now)
    session.flush()
    return result


def get_report(session: Session, admin: Any, report_id: int) -> PayoutStatusReport:
    transfer_states.require_payouts(admin)
    report = session.get(PayoutStatusReport, report_id)
    if report is None:
        raise NotFound(N_("This status report does not exist."))
    return report


def list_reports(session: Session, admin: Any, *, limit: int = 50,
                 before_id: int | None = None) -> list[PayoutStatusReport]:
    """Newest first."""
    transfer_states.require_payouts(admin)
    query = select(PayoutStatusReport)
    if before_id is not None:
        query = query.where(PayoutStatusReport.id < before_id)
    return list(session.scalars(query.order_by(PayoutStatusReport.id.desc()).limit(limit)))


def transfers_told_by(session: Session, report: PayoutStatusReport) -> list[PayoutTransfer]:
    """The transfers this report changed last."""
    return list(session.scalars(select(PayoutTransfer).where(PayoutTransfer.status_report_id == report.id)
                                .order_by(PayoutTransfer.id)))
