"""Claims and what can be claimed, read as rows for the provider's and the fund's pages: one statement each,
whatever the number of vouchers, sessions or claims shown."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Integer, and_, bindparam, false, func, select, union
from sqlalchemy.orm import Session, aliased

from coaching.calendar.models import CoachingSession, SessionSeat
from coaching.claims.models import Claim, ClaimLine
from coaching.providers.models import Provider
from portal.auth.models import User
from portal.db import prepared, read
from portal.search import name_words
from vouchers.requests.models import Beneficiary, Voucher
from vouchers.search import ENTERPRISE, NAME, NISS, NUMBER, VOUCHER_CODE, Search


@dataclass(frozen=True, slots=True)
class ClaimableSession:
    """A session attended and confirmed, not claimed yet, on one of the provider's vouchers."""

    voucher_id: int
    code: str
    name: str  # the beneficiary's
    session_id: int
    starts_at: datetime
    kind: str
    minutes: int  # as logged, else as booked
    cost_cents: int


def claimable_sessions(session: Session, provider_id: int) -> list[ClaimableSession]:
    """By voucher, then by start."""

    def build() -> Any:
        holder = aliased(User)
        mine = bindparam("provider_id", type_=Integer)
        return (select(Voucher.id, Voucher.code, holder.first_name, holder.last_name, CoachingSession.id,
                       CoachingSession.starts_at, CoachingSession.kind,
                       func.coalesce(CoachingSession.logged_minutes, CoachingSession.duration_minutes),
                       SessionSeat.cost_cents)
                .join(CoachingSession, CoachingSession.id == SessionSeat.session_id)
                .join(Voucher, Voucher.id == SessionSeat.voucher_id)
                .join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
                .join(holder, holder.id == Beneficiary.user_id)
                .outerjoin(ClaimLine, ClaimLine.seat_id == SessionSeat.id)
                .where(Voucher.provider_id == mine, CoachingSession.provider_id == mine,
                       SessionSeat.attendance == "attended", SessionSeat.confirmation == "confirmed",
                       ClaimLine.id.is_(None))
                .order_by(Voucher.id, CoachingSession.starts_at))

    rows = read(session, prepared("claimable_sessions", build), {"provider_id": provider_id})
    return [ClaimableSession(row[0], row[1], f"{row[2]} {row[3]}".strip(), *row[4:]) for row in rows]


@dataclass(frozen=True, slots=True)
class ClaimRow:
    """A claim as the lists show it, with its voucher's code."""

    id: int
    voucher_id: int
    voucher_code: str
    provider_id: int
    provider_name: str
    amount_cents: int
    status: str
    submitted_at: datetime
    decision_reason: str | None
    session_count: int
    disputed_count: int  # disputed sessions on the claim's voucher


def claim_rows(session: Session, *, provider_id: int | None = None, status: str | None = None,
               after_id: int | None = None, limit: int = 50, search: Search | None = None) -> list[ClaimRow]:
    """Claims by id (oldest first): one provider's, or all of them for the fund; by status; after ``after_id``;
    found by a search (``claims_found``)."""
    shape = (provider_id is not None, status is not None, after_id is not None, search.shape if search else None)

    def build() -> Any:
        lines = (select(func.count()).select_from(ClaimLine).where(ClaimLine.claim_id == Claim.id)
                 .scalar_subquery())
        disputed = (select(func.count()).select_from(SessionSeat)
                    .where(SessionSeat.voucher_id == Claim.voucher_id, SessionSeat.confirmation == "disputed")
                    .scalar_subquery())
        query = (select(Claim.id, Claim.voucher_id, Voucher.code, Claim.provider_id, Provider.name,
                        Claim.amount_cents, Claim.status, Claim.submitted_at, Claim.decision_reason, lines, disputed)
                 .join(Voucher, Voucher.id == Claim.voucher_id).join(Provider, Provider.id == Claim.provider_id))
        if shape[0]:
            query = query.where(Claim.provider_id == bindparam("provider_id", type_=Integer))
        if shape[1]:
            query = query.where(Claim.status == bindparam("status"))
        if shape[2]:
            query = query.where(Claim.id > bindparam("after_id", type_=Integer))
        if shape[3]:
            query = query.where(claims_found(*shape[3]))
        return query.order_by(Claim.id).limit(bindparam("limit", type_=Integer))

    rows = read(session, prepared(("claim_rows", shape), build),
                {"provider_id": provider_id, "status": status, "after_id": after_id, "limit": limit,
                 **(search.params() if search else {})})
    return [ClaimRow(*row) for row in rows]


def claims_found(kind: str, words: int) -> Any:
    """The claims a search (``vouchers.search``) finds: by the claim's number, its voucher's code, its
    beneficiary's national number or name, or its provider's enterprise number or name (each word of a name in
    one of them). A reference or anything else finds none. The values are the bind parameters of ``Search``."""
    value = bindparam("q_value")
    if kind == NUMBER:
        return Claim.id == value
    if kind == VOUCHER_CODE:
        return Claim.voucher_id.in_(select(Voucher.id).where(Voucher.code == value))
    if kind == NISS:
        return Claim.voucher_id.in_(select(Voucher.id).join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
                                    .where(Beneficiary.niss == value))
    if kind == ENTERPRISE:
        return Claim.provider_id.in_(select(Provider.id).where(Provider.enterprise_number == value))
    if kind == NAME:  # each word in the provider's name or in the beneficiary's: the claims of each, then both
        holder, claim = aliased(User), aliased(Claim)
        return and_(*(Claim.id.in_(union(
            select(claim.id).where(claim.provider_id.in_(
                select(Provider.id).where(name_words((Provider.name,), 1, index)))),
            select(claim.id).where(claim.voucher_id.in_(
                select(Voucher.id).join(Beneficiary, Beneficiary.id == Voucher.beneficiary_id)
                .join(holder, holder.id == Beneficiary.user_id)
                .where(name_words((holder.first_name, holder.last_name), 1, index))))))
            for index in range(words)))
    return false()
