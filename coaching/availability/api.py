"""JSON API of a coach's availability: the weekly pattern, its exceptions, and the resulting
intervals in UTC (the pages in ``coaching.availability_views`` run the same services)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from coaching.availability import services as availability_services
from coaching.availability.schemas import (
    AvailabilityExceptionCreateSchema,
    AvailabilityExceptionSchema,
    AvailabilitySchema,
    AvailabilityUpdateSchema,
    IntervalListSchema,
    IntervalQuerySchema,
)
from portal.auth.schemas import ApiErrorSchema
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.mail import commit
from portal.permissions import Permission, api_access
from portal.schema_fields import BEARER

blp = Blueprint("availability_api", __name__, description="Coaches' weekly hours and exceptions")




def _payload(current: availability_services.CoachAvailability) -> dict[str, Any]:
    return {"coach_id": current.coach.id, "timezone": current.coach.timezone,
            "weekly": [{"weekday": r.weekday, "start_time": r.start_time, "end_time": r.end_time}
                       for r in current.weekly],
            "exceptions": current.exceptions}


@blp.route("/coaches/<int:coach_id>/availability", methods=["GET"])
@api_access(Permission.CALENDAR_MANAGE)
@blp.response(200, AvailabilitySchema)
@blp.doc(security=BEARER)
def get_availability(coach_id: int):  # type: ignore[no-untyped-def]
    """The coach's weekly hours (local times in the coach's zone) and the exceptions not over yet.

    A coach reads their own; a provider administrator any of the provider's coaches.
    """
    return _payload(availability_services.coach_availability(db.session, current_user, coach_id,
                                                             today=today_in_brussels()))


@blp.route("/coaches/<int:coach_id>/availability", methods=["PUT"])
@api_access(Permission.CALENDAR_MANAGE)
@blp.arguments(AvailabilityUpdateSchema)
@blp.response(200, AvailabilitySchema)
@blp.alt_response(422, schema=ApiErrorSchema, description="End before start, not on 15-minute steps, or overlapping")
@blp.doc(security=BEARER)
def put_availability(data: dict[str, Any], coach_id: int):  # type: ignore[no-untyped-def]
    """Replace the whole weekly pattern (and optionally the coach's time zone).

    Times are wall-clock times in the coach's IANA zone, so 09:00 stays 09:00 across daylight saving.
    """
    ranges = [availability_services.WeeklyInput(r["weekday"], r["start_time"], r["end_time"])
              for r in data["weekly"]]
    current = availability_services.replace_weekly(db.session, current_user, coach_id, ranges,
                                                   timezone=data["timezone"], now=utcnow())
    commit()
    return _payload(current)


@blp.route("/coaches/<int:coach_id>/availability/exceptions", methods=["POST"])
@api_access(Permission.CALENDAR_MANAGE)
@blp.arguments(AvailabilityExceptionCreateSchema)
@blp.response(201, AvailabilityExceptionSchema)
@blp.alt_response(422, schema=ApiErrorSchema, description="Invalid times or days, or overlapping another exception")
@blp.doc(security=BEARER)
def add_exception(data: dict[str, Any], coach_id: int):  # type: ignore[no-untyped-def]
    """Days off (no times), hours off, or extra hours (``available: true``) from ``from_on`` to ``until_on``."""
    row = availability_services.add_exception(db.session, current_user, coach_id,
                                              availability_services.ExceptionInput(**data),
                                              today=today_in_brussels(), now=utcnow())
    commit()
    return row


@blp.route("/coaches/<int:coach_id>/availability/exceptions/<int:exception_id>", methods=["DELETE"])
@api_access(Permission.CALENDAR_MANAGE)
@blp.response(204)
@blp.doc(security=BEARER)
def delete_exception(coach_id: int, exception_id: int):  # type: ignore[no-untyped-def]
    """Remove an exception."""
    availability_services.remove_exception(db.session, current_user, coach_id, exception_id, now=utcnow())
    commit()


@blp.route("/coaches/<int:coach_id>/availability/intervals", methods=["GET"])
@api_access(Permission.CALENDAR_MANAGE)
@blp.arguments(IntervalQuerySchema, location="query")
@blp.response(200, IntervalListSchema)
@blp.doc(security=BEARER)
def intervals(query: dict[str, Any], coach_id: int):  # type: ignore[no-untyped-def]
    """When the coach is available between two local days, as UTC instants (daylight saving applied)."""
    from_on = query["from_on"] or today_in_brussels()
    to_on = query["to_on"] or from_on + timedelta(days=6)
    _coach, found = availability_services.availability_between(db.session, current_user, coach_id, from_on, to_on)
    return {"items": [{"starts_at": start, "ends_at": end} for start, end in found], "next_cursor": None}
