"""Disputes of logged sessions: the provider first, then the fund (DOMAIN.md, "Confirmation").

A beneficiary disputes a logged session (``sessions.dispute_session`` opens the dispute). The
provider's administrators then either accept it, correcting the seat as the beneficiary says
(attendance, and for an individual session the real duration), or escalate it to the fund with
their side of the story. The fund upholds an escalated dispute (the same correction) or dismisses
it (the log stands). Either way the seat ends confirmed, so an attended seat becomes claimable.

A correction only ever lowers what the seat used (``raised_usage``): attended may become a no-show
or a late cancellation, an individual session may become shorter, and a no-show may become a late
cancellation or the reverse (both use nothing). It never makes a session longer, never turns an
absence into attended and never makes the seat cost more: DOMAIN.md lets the beneficiary confirm
or dispute what was logged, not let the provider (or the fund) add to it without the beneficiary
agreeing. Such a correction is refused (422, ``raises_usage``, with the field at fault); a
provider that stands by its log sends the dispute to the fund instead, and the fund keeps a log by
dismissing the dispute.

A correction never rewrites the usage ledger: it appends a ``corrected`` entry that reverses what
the seat had delivered and, if the corrected seat still used time, a new ``delivered`` entry, all
while the voucher row is locked (as when logging). A disputed seat was never claimable, so no
claim or fund ledger entry has to be undone.

Hours and euros given back stay usable: a voucher is only completed once it is really used up,
that is the whole mix (or its value) delivered *and* no attended seat still pending or disputed
(``sessions.complete_if_used_up``), so a voucher whose last session is disputed stays in progress
until the dispute ends. A dismissed dispute (the seat confirmed as logged) may then complete it.
``completed`` is final in the voucher lifecycle (``vouchers.domain.VOUCHER_TRANSITIONS``, DOMAIN.md),
so a correction never reopens a completed voucher; with the rule above none can have a disputed
seat (only a voucher completed before that rule could, and it stays completed: the fund may
re-plan it by hand).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from coaching.calendar import domain
from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.calendar.services import sessions as session_services
from coaching.disputes.models import SessionDispute
from coaching.providers.models import Coach, Provider
from portal import audit
from portal.auth.models import User
from portal.clock import today_in_brussels
from portal.db import lock_row
from portal.errors import N_, Conflict, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.notifications.services import (
    Msg,
    fund_admins,
    notify,
    page,
    provider_admins,
)
from portal.permissions import Permission, can
from vouchers.requests.models import Beneficiary, Voucher
from vouchers.requests.usage import UsageEntry

STATUSES = ("open", "escalated", "upheld", "dismissed")


DECISIONS = ("uphold", "dismiss")


@dataclass
class DisputeView:
    """A dispute with what a person deciding it needs to see (never the session's sensitive note)."""

    dispute: SessionDispute
    seat: SessionSeat
    booked: CoachingSession
    voucher: Voucher
    beneficiary: User
    coach: Coach
    provider: Provider

    @property
    def beneficiary_name(self) -> str:
        return self.beneficiary.display_name


def _query():  # type: ignore[no-untyped-def]
    return (select(SessionDispute, SessionSeat, CoachingSession, Voucher, User, Coach, Provider)
            .join(SessionSeat, SessionSeat.id == SessionDispute.seat_id)
            .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
            .join(Voucher, Voucher.id == SessionSeat.voucher_id)
            .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
            .join(User, User.id == Beneficiary.user_id)
            .join(Coach, Coach.id == CoachingSession.coach_id)
            .join(Provider, Provider.id == SessionDispute.provider_id))


def _views(session: Session, query: Any) -> list[DisputeView]:
    return [DisputeView(*row) for row in session.execute(query)]


def open_dispute(session: Session, actor: Any, seat: SessionSeat, booked: CoachingSession, *,
                 now: datetime) -> SessionDispute:
    """Called when the beneficiary (``actor``) disputes: the provider's administrators are told."""
    dispute = SessionDispute(seat_id=seat.id, provider_id=booked.provider_id, status="open", opened_at=now)
    session.add(dispute)
    session.flush()
    audit.record(session, actor=actor, object_type="session_dispute", object_id=dispute.id, action="opened",
                 to_state="open", now=now)
    notify(session, provider_admins(session, booked.provider_id), "session_disputed",
           link=page("disputes.provider_dispute", dispute_id=dispute.id), object_type="session_dispute",
           object_id=dispute.id, starts_at=booked.starts_at)
    return dispute


def _provider_id(actor: Any) -> int:
    if not can(actor, Permission.DISPUTE_RESOLVE) or actor.provider_id is None:
        raise NotFound(N_("This dispute does not exist."))
    return int(actor.provider_id)


Statuses = str | tuple[str, ...] | None


def provider_disputes(session: Session, actor: Any, *, status: Statuses = None, limit: int = 50,
                      after_id: int | None = None, newest_first: bool = False) -> list[DisputeView]:
    """The disputes of the actor's provider, oldest first (``status`` filters)."""
    query = _query().where(SessionDispute.provider_id == _provider_id(actor))
    return _views(session, _filtered(query, status, limit, after_id, newest_first))


def _filtered(query: Any, status: Statuses, limit: int, after_id: int | None, newest_first: bool) -> Any:
    if isinstance(status, str):
        query = query.where(SessionDispute.status == status)
    elif status:
        query = query.where(SessionDispute.status.in_(status))
    if after_id:
        query = query.where(SessionDispute.id > after_id)
    order = SessionDispute.id.desc() if newest_first else SessionDispute.id
    return query.order_by(order).limit(limit)


def dispute_for_provider(session: Session, actor: Any, dispute_id: int) -> DisputeView:
    found = _views(session, _query().where(SessionDispute.id == dispute_id,
                                           SessionDispute.provider_id == _provider_id(actor)))
    if not found:
        raise NotFound(N_("This dispute does not exist."))
    return found[0]


def accept_dispute(session: Session, actor: Any, dispute_id: int, *, attendance: str,
                   duration_minutes: int | None, note: str | None, now: datetime) -> DisputeView:
    """The provider agrees with the beneficiary and corrects the seat (hours and euros given back if
    the seat had used them). A correction that would raise what the seat used is refused (422,
    ``raises_usage``): the provider sends such a dispute to the fund instead."""
    view = dispute_for_provider(session, actor, dispute_id)
    lock_row(session, view.dispute)
    if view.dispute.status != "open":
        raise Conflict(N_("This dispute is no longer waiting for the provider."), code="illegal_transition",
                       extra={"from_status": view.dispute.status})
    _correct(session, actor, view, attendance, duration_minutes, now=now, by="provider")
    _close(session, actor, view, "upheld", (note or "").strip() or None, now=now)
    return view


def escalate_dispute(session: Session, actor: Any, dispute_id: int, note: str, *, now: datetime) -> DisputeView:
    """The provider keeps its log and sends the dispute to the fund with its side of the story."""
    view = dispute_for_provider(session, actor, dispute_id)
    note = (note or "").strip()
    if not note:
        raise ValidationFailed(N_("Tell the fund why the log is right."),
                               fields={"note": [N_("Tell the fund why the log is right.")]})
    if len(note) > 2000:
        raise ValidationFailed(N_("Keep the note short."), fields={"note": [N_("Keep the note short (2,000 characters at most).")]})
    lock_row(session, view.dispute)
    if view.dispute.status != "open":
        raise Conflict(N_("This dispute is no longer waiting for the provider."), code="illegal_transition",
                       extra={"from_status": view.dispute.status})
    view.dispute.status = "escalated"
    view.dispute.escalated_at = now
    view.dispute.escalated_by = actor.id
    view.dispute.escalation_note = note
    session.flush()
    audit.record(session, actor=actor, object_type="session_dispute", object_id=view.dispute.id,
                 action="escalated", from_state="open", to_state="escalated", reason=note, now=now)
    notify(session, fund_admins(session), "dispute_escalated",
           link=page("disputes.fund_dispute", dispute_id=view.dispute.id), object_type="session_dispute",
           object_id=view.dispute.id, provider=view.provider.name, starts_at=view.booked.starts_at, note=note)
    return view


def _fund_only(actor: Any) -> None:
    if not can(actor, Permission.ADMIN_DISPUTES_DECIDE):
        raise NotFound(N_("This dispute does not exist."))


def fund_disputes(session: Session, actor: Any, *, status: Statuses = None, limit: int = 50,
                  after_id: int | None = None, newest_first: bool = False) -> list[DisputeView]:
    """Disputes that reached the fund: escalated ones, and those it decided. Disputes still at the
    provider, or settled there, are the provider's business and not listed."""
    _fund_only(actor)
    query = _query().where(SessionDispute.escalated_at.is_not(None))
    return _views(session, _filtered(query, status, limit, after_id, newest_first))


def dispute_for_fund(session: Session, actor: Any, dispute_id: int) -> DisputeView:
    _fund_only(actor)
    found = _views(session, _query().where(SessionDispute.id == dispute_id, SessionDispute.escalated_at.is_not(None)))
    if not found:
        raise NotFound(N_("This dispute does not exist."))
    return found[0]


def decide_dispute(session: Session, actor: Any, dispute_id: int, *, decision: str, note: str,
                   attendance: str | None = None, duration_minutes: int | None = None,
                   now: datetime) -> DisputeView:
    """The fund upholds an escalated dispute (correcting the seat, never beyond what was logged:
    422 ``raises_usage``) or dismisses it (the log stands)."""
    view = dispute_for_fund(session, actor, dispute_id)
    note = (note or "").strip()
    problems: dict[str, list[str]] = {}
    if decision not in DECISIONS:
        problems["decision"] = [N_("Uphold or dismiss the dispute.")]
    if not note:
        problems["note"] = [N_("Give the reason of the decision.")]
    elif len(note) > 2000:
        problems["note"] = [N_("Keep the note short (2,000 characters at most).")]
    if decision == "uphold" and not attendance:
        problems["attendance"] = [N_("Say what the attendance really was.")]
    if problems:
        raise ValidationFailed(N_("The decision is not complete."), fields=problems)
    lock_row(session, view.dispute)
    if view.dispute.status != "escalated":
        raise Conflict(N_("This dispute was already decided."), code="illegal_transition",
                       extra={"from_status": view.dispute.status})
    if decision == "uphold":
        assert attendance is not None
        _correct(session, actor, view, attendance, duration_minutes, now=now, by="fund")
        _close(session, actor, view, "upheld", note, now=now)
    else:
        _close(session, actor, view, "dismissed", note, now=now)
    return view


def _close(session: Session, actor: Any, view: DisputeView, target: str, note: str | None, *,
           now: datetime) -> None:
    """The dispute ends; the seat counts as confirmed (as logged, or as corrected). With no seat of
    it left to answer, a voucher whose whole mix is delivered is now really used up: completed."""
    before = view.dispute.status
    view.dispute.status = target
    view.dispute.resolved_at = now
    view.dispute.resolved_by = actor.id
    view.dispute.resolution_note = note
    seat, voucher = view.seat, view.voucher
    session.flush()
    lock_row(session, voucher)  # the voucher before the seat, as in _correct
    lock_row(session, seat)
    seat.confirmation = "confirmed"
    seat.confirmed_at = now
    session.flush()
    session_services.complete_if_used_up(session, actor, voucher, now=now)
    audit.record(session, actor=actor, object_type="session_dispute", object_id=view.dispute.id,
                 action="decided" if before == "escalated" else "accepted", from_state=before, to_state=target,
                 reason=note, now=now)
    audit.record(session, actor=actor, object_type="session_seat", object_id=seat.id, action="confirmed",
                 from_state="disputed", to_state="confirmed",
                 reason=f"dispute {view.dispute.id} {target}", now=now)
    outcome = (N_("your dispute is accepted and the session is corrected.") if target == "upheld" else
               N_("the session is kept as it was logged."))
    notify(session, [view.beneficiary], "dispute_decided", link=page("agenda.agenda"),
           object_type="session_dispute", object_id=view.dispute.id, starts_at=view.booked.starts_at,
           outcome=Msg(outcome))
    if before == "escalated":  # the provider passed it on and waits for the fund's word too
        notify(session, provider_admins(session, view.dispute.provider_id), "dispute_decided",
               link=page("disputes.provider_dispute", dispute_id=view.dispute.id),
               object_type="session_dispute", object_id=view.dispute.id, starts_at=view.booked.starts_at,
               outcome=Msg(outcome))


def _delivered_for(session: Session, booked: CoachingSession, voucher_id: int) -> tuple[int, int, int]:
    row = session.execute(
        select(func.coalesce(func.sum(UsageEntry.individual_minutes), 0),
               func.coalesce(func.sum(UsageEntry.collective_sessions), 0),
               func.coalesce(func.sum(UsageEntry.amount_cents), 0))
        .where(UsageEntry.coaching_session_id == booked.id, UsageEntry.voucher_id == voucher_id,
               UsageEntry.kind.in_(("delivered", "corrected")))).one()
    return int(row[0]), int(row[1]), int(row[2])


def raised_usage(*, individual: bool, logged_attendance: str | None, logged_minutes: int, logged_cents: int,
                 attendance: str, minutes: int, cents: int) -> str | None:
    """The field at fault if a correction would make the seat use more than it was logged for (a
    dispute only ever lowers usage), else None. Pure: the logged side comes from the usage ledger."""
    if attendance != "attended":
        return None  # a no-show or a late cancellation uses nothing
    if logged_attendance != "attended":
        return "attendance"
    if individual and minutes > logged_minutes:
        return "duration_minutes"
    if cents > logged_cents:
        return "duration_minutes" if individual else "attendance"
    return None


RAISES_USAGE: dict[str, dict[str, str]] = {
    # who corrects -> field -> the reason, with the way to keep the log
    "provider": {
        "attendance": N_("A session logged as a no-show or a late cancellation cannot become attended. "
                         "If the log is right, send the dispute to the fund instead."),
        "duration_minutes": N_("The real duration cannot be longer than the logged one. "
                               "If the log is right, send the dispute to the fund instead."),
    },
    "fund": {
        "attendance": N_("A session logged as a no-show or a late cancellation cannot become attended. "
                         "To keep the log, dismiss the dispute."),
        "duration_minutes": N_("The real duration cannot be longer than the logged one. "
                               "To keep the log, dismiss the dispute."),
    },
}


def _correct(session: Session, actor: Any, view: DisputeView, attendance: str, duration_minutes: int | None, *,
             now: datetime, by: str) -> None:
    """Set the seat to what really happened; reverse and rewrite its use of the voucher. Only ever
    lowers what the seat used (see the module's docstring); ``by`` is "provider" or "fund"."""
    booked, seat = view.booked, view.seat
    if attendance not in session_services.ATTENDANCE:
        raise ValidationFailed(N_("Attendance is attended, no_show or late_cancel."),
                               fields={"attendance": [N_("Attendance is attended, no_show or late_cancel.")]})
    individual = booked.kind == "individual"
    minutes = booked.duration_minutes if not individual else (duration_minutes or booked.logged_minutes
                                                              or booked.duration_minutes)
    if attendance == "attended" and individual and seat.attendance == "attended":
        rules = rules_on(session, today_in_brussels(now))
        problems = domain.validate_session_duration("individual", minutes, rules)
        if problems:
            raise ValidationFailed(N_("This duration is not allowed."), code="invalid_duration",
                                   fields={"duration_minutes": [p.message for p in problems]})
    unchanged = attendance == seat.attendance and (
        attendance != "attended" or not individual or minutes == booked.logged_minutes)
    if unchanged:
        raise ValidationFailed(N_("This is what was logged. To keep the log, send the dispute to the fund instead."),
                               code="nothing_corrected",
                               fields={"attendance": [N_("This is what was logged.")]})
    voucher = view.voucher
    lock_row(session, voucher)  # as when logging: two corrections or logs on one voucher queue here
    used_minutes, used_sessions, used_cents = _delivered_for(session, booked, voucher.id)
    cost = session_services.seat_cost(voucher, booked.kind, minutes) if attendance == "attended" else 0
    at_fault = raised_usage(individual=individual, logged_attendance=seat.attendance,
                            logged_minutes=used_minutes if individual else minutes, logged_cents=used_cents,
                            attendance=attendance, minutes=minutes, cents=cost)
    if at_fault:
        raise ValidationFailed(N_("A correction can only lower what the session used: it never adds hours or euros."),
                               code="raises_usage", fields={at_fault: [RAISES_USAGE[by][at_fault]]})
    if used_minutes or used_sessions or used_cents:
        session.add(UsageEntry(voucher_id=voucher.id, coaching_session_id=booked.id, kind="corrected",
                               individual_minutes=-used_minutes, collective_sessions=-used_sessions,
                               amount_cents=-used_cents, created_at=now))
        session.flush()
    before = seat.attendance
    if attendance == "attended":
        # Never more than was delivered (checked above), so it fits where the logged seat did.
        seat.cost_cents = cost
        session.add(UsageEntry(voucher_id=voucher.id, coaching_session_id=booked.id, kind="delivered",
                               individual_minutes=minutes if individual else 0,
                               collective_sessions=0 if individual else 1, amount_cents=seat.cost_cents,
                               created_at=now))
        if individual:
            booked.logged_minutes = minutes
    else:
        seat.cost_cents = 0
    seat.attendance = attendance
    view.dispute.corrected_attendance = attendance
    view.dispute.corrected_minutes = minutes if attendance == "attended" and individual else None
    session.flush()
    audit.record(session, actor=actor, object_type="session_seat", object_id=seat.id, action="corrected",
                 from_state=before, to_state=attendance,
                 reason=f"dispute {view.dispute.id}" + (f", {minutes} minutes" if attendance == "attended" else ""),
                 now=now)


def dispute_session(session: Session, actor: Any, session_id: int, reason: str, *, now: datetime) -> SessionSeat:
    """The beneficiary disagrees; the provider sees it first, then the fund if it stays unresolved."""
    seat = session_services.beneficiary_seat(session, actor, session_id)
    lock_row(session, seat)
    if not (reason or "").strip():
        raise ValidationFailed(N_("Say what is wrong."), fields={"reason": [N_("Say what is wrong.")]})
    if seat.attendance is None:
        raise Conflict(N_("This session is not logged yet."), code="not_logged")
    if seat.confirmation != "pending":
        raise Conflict(N_("You already answered for this session."), code="already_answered")
    session_services.check_answer_in_time(seat, now=now)
    seat.confirmation = "disputed"
    seat.dispute_reason = reason.strip()[:2000]
    audit.record(session, actor=actor, object_type="session_seat", object_id=seat.id, action="disputed",
                 from_state="pending", to_state="disputed", reason=seat.dispute_reason, now=now)
    session.flush()
    booked = session.get(CoachingSession, seat.session_id)
    assert booked is not None
    open_dispute(session, actor, seat, booked, now=now)
    return seat
