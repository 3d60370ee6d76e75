"""Use cases of a statement's lines: the queue and its filters, and what a person does with a line: match
it to one contribution or split it over several, to the cent, or dismiss it, each with a reason. A line that
gives a credit back is matched the same way: the person names what it takes back from which contribution.

Matching and dismissing take the line's row lock, so two administrators cannot both act on it; the same
match again changes nothing. Services flush and never commit.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, selectinload

from portal import audit
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.permissions import Permission, can
from portal.schema_fields import MAX_ID
from vouchers.banking import domain
from vouchers.banking.models import BankLine, BankLineAllocation
from vouchers.banking.payout_models import PayoutTransfer
from vouchers.banking.services import line_search, matching
from vouchers.employers.models import Contribution, ContributionPayment
from vouchers.search import Search

MAX_REASON = 2000


#: At most this many contributions in one split: more is no transfer a person checks by hand.
MAX_PARTS = 20


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        message = N_("Please give the reason.")
        raise ValidationFailed(message, code="reason_required", fields={"reason": [message]})
    if len(text) > MAX_REASON:
        message = N_("At most 2000 characters.")
        raise ValidationFailed(message, code="reason_too_long", fields={"reason": [message]})
    return text


def _target(session: Session, contribution_id: int | None, reference: str | None) -> Contribution:
    """The contribution chosen by its number or by its structured reference (exactly one of them)."""
    if contribution_id is not None and (reference or "").strip():
        message = N_("Choose a contribution or type its structured reference, not both.")
        raise ValidationFailed(message, code="one_target", fields={"structured_reference": [message]})
    if contribution_id is not None:
        contribution = session.get(Contribution, contribution_id) if 1 <= contribution_id <= MAX_ID else None
        if contribution is None:
            message = N_("No contribution has this number.")
            raise ValidationFailed(message, code="contribution_unknown", fields={"contribution_id": [message]})
        return contribution
    if not (reference or "").strip():
        message = N_("Choose a suggested contribution, or type its structured reference.")
        raise ValidationFailed(message, code="target_required", fields={"structured_reference": [message]})
    digits = domain.clean_reference(reference)
    if digits is None:
        message = N_("This is not a valid structured reference (+++123/4567/89012+++, 12 digits).")
        raise ValidationFailed(message, code="reference_invalid", fields={"structured_reference": [message]})
    contribution = session.scalar(select(Contribution).where(Contribution.structured_reference == digits))
    if contribution is None:
        message = N_("No contribution has this structured reference.")
        raise ValidationFailed(message, code="reference_unknown", fields={"structured_reference": [message]})
    return contribution


def get_line(session: Session, actor: Any, line_id: int) -> BankLine:
    _require(actor)
    line = session.get(BankLine, line_id)
    if line is None:
        raise NotFound(N_("This bank line does not exist."))
    return line


def given_back_by(session: Session, line: BankLine) -> BankLine | None:
    """The line that gave this credit back (a reversal or a return applied to it), if any."""
    if line.direction != "credit":
        return None
    return session.scalar(select(BankLine).where(BankLine.reverses_line_id == line.id).order_by(BankLine.id).limit(1))


def transfer_it_returned(session: Session, line: BankLine) -> PayoutTransfer | None:
    """The fund's transfer this credit brought back, when the import or a person found it."""
    if line.direction != "credit":
        return None
    return session.scalar(select(PayoutTransfer).where(PayoutTransfer.return_line_id == line.id).limit(1))


def _refuse_if_closed(line: BankLine) -> None:
    if line.status == "matched":
        raise Conflict(N_("This line is already matched to another contribution."), code="line_already_matched")
    if line.status == "dismissed":
        raise Conflict(N_("This line was dismissed: it can no longer be matched."), code="line_dismissed")
    if line.status == "ignored":
        raise Conflict(N_("Only booked credits in euros can pay a contribution: this line stays out of matching."),
                       code="line_not_matchable")


def match_line(session: Session, actor: Any, line_id: int, *, contribution_id: int | None = None,
               reference: str | None = None, allocations: Sequence[dict[str, Any]] | None = None,
               reason: str | None, now: datetime) -> tuple[BankLine, bool]:
    """Record an unmatched line as one contribution's money (``contribution_id`` or ``reference``: all of it), or
    as several contributions' (``allocations``: ``[{contribution_id, amount_cents}]``, adding up to the line's
    amount to the cent), under the line's row lock. For a line that gives a credit back, the amounts are what it
    takes back from each contribution, never more than it holds.

    Returns ``(line, changed)``: the same match again changes nothing (False); a line matched otherwise,
    dismissed or left out of matching is a 409.
    """
    line = get_line(session, actor, line_id)
    # The page asks for a reason; an integrator's call may leave it out (API.md), and the audit log says so.
    reason = _clean_reason(reason) if (reason or "").strip() else "matched by hand (no reason given)"
    if allocations is not None:
        if contribution_id is not None or (reference or "").strip():
            message = N_("Give the allocations, or one contribution for the whole line, not both.")
            raise ValidationFailed(message, code="one_target", fields={"allocations": [message]})
        parts = _clean_allocations(session, allocations, line.amount_cents)
    else:
        parts = [(_target(session, contribution_id, reference).id, line.amount_cents)]
    lock_row(session, line)
    if line.status == "matched" and _booked_parts(line) == sorted(parts):
        return line, False
    _refuse_if_closed(line)
    if line.returns_credit:
        _refuse_taking_back_too_much(session, parts)
    matching.apply_allocations(session, line, parts, method="manual", actor=actor, reason=reason, now=now)
    return line, True


def _booked_parts(line: BankLine) -> list[matching.Part]:
    """What a matched line booked, as a person would have asked for it (positive, in any order)."""
    return sorted((a.contribution_id, abs(a.amount_cents)) for a in line.allocations)


def _clean_allocations(session: Session, rows: Sequence[dict[str, Any]], line_cents: int) -> list[matching.Part]:
    """``[(contribution_id, cents)]`` from a person's rows, or a 422 naming each row's problem
    (``allocations.<row>.contribution_id`` / ``.amount_cents``, rows from 0) and then the sum's."""
    if not rows or len(rows) > MAX_PARTS:
        message = N_("Give from 1 to 20 contributions, each with its amount.")
        raise ValidationFailed(message, code="allocations_invalid", fields={"allocations": [message]})
    ids = [row.get("contribution_id") for row in rows]
    known = set(session.scalars(select(Contribution.id).where(Contribution.id.in_(
        [cid for cid in ids if isinstance(cid, int) and 1 <= cid <= MAX_ID]))))
    fields: dict[str, list[str]] = {}
    seen: set[int] = set()
    parts = []
    for index, row in enumerate(rows):
        cid, cents = row.get("contribution_id"), row.get("amount_cents")
        if cid not in known:
            fields[f"allocations.{index}.contribution_id"] = [N_("No contribution has this number.")]
        elif cid in seen:
            fields[f"allocations.{index}.contribution_id"] = [N_("This contribution is already in another row.")]
        if not isinstance(cents, int) or cents <= 0:
            fields[f"allocations.{index}.amount_cents"] = [N_("Give an amount above zero.")]
        if isinstance(cid, int):
            seen.add(cid)
        parts.append((cid, cents))
    if fields:
        raise ValidationFailed(N_("Some rows of the split are not right."), code="allocations_invalid", fields=fields)
    total = sum(cents for _cid, cents in parts)
    if total != line_cents:
        message = N_("The amounts must add up to the line's amount, to the cent.")
        raise ValidationFailed(message, code="allocations_do_not_add_up", fields={"allocations": [message]},
                               extra={"allocated_cents": total, "line_cents": line_cents})
    return parts


def _refuse_taking_back_too_much(session: Session, parts: Sequence[matching.Part]) -> None:
    """Under the contributions' row locks, so two reversals at once cannot both take the same money back."""
    matching.lock_contributions(session, [cid for cid, _cents in parts])
    held = matching.holdings(session, [cid for cid, _cents in parts])
    fields = {f"allocations.{index}.amount_cents": [N_("The contribution holds less than this: a reversal takes "
                                                       "back at most what it received.")]
              for index, (cid, cents) in enumerate(parts) if held[cid] < cents}
    if fields:
        raise ValidationFailed(N_("A reversal takes back at most what each contribution received."),
                               code="reversal_too_large", fields=fields)


def dismiss_line(session: Session, actor: Any, line_id: int, *, reason: str | None,
                 now: datetime) -> tuple[BankLine, bool]:
    """Take an unmatched credit out of the queue: it is no contribution (a person says why).
    Dismissing it again changes nothing; a matched line cannot be dismissed (409)."""
    line = get_line(session, actor, line_id)
    reason = _clean_reason(reason)
    lock_row(session, line)
    if line.status == "dismissed":
        return line, False
    _refuse_if_closed(line)
    audit.record(session, actor=actor, object_type="bank_line", object_id=line.id, action="dismissed",
                 from_state=line.status, to_state="dismissed", reason=reason, now=now)
    line.status = "dismissed"
    line.decided_by = actor.id
    line.decided_at = now
    line.decision_reason = reason
    session.flush()
    return line, True


@dataclass(frozen=True)
class LineFilters:
    status: str | None = None
    from_on: date | None = None
    to_on: date | None = None
    statement_id: int | None = None
    #: What was typed in the search box (``vouchers.search``; what it finds: ``line_search``)
    search: Search | None = None


def _filtered(query: Select, filters: LineFilters) -> Select:
    if filters.status:
        query = query.where(BankLine.status == filters.status)
    if filters.from_on is not None:
        query = query.where(BankLine.booked_on >= filters.from_on)
    if filters.to_on is not None:
        query = query.where(BankLine.booked_on <= filters.to_on)
    if filters.statement_id is not None:
        query = query.where(BankLine.statement_id == filters.statement_id)
    if filters.search is not None:
        query = query.where(line_search.lines_found(*filters.search.shape)).params(**filters.search.params())
    return query


def list_lines(session: Session, actor: Any, filters: LineFilters, *, limit: int = 50,
               after_id: int | None = None) -> list[BankLine]:
    """Lines in import order (the queue: oldest first), filtered; keyset pages after ``after_id``."""
    _require(actor)
    query = _filtered(select(BankLine), filters)
    if after_id is not None:
        query = query.where(BankLine.id > after_id)
    return list(session.scalars(query.options(selectinload(BankLine.allocations)).order_by(BankLine.id).limit(limit)))


def list_lines_of(session: Session, actor: Any, statement_ids: Sequence[int]) -> list[BankLine]:
    """Every line of the given statements, in import order (an upload's answer)."""
    _require(actor)
    if not statement_ids:
        return []
    return list(session.scalars(select(BankLine).where(BankLine.statement_id.in_(list(statement_ids)))
                                .options(selectinload(BankLine.allocations)).order_by(BankLine.id)))


def line_totals(session: Session, actor: Any, filters: LineFilters) -> tuple[int, int]:
    """``(count, total_cents)`` of the lines the filters select."""
    _require(actor)
    count, total = session.execute(_filtered(select(func.count(), func.coalesce(func.sum(BankLine.amount_cents), 0)),
                                             filters)).one()
    return int(count), int(total)


def unmatched_lines_query(from_on: date, to_on: date) -> Select:
    """The credit lines booked in ``[from_on, to_on]`` that are still unmatched (neither matched nor
    dismissed): the period's unmatched money, row by row."""
    return (select(BankLine)
            .where(BankLine.status == "unmatched", BankLine.direction == "credit",
                   BankLine.booked_on >= from_on, BankLine.booked_on <= to_on)
            .order_by(BankLine.booked_on, BankLine.id))


def unmatched_money(session: Session, *, from_on: date, to_on: date) -> tuple[int, int]:
    """``(count, total_cents)`` of the period's unmatched money (see ``unmatched_lines_query``)."""
    lines = unmatched_lines_query(from_on, to_on).order_by(None).subquery()
    count, total = session.execute(select(func.count(), func.coalesce(func.sum(lines.c.amount_cents), 0))).one()
    return int(count), int(total)


def matched_payments_total(session: Session, line_ids: Sequence[int]) -> int:
    """What the given lines were recorded as (money in ``contribution_payments``): for checks and tests."""
    if not line_ids:
        return 0
    external = select(BankLineAllocation.external_id).where(BankLineAllocation.line_id.in_(list(line_ids)))
    return int(session.scalar(select(func.coalesce(func.sum(ContributionPayment.amount_cents), 0))
                              .where(ContributionPayment.external_id.in_(external))) or 0)


def _require(actor: Any) -> None:
    if not can(actor, Permission.ADMIN_RECONCILE):
        raise Forbidden(N_("Only the fund's administrators may do this."))
