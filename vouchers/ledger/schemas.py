from __future__ import annotations

from marshmallow import Schema, fields, validate


class FundPositionSchema(Schema):
    cash_cents = fields.Integer(required=True, metadata={"description": "Money the fund holds."})
    committed_cents = fields.Integer(required=True, metadata={"description": "Voucher value promised, not claimed."})
    payable_cents = fields.Integer(required=True, metadata={"description": "Approved claims not yet paid."})
    available_cents = fields.Integer(required=True, metadata={"description": "cash - committed - payable"})
    on = fields.Date(required=True)


class LedgerEntrySchema(Schema):
    id = fields.Integer(required=True)
    booked_on = fields.Date(required=True)
    account = fields.String(required=True, metadata={"enum": ["cash", "committed", "payable"]})
    kind = fields.String(required=True, metadata={"description": "contribution_paid, contribution_refunded, "
                                                                 "funding, voucher_committed, claim_approved, …"})
    amount_cents = fields.Integer(required=True)
    voucher_id = fields.Integer(allow_none=True, required=True)
    contribution_id = fields.Integer(allow_none=True, required=True)
    claim_id = fields.Integer(allow_none=True, required=True)
    memo = fields.String(allow_none=True, required=True)
    corrects_entry_id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "For a correction: the entry it corrects (same account, kind and record)."})
    created_at = fields.DateTime(required=True)


class LedgerEntryHistorySchema(LedgerEntrySchema):
    standing_cents = fields.Integer(required=True, metadata={
        "description": "What the entry amounts to now: its own amount plus its corrections (for a correction: its "
                       "own amount)."})
    corrections = fields.List(fields.Nested(LedgerEntrySchema), required=True, metadata={
        "description": "The entries that correct it, oldest first."})


class CorrectionSchema(Schema):
    amount_cents = fields.Integer(strict=True, required=True, metadata={
        "description": "The amount the entry should stand at, with its sign as the ledger keeps it (money out of "
                       "the fund is negative), at most 10^13 cents either way. The correction books the "
                       "difference from what the entry stands at now."})
    reason = fields.String(required=True, validate=validate.Length(max=2000), metadata={
        "description": "Why: kept in the audit log, and (its start) in the correction's memo."})
