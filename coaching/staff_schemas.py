"""API schemas for provider staff: offers, coaches, vouchers, sessions, claims."""

from __future__ import annotations

from datetime import date, time
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate, validates_schema

from portal.schema_fields import MAX_ID, Cents, Count, Id


class OfferCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    individual_hours = Count(1000, required=True)
    collective_sessions = Count(1000, required=True)
    individual_unit_cents = Cents(load_default=None, allow_none=True,
                                  metadata={"description": "Default: the fund's setting (15000)."})
    collective_unit_cents = Cents(load_default=None, allow_none=True,
                                  metadata={"description": "Default: the fund's setting (15000)."})


class OfferSchema(Schema):
    id = fields.Integer()
    name = fields.String()
    individual_hours = fields.Integer()
    collective_sessions = fields.Integer()
    individual_unit_cents = fields.Integer()
    collective_unit_cents = fields.Integer()
    cost_cents = fields.Integer()
    total_minutes = fields.Method("_total_minutes")
    active = fields.Boolean()

    def _total_minutes(self, offer) -> int:  # type: ignore[no-untyped-def]
        return offer.individual_hours * 60 + offer.collective_sessions * 210


class OfferListSchema(Schema):
    items = fields.List(fields.Nested(OfferSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


class CoachCreateSchema(Schema):
    name = fields.String(required=True, validate=validate.Length(min=1, max=200))
    email = fields.Email(required=True)
    timezone = fields.String(load_default="Europe/Brussels")
    language = fields.String(load_default="fr", validate=validate.OneOf(["fr", "nl", "de", "en"]))


class CoachSchema(Schema):
    id = fields.Integer()
    user_id = fields.Integer()
    name = fields.String(attribute="display_name")
    email = fields.String()
    timezone = fields.String()
    calendar_url = fields.String(metadata={"description": "The secret iCalendar feed URL."})


class AcceptSchema(Schema):
    offer_id = Id(required=True)


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


class DisputeSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ConfirmationSchema(Schema):
    session_id = fields.Integer()
    voucher_id = fields.Integer()
    attendance = fields.String(allow_none=True)
    confirmation = fields.String()
    dispute_reason = fields.String(allow_none=True)


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


class RejectSchema(Schema):
    reason = fields.String(required=True, validate=validate.Length(min=1, max=2000))


class ProviderVoucherSchema(Schema):
    id = fields.Integer()
    code = fields.String()
    status = fields.String()
    value_cents = fields.Integer()
    balance_cents = fields.Integer()
    spent_cents = fields.Integer()
    valid_from_on = fields.Date()
    valid_until_on = fields.Date()
    mix = fields.Dict(allow_none=True)
    beneficiary_name = fields.String()
    pending_acceptance = fields.Boolean(metadata={"description": "A provider change waiting for this provider."})


class ProviderVoucherQuerySchema(Schema):
    status = fields.String(load_default=None, validate=validate.OneOf(
        ["approved", "in_progress", "completed", "expired", "withdrawn"]))
    limit = fields.Integer(load_default=50, validate=validate.Range(min=1, max=200))
    cursor = fields.String(load_default=None)


class ProviderVoucherListSchema(Schema):
    items = fields.List(fields.Nested(ProviderVoucherSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# --- availability ---------------------------------------------------------------------------

#: Dates the calendar answers for; anything else is a clean 422, never an overflow.
EARLIEST_ON, LATEST_ON = date(2000, 1, 1), date(2100, 12, 31)


def _wall_clock(value: time) -> bool:
    if value.tzinfo is not None:
        raise ValidationError("Give a local time without an offset, e.g. 09:00.")
    return True


def LocalTime(**kwargs: Any) -> fields.Time:  # noqa: N802 - reads like a field class
    return fields.Time(validate=_wall_clock, metadata={"description": "Local time of the coach, HH:MM."}, **kwargs)


def CalendarDate(**kwargs: Any) -> fields.Date:  # noqa: N802
    return fields.Date(validate=validate.Range(min=EARLIEST_ON, max=LATEST_ON), **kwargs)


class WeeklyRangeSchema(Schema):
    weekday = fields.Integer(strict=True, required=True, validate=validate.Range(min=0, max=6),
                             metadata={"description": "0 = Monday … 6 = Sunday"})
    start_time = LocalTime(required=True)
    end_time = LocalTime(required=True)


class AvailabilityExceptionSchema(Schema):
    id = fields.Integer()
    from_on = fields.Date(attribute="on_date")
    until_on = fields.Date()
    available = fields.Boolean(metadata={"description": "true: extra hours; false: not available."})
    start_time = fields.Time(allow_none=True)
    end_time = fields.Time(allow_none=True)
    reason = fields.String()


class AvailabilitySchema(Schema):
    coach_id = fields.Integer()
    timezone = fields.String(metadata={"description": "The IANA zone the times are in."})
    weekly = fields.List(fields.Nested(WeeklyRangeSchema))
    exceptions = fields.List(fields.Nested(AvailabilityExceptionSchema),
                             metadata={"description": "Exceptions not over yet."})


class AvailabilityUpdateSchema(Schema):
    timezone = fields.String(load_default=None, validate=validate.Length(min=1, max=64),
                             metadata={"description": "Optional: change the coach's IANA time zone too."})
    weekly = fields.List(fields.Nested(WeeklyRangeSchema), required=True, validate=validate.Length(max=70),
                         metadata={"description": "The whole weekly pattern; it replaces the previous one."})


class AvailabilityExceptionCreateSchema(Schema):
    from_on = CalendarDate(required=True)
    until_on = CalendarDate(load_default=None, allow_none=True,
                            metadata={"description": "Last day (inclusive); default: from_on."})
    available = fields.Boolean(load_default=False,
                               metadata={"description": "true: extra hours (times required); false: not available."})
    start_time = LocalTime(load_default=None, allow_none=True)
    end_time = LocalTime(load_default=None, allow_none=True)
    reason = fields.String(load_default="", validate=validate.Length(max=200))


class IntervalQuerySchema(Schema):
    from_on = CalendarDate(load_default=None, metadata={"description": "Default: today (Brussels)."})
    to_on = CalendarDate(load_default=None, metadata={"description": "Inclusive, 62 days at most after from_on; "
                                                                     "default: six days after from_on."})


class IntervalSchema(Schema):
    starts_at = fields.DateTime(format="iso")
    ends_at = fields.DateTime(format="iso")


class IntervalListSchema(Schema):
    items = fields.List(fields.Nested(IntervalSchema), required=True)
    next_cursor = fields.String(allow_none=True, required=True)


# --- disputes -------------------------------------------------------------------------------

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
