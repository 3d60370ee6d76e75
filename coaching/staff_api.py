"""JSON API for provider staff (offers, coaches, vouchers, sessions, claims), the beneficiary's
confirmations, the coach's calendar feed, and the fund's claim decisions (API.md)."""

from __future__ import annotations

import secrets
from typing import Any

from flask import Response, abort, current_app, request
from flask_login import current_user
from flask_smorest import Blueprint
from sqlalchemy import select

from coaching.calendar import ical_feed
from coaching.models import Coach, CoachingSession, SessionSeat
from coaching.presenters import provider_voucher_page
from coaching.services import availability as availability_services
from coaching.services import claims as claim_services
from coaching.services import offers as offer_services
from coaching.services import sessions as session_services
from coaching.staff_schemas import (
    AcceptSchema,
    ClaimCreateSchema,
    ClaimListSchema,
    ClaimQuerySchema,
    ClaimSchema,
    CoachCreateSchema,
    CoachSchema,
    ConfirmationSchema,
    DisputeSchema,
    LogSchema,
    OfferCreateSchema,
    OfferListSchema,
    OfferSchema,
    ProviderVoucherListSchema,
    ProviderVoucherQuerySchema,
    RejectSchema,
    SessionCreateSchema,
    SessionSchema,
)
from portal.auth.emails import queue_password_reset
from portal.auth.schemas import ApiErrorSchema
from portal.clock import today_in_brussels, utcnow
from portal.db import db
from portal.mail import commit
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Permission, api_access
from portal.private_cache import private_page
from vouchers.presenters import voucher_dict
from vouchers.schemas import VoucherSchema
from vouchers.services.vouchers import accept_provider_change

blp = Blueprint("coaching_api", __name__, description="Provider staff, sessions, confirmations and claims")
BEARER = [{"bearerAuth": []}]



def session_payload(booked: CoachingSession) -> dict[str, Any]:
    seats = db.session.scalars(select(SessionSeat).where(SessionSeat.session_id == booked.id)
                               .order_by(SessionSeat.voucher_id)).all()
    return {**{c: getattr(booked, c) for c in ("id", "coach_id", "kind", "mode", "status", "starts_at", "ends_at",
                                               "duration_minutes", "logged_minutes", "capacity", "location", "theme")},
            "seats": seats}


@blp.route("/provider/offers", methods=["GET"])
@api_access(Permission.PROVIDER_VOUCHERS_VIEW)
@blp.response(200, OfferListSchema)
@blp.doc(security=BEARER)
def list_offers():  # type: ignore[no-untyped-def]
    """The provider's offers (all on one page: a provider has a handful)."""
    return {"items": offer_services.provider_offers(db.session, current_user), "next_cursor": None}


@blp.route("/provider/offers", methods=["POST"])
@api_access(Permission.PROVIDER_OFFERS_MANAGE)
@blp.arguments(OfferCreateSchema)
@blp.response(201, OfferSchema)
@blp.alt_response(422, schema=ApiErrorSchema, description="Beyond 12 individual hours, or costs more than the voucher")
@blp.doc(security=BEARER)
def create_offer(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """A mix of individual hours and 3.5-hour collective sessions, validated against the fund's settings."""
    offer = offer_services.create_offer(db.session, current_user, today=today_in_brussels(), **data)
    commit()
    return offer


@blp.route("/provider/offers/<int:offer_id>/deactivate", methods=["POST"])
@api_access(Permission.PROVIDER_OFFERS_MANAGE)
@blp.response(200, OfferSchema)
@blp.doc(security=BEARER)
def deactivate_offer(offer_id: int):  # type: ignore[no-untyped-def]
    """Deactivate an offer: no new voucher can be accepted (or re-planned) with it; vouchers already
    planned with it keep their mix. Deactivating an inactive offer changes nothing."""
    offer = offer_services.set_offer_active(db.session, current_user, offer_id, False, now=utcnow())
    commit()
    return offer


@blp.route("/provider/offers/<int:offer_id>/reactivate", methods=["POST"])
@api_access(Permission.PROVIDER_OFFERS_MANAGE)
@blp.response(200, OfferSchema)
@blp.doc(security=BEARER)
def reactivate_offer(offer_id: int):  # type: ignore[no-untyped-def]
    """Make a deactivated offer available again for new vouchers."""
    offer = offer_services.set_offer_active(db.session, current_user, offer_id, True, now=utcnow())
    commit()
    return offer


@blp.route("/provider/coaches", methods=["POST"])
@api_access(Permission.PROVIDER_COACHES_MANAGE)
@blp.arguments(CoachCreateSchema)
@blp.response(201, CoachSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="The e-mail already has an account")
@blp.doc(security=BEARER)
def add_coach(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Add a coach: the account is created and an invitation e-mail lets them choose a password."""
    coach, user = offer_services.add_coach(db.session, current_user, **data)
    queue_password_reset(db.session, user)
    commit()
    return _coach_payload(coach)


def _coach_payload(coach: Coach) -> dict[str, Any]:
    base = current_app.config["PUBLIC_BASE_URL"].rstrip("/")
    return {"id": coach.id, "user_id": coach.user_id, "display_name": coach.display_name, "email": coach.email,
            "timezone": coach.timezone,
            "calendar_url": f"{base}/api/v1/coaches/{coach.id}/calendar.ics?token={coach.calendar_token}"}


@blp.route("/provider/vouchers", methods=["GET"])
@api_access(Permission.PROVIDER_VOUCHERS_VIEW)
@private_page
@blp.arguments(ProviderVoucherQuerySchema, location="query")
@blp.response(200, ProviderVoucherListSchema)
@blp.alt_response(422, schema=ApiErrorSchema, description="An unknown status or a bad cursor")
@blp.doc(security=BEARER)
def provider_vouchers(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The vouchers assigned to this provider, and those waiting for it to accept a change of provider, newest
    first, paged with `next_cursor`."""
    rows, next_cursor = provider_voucher_page(db.session, current_user, status=query["status"], limit=query["limit"],
                                              cursor=query["cursor"])
    return {"items": rows, "next_cursor": next_cursor}


@blp.route("/provider/vouchers/<int:voucher_id>/accept", methods=["POST"])
@api_access(Permission.PROVIDER_VOUCHERS_ACCEPT)
@blp.arguments(AcceptSchema)
@blp.response(200, VoucherSchema)
@blp.doc(security=BEARER)
def accept_voucher(data: dict[str, Any], voucher_id: int):  # type: ignore[no-untyped-def]
    """Accept the voucher and fix its mix with one of the provider's offers (at the first interview).

    Also accepts a change of provider made by the beneficiary. Calling it again re-plans the mix;
    what was delivered is never un-spent.
    """
    now = utcnow()
    from vouchers.models import Voucher

    voucher = db.session.get(Voucher, voucher_id)
    if voucher is not None and voucher.pending_provider_id == current_user.provider_id:
        accept_provider_change(db.session, current_user, voucher_id, now=now)
    voucher = offer_services.accept_voucher(db.session, current_user, voucher_id, data["offer_id"], now=now)
    commit()
    return voucher_dict(db.session, voucher)


@blp.route("/sessions", methods=["POST"])
@api_access(Permission.SESSION_SCHEDULE)
@blp.arguments(SessionCreateSchema)
@blp.response(201, SessionSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Double booking of the coach, or a voucher's balance exceeded")
@blp.doc(security=BEARER)
def schedule(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Book a session. Individual: 60–120 minutes in 15-minute steps, one voucher. Collective: 210 minutes.

    A session outside the coach's availability is booked all the same, with an
    ``outside_availability`` warning in ``warnings``.
    """
    booked = session_services.schedule_session(db.session, current_user, session_services.SessionPlan(**data),
                                               now=utcnow())
    warnings = availability_services.booking_warnings(db.session, booked)
    commit()
    return {**session_payload(booked), "warnings": warnings}


@blp.route("/sessions/<int:session_id>", methods=["GET"])
@api_access(Permission.SESSION_LOG)
@blp.response(200, SessionSchema)
@blp.doc(security=BEARER)
def get_session(session_id: int):  # type: ignore[no-untyped-def]
    """One session (provider staff; a coach sees only their own)."""
    return session_payload(session_services.get_session_for_staff(db.session, current_user, session_id))


@blp.route("/sessions/<int:session_id>/log", methods=["POST"])
@api_access(Permission.SESSION_LOG)
@blp.arguments(LogSchema)
@blp.response(200, SessionSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Already logged, or the balance would be exceeded")
@blp.doc(security=BEARER)
def log(data: dict[str, Any], session_id: int):  # type: ignore[no-untyped-def]
    """Log attendance per voucher, the real duration and a short neutral note (sensitive)."""
    attendance = {int(key): value for key, value in data["attendance"].items()}
    booked = session_services.log_session(db.session, current_user, session_id, attendance, data["duration_minutes"],
                                          data.get("note"), now=utcnow())
    commit()
    return session_payload(booked)


@blp.route("/sessions/<int:session_id>/cancel", methods=["POST"])
@api_access(Permission.SESSION_SCHEDULE)
@blp.response(200, SessionSchema)
@blp.doc(security=BEARER)
def cancel(session_id: int):  # type: ignore[no-untyped-def]
    """Cancel a scheduled session; its booking is released from the vouchers."""
    booked = session_services.cancel_session(db.session, current_user, session_id, now=utcnow())
    commit()
    return session_payload(booked)


def _seat_payload(seat: SessionSeat) -> dict[str, Any]:
    return {"session_id": seat.session_id, "voucher_id": seat.voucher_id, "attendance": seat.attendance,
            "confirmation": seat.confirmation, "dispute_reason": seat.dispute_reason}


@blp.route("/sessions/<int:session_id>/confirm", methods=["POST"])
@api_access(Permission.SESSION_CONFIRM)
@blp.response(200, ConfirmationSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Not logged yet, or already answered")
@blp.doc(security=BEARER)
def confirm(session_id: int):  # type: ignore[no-untyped-def]
    """The beneficiary confirms a logged session (silence confirms it after 5 working days)."""
    seat = session_services.confirm_session(db.session, current_user, session_id, now=utcnow())
    commit()
    return _seat_payload(seat)


@blp.route("/sessions/<int:session_id>/dispute", methods=["POST"])
@api_access(Permission.SESSION_CONFIRM)
@blp.arguments(DisputeSchema)
@blp.response(200, ConfirmationSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Not logged yet, or already answered")
@blp.doc(security=BEARER)
def dispute(data: dict[str, Any], session_id: int):  # type: ignore[no-untyped-def]
    """The beneficiary disputes a logged session; the provider and then the fund look at it."""
    seat = session_services.dispute_session(db.session, current_user, session_id, data["reason"], now=utcnow())
    commit()
    return _seat_payload(seat)


@blp.route("/coaches/<int:coach_id>/calendar.ics", methods=["GET"])
@api_access(public=True)
@blp.doc(parameters=[{"in": "query", "name": "token", "required": True, "schema": {"type": "string"},
                      "description": "The coach's secret calendar token (from calendar_url)."}],
         responses={"200": {"description": "text/calendar", "content": {"text/calendar": {"schema": {"type": "string"}}}},
                    "404": {"description": "Unknown coach or wrong token"}})
def calendar_feed(coach_id: int):  # type: ignore[no-untyped-def]
    """The coach's iCalendar feed, reached through its secret URL (no login: calendar apps cannot log in)."""
    coach = db.session.get(Coach, coach_id)
    token = request.args.get("token", "")
    if coach is None or not coach.active or not secrets.compare_digest(coach.calendar_token, token):
        abort(404)
    body = ical_feed(db.session, coach, now=utcnow(), base_url=current_app.config["PUBLIC_BASE_URL"])
    return Response(body, mimetype="text/calendar", headers={"Cache-Control": "private, max-age=300"})


@blp.route("/provider/claims", methods=["POST"])
@api_access(Permission.CLAIM_SUBMIT)
@blp.arguments(ClaimCreateSchema)
@blp.response(201, ClaimSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="A session not confirmed, or already claimed")
@blp.doc(security=BEARER)
def submit_claim(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Claim confirmed sessions of one voucher; the amount is capped at the voucher value."""
    claim = claim_services.submit_claim(db.session, current_user, data["voucher_id"], data["session_ids"], now=utcnow())
    commit()
    return claim


@blp.route("/provider/claims", methods=["GET"])
@api_access(Permission.CLAIM_SUBMIT)
@private_page
@blp.arguments(ClaimQuerySchema, location="query")
@blp.response(200, ClaimListSchema)
@blp.doc(security=BEARER)
def provider_claims(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The provider's own claims."""
    return _claim_page(query)


def _claim_page(query: dict[str, Any]) -> dict[str, Any]:
    after_id = decode_id_cursor(query["cursor"])
    rows = claim_services.list_claims(db.session, current_user, status=query["status"], limit=query["limit"] + 1,
                                      after_id=after_id)
    next_cursor = encode_cursor([rows[query["limit"] - 1].id]) if len(rows) > query["limit"] else None
    return {"items": rows[: query["limit"]], "next_cursor": next_cursor}


@blp.route("/admin/claims", methods=["GET"])
@api_access(Permission.ADMIN_CLAIMS_DECIDE)
@private_page
@blp.arguments(ClaimQuerySchema, location="query")
@blp.response(200, ClaimListSchema)
@blp.doc(security=BEARER)
def admin_claims(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The providers' claims, oldest first."""
    return _claim_page(query)


@blp.route("/admin/claims/<int:claim_id>/approve", methods=["POST"])
@api_access(Permission.ADMIN_CLAIMS_DECIDE)
@blp.response(200, ClaimSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Already decided")
@blp.doc(security=BEARER)
def approve_claim(claim_id: int):  # type: ignore[no-untyped-def]
    """Approve a claim: the committed voucher value becomes payable to the provider."""
    claim = claim_services.approve_claim(db.session, current_user, claim_id, today=today_in_brussels(), now=utcnow())
    commit()
    return claim


@blp.route("/admin/claims/<int:claim_id>/reject", methods=["POST"])
@api_access(Permission.ADMIN_CLAIMS_DECIDE)
@blp.arguments(RejectSchema)
@blp.response(200, ClaimSchema)
@blp.alt_response(409, schema=ApiErrorSchema, description="Already decided")
@blp.doc(security=BEARER)
def reject_claim(data: dict[str, Any], claim_id: int):  # type: ignore[no-untyped-def]
    """Reject a claim with a reason; its sessions can be claimed again."""
    claim = claim_services.reject_claim(db.session, current_user, claim_id, data["reason"], today=today_in_brussels(),
                                        now=utcnow())
    commit()
    return claim
