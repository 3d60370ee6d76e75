"""The provider side's share of a person's data (registered with ``portal.privacy`` when the app is composed):
their coaching sessions, what coaches noted about them, their disputes, and the claims for their sessions.

A session's note is the coach's record of an individual session, about its one participant: it is theirs to see
in the export, and it goes when the account closes. A collective session's note is about the group: it stays
(the sessions themselves, their figures and claims stay too, as money records). What the person wrote when
disputing a session goes; the provider's and the fund's notes on the dispute are the reasons of a decision about
money, and stay without the person's name.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.claims.models import Claim
from coaching.disputes import late
from coaching.disputes.models import SessionDispute
from coaching.providers.models import Coach, Provider
from portal import privacy
from portal.auth.models import User
from portal.privacy import plain
from vouchers.requests.models import Beneficiary, Voucher


def _seats(session: Session, user: User) -> list[tuple[SessionSeat, CoachingSession]]:
    return list(session.execute(
        select(SessionSeat, CoachingSession)
        .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
        .join(Voucher, Voucher.id == SessionSeat.voucher_id)
        .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
        .where(Beneficiary.user_id == user.id)
        .order_by(CoachingSession.starts_at, SessionSeat.id)).tuples())


def _disputes(session: Session, seat_ids: list[int]) -> list[SessionDispute]:
    if not seat_ids:
        return []
    return list(session.scalars(select(SessionDispute).where(SessionDispute.seat_id.in_(seat_ids))
                                .order_by(SessionDispute.id)))


def _claims(session: Session, user: User) -> list[Claim]:
    return list(session.scalars(select(Claim).join(Voucher, Voucher.id == Claim.voucher_id)
                                .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
                                .where(Beneficiary.user_id == user.id).order_by(Claim.id)))


def _export(session: Session, user: User) -> dict[str, Any]:
    seats = _seats(session, user)
    if not seats:
        return {}
    coaches = {c.id: c.display_name for c in session.scalars(
        select(Coach).where(Coach.id.in_({booked.coach_id for _seat, booked in seats})))}
    providers = {p.id: p.name for p in session.scalars(
        select(Provider).where(Provider.id.in_({booked.provider_id for _seat, booked in seats})))}
    return {
        "coaching_sessions": [{
            "session_id": booked.id, "kind": booked.kind, "mode": booked.mode, "starts_at": plain(booked.starts_at),
            "ends_at": plain(booked.ends_at), "duration_minutes": booked.duration_minutes,
            "location": booked.location, "theme": booked.theme, "status": booked.status,
            "provider": providers.get(booked.provider_id), "coach": coaches.get(booked.coach_id),
            "voucher_id": seat.voucher_id, "attendance": seat.attendance, "cost_cents": seat.cost_cents,
            "logged_minutes": booked.logged_minutes, "logged_at": plain(booked.logged_at),
            "coach_note": booked.note if booked.kind == "individual" else None,
            "confirmation": seat.confirmation, "confirm_by_on": plain(seat.confirm_by_on),
            "confirmed_at": plain(seat.confirmed_at), "confirmed_by_silence": seat.confirmed_by_silence,
            "dispute_reason": seat.dispute_reason,
        } for seat, booked in seats],
        "disputes": [{
            "session_id": next(booked.id for seat, booked in seats if seat.id == d.seat_id), "status": d.status,
            "opened_at": plain(d.opened_at), "escalated_at": plain(d.escalated_at),
            "escalation_note": d.escalation_note, "resolved_at": plain(d.resolved_at),
            "resolution_note": d.resolution_note, "corrected_attendance": d.corrected_attendance,
            "corrected_minutes": d.corrected_minutes,
        } for d in _disputes(session, [seat.id for seat, _booked in seats])],
        "claims": [{"claim_id": c.id, "voucher_id": c.voucher_id, "provider": providers.get(c.provider_id),
                    "amount_cents": c.amount_cents, "status": c.status, "submitted_at": plain(c.submitted_at),
                    "decided_at": plain(c.decided_at), "decision_reason": c.decision_reason,
                    "paid_on": plain(c.paid_on)} for c in _claims(session, user)],
    }


def _objects(session: Session, user: User) -> list[tuple[str, int]]:
    seats = _seats(session, user)
    found: list[tuple[str, int]] = [("session_seat", seat.id) for seat, _booked in seats]
    found += [("coaching_session", booked.id) for _seat, booked in seats if booked.kind == "individual"]
    found += [("session_dispute", d.id) for d in _disputes(session, [seat.id for seat, _booked in seats])]
    found += [("claim", c.id) for c in _claims(session, user)]
    return found


def _erase(session: Session, user: User, now: datetime) -> None:
    seats = _seats(session, user)
    for seat, booked in seats:
        seat.dispute_reason = None
        if booked.kind == "individual":
            booked.note = None
    names = privacy.names_of(user)
    for dispute in _disputes(session, [seat.id for seat, _booked in seats]):
        dispute.escalation_note = privacy.redact(dispute.escalation_note, names) if dispute.escalation_note else None
        dispute.resolution_note = privacy.redact(dispute.resolution_note, names) if dispute.resolution_note else None
    late.forget_messages(session, [seat.id for seat, _booked in seats])  # written to the provider after the day
    session.flush()


privacy.register("coaching", privacy.PersonalData(export=_export, erase=_erase, objects=_objects))
