from __future__ import annotations

from marshmallow import Schema, fields, validate

from portal.schema_fields import Id
from portal.search import MAX_SEARCH


class ClaimCreateSchema(Schema):
    voucher_id = Id(required=True)
    session_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=500))


class ClaimSchema(Schema):
    id = fields.Integer()
    voucher_id = fields.Integer()
    provider_id = fields.Integer()
    amount_cents = fields.Integer()
    status = fields.String()
    submitted_at = fields.DateTime(format="iso")
    decision_reason = fields.String(allow_none=True)


class ClaimListSchema(Schema):
    items = fields.List(fields.Nested(ClaimSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class ClaimQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(["submitted", "approved", "rejected", "paid"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class AdminClaimQuerySchema(ClaimQuerySchema):
    q = fields.String(load_default=None, validate=validate.Length(max=MAX_SEARCH), metadata={
        "description": "Search: a claim number, a voucher code (TNW-XXXX-XXXX), the beneficiary's name or national "
                       "number (NISS), or the provider's name or enterprise number. Names: each word, any case, with "
                       "or without accents."})


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))
