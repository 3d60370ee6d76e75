"""JSON API of disputed sessions: the provider accepts or escalates, the fund decides
(the pages in ``coaching.dispute_views`` run the same services)."""

from __future__ import annotations

from typing import Any

from flask_login import current_user
from flask_smorest import Blueprint

from coaching.disputes import services as dispute_services
from coaching.disputes.schemas import (
    DisputeAcceptSchema,
    DisputeDecisionSchema,
    DisputeEscalateSchema,
    DisputeQuerySchema,
    SessionDisputeListSchema,
    SessionDisputeSchema,
)
from portal import audit
from portal.api_views import endpoint
from portal.clock import utcnow
from portal.db import db
from portal.mail import commit
from portal.pagination import decode_id_cursor, encode_cursor
from portal.permissions import Permission

blp = Blueprint("disputes_api", __name__, description="Disputed sessions: the provider, then the fund")




def dispute_payload(view: dispute_services.DisputeView) -> dict[str, Any]:
    """Never the session's sensitive note: the fund reads these too."""
    d, seat, booked = view.dispute, view.seat, view.booked
    return {"id": d.id, "status": d.status, "provider_id": d.provider_id, "session_id": booked.id,
            "voucher_id": view.voucher.id, "voucher_code": view.voucher.code,
            "beneficiary_name": view.beneficiary_name, "coach_id": view.coach.id,
            "coach_name": view.coach.display_name, "kind": booked.kind, "starts_at": booked.starts_at,
            "duration_minutes": booked.duration_minutes, "logged_minutes": booked.logged_minutes,
            "attendance": seat.attendance, "cost_cents": seat.cost_cents, "dispute_reason": seat.dispute_reason,
            "opened_at": d.opened_at, "escalated_at": d.escalated_at, "escalation_note": d.escalation_note,
            "resolved_at": d.resolved_at, "resolution_note": d.resolution_note,
            "corrected_attendance": d.corrected_attendance, "corrected_minutes": d.corrected_minutes}


def _page(query: dict[str, Any], lister: Any) -> dict[str, Any]:
    after_id = decode_id_cursor(query["cursor"])
    rows = lister(db.session, current_user, status=query["status"], limit=query["limit"] + 1, after_id=after_id)
    next_cursor = encode_cursor([rows[query["limit"] - 1].dispute.id]) if len(rows) > query["limit"] else None
    return {"items": [dispute_payload(v) for v in rows[: query["limit"]]], "next_cursor": next_cursor}


@endpoint(blp, "/provider/disputes", access=(Permission.DISPUTE_RESOLVE,), query=DisputeQuerySchema,
          response=(200, SessionDisputeListSchema))
def provider_disputes(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """The provider's disputed sessions, oldest first (``status=open``: those waiting for it)."""
    return _page(query, dispute_services.provider_disputes)


@endpoint(blp, "/provider/disputes/<int:dispute_id>", access=(Permission.DISPUTE_RESOLVE,),
          response=(200, SessionDisputeSchema))
def provider_dispute(dispute_id: int):  # type: ignore[no-untyped-def]
    return dispute_payload(dispute_services.dispute_for_provider(db.session, current_user, dispute_id))


@endpoint(blp, "/provider/disputes/<int:dispute_id>/accept", method="POST", access=(Permission.DISPUTE_RESOLVE,),
          body=DisputeAcceptSchema, response=(200, SessionDisputeSchema),
          refusals={409: "Not waiting for the provider", 422: "Nothing to correct, a duration not allowed, or a "
                   "correction that would raise what the session used (`raises_usage`: escalate instead)"})
def accept(data: dict[str, Any], dispute_id: int):  # type: ignore[no-untyped-def]
    """Accept the dispute: the seat is corrected (attendance; real duration of an individual session),
    the hours and euros it no longer uses go back to the voucher, and it counts as confirmed. A
    correction only ever lowers what the session used: never longer, never attended instead of a
    no-show or a late cancellation (422 ``raises_usage``; send the dispute to the fund instead)."""
    view = dispute_services.accept_dispute(db.session, current_user, dispute_id, now=utcnow(), **data)
    return dispute_payload(view)


@endpoint(blp, "/provider/disputes/<int:dispute_id>/escalate", method="POST", access=(Permission.DISPUTE_RESOLVE,),
          body=DisputeEscalateSchema, response=(200, SessionDisputeSchema),
          refusals={409: "Not waiting for the provider"})
def escalate(data: dict[str, Any], dispute_id: int):  # type: ignore[no-untyped-def]
    """Keep the log and send the dispute to the fund with the provider's side."""
    view = dispute_services.escalate_dispute(db.session, current_user, dispute_id, data["note"], now=utcnow())
    return dispute_payload(view)


@endpoint(blp, "/admin/disputes", access=(Permission.ADMIN_DISPUTES_DECIDE,), query=DisputeQuerySchema,
          response=(200, SessionDisputeListSchema))
def admin_disputes(query: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Disputes the providers sent to the fund, oldest first (``status=escalated``: waiting for a decision)."""
    return _page(query, dispute_services.fund_disputes)


@endpoint(blp, "/admin/disputes/<int:dispute_id>", access=(Permission.ADMIN_DISPUTES_DECIDE,),
          response=(200, SessionDisputeSchema))
def admin_dispute(dispute_id: int):  # type: ignore[no-untyped-def]
    """One dispute sent to the fund (reading it is logged: it names the beneficiary)."""
    view = dispute_services.dispute_for_fund(db.session, current_user, dispute_id)
    audit.record_read(db.session, actor=current_user, object_type="session_dispute", object_id=dispute_id,
                      now=utcnow())
    commit()
    return dispute_payload(view)


@endpoint(blp, "/admin/disputes/<int:dispute_id>/decision", method="POST", access=(Permission.ADMIN_DISPUTES_DECIDE,),
          body=DisputeDecisionSchema, response=(200, SessionDisputeSchema),
          refusals={409: "Already decided", 422: "No reason, upheld without the real attendance, or "
                   "upheld with a correction that would raise what the session used (`raises_usage`)"})
def decide(data: dict[str, Any], dispute_id: int):  # type: ignore[no-untyped-def]
    """Uphold the dispute (the seat is corrected as when a provider accepts it, never beyond what
    was logged) or dismiss it (the session stays as logged). Either way the seat counts as confirmed."""
    view = dispute_services.decide_dispute(db.session, current_user, dispute_id, now=utcnow(), **data)
    return dispute_payload(view)
