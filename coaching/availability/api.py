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
from portal.api_views import endpoint
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.mail import commit
from portal.permissions import Permission

blp = Blueprint("availability_api", __name__, description="Coaches' weekly hours and exceptions")




def _payload(current: availability_services.CoachAvailability) -> dict[str, Any]:
    return {"coach_id": current.coach.id, "timezone": current.coach.timezone,
            "weekly": [{"weekday": r.weekday, "start_time": r.start_time, "end_time": r.end_time}
                       for r in current.weekly],
            "exceptions": current.exceptions}


@endpoint(blp, "/coaches/<int:coach_id>/availability", access=(Permission.CALENDAR_MANAGE,),
          response=(200, AvailabilitySchema))
def get_availability(coach_id: int):  # type: ignore[no-untyped-def]
    """The coach's weekly hours (local times in the coach's zone) and the exceptions not over yet.

    A coach reads their own; a provider administrator any of the provider's coaches.
    """
    return _payload(availability_services.coach_availability(db.session, current_user, coach_id,
                                                             today=today_in_brussels()))


@endpoint(blp, "/coaches/<int:coach_id>/availability", method="PUT", access=(Permission.CALENDAR_MANAGE,),
          body=AvailabilityUpdateSchema, response=(200, AvailabilitySchema),
          refusals={422: "End before start, not on 15-minute steps, or overlapping"})
def put_availability(data: dict[str, Any], coach_id: int):  # type: ignore[no-untyped-def]
    """Replace the whole weekly pattern (and optionally the coach's time zone).

    Times are wall-clock times in the coach's IANA zone, so 09:00 stays 09:00 across daylight saving.
    """
    ranges = [availability_services.WeeklyInput(r["weekday"], r["start_time"], r["end_time"])
              for r in data["weekly"]]
    current = availability_services.replace_weekly(db.session, current_user, coach_id, ranges,
                                                   timezone=data["timezone"], now=utcnow())
    return _payload(current)


@endpoint(blp, "/coaches/<int:coach_id>/availability/exceptions", method="POST", access=(Permission.CALENDAR_MANAGE,),
          body=AvailabilityExceptionCreateSchema, response=(201, AvailabilityExceptionSchema),
          refusals={422: "Invalid times or days, or overlapping another exception"})
def add_exception(data: dict[str, Any], coach_id: int):  # type: ignore[no-untyped-def]
    """Days off (no times), hours off, or extra hours (``available: true``) from ``from_on`` to ``until_on``."""
    row = availability_services.add_exception(db.session, current_user, coach_id,
                                              availability_services.ExceptionInput(**data),
                                              today=today_in_brussels(), now=utcnow())
    return row


@endpoint(blp, "/coaches/<int:coach_id>/availability/exceptions/<int:exception_id>", method="DELETE",
          access=(Permission.CALENDAR_MANAGE,), response=(204, None), commits=False)
def delete_exception(coach_id: int, exception_id: int):  # type: ignore[no-untyped-def]
    """Remove an exception."""
    availability_services.remove_exception(db.session, current_user, coach_id, exception_id, now=utcnow())
    commit()


@endpoint(blp, "/coaches/<int:coach_id>/availability/intervals", access=(Permission.CALENDAR_MANAGE,),
          query=IntervalQuerySchema, response=(200, IntervalListSchema))
def intervals(query: dict[str, Any], coach_id: int):  # type: ignore[no-untyped-def]
    """When the coach is available between two local days, as UTC instants (daylight saving applied)."""
    from_on = query["from_on"] or today_in_brussels()
    to_on = query["to_on"] or from_on + timedelta(days=6)
    _coach, found = availability_services.availability_between(db.session, current_user, coach_id, from_on, to_on)
    return {"items": [{"starts_at": start, "ends_at": end} for start, end in found], "next_cursor": None}
