"""API schemas of bank statements and their lines (API.md: POST /admin/bank-statements and the queue)."""

from __future__ import annotations

from flask_smorest.fields import Upload
from marshmallow import Schema, fields, validate

from portal.schema_fields import Id, QueryId
from portal.search import MAX_SEARCH
from vouchers.banking.domain import SUGGESTION_REASONS
from vouchers.banking.models import (
    HOLD_REASONS,
    IGNORE_REASONS,
    LINE_STATUSES,
    MATCH_METHODS,
)


class PayoutBatchSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": ["created", "paid", "rejected"], "description": (
        "`created` while a transfer waits for the bank; `paid` once none waits (see its transfers at "
        "`GET /admin/payout-transfers?batch_id=`); `rejected` when the bank refused them all.")})
    total_cents = fields.Integer(required=True)
    claim_count = fields.Integer(required=True)
    message_id = fields.String(required=True)
    execution_on = fields.Date(required=True)
    paid_on = fields.Date(allow_none=True)
    created_at = fields.DateTime(format="iso", required=True)
    download_url = fields.String(required=True, metadata={"description": "The pain.001.001.03 XML file."})


class PayoutBatchListSchema(Schema):
    items = fields.List(fields.Nested(PayoutBatchSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class StatementUploadSchema(Schema):
    file = Upload(required=True, metadata={"description": "The statement file: CAMT.053 XML (camt.053.001.02 or "
                                                          "later) or CODA 2 (Belgian fixed-width text), told apart "
                                                          "by its content."})


class StatementSchema(Schema):
    id = fields.Integer(required=True)
    account = fields.String(required=True, metadata={"description": "The statement's account (IBAN)."})
    statement_ref = fields.String(required=True, metadata={
        "description": "Stmt/Id; for CODA, the date of the new balance and the paper statement number "
                       "(2026-11-20/214)."})
    sequence = fields.String(required=True, metadata={
        "description": "Stmt/ElctrncSeqNb (empty if none); for CODA, the file's sequence number (record 1)."})
    legal_sequence = fields.String(allow_none=True)
    message_id = fields.String(allow_none=True)
    version = fields.String(required=True, metadata={"description": "e.g. camt.053.001.02, or CODA 2"})
    currency = fields.String(allow_none=True)
    issued_on = fields.Date(allow_none=True)
    from_on = fields.Date(allow_none=True)
    to_on = fields.Date(allow_none=True)
    opening_balance_cents = fields.Integer(allow_none=True)
    closing_balance_cents = fields.Integer(allow_none=True)
    file_name = fields.String(allow_none=True)
    schema_valid = fields.Boolean(allow_none=True, metadata={
        "description": "Whether the file passed the camt.053.001.02 XSD (null: not checked). Information only."})
    imported_at = fields.DateTime(format="iso", required=True)
    line_count = fields.Integer(required=True)
    credit_count = fields.Integer(required=True)
    credit_cents = fields.Integer(required=True)
    debit_count = fields.Integer(required=True)
    debit_cents = fields.Integer(required=True)
    matched_count = fields.Integer(required=True)
    matched_cents = fields.Integer(required=True)
    unmatched_count = fields.Integer(required=True)
    unmatched_cents = fields.Integer(required=True)
    dismissed_count = fields.Integer(required=True)
    dismissed_cents = fields.Integer(required=True)
    status = fields.String(required=True, metadata={
        "enum": ["importing", "imported", "failed"],
        "description": "A file of up to 200 lines is read within its upload: `imported`. A larger one is read in "
                       "the background: `importing` until all its lines are in (`imported`), or `failed` with "
                       "nothing booked (`failure_reason`)."})
    lines_total = fields.Integer(required=True, metadata={
        "description": "While importing, the statement's lines in the file; once imported, its lines whose money "
                       "was new."})
    lines_done = fields.Integer(required=True, metadata={"description": "How many of `lines_total` are done."})
    failure_reason = fields.String(allow_none=True, metadata={"description": "Why the import failed."})
    matched = fields.Integer(required=True, metadata={"description": "Count of matched lines (API.md)."})
    unmatched = fields.Integer(required=True, metadata={"description": "Count of lines waiting for a person."})
    duplicate = fields.Boolean(metadata={"description": "In an upload's answer: this statement was imported before, "
                                                        "nothing was added."})
    repeated_lines = fields.Integer(metadata={"description": "In an upload's answer: lines left out because the same "
                                                             "money was already imported (same bank reference)."})
    possible_duplicates = fields.Integer(metadata={"description": "In an upload's answer: new lines held for a "
                                                                  "person because they look like money already "
                                                                  "imported with another statement."})


class StatementListSchema(Schema):
    items = fields.List(fields.Nested(StatementSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class AllocationSchema(Schema):
    """One part of a bank line, as a person gives it."""

    contribution_id = Id(required=True)
    amount_cents = fields.Integer(strict=True, required=True, validate=validate.Range(min=1, max=10**13), metadata={
        "description": "The part of the line's amount for this contribution; for a line that gives a credit back, "
                       "what it takes back from this contribution (at most what the contribution received)."})


class BookedAllocationSchema(Schema):
    """One part of a matched bank line: what it booked to one contribution."""

    contribution_id = fields.Integer(required=True)
    amount_cents = fields.Integer(required=True, metadata={
        "description": "Money booked to the contribution; negative when the line gave a credit back (a reversal "
                       "or a return took this money back)."})


class LineSchema(Schema):
    id = fields.Integer(required=True)
    statement_id = fields.Integer(required=True)
    entry_index = fields.Integer(required=True)
    tx_index = fields.Integer(required=True)
    direction = fields.String(required=True, metadata={"enum": ["credit", "debit"]})
    amount_cents = fields.Integer(required=True)
    currency = fields.String(required=True)
    booked_on = fields.Date(required=True)
    value_on = fields.Date(allow_none=True)
    status = fields.String(required=True, metadata={"enum": list(LINE_STATUSES)})
    ignore_reason = fields.String(allow_none=True, metadata={"enum": list(IGNORE_REASONS)})
    structured_reference = fields.String(allow_none=True, metadata={
        "description": "A valid structured reference found in the line, as +++123/4567/89012+++ (the first one)."})
    structured_references = fields.List(fields.String(), required=True, metadata={
        "description": "Every valid structured reference found in the line, in the payer's order: a transfer may "
                       "pay several contributions, split to the cent."})
    reference_text = fields.String(allow_none=True, metadata={"description": "The reference as the line carried it, "
                                                                             "even when it is not valid."})
    remittance_text = fields.String(allow_none=True)
    entry_reference = fields.String(allow_none=True, metadata={"description": "The bank's AcctSvcrRef of the entry."})
    end_to_end_id = fields.String(allow_none=True)
    counterparty_name = fields.String(allow_none=True)
    counterparty_iban = fields.String(allow_none=True)
    enterprise_number = fields.String(allow_none=True)
    hold_reason = fields.String(allow_none=True, metadata={"enum": list(HOLD_REASONS), "description":
                                "Why a line carrying a contribution's reference was not booked automatically: "
                                "possible_duplicate (see possible_duplicate_of), or amount_too_large (more than "
                                "100 times the contribution). A person matches or dismisses it."})
    possible_duplicate_of = fields.Integer(allow_none=True, metadata={
        "description": "The line imported before, with another statement, that this one seems to repeat."})
    contribution_id = fields.Integer(allow_none=True, metadata={"description": "The (first) contribution it paid."})
    allocations = fields.List(fields.Nested(BookedAllocationSchema), required=True, metadata={
        "description": "What a matched line booked to each contribution, to the cent (empty until matched)."})
    returns_credit = fields.Boolean(required=True, metadata={
        "description": "A debit that gives a credit back (a reversal or a return): matching it undoes what that "
                       "credit paid."})
    reverses_line_id = fields.Integer(allow_none=True, metadata={
        "description": "The credit line this one gave back, when the import found it."})
    is_return = fields.Boolean(required=True, metadata={
        "description": "A credit that brings back a transfer the fund sent (a returned transfer: CAMT `RtrInf` or a "
                       "return's bank transaction code, a CODA R-transaction). It is never matched automatically to "
                       "an employer's contribution."})
    return_reason_code = fields.String(allow_none=True, metadata={
        "description": "The bank's reason for a return (ISO, e.g. AC04 account closed, AC01 wrong account number, "
                       "MD07 beneficiary deceased): CAMT `RtrInf/Rsn/Cd`, CODA record 2.2 positions 114-117."})
    match_method = fields.String(allow_none=True, metadata={"enum": list(MATCH_METHODS)})
    decided_by = fields.Integer(allow_none=True)
    decided_at = fields.DateTime(format="iso", allow_none=True)
    decision_reason = fields.String(allow_none=True)


class SuggestionSchema(Schema):
    contribution_id = fields.Integer(required=True)
    declaration_id = fields.Integer(required=True)
    employer_name = fields.String(required=True)
    enterprise_number = fields.String(required=True)
    structured_reference = fields.String(required=True)
    amount_cents = fields.Integer(required=True)
    owed_cents = fields.Integer(required=True)
    due_on = fields.Date(required=True)
    status = fields.String(required=True)
    reason = fields.String(required=True, metadata={"enum": list(SUGGESTION_REASONS), "description":
                                                    "employer_and_amount: the payer's employer owes exactly this; "
                                                    "employer: the payer's employer; amount: the same amount only."})


class LineDetailSchema(LineSchema):
    suggestions = fields.List(fields.Nested(SuggestionSchema), required=True)


class LineDecisionSchema(LineSchema):
    changed = fields.Boolean(required=True, metadata={"description": "False when the line already was in this state "
                                                                     "(a repeated call changes nothing)."})


class UploadResultSchema(Schema):
    id = fields.Integer(allow_none=True, required=True, metadata={
        "description": "The statement imported (the first one when the file holds several: see `statements`; the "
                       "first one read in the background, when one is)."})
    status = fields.String(required=True, metadata={"enum": ["importing", "imported", "failed"], "description":
                                                    "`importing` (202): the file is read in the background."})
    lines_total = fields.Integer(required=True, metadata={"description": "Lines in the file's statements."})
    lines_done = fields.Integer(required=True)
    matched = fields.Integer(required=True, metadata={"description": "How many lines were matched."})
    unmatched = fields.Integer(required=True, metadata={"description": "How many lines wait for a person."})
    duplicate = fields.Boolean(required=True, metadata={"description": "True when every statement in the file was "
                                                                       "imported before: nothing was added."})
    message = fields.String(required=True)
    statements = fields.List(fields.Nested(StatementSchema), required=True)
    matched_lines = fields.List(fields.Nested(LineSchema), required=True)
    unmatched_lines = fields.List(fields.Nested(LineSchema), required=True)
    dismissed_lines = fields.List(fields.Nested(LineSchema), required=True)
    ignored_lines = fields.List(fields.Nested(LineSchema), required=True,
                                metadata={"description": "Debits, reversals and the like: stored, never matched."})


class LineListQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(list(LINE_STATUSES)))
    from_on = fields.Date(load_default=None, metadata={"description": "Booked on or after this day."})
    to_on = fields.Date(load_default=None, metadata={"description": "Booked on or before this day."})
    statement_id = QueryId(load_default=None)  # not Id: strict would refuse "3", as a query string is text
    q = fields.String(load_default=None, validate=validate.Length(max=MAX_SEARCH), metadata={
        "description": "Search: a payer's name (any case, with or without accents) or enterprise number, a structured "
                       "reference however typed, a worker's national number (NISS), or a line or contribution number."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class LineListSchema(Schema):
    items = fields.List(fields.Nested(LineSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
    total_count = fields.Integer(required=True, metadata={"description": "Lines the filters select, on all pages."})
    total_cents = fields.Integer(required=True, metadata={"description": "Their amount, in cents."})


class MatchSchema(Schema):
    allocations = fields.List(fields.Nested(AllocationSchema), load_default=None, allow_none=True, metadata={
        "description": "The line split over one or several contributions, to the cent: the amounts must add up to "
                       "the line's amount (else 422, the fields naming `allocations` or "
                       "`allocations.<row>.<field>`, rows from 0). Instead of `contribution_id` or "
                       "`structured_reference`."})
    contribution_id = Id(load_default=None, allow_none=True,
                         metadata={"description": "Or one contribution for the whole line, e.g. one of the line's "
                                                  "suggestions."})
    structured_reference = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=40),
                                         metadata={"description": "Or the contribution's structured reference."})
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000),
                           metadata={"description": "Why this line pays this contribution (kept in the audit log); "
                                                    "optional (API.md's body is `{allocations}`)."})


class DismissSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                           metadata={"description": "Why this money is no contribution (kept in the audit log)."})
