"""API schemas of money out followed to the bank: payout transfers, pain.002 status reports, contribution refunds."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from portal.schema_fields import Cents, Id, QueryId
from vouchers.banking.payout_models import REFUND_STATUSES, TRANSFER_STATUSES


class TransferSchema(Schema):
    id = fields.Integer(required=True)
    batch_id = fields.Integer(allow_none=True, required=True, metadata={"description": "The payout batch (claims)."})
    claim_id = fields.Integer(allow_none=True, required=True)
    refund_id = fields.Integer(allow_none=True, required=True)
    end_to_end_id = fields.String(required=True, metadata={"description": "The transfer's EndToEndId in the file."})
    creditor_name = fields.String(required=True)
    creditor_iban = fields.String(required=True)
    amount_cents = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": list(TRANSFER_STATUSES), "description": (
        "`pending`: nothing known from the bank yet; `paid`; `rejected`: refused before it was paid; "
        "`returned`: its money came back (the claim waits for a new batch).")})
    paid_on = fields.Date(allow_none=True, required=True)
    failed_on = fields.Date(allow_none=True, required=True)
    reason_code = fields.String(allow_none=True, required=True, metadata={"description": "The bank's ISO reason, "
                                                                                          "e.g. `AC04`."})
    reason = fields.String(allow_none=True, required=True)
    paid_line_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The fund's statement debit that shows it paid."})
    return_line_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The statement credit that brought it back."})
    status_report_id = fields.Integer(allow_none=True, required=True)
    created_at = fields.DateTime(format="iso", required=True)
    updated_at = fields.DateTime(format="iso", required=True)


class TransferListQuerySchema(Schema):
    batch_id = QueryId(load_default=None)
    status = fields.String(load_default=None, validate=validate.OneOf(list(TRANSFER_STATUSES)))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class TransferListSchema(Schema):
    items = fields.List(fields.Nested(TransferSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ReturnSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=500),
                           metadata={"description": "What the bank said (kept on the transfer and in the audit log)."})
    reason_code = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=35),
                                metadata={"description": "The bank's ISO reason code, e.g. `AC04`."})
    bank_line_id = Id(load_default=None, allow_none=True,
                      metadata={"description": "The credit on the fund's statement that brought the money back."})


class StatusReportUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "A pain.002 payment status report (pain.002.001.03 or "
                                                          "later) about one of the portal's pain.001 files."})


class StatusReportSchema(Schema):
    id = fields.Integer(required=True)
    message_id = fields.String(required=True)
    original_message_id = fields.String(required=True, metadata={"description": "The pain.001 file it is about."})
    version = fields.String(required=True)
    group_status = fields.String(allow_none=True, required=True)
    created_at_bank = fields.DateTime(format="iso", allow_none=True, required=True)
    file_name = fields.String(allow_none=True, required=True)
    batch_id = fields.Integer(allow_none=True, required=True)
    refund_id = fields.Integer(allow_none=True, required=True)
    paid_count = fields.Integer(required=True)
    rejected_count = fields.Integer(required=True)
    returned_count = fields.Integer(required=True)
    unchanged_count = fields.Integer(required=True)
    unknown_ids = fields.List(fields.String(), required=True, metadata={
        "description": "End-to-end ids the report named that are no transfer of that file."})
    imported_at = fields.DateTime(format="iso", required=True)


class StatusReportResultSchema(StatusReportSchema):
    duplicate = fields.Boolean(required=True, metadata={"description": "Imported before: nothing changed."})
    transfers = fields.List(fields.Nested(TransferSchema), required=True,
                            metadata={"description": "The transfers this report changed."})


class StatusReportListSchema(Schema):
    items = fields.List(fields.Nested(StatusReportSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class RefundProposalSchema(Schema):
    contribution_id = Id(required=True)
    amount_cents = Cents(load_default=None, allow_none=True, metadata={
        "description": "What to refund; by default all that the contribution received beyond its amount."})
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RefusalSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class RefundSchema(Schema):
    id = fields.Integer(required=True)
    contribution_id = fields.Integer(required=True)
    declaration_id = fields.Integer(required=True)
    employer_id = fields.Integer(required=True)
    employer_name = fields.String(required=True)
    amount_cents = fields.Integer(required=True)
    iban = fields.String(required=True, metadata={"description": "The employer's account, as when proposed."})
    account_name = fields.String(required=True)
    reason = fields.String(required=True)
    status = fields.String(required=True, metadata={"enum": list(REFUND_STATUSES), "description": (
        "`proposed`; `refused`; `approved` (its pain.001 file is made); `paid` once the bank executed it (the "
        "contribution's money and the ledger follow then); `returned` when the bank refused or returned it.")})
    proposed_by = fields.Integer(allow_none=True, required=True)
    proposed_at = fields.DateTime(format="iso", required=True)
    decided_by = fields.Integer(allow_none=True, required=True)
    decided_at = fields.DateTime(format="iso", allow_none=True, required=True)
    decision_reason = fields.String(allow_none=True, required=True)
    message_id = fields.String(allow_none=True, required=True)
    execution_on = fields.Date(allow_none=True, required=True)
    transfer = fields.Nested(TransferSchema, allow_none=True, required=True)
    download_url = fields.String(allow_none=True, required=True, metadata={"description": "The pain.001 file."})


class RefundListQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(list(REFUND_STATUSES)))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class RefundListSchema(Schema):
    items = fields.List(fields.Nested(RefundSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
