"""Offers (hour mixes), coaches, and a provider taking on a voucher."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Hashable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from sqlalchemy import Integer, Select, bindparam, select, union
from sqlalchemy.orm import Session

from coaching.providers import domain
from coaching.providers.models import Coach, Offer
from portal import audit
from portal.auth.models import User
from portal.auth.services import create_user
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.fund_settings import rules_on
from portal.permissions import Permission, Role, can
from vouchers.requests import domain as voucher_domain
from vouchers.requests.models import Beneficiary, Voucher


def provider_of(actor: Any, permission: Permission) -> int:
    """The provider the actor works for, if the role allows ``permission``."""
    if not can(actor, permission) or actor.provider_id is None:
        raise Forbidden(N_("This is for coaching providers only."))
    return int(actor.provider_id)


def _problems_to_fields(problems: list[domain.Problem]) -> dict[str, list[str]]:
    fields: dict[str, list[str]] = {}
    for problem in problems:
        fields.setdefault(problem.field, []).append(problem.message)
    return fields


def create_offer(session: Session, actor: Any, *, name: str, individual_hours: int, collective_sessions: int,
                 individual_unit_cents: int | None, collective_unit_cents: int | None, today: date) -> Offer:
    """A provider states in advance what it offers for the voucher value; the fund's settings decide what fits."""
    provider_id = provider_of(actor, Permission.PROVIDER_OFFERS_MANAGE)
    rules = rules_on(session, today)
    individual_unit = rules.default_individual_unit_cents if individual_unit_cents is None else individual_unit_cents
    collective_unit = rules.default_collective_unit_cents if collective_unit_cents is None else collective_unit_cents
    problems = domain.validate_offer(individual_hours, collective_sessions, individual_unit, collective_unit,
                                     rules=rules)
    if not (name or "").strip():
        problems.append(domain.Problem("name", "missing", "Give the offer a name."))
    if problems:
        raise ValidationFailed(N_("This offer does not fit the fund's rules."), code="invalid_offer",
                               fields=_problems_to_fields(problems))
    offer = Offer(provider_id=provider_id, name=name.strip(), individual_hours=individual_hours,
                  collective_sessions=collective_sessions, individual_unit_cents=individual_unit,
                  collective_unit_cents=collective_unit)
    session.add(offer)
    session.flush()
    audit.record(session, actor=actor, object_type="offer", object_id=offer.id, action="created")
    return offer


def get_offer(session: Session, actor: Any, offer_id: int) -> Offer:
    """One of the actor's provider's offers (someone else's: not found)."""
    provider_id = provider_of(actor, Permission.PROVIDER_OFFERS_MANAGE)
    offer = session.get(Offer, offer_id)
    if offer is None or offer.provider_id != provider_id:
        raise NotFound(N_("This offer does not exist."))
    return offer


def set_offer_active(session: Session, actor: Any, offer_id: int, active: bool, *, now: datetime) -> Offer:
    """Deactivate an offer (no new voucher can be accepted or re-planned with it) or reactivate it.

    Vouchers already planned with it keep their mix: the mix and unit prices were copied onto the
    voucher when it was accepted. Doing it twice changes nothing.
    """
    offer = get_offer(session, actor, offer_id)
    lock_row(session, offer)
    if offer.active != active:
        offer.active = active
        audit.record(session, actor=actor, object_type="offer", object_id=offer.id,
                     action="reactivated" if active else "deactivated", from_state="inactive" if active else "active",
                     to_state="active" if active else "inactive", now=now)
        session.flush()
    return offer


def provider_offers(session: Session, actor: Any) -> list[Offer]:
    provider_id = provider_of(actor, Permission.PROVIDER_VOUCHERS_VIEW)
    return list(session.scalars(select(Offer).where(Offer.provider_id == provider_id).order_by(Offer.id)))


def add_coach(session: Session, actor: Any, *, name: str, email: str, timezone: str = "Europe/Brussels",
              language: str = "fr") -> tuple[Coach, User]:
    """Invite a coach: an account is created without a usable password; the invitation lets them choose one."""
    provider_id = provider_of(actor, Permission.PROVIDER_COACHES_MANAGE)
    try:
        ZoneInfo(timezone)
    except (ZoneInfoNotFoundError, ValueError) as exc:
        raise ValidationFailed(N_("Unknown time zone."), fields={"timezone": [N_("Use a time zone such as Europe/Brussels.")]}) from exc
    if not (name or "").strip():
        raise ValidationFailed(N_("Give the coach's name."), fields={"name": [N_("Give the coach's name.")]})
    first, _, last = name.strip().partition(" ")
    user = create_user(session, email=email, password=secrets.token_urlsafe(24), role=Role.COACH, first_name=first,
                       last_name=last, language=language, provider_id=provider_id)
    coach = Coach(provider_id=provider_id, user_id=user.id, display_name=name.strip(), email=user.email,
                  timezone=timezone)
    session.add(coach)
    session.flush()
    audit.record(session, actor=actor, object_type="coach", object_id=coach.id, action="invited")
    return coach, user


def provider_voucher_ids(actor: Any, *, status: str | None = None, limit: int = 50,
                         before_id: int | None = None) -> tuple[Hashable, Callable[[], Select[Any]], dict[str, Any]]:
    """The ids of the provider's vouchers and of those waiting for it to accept a change, newest first: up to
    ``limit`` with an id below ``before_id`` (the keyset of the pages). For the read that shows them
    (``vouchers.requests.reads.voucher_reads``): the statement's key, how to build it, and its parameters."""
    provider_id = provider_of(actor, Permission.PROVIDER_VOUCHERS_VIEW)
    by_status, after = bool(status), before_id is not None

    def chosen() -> Select[Any]:
        # Two indexed reads, each the newest ``limit`` of its kind, then merged: one ``provider_id = :p OR
        # pending_provider_id = :p`` can use neither index and walked every voucher of the fund newest first.
        def newest(column: Any) -> Any:
            query = select(Voucher.id).where(column == bindparam("provider_id"))
            if by_status:
                query = query.where(Voucher.status == bindparam("status"))
            if after:
                query = query.where(Voucher.id < bindparam("before_id"))
            return select(query.order_by(Voucher.id.desc()).limit(bindparam("limit", type_=Integer)).subquery())

        both = union(newest(Voucher.provider_id), newest(Voucher.pending_provider_id)).subquery()
        return select(both.c.id).order_by(both.c.id.desc()).limit(bindparam("limit", type_=Integer))

    return (("provider", by_status, after), chosen,
            {"provider_id": provider_id, "status": status, "before_id": before_id, "limit": limit})


@dataclass(frozen=True)
class SchedulableVoucher:
    id: int
    code: str
    beneficiary_name: str


def schedulable_vouchers(session: Session, actor: Any, *, limit: int = 25, search: str | None = None,
                         ids: list[int] | None = None) -> list[SchedulableVoucher]:
    """Open vouchers of the actor's provider whose mix is fixed: the only ones a session can be
    booked on, newest first (one indexed range of ``ix_vouchers_provider_status``).

    A busy provider has hundreds, so the booking form lists a few: those whose code or beneficiary's name holds
    every word of ``search``, or those with the given ``ids`` (the ones a sent form chose), else the newest.
    Only what the form shows is read."""
    provider_id = provider_of(actor, Permission.PROVIDER_VOUCHERS_VIEW)
    query = (select(Voucher.id, Voucher.code, User.first_name, User.last_name, User.email)
             .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id).join(User, User.id == Beneficiary.user_id)
             .where(Voucher.provider_id == provider_id, Voucher.status.in_(("approved", "in_progress")),
                    Voucher.individual_hours.is_not(None)))
    if ids is not None:
        query = query.where(Voucher.id.in_(ids))
    for word in (search or "").split()[:5]:
        pattern = "%" + word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        query = query.where(Voucher.code.ilike(pattern, escape="\\") | User.first_name.ilike(pattern, escape="\\")
                            | User.last_name.ilike(pattern, escape="\\"))
    rows = session.execute(query.order_by(Voucher.id.desc()).limit(limit))
    return [SchedulableVoucher(id=row.id, code=row.code,
                               beneficiary_name=f"{row.first_name} {row.last_name}".strip() or row.email)
            for row in rows]


def accept_voucher(session: Session, actor: Any, voucher_id: int, offer_id: int, *, now: datetime) -> Voucher:
    """At the first interview the provider fixes the mix (or re-plans it later).

    Re-planning never un-spends: the new mix must still hold what was already
    delivered or booked.
    """
    from vouchers.requests.usage import usage_totals

    provider_id = provider_of(actor, Permission.PROVIDER_VOUCHERS_ACCEPT)
    voucher = session.get(Voucher, voucher_id)
    if voucher is None or voucher.provider_id != provider_id:
        raise NotFound(N_("This voucher does not exist."))
    lock_row(session, voucher)
    if voucher.status not in voucher_domain.OPEN_VOUCHER_STATES:
        raise Conflict(N_("This voucher is no longer open."), code="voucher_closed")
    offer = session.get(Offer, offer_id)
    if offer is None or offer.provider_id != provider_id or not offer.active:
        raise ValidationFailed(N_("Choose one of your active offers."), fields={"offer_id": [N_("Choose one of your active offers.")]})
    if offer.cost_cents > voucher.value_cents:
        raise ValidationFailed(N_("This offer costs more than the voucher is worth."),
                               fields={"offer_id": [N_("This offer costs more than the voucher is worth.")]})
    used = usage_totals(session, voucher.id)
    if (used.individual_minutes + used.scheduled_individual_minutes > offer.individual_hours * 60
            or used.collective_sessions + used.scheduled_collective_sessions > offer.collective_sessions):
        raise Conflict(N_("This mix is smaller than what was already delivered or booked."), code="mix_too_small")
    replanned = voucher.individual_hours is not None
    voucher.offer_id = offer.id
    voucher.individual_hours = offer.individual_hours
    voucher.collective_sessions = offer.collective_sessions
    voucher.individual_unit_cents = offer.individual_unit_cents
    voucher.collective_unit_cents = offer.collective_unit_cents
    voucher.accepted_at = voucher.accepted_at or now
    audit.record(session, actor=actor, object_type="voucher", object_id=voucher.id,
                 action="mix_replanned" if replanned else "mix_fixed",
                 reason=f"offer {offer.id}: {offer.individual_hours} h + {offer.collective_sessions} sessions", now=now)
    session.flush()
    return voucher


def get_coach(session: Session, actor: Any, coach_id: int) -> Coach:
    provider_id = provider_of(actor, Permission.SESSION_SCHEDULE)
    coach = session.get(Coach, coach_id)
    if coach is None or coach.provider_id != provider_id:
        raise NotFound(N_("This coach does not exist."))
    if actor.role == Role.COACH and coach.user_id != actor.id:
        raise NotFound(N_("This coach does not exist."))
    return coach


def provider_coaches(session: Session, actor: Any) -> list[Coach]:
    """The active coaches of the actor's provider, by name."""
    provider_id = provider_of(actor, Permission.SESSION_SCHEDULE)
    return list(session.scalars(select(Coach).where(Coach.provider_id == provider_id, Coach.active.is_(True))
                                .order_by(Coach.display_name)))


def coach_for_user(session: Session, user: Any) -> Coach | None:
    return session.scalar(select(Coach).where(Coach.user_id == user.id))
