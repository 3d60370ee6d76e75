"""API schemas of the coordinators (API.md, "Return-to-work coordinator of a mutual insurer")."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from portal.auth.email_rule import EmailAddressField
from vouchers.coordinators.services.caseload import STATUSES
from vouchers.requests.schemas import (
    LANGUAGES,
    VoucherRequestCreatedSchema,
    VoucherRequestCreateSchema,
)


class MemberSchema(Schema):
    niss = fields.String(required=True, validate=validate.Length(min=11, max=20), metadata={
        "description": "The member's national register (NISS) or BIS number; separators allowed. It binds nothing: "
                       "the request becomes the member's through the e-mailed invitation only."})
    first_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    last_name = fields.String(required=True, validate=validate.Length(min=1, max=100))
    email = EmailAddressField(required=True, validate=validate.Length(max=254),
                              metadata={"description": "Where the member's invitation goes."})
    language = fields.String(required=True, validate=validate.OneOf(LANGUAGES),
                             metadata={"description": "The member's language: the invitation is written in it."})


class CoordinatorRequestCreateSchema(VoucherRequestCreateSchema):
    """The body of POST /voucher-requests, with the member and the day of their consent."""

    beneficiary = fields.Nested(MemberSchema, required=True)
    consent_on = fields.Date(required=True, metadata={"description": "The day the member consented to the request "
                                                                     "(not in the future)."})
    initiative = fields.String(load_default="coordinator", validate=validate.OneOf(["coordinator"]), metadata={
        "description": "Always \"coordinator\": the request is part of the coordinator's return-to-work plan."})


class CoordinatorRequestCreatedSchema(VoucherRequestCreatedSchema):
    initiative = fields.String(required=True, metadata={"enum": ["coordinator"]})


class CaseloadQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(STATUSES))
    joined = fields.Boolean(load_default=None, allow_none=True, metadata={
        "description": "true: only members who accepted their invitation; false: only those who have not yet."})
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class CaseMemberSchema(Schema):
    first_name = fields.String(required=True)
    last_name = fields.String(required=True)
    email = fields.String(required=True)
    joined = fields.Boolean(required=True, metadata={
        "description": "The member accepted the invitation: the request is in their own account."})
    email_confirmed = fields.Boolean(required=True, metadata={
        "description": "The member confirmed their e-mail address. A member who joined by signing in with itsme or "
                       "eID may not have yet: the fund decides the request only once they have."})
    invited_at = fields.DateTime(allow_none=True, metadata={"description": "When the latest invitation was sent."})
    joined_at = fields.DateTime(allow_none=True)


class CaseVoucherSchema(Schema):
    id = fields.Integer(required=True)
    code = fields.String(required=True)
    status = fields.String(required=True)
    valid_from_on = fields.Date(required=True)
    valid_until_on = fields.Date(required=True)
    value_cents = fields.Integer(required=True)
    spent_cents = fields.Integer(required=True)
    committed_cents = fields.Integer(required=True)
    balance_cents = fields.Integer(required=True)
    individual_minutes_used = fields.Integer(required=True)
    individual_hours_used = fields.Float(required=True)
    collective_sessions_used = fields.Integer(required=True)


class CaseSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True)
    route = fields.String(allow_none=True)
    submitted_on = fields.Date(allow_none=True)
    decision_due_on = fields.Date(allow_none=True)
    days_left = fields.Integer(allow_none=True, metadata={
        "description": "Days until decision_due_on (0 on day 45, negative when overdue); null once decided."})
    clock_state = fields.String(allow_none=True, metadata={"enum": ["on_time", "due_soon", "overdue", "paused", None]})
    is_overdue = fields.Boolean()
    provider_id = fields.Integer(allow_none=True)
    insurer_code = fields.Integer(allow_none=True)
    initiative = fields.String()
    decided_on = fields.Date(allow_none=True)
    waiting_list_position = fields.Integer(allow_none=True)
    decision_reason = fields.String(allow_none=True, metadata={
        "description": "What the fund asked for, while the request waits for information (status info_requested); "
                       "null otherwise."})
    info_requested_on = fields.Date(allow_none=True)
    appeal_by_on = fields.Date(allow_none=True)
    consent_on = fields.Date(allow_none=True)
    member = fields.Nested(CaseMemberSchema, required=True)
    voucher = fields.Nested(CaseVoucherSchema, allow_none=True, required=True, metadata={
        "description": "Once approved: the voucher's status, hours used and balance (never session notes)."})


class CaseloadPageSchema(Schema):
    items = fields.List(fields.Nested(CaseSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
