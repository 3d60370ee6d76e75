"""Use cases of the employers' side: declare a dismissal, list and read declarations, pay the
contribution by card/Bancontact (Stripe) and apply what Stripe reports.

Services check ownership, call the domain rules, flush and never commit. Payment
state only ever comes from the money recorded (append-only ``ContributionPayment``
rows) and from the PaymentIntent as re-read from the gateway, so replayed or
reordered webhooks cannot move a contribution backwards.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import bindparam, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.audit import AuditEntry
from portal.auth.services import plausible_email
from portal.db import prepared
from portal.errors import N_, Conflict, NotFound, ValidationFailed
from portal.fund_settings import RulesBook, rules_on
from portal.permissions import Permission, Role, can, has_permission
from portal.rules import FundRules
from vouchers.employers import domain
from vouchers.employers.company_access.gate import ensure_may_act
from vouchers.employers.models import (
    Contribution,
    Declaration,
    Employer,
    EmployerAgent,
)
from vouchers.requests.models import Beneficiary
from vouchers.requests.services.accounts import clean_niss

NOT_FOUND = N_("This declaration does not exist.")


def employer_ids_for(session: Session, user: Any) -> list[int]:
    """The employers a user may declare for: its own, and those it serves as a social secretariat's agent."""
    if getattr(user, "role", None) != Role.EMPLOYER:
        return []
    ids = set(session.scalars(select(EmployerAgent.employer_id).where(EmployerAgent.agent_user_id == user.id)))
    if user.employer_id is not None:
        ids.add(user.employer_id)
    return sorted(ids)


def employers_for(session: Session, user: Any) -> list[Employer]:
    """The employers of ``employer_ids_for``, by name, in one statement."""
    if getattr(user, "role", None) != Role.EMPLOYER:
        return []

    def build() -> Any:
        agent_of = select(EmployerAgent.employer_id).where(EmployerAgent.agent_user_id == bindparam("user_id"))
        return (select(Employer).where(or_(Employer.id == bindparam("own"), Employer.id.in_(agent_of)))
                .order_by(Employer.company_name))

    return list(session.scalars(prepared("employers_for", build), {"user_id": user.id, "own": user.employer_id}))


def is_agent_for(session: Session, user: Any, employer_id: int) -> bool:
    return session.scalar(select(EmployerAgent.id).where(EmployerAgent.agent_user_id == user.id,
                                                         EmployerAgent.employer_id == employer_id)) is not None


def add_agent(session: Session, *, agent_user_id: int, employer_id: int) -> EmployerAgent:
    """Let a social secretariat's user act for an employer (once per pair)."""
    link = EmployerAgent(agent_user_id=agent_user_id, employer_id=employer_id)
    try:
        with session.begin_nested():
            session.add(link)
            session.flush()
    except IntegrityError as exc:
        raise Conflict(N_("This agent already acts for this employer."), code="agent_exists") from exc
    return link


def resolve_employer_id(session: Session, actor: Any, employer_id: int | None) -> int:
    """The employer a declaration is for. Someone acting for several must say which. An account that may not act
    yet (its address unconfirmed, or waiting to prove it acts for a company) is refused first (403)."""
    ensure_may_act(session, actor)
    allowed = employer_ids_for(session, actor)
    if employer_id is None:
        if len(allowed) == 1:
            return allowed[0]
        message = N_("Choose the employer you declare for.")
        raise ValidationFailed(message, code="employer_required", fields={"employer_id": [message]})
    if employer_id not in allowed:
        message = N_("You do not act for this employer.")
        raise ValidationFailed(message, code="employer_not_yours", fields={"employer_id": [message]})
    return employer_id


@dataclass
class DeclarationData:
    """What an employer declares (API.md's POST /dismissals body)."""

    worker_first_name: str = ""
    worker_last_name: str = ""
    worker_niss: str = ""
    contract_end_on: date | None = None
    physician_decision_on: date | None = None
    agent_name: str | None = None
    agent_email: str | None = None
    agent_phone: str | None = None


@dataclass
class CleanDeclaration:
    worker_first_name: str
    worker_last_name: str
    worker_niss: str
    contract_end_on: date
    physician_decision_on: date | None
    agent_name: str | None
    agent_email: str | None
    agent_phone: str | None


@dataclass
class DeclarationResult:
    declaration: Declaration
    warnings: list[domain.Warning] = field(default_factory=list)


PROBLEM_TEXTS = {
    "contract_end_too_early": N_("This contract ended before the scheme started (1 April 2024): it cannot be declared."),
    "contract_end_in_future": N_("The contract must have ended: declare it from its last day on."),
    "physician_decision_in_future": N_("The occupational physician's decision cannot be in the future."),
}


def clean_declaration(data: DeclarationData, *, today: date, rules: FundRules) -> tuple[CleanDeclaration | None,
                                                                                         dict[str, list[str]]]:
    """Validate one declaration's input. Returns the cleaned data, or the problems per field."""
    problems: dict[str, list[str]] = {}
    first = (data.worker_first_name or "").strip()
    last = (data.worker_last_name or "").strip()
    if not first:
        problems["worker_first_name"] = [N_("Enter the worker's first name.")]
    elif len(first) > 100:
        problems["worker_first_name"] = [N_("At most 100 characters.")]
    if not last:
        problems["worker_last_name"] = [N_("Enter the worker's last name.")]
    elif len(last) > 100:
        problems["worker_last_name"] = [N_("At most 100 characters.")]
    niss = ""
    try:
        niss = clean_niss(data.worker_niss)
    except ValidationFailed:
        problems["worker_niss"] = [N_("This national register or BIS number is not valid.")]
    if data.contract_end_on is None:
        problems["contract_end_on"] = [N_("Enter the date the contract ended.")]
    else:
        for problem in domain.check_declaration_dates(data.contract_end_on, data.physician_decision_on, today=today,
                                                      rules=rules):
            problems.setdefault(problem.field, []).append(PROBLEM_TEXTS[problem.code])
    agent_email = (data.agent_email or "").strip() or None
    if agent_email and not plausible_email(agent_email):
        problems["agent_email"] = [N_("This e-mail address is not valid.")]
    for name, limit in (("agent_name", 200), ("agent_email", 254), ("agent_phone", 40)):
        if len((getattr(data, name) or "").strip()) > limit:
            problems.setdefault(name, []).append(N_("This is too long."))
    if problems:
        return None, problems
    assert data.contract_end_on is not None
    return CleanDeclaration(first, last, niss, data.contract_end_on, data.physician_decision_on,
                            (data.agent_name or "").strip() or None, agent_email,
                            (data.agent_phone or "").strip() or None), {}


def _duplicate() -> Conflict:
    message = N_("This worker's dismissal with this contract end date is already declared.")
    return Conflict(message, code="already_declared", fields={"worker_niss": [message]})


def _on_behalf(session: Session, actor: Any, employer_id: int) -> tuple[int | None, str | None]:
    """Who acted for whom, for the record: set when an agent (not the employer's own user) declared."""
    if actor.employer_id == employer_id:
        return None, None
    return actor.id, f"employer {employer_id}"


def declare_dismissal(session: Session, actor: Any, data: DeclarationData, *, employer_id: int | None = None,
                      today: date, now: datetime) -> DeclarationResult:
    """Declare a contract ended for medical force majeure; this creates the contribution that is due.

    Warns (never blocks) when the declaration is late or when the contract ended before the
    21-day appeal period after the occupational physician's decision. Declaring the same
    worker and end date twice for an employer is a conflict (409).
    """
    if not has_permission(actor, Permission.DISMISSAL_DECLARE):
        raise NotFound(NOT_FOUND)
    employer_id = resolve_employer_id(session, actor, employer_id)
    rules = rules_on(session, data.contract_end_on or today)
    clean, problems = clean_declaration(data, today=today, rules=rules)
    if clean is None:
        raise ValidationFailed(N_("Some information is missing or not valid."), fields=problems)
    if session.scalar(select(Declaration.id).where(
            Declaration.employer_id == employer_id, Declaration.worker_niss == clean.worker_niss,
            Declaration.contract_end_on == clean.contract_end_on)) is not None:
        raise _duplicate()
    agent_id, on_behalf = _on_behalf(session, actor, employer_id)
    declaration = Declaration(
        employer_id=employer_id, declared_by_id=actor.id, on_behalf_of_agent_id=agent_id,
        agent_name=clean.agent_name, agent_email=clean.agent_email, agent_phone=clean.agent_phone,
        worker_first_name=clean.worker_first_name, worker_last_name=clean.worker_last_name,
        worker_niss=clean.worker_niss, contract_end_on=clean.contract_end_on,
        physician_decision_on=clean.physician_decision_on, declared_on=today,
        declaration_due_on=domain.declaration_due_on(clean.contract_end_on, rules), status="declared",
        created_at=now)
    try:
        with session.begin_nested():
            session.add(declaration)
            session.flush()
    except IntegrityError as exc:  # the same declaration sent twice at once
        raise _duplicate() from exc
    _add_contribution(session, declaration, rules, now=now)
    audit.record(session, actor=actor, object_type="dismissal_declaration", object_id=declaration.id,
                 action="declared", to_state="declared", on_behalf_of=on_behalf, now=now)
    warnings = domain.declaration_warnings(clean.contract_end_on, clean.physician_decision_on, declared_on=today,
                                           rules=rules)
    return DeclarationResult(declaration, warnings)


def _add_contribution(session: Session, declaration: Declaration, rules: FundRules, *, now: datetime) -> Contribution:
    contribution = Contribution(declaration_id=declaration.id, amount_cents=rules.contribution_cents,
                                due_on=domain.contribution_due_on(declaration.contract_end_on, rules),
                                structured_reference=domain.reference_for(declaration.id), status="due",
                                created_at=now, updated_at=now)
    session.add(contribution)
    session.flush()
    declaration.contribution = contribution
    return contribution


def existing_declarations(session: Session, employer_id: int,
                          keys: Iterable[tuple[str, date]]) -> set[tuple[str, date]]:
    """Which (NISS, contract end) pairs this employer has already declared."""
    wanted = list(keys)
    found: set[tuple[str, date]] = set()
    for start in range(0, len(wanted), 2000):
        chunk = set(wanted[start:start + 2000])
        nisses = sorted({niss for niss, _ in chunk})
        rows = session.execute(select(Declaration.worker_niss, Declaration.contract_end_on).where(
            Declaration.employer_id == employer_id, Declaration.worker_niss.in_(nisses)))
        found.update((niss, end) for niss, end in rows if (niss, end) in chunk)
    return found


def declare_many(session: Session, actor: Any, rows: Sequence[CleanDeclaration], *, employer_id: int,
                 today: date, now: datetime, rules_book: RulesBook | None = None) -> list[int]:
    """Insert already-validated declarations and their contributions in a few batched statements.

    The caller (the CSV import) validated every row and checked duplicates first; the unique
    constraint still guards against a race, and then nothing is imported (409).
    """
    if not has_permission(actor, Permission.DISMISSAL_DECLARE):
        raise NotFound(NOT_FOUND)
    if not rows:
        return []
    book = rules_book or RulesBook(session)
    agent_id, on_behalf = _on_behalf(session, actor, employer_id)
    declaration_rows = []
    for row in rows:
        rules = book.on(row.contract_end_on)
        declaration_rows.append({
            "employer_id": employer_id, "declared_by_id": actor.id, "on_behalf_of_agent_id": agent_id,
            "agent_name": row.agent_name, "agent_email": row.agent_email, "agent_phone": row.agent_phone,
            "worker_first_name": row.worker_first_name, "worker_last_name": row.worker_last_name,
            "worker_niss": row.worker_niss, "contract_end_on": row.contract_end_on,
            "physician_decision_on": row.physician_decision_on, "declared_on": today,
            "declaration_due_on": domain.declaration_due_on(row.contract_end_on, rules), "status": "declared",
            "created_at": now})
    try:
        with session.begin_nested():
            # Matched back by (NISS, contract end), unique for the employer: asking the database to return
            # rows in parameter order would make it insert them one at a time.
            table = Declaration.__table__
            returned = session.execute(insert(table).returning(table.c.id, table.c.worker_niss,
                                                               table.c.contract_end_on), declaration_rows)
            id_of = {(niss, end): declaration_id for declaration_id, niss, end in returned}
            ids = [id_of[(row.worker_niss, row.contract_end_on)] for row in rows]
            contribution_rows = []
            for declaration_id, row in zip(ids, rows, strict=True):
                rules = book.on(row.contract_end_on)
                contribution_rows.append({
                    "declaration_id": declaration_id, "amount_cents": rules.contribution_cents,
                    "due_on": domain.contribution_due_on(row.contract_end_on, rules),
                    "structured_reference": domain.reference_for(declaration_id), "status": "due",
                    "payment_attempt": 0,
                    "created_at": now, "updated_at": now})
            session.execute(insert(Contribution.__table__), contribution_rows)
            session.execute(insert(AuditEntry.__table__), [
                {"at": now, "actor_id": actor.id, "on_behalf_of": on_behalf, "object_type": "dismissal_declaration",
                 "object_id": declaration_id, "action": "declared", "from_state": None, "to_state": "declared",
                 "reason": "CSV import"} for declaration_id in ids])
    except IntegrityError as exc:
        raise Conflict(N_("Some of these dismissals were declared at the same time by someone else. "
                          "Nothing was imported: please try again."), code="already_declared") from exc
    return ids


def get_declaration(session: Session, actor: Any, declaration_id: int,
                    permission: Permission = Permission.DISMISSAL_VIEW_OWN) -> Declaration:
    """The declaration if the actor may see it; otherwise 404, never a hint that it exists."""
    declaration = session.get(Declaration, declaration_id)
    if declaration is None or not can(actor, permission, declaration):
        raise NotFound(NOT_FOUND)
    return declaration






@dataclass(frozen=True)
class DeclarationFilters:
    status: str | None = None
    overdue: bool | None = None
    employer_id: int | None = None


def declaration_for_worker(session: Session, niss: str) -> Declaration | None:
    """The latest declaration of a worker's dismissal, to pre-fill their eligibility check."""
    return session.scalars(select(Declaration).where(Declaration.worker_niss == niss, Declaration.status == "declared")
                           .order_by(Declaration.contract_end_on.desc(), Declaration.id.desc()).limit(1)).first()


@dataclass(frozen=True)
class DeclaredDismissal:
    """What an employer declared about a worker, offered to that worker as a starting point (never imposed)."""

    contract_end_on: date
    declared_on: date


def dismissal_declared_for(session: Session, user: Any) -> DeclaredDismissal | None:
    """The latest declaration made for a beneficiary's own NISS, to pre-fill their eligibility check.

    Only dates and the fact of a medical force-majeure dismissal are passed on; the employer's
    name, the contribution and everything else stay on the employer's side.

    The fact of a medical dismissal is health-related: it is offered only to the proven holder of the
    NISS, who signed in through the federal authentication service (FAS: itsme, eID). A NISS typed by
    hand proves nothing (DOMAIN.md, "Identity"): its account sees nothing an employer declared."""
    if getattr(user, "role", None) != Role.BENEFICIARY:
        return None
    niss = session.scalar(select(Beneficiary.niss).where(Beneficiary.user_id == user.id,
                                                         Beneficiary.niss_proven_at.is_not(None)))
    declaration = declaration_for_worker(session, niss) if niss else None
    if declaration is None:
        return None
    return DeclaredDismissal(contract_end_on=declaration.contract_end_on, declared_on=declaration.declared_on)










