from __future__ import annotations

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from portal.schema_fields import MAX_ID, Count, Id


class SessionCreateSchema(Schema):
    coach_id = Id(required=True)
    kind = fields.String(required=True, validate=validate.OneOf(["individual", "collective"]))
    voucher_ids = fields.List(Id(), required=True, validate=validate.Length(min=1, max=50))
    starts_at = fields.AwareDateTime(required=True, format="iso",
                                     metadata={"description": "ISO 8601 with an offset, e.g. 2026-12-01T09:00:00+01:00"})
    duration_minutes = Count(24 * 60, required=True)
    mode = fields.String(load_default="onsite", validate=validate.OneOf(["onsite", "online"]))
    capacity = fields.Integer(load_default=None, allow_none=True, validate=validate.Range(min=1, max=50))
    location = fields.String(load_default="", validate=validate.Length(max=300),
                             metadata={"description": "The address (on site) or the link (online)."})
    theme = fields.String(load_default="", validate=validate.Length(max=200))


class SeatSchema(Schema):
    voucher_id = fields.Integer()
    attendance = fields.String(allow_none=True)
    confirmation = fields.String()
    confirm_by_on = fields.Date(allow_none=True)
    cost_cents = fields.Integer()


class BookingWarningSchema(Schema):
    code = fields.String()
    message = fields.String()


class SeatCreateSchema(Schema):
    voucher_id = Id(required=True, metadata={"description": "A voucher of the caller's provider."})


class SessionSchema(Schema):
    id = fields.Integer()
    coach_id = fields.Integer()
    kind = fields.String()
    mode = fields.String()
    status = fields.String()
    starts_at = fields.DateTime(format="iso")
    ends_at = fields.DateTime(format="iso")
    duration_minutes = fields.Integer()
    logged_minutes = fields.Integer(allow_none=True)
    capacity = fields.Integer()
    location = fields.String()
    theme = fields.String()
    seats = fields.List(fields.Nested(SeatSchema))
    warnings = fields.List(fields.Nested(BookingWarningSchema), metadata={
        "description": "When booking: what the booking should know but did not refuse (outside_availability)."})


class LogSchema(Schema):
    attendance = fields.Dict(keys=fields.String(), values=fields.String(
        validate=validate.OneOf(["attended", "no_show", "late_cancel"])), required=True,
        metadata={"description": "voucher id (as a string key) -> attended | no_show | late_cancel"})
    duration_minutes = Count(24 * 60, required=True)
    note = fields.String(load_default=None, allow_none=True, validate=validate.Length(max=2000))

    @validates_schema
    def _keys_are_ids(self, data, **kwargs):  # type: ignore[no-untyped-def]
        if not all(str(key).isdigit() and 0 < int(key) <= MAX_ID for key in data.get("attendance", {})):
            raise ValidationError("Keys must be voucher ids.", "attendance")


class ConfirmationSchema(Schema):
    session_id = fields.Integer()
    voucher_id = fields.Integer()
    attendance = fields.String(allow_none=True)
    confirmation = fields.String()
    dispute_reason = fields.String(allow_none=True)
