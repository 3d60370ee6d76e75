from __future__ import annotations

import secrets
from typing import Any

from flask import Response, abort, current_app, request
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from coaching.availability import services as availability_services
from coaching.calendar.ical import ical_feed
from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.schemas import (
    ConfirmationSchema,
    LogSchema,
    SeatCreateSchema,
    SessionCreateSchema,
    SessionSchema,
)
from coaching.calendar.services import seats
from coaching.calendar.services import sessions as session_services
from coaching.disputes import late
from coaching.disputes.schemas import DisputeSchema
from coaching.providers.models import Coach
from portal.api_views import endpoint
from portal.clock import utcnow
from portal.db import db
from portal.errors import N_, Conflict
from portal.mail import commit
from portal.permissions import Permission

blp = Blueprint("calendar_api", __name__, description="Sessions: booking, logging, cancelling, confirmations, and coaches' calendar feeds")

def session_payload(booked: CoachingSession) -> dict[str, Any]:
    seats = db.session.scalars(select(SessionSeat).where(SessionSeat.session_id == booked.id)
                               .order_by(SessionSeat.voucher_id)).all()
    return {**{c: getattr(booked, c) for c in ("id", "coach_id", "kind", "mode", "status", "starts_at", "ends_at",
                                               "duration_minutes", "logged_minutes", "capacity", "location", "theme")},
            "seats": seats}


@endpoint(blp, "/sessions", method="POST", access=(Permission.SESSION_SCHEDULE,), body=SessionCreateSchema,
          response=(201, SessionSchema),
          refusals={409: "Double booking of the coach, or a voucher's balance exceeded"})
def schedule(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Book a session. Individual: 60–120 minutes in 15-minute steps, one voucher. Collective: 210 minutes.

    A session outside the coach's availability is booked all the same, with an
    ``outside_availability`` warning in ``warnings``.
    """
    booked = session_services.schedule_session(db.session, current_user, session_services.SessionPlan(**data),
                                               now=utcnow())
    warnings = availability_services.booking_warnings(db.session, booked)
    return {**session_payload(booked), "warnings": warnings}


@endpoint(blp, "/sessions/<int:session_id>", access=(Permission.SESSION_LOG,), response=(200, SessionSchema))
def get_session(session_id: int):  # type: ignore[no-untyped-def]
    """One session (provider staff; a coach sees only their own)."""
    return session_payload(session_services.get_session_for_staff(db.session, current_user, session_id))


@endpoint(blp, "/sessions/<int:session_id>/log", method="POST", access=(Permission.SESSION_LOG,), body=LogSchema,
          response=(200, SessionSchema), refusals={409: "Already logged, or the balance would be exceeded"})
def log(data: dict[str, Any], session_id: int):  # type: ignore[no-untyped-def]
    """Log attendance per voucher, the real duration and a short neutral note (sensitive)."""
    attendance = {int(key): value for key, value in data["attendance"].items()}
    booked = session_services.log_session(db.session, current_user, session_id, attendance, data["duration_minutes"],
                                          data.get("note"), now=utcnow())
    return session_payload(booked)


@endpoint(blp, "/sessions/<int:session_id>/cancel", method="POST", access=(Permission.SESSION_SCHEDULE,),
          response=(200, SessionSchema))
def cancel(session_id: int):  # type: ignore[no-untyped-def]
    """Cancel a scheduled session; its booking is released from the vouchers."""
    booked = session_services.cancel_session(db.session, current_user, session_id, now=utcnow())
    return session_payload(booked)


@endpoint(blp, "/sessions/<int:session_id>/seats", method="POST", access=(Permission.SESSION_SCHEDULE,),
          body=SeatCreateSchema, response=(201, SessionSchema),
          refusals={409: "Not a planned group session, full, already seated, voucher closed or its balance short",
                    422: "The session is outside the voucher's validity"})
def add_seat(data: dict[str, Any], session_id: int):  # type: ignore[no-untyped-def]
    """Add a beneficiary (their voucher) to a planned collective session. Answers the session with its seats."""
    seat = seats.add_seat(db.session, current_user, session_id, data["voucher_id"], now=utcnow())
    return session_payload(db.session.get(CoachingSession, seat.session_id))


@endpoint(blp, "/sessions/<int:session_id>/seats/<int:voucher_id>", method="DELETE",
          access=(Permission.SESSION_SCHEDULE,), response=(200, SessionSchema),
          refusals={404: "No such seat in this session", 409: "Not a planned group session"})
def remove_seat(session_id: int, voucher_id: int):  # type: ignore[no-untyped-def]
    """Take a beneficiary out of a planned collective session: its booking is released from their voucher."""
    seats.remove_seat(db.session, current_user, session_id, voucher_id, now=utcnow())
    return session_payload(db.session.get(CoachingSession, session_id))


def _seat_payload(seat: SessionSeat) -> dict[str, Any]:
    return {"session_id": seat.session_id, "voucher_id": seat.voucher_id, "attendance": seat.attendance,
            "confirmation": seat.confirmation, "dispute_reason": seat.dispute_reason}


@endpoint(blp, "/sessions/<int:session_id>/confirm", method="POST", access=(Permission.SESSION_CONFIRM,),
          response=(200, ConfirmationSchema), refusals={409: "Not logged yet, or already answered"})
def confirm(session_id: int):  # type: ignore[no-untyped-def]
    """The beneficiary confirms a logged session (silence confirms it after 5 working days)."""
    seat = session_services.confirm_session(db.session, current_user, session_id, now=utcnow())
    return _seat_payload(seat)


@endpoint(blp, "/sessions/<int:session_id>/dispute", method="POST", access=(Permission.SESSION_CONFIRM,),
          body=DisputeSchema, response=(200, ConfirmationSchema),
          refusals={409: "Not logged yet, or already answered; or "
                   "`answer_period_over`: after the confirm-by day the session counts as confirmed and no dispute is "
                   "opened, but the reason is sent to the provider as a message (`sent_to_provider: true`)"},
          commits=False)
def dispute(data: dict[str, Any], session_id: int):  # type: ignore[no-untyped-def]
    """The beneficiary disputes a logged session; the provider and then the fund look at it. After the day to
    answer the dispute is refused (409 ``answer_period_over``), and the reason goes to the provider as a message."""
    answer = late.dispute_or_write(db.session, current_user, session_id, data["reason"], now=utcnow())
    commit()  # the message to the provider stays sent, although the dispute itself is refused
    seat = answer.seat
    if answer.late:
        raise Conflict(N_("The time to answer for this session has passed: it counts as confirmed, and it can no "
                          "longer be disputed. Your message was sent to your coaching provider."),
                       code="answer_period_over",
                       extra={"sent_to_provider": True, "session_id": seat.session_id, "voucher_id": seat.voucher_id,
                              "confirmation": seat.confirmation,
                              "confirm_by_on": seat.confirm_by_on.isoformat() if seat.confirm_by_on else None})
    return _seat_payload(seat)


@endpoint(blp, "/coaches/<int:coach_id>/calendar.ics", public=True, response=None, doc={
    "parameters": [{"in": "query", "name": "token", "required": True, "schema": {"type": "string"},
                    "description": "The coach's secret calendar token (from calendar_url)."}],
    "responses": {"200": {"description": "text/calendar", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                  "404": {"description": "Unknown coach or wrong token"},
                  "422": {"description": "A NUL character in the token (`invalid_characters`)"}}})
def calendar_feed(coach_id: int):  # type: ignore[no-untyped-def]
    """The coach's iCalendar feed, reached through its secret URL (no login: calendar apps cannot log in)."""
    coach = db.session.get(Coach, coach_id)
    token = request.args.get("token", "")
    # Bytes: compare_digest refuses a str with non-ASCII characters (a TypeError, so a 500), and any token may
    # come in the link.
    if coach is None or not coach.active or not secrets.compare_digest(coach.calendar_token.encode(), token.encode()):
        abort(404)
    body = ical_feed(db.session, coach, now=utcnow(), base_url=current_app.config["PUBLIC_BASE_URL"])
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})
