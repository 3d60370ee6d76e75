"""API schemas of the fund's administration: providers, payout batches, the fund's position, the audit log."""

from __future__ import annotations

from marshmallow import Schema, fields, validate

from coaching.admin_services import PROVIDER_LANGUAGES, QUALITY_LABELS
from coaching.domain import REGION_CODES


class ProviderCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    enterprise_number = fields.String(required=True, validate=validate.Length(min=1, max=20),
                                      metadata={"description": "BCE/KBO number, e.g. 0403.170.701"})
    quality_label = fields.String(required=True, validate=validate.Length(min=1, max=100),
                                  metadata={"description": "One of the labels the fund accepts.",
                                            "enum": list(QUALITY_LABELS)})
    label_valid_until_on = fields.Date(required=True, metadata={"description": "Last day the label is valid."})
    iban = fields.String(required=True, validate=validate.Length(min=1, max=42))
    regions = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=len(REGION_CODES)),
                          metadata={"description": "Region codes: " + ", ".join(REGION_CODES)})
    languages = fields.List(fields.String(), required=True, validate=validate.Length(min=1, max=4),
                            metadata={"description": "Language codes: " + ", ".join(PROVIDER_LANGUAGES)})
    admin_email = fields.Email(required=True, validate=validate.Length(max=254),
                               metadata={"description": "The provider's first administrator; an invitation is sent."})
    admin_name = fields.String(load_default="", validate=validate.Length(max=200))
    admin_language = fields.String(load_default=None, allow_none=True,
                                   validate=validate.OneOf(list(PROVIDER_LANGUAGES)),
                                   metadata={"description": "Language of the invitation; the first of `languages` "
                                                            "the portal speaks by default."})


class ProviderSchema(Schema):
    id = fields.Integer(required=True)
    name = fields.String(required=True)
    enterprise_number = fields.String(required=True)
    quality_label = fields.String(required=True)
    label_valid_until_on = fields.Date(allow_none=True, required=True)
    iban = fields.String(required=True)
    regions = fields.List(fields.String(), required=True)
    languages = fields.List(fields.String(), required=True)
    listed_at = fields.DateTime(format="iso", allow_none=True)
    delisted_at = fields.DateTime(format="iso", allow_none=True)
    admin_user_id = fields.Integer(allow_none=True, metadata={"description": "Set when the provider is created."})


class ProviderListSchema(Schema):
    items = fields.List(fields.Nested(ProviderSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DelistSchema(Schema):
    reason = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class PayoutBatchSchema(Schema):
    id = fields.Integer(required=True)
    status = fields.String(required=True, metadata={"enum": ["created", "paid"]})
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


class ListQuerySchema(Schema):
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class FundPositionSchema(Schema):
    cash_cents = fields.Integer(required=True, metadata={"description": "Money the fund holds."})
    committed_cents = fields.Integer(required=True, metadata={"description": "Voucher value promised, not claimed."})
    payable_cents = fields.Integer(required=True, metadata={"description": "Approved claims not yet paid."})
    available_cents = fields.Integer(required=True, metadata={"description": "cash - committed - payable"})
    on = fields.Date(required=True)


class AuditQuerySchema(ListQuerySchema):
    object_type = fields.String(load_default=None, validate=validate.Regexp(r"^[a-z_]{1,50}$"))
    object_id = fields.Integer(load_default=None)
    actor_id = fields.Integer(load_default=None, metadata={"description": "The person who acted (a user id)."})


class AuditEntrySchema(Schema):
    id = fields.Integer(required=True)
    at = fields.DateTime(format="iso", required=True)
    actor_id = fields.Integer(allow_none=True)
    on_behalf_of = fields.String(allow_none=True)
    object_type = fields.String(required=True)
    object_id = fields.Integer(required=True)
    action = fields.String(required=True)
    from_state = fields.String(allow_none=True)
    to_state = fields.String(allow_none=True)
    reason = fields.String(allow_none=True)


class AuditPageSchema(Schema):
    items = fields.List(fields.Nested(AuditEntrySchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)
