from __future__ import annotations

from datetime import time
from typing import Any

from marshmallow import Schema, ValidationError, fields, validate

from coaching.providers.schemas import EARLIEST_ON, LATEST_ON


def _wall_clock(value: time) -> bool:
    if value.tzinfo is not None:
        raise ValidationError("Give a local time without an offset, e.g. 09:00.")
    return True


def LocalTime(**kwargs: Any) -> fields.Time:
    return fields.Time(validate=_wall_clock, metadata={"description": "Local time of the coach, HH:MM."}, **kwargs)


def CalendarDate(**kwargs: Any) -> fields.Date:
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
