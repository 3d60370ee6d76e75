"""JSON API of payouts followed to the bank: each transfer of our pain.001 files, a return recorded by hand, and the
bank's pain.002 status reports (the fund's own statement debits and returns are read by the statement import)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from portal.api_views import endpoint
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.mail import commit
from portal.pagination import decode_id_cursor, id_page
from portal.permissions import Permission
from portal.schema_fields import ListQuerySchema
from vouchers.banking.payout_models import PayoutStatusReport, PayoutTransfer
from vouchers.banking.payout_schemas import (
    ReturnSchema,
    StatusReportListSchema,
    StatusReportResultSchema,
    StatusReportSchema,
    StatusReportUploadSchema,
    TransferListQuerySchema,
    TransferListSchema,
    TransferSchema,
)
from vouchers.banking.services import status_reports
from vouchers.banking.services import transfers as transfer_services

blp = Blueprint("payout_transfers_api", __name__,
                description="Payouts followed to the bank: transfers, returns and pain.002 status reports")


TRANSFER_FIELDS = ("id", "batch_id", "claim_id", "refund_id", "end_to_end_id", "creditor_name", "creditor_iban",
                   "amount_cents", "status", "paid_on", "failed_on", "reason_code", "reason", "paid_line_id",
                   "return_line_id", "status_report_id", "created_at", "updated_at")


def transfer_payload(transfer: PayoutTransfer) -> dict[str, Any]:
    return {name: getattr(transfer, name) for name in TRANSFER_FIELDS}


def report_payload(report: PayoutStatusReport, **extra: Any) -> dict[str, Any]:
    return {"id": report.id, "message_id": report.message_id, "original_message_id": report.original_message_id,
            "version": report.version, "group_status": report.group_status, "created_at_bank": report.created_at_bank,
            "file_name": report.file_name, "batch_id": report.batch_id, "refund_id": report.refund_id,
            "paid_count": report.paid_count, "rejected_count": report.rejected_count,
            "returned_count": report.returned_count, "unchanged_count": report.unchanged_count,
            "unknown_ids": (report.unknown_ids or "").split(), "imported_at": report.imported_at, **extra}


@endpoint(blp, "/admin/payout-transfers", access=(Permission.ADMIN_PAYOUTS_MANAGE,), query=TransferListQuerySchema,
          response=(200, TransferListSchema))
def list_transfers(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The transfers of our pain.001 files in the order they were made, filtered by payout batch (`batch_id`) and
    `status`: what the bank did with each (from the fund's statement, a pain.002 report, or a person)."""
    rows = transfer_services.list_transfers(db.session, current_user, batch_id=query["batch_id"],
                                            status=query["status"], limit=query["limit"] + 1,
                                            after_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, query["limit"])
    return {"items": [transfer_payload(t) for t in page], "next_cursor": next_cursor}


@endpoint(blp, "/admin/payout-transfers/<int:transfer_id>", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          response=(200, TransferSchema), refusals={404: "No such transfer"})
def get_transfer(transfer_id: int):  # type: ignore[no-untyped-def]
    """One transfer."""
    return transfer_payload(transfer_services.get_transfer(db.session, current_user, transfer_id))


@endpoint(blp, "/admin/payout-transfers/<int:transfer_id>/return", method="POST",
          access=(Permission.ADMIN_PAYOUTS_MANAGE,), body=ReturnSchema, response=(200, TransferSchema),
          refusals={404: "No such transfer", 409: "The transfer was already refused or returned "
                   "(`transfer_already_failed`)", 422: "No reason, a reason code that is no code, or a bank line "
                   "that is no credit of the transfer's amount"})
def record_return(data: dict[str, Any], transfer_id: int):  # type: ignore[no-untyped-def]
    """Record by hand that the bank refused or gave back a transfer. A paid one is `returned`: counter-entries bring
    its money back into the ledger; a waiting one is `rejected`. Its claim is `approved` again, out of its batch,
    and joins the next payout batch in a new transfer (a refund becomes `returned`); the provider (or the employer)
    is told. With `bank_line_id`, the statement credit that brought the money back leaves the queue."""
    transfer = transfer_services.record_return(db.session, current_user, transfer_id, reason=data["reason"],
                                               reason_code=data["reason_code"], line_id=data["bank_line_id"],
                                               today=today_in_brussels(), now=utcnow())
    return transfer_payload(transfer)


@endpoint(blp, "/admin/payout-status-reports", method="POST", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          body=StatusReportUploadSchema, body_location="files", response=(201, StatusReportResultSchema),
          response_description="The report was read and applied to its file's transfers",
          answers={200: (StatusReportResultSchema, ("The same report was imported before: nothing changed "
                                                   "(`duplicate` is true)"))},
          refusals={413: "The file is larger than 5 MB (`file_too_large`)",
                    422: "No file; not a readable pain.002 report (malformed XML, another message, a status this "
                         "portal does not know, a transaction naming no transfer); or a report about a file this "
                         "portal did not make (`pain002_unknown_file`)"},
          commits=False)  # the view commits before it builds the answer
def upload_status_report(files: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Apply a pain.002 payment status report from the fund's bank (multipart field `file`) to the transfers of the
    file it names (`OrgnlMsgId`: a payout batch or a refund). Each transfer takes its own status
    (`TxInfAndSts/TxSts`, found by `OrgnlEndToEndId`), else its payment block's, else the whole file's. Accepted
    (ACCP, ACSP, ACSC, ACWC, ACCC, ACWP): paid, the claim too, and the money leaves the ledger. Rejected (RJCT): a
    waiting transfer is `rejected`; a paid one (a rejection after acceptance) is `returned`, with counter-entries;
    either way its claim waits for the next batch and the provider is told why. RCVD, ACTC, PDNG, and PART for the
    whole file change nothing. The same report twice changes nothing."""
    upload = files["file"]
    result = status_reports.import_status_report(db.session, current_user, status_reports.read_upload(upload),
                                                 file_name=upload.filename, today=today_in_brussels(), now=utcnow())
    commit()
    return (report_payload(result.report, duplicate=result.duplicate,
                           transfers=[transfer_payload(t) for t in result.changed]),
            200 if result.duplicate else 201)


@endpoint(blp, "/admin/payout-status-reports", access=(Permission.ADMIN_PAYOUTS_MANAGE,), query=ListQuerySchema,
          response=(200, StatusReportListSchema))
def list_status_reports(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The status reports imported, newest first."""
    rows = status_reports.list_reports(db.session, current_user, limit=query["limit"] + 1,
                                       before_id=decode_id_cursor(query["cursor"]))
    page, next_cursor = id_page(rows, query["limit"])
    return {"items": [report_payload(r) for r in page], "next_cursor": next_cursor}


@endpoint(blp, "/admin/payout-status-reports/<int:report_id>", access=(Permission.ADMIN_PAYOUTS_MANAGE,),
          response=(200, StatusReportSchema), refusals={404: "No such report"})
def get_status_report(report_id: int):  # type: ignore[no-untyped-def]
    """One status report and what it changed."""
    return report_payload(status_reports.get_report(db.session, current_user, report_id))
