from __future__ import annotations

from marshmallow import Schema, fields, validate

from portal.schema_fields import Count


class DisputeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


DISPUTE_STATUSES = ["open", "escalated", "upheld", "dismissed"]


ATTENDANCE_VALUES = ["attended", "no_show", "late_cancel"]


class SessionDisputeSchema(Schema):
    id = fields.Integer()
    status = fields.String(metadata={"description": "open | escalated | upheld | dismissed"})
    provider_id = fields.Integer()
    session_id = fields.Integer()
    voucher_id = fields.Integer()
    voucher_code = fields.String()
    beneficiary_name = fields.String()
    coach_id = fields.Integer()
    coach_name = fields.String()
    kind = fields.String()
    starts_at = fields.DateTime(format="iso")
    duration_minutes = fields.Integer()
    logged_minutes = fields.Integer(allow_none=True)
    attendance = fields.String(allow_none=True, metadata={"description": "The seat's attendance now."})
    cost_cents = fields.Integer()
    dispute_reason = fields.String(allow_none=True)
    opened_at = fields.DateTime(format="iso")
    escalated_at = fields.DateTime(format="iso", allow_none=True)
    escalation_note = fields.String(allow_none=True)
    resolved_at = fields.DateTime(format="iso", allow_none=True)
    resolution_note = fields.String(allow_none=True)
    corrected_attendance = fields.String(allow_none=True)
    corrected_minutes = fields.Integer(allow_none=True)


class SessionDisputeListSchema(Schema):
    items = fields.List(fields.Nested(SessionDisputeSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class DisputeQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(DISPUTE_STATUSES))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class DisputeAcceptSchema(Schema):
    attendance = fields.String(required=True, validate=validate.OneOf(ATTENDANCE_VALUES),
                               metadata={"description": "What really happened, as the beneficiary says."})
    duration_minutes = Count(24 * 60, load_default=None, allow_none=True,
                             metadata={"description": "Individual sessions attended: the real duration "
                                                      "(default: as logged)."})
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))


class DisputeEscalateSchema(Schema):
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000),
                         metadata={"description": "The provider's side, for the fund."})


class DisputeDecisionSchema(Schema):
    decision = fields.String(required=True, validate=validate.OneOf(["uphold", "dismiss"]))
    note = fields.String(required=True, validate=validate.Length(min=1, max=2000))
    attendance = fields.String(load_default=None, allow_none=True, validate=validate.OneOf(ATTENDANCE_VALUES),
                               metadata={"description": "Required to uphold: what really happened."})
    duration_minutes = Count(24 * 60, load_default=None, allow_none=True)
