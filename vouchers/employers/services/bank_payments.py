"""Bank transfers booked to contributions many at a time, as a statement's import books them.

Each payment gets what ``payments.record_bank_payment`` gives one: the payment row (once per external id), its
ledger entry, the contribution's status that follows (audited), and the notice to the employer's people with what
is still owed. Here they are written with a fixed number of statements per batch, whatever its size, where one
at a time took about a dozen per payment: the contributions are locked and read together, the sums, declarations
and people to tell are read once, and the rows are inserted together (plain batched INSERTs: no objects to track,
no ids to read back). Services flush and never commit.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import insert, select
from sqlalchemy.orm import Session

from portal.audit import AuditEntry
from portal.auth.models import User
from portal.errors import N_, NotFound
from portal.notifications.services import Notice, notify_many, page
from portal.permissions import Role
from vouchers.employers import domain
from vouchers.employers.models import (
    Contribution,
    ContributionPayment,
    Declaration,
    EmployerAgent,
)
from vouchers.employers.services.contributions import payment_sums_for
from vouchers.ledger.services import entries as ledger

#: Ids per ``IN (...)``: well under every database's limit on bound parameters.
CHUNK = 500


@dataclass(frozen=True)
class BankPayment:
    contribution_id: int
    amount_cents: int  # negative: money taken back (a reversal)
    external_id: str
    booked_on: date


def _chunks(values: Sequence[int | str]) -> Iterable[list]:  # type: ignore[type-arg]
    for start in range(0, len(values), CHUNK):
        yield list(values[start:start + CHUNK])


def lock_contributions(session: Session, contribution_ids: Iterable[int]) -> dict[int, Contribution]:
    """The contributions, re-read under row locks taken in id order (two importers never wait on each other in a
    circle). SQLite has no row locks: its transactions already hold the database's write lock."""
    ids = sorted(set(contribution_ids))
    found: dict[int, Contribution] = {}
    for chunk in _chunks(ids):
        found.update({c.id: c for c in session.scalars(
            select(Contribution).where(Contribution.id.in_(chunk)).order_by(Contribution.id)
            .with_for_update(of=Contribution).execution_options(populate_existing=True))})
    return found


def people_to_tell_many(session: Session, employer_ids: Iterable[int]) -> dict[int, list[User]]:
    """``deadlines.people_to_tell`` for several employers in two queries: each employer's own active users and the
    active users of the social secretariats acting for it."""
    ids = sorted(set(employer_ids))
    people: dict[int, list[User]] = defaultdict(list)
    for chunk in _chunks(ids):
        active = (User.role == Role.EMPLOYER, User.active.is_(True), User.anonymised_at.is_(None))
        for user in session.scalars(select(User).where(User.employer_id.in_(chunk), *active).order_by(User.id)):
            people[user.employer_id].append(user)
        for employer_id, user in session.execute(
                select(EmployerAgent.employer_id, User).join(User, User.id == EmployerAgent.agent_user_id)
                .where(EmployerAgent.employer_id.in_(chunk), *active).order_by(User.id)).tuples():
            if user not in people[employer_id]:
                people[employer_id].append(user)
    return people


def record_bank_payments(session: Session, payments: Sequence[BankPayment], *, now: datetime,
                         send_now: bool = False) -> int:
    """Record each payment once (a payment whose external id is known is passed over), in the order given, so a
    contribution's status moves step by step as it would one payment at a time. The e-mails of the notices go with
    the outbox job, or after the request's commit with ``send_now`` (``notify_many``). Returns how many were added."""
    if not payments:
        return 0
    contributions = lock_contributions(session, [p.contribution_id for p in payments])
    if len(contributions) != len({p.contribution_id for p in payments}):
        raise NotFound(N_("This contribution does not exist."))
    known: set[str] = set()
    for chunk in _chunks(sorted({p.external_id for p in payments})):
        known.update(session.scalars(select(ContributionPayment.external_id)
                                     .where(ContributionPayment.external_id.in_(chunk))))
    sums = payment_sums_for(session, sorted(contributions))
    declarations = {d.id: d for chunk in _chunks(sorted({c.declaration_id for c in contributions.values()}))
                    for d in session.scalars(select(Declaration).where(Declaration.id.in_(chunk)))}
    people = people_to_tell_many(session, {d.employer_id for d in declarations.values()})
    notices: list[Notice] = []
    rows, entries, changes = [], [], []
    for payment in payments:
        if payment.external_id in known:
            continue
        known.add(payment.external_id)
        contribution = contributions[payment.contribution_id]
        # A negative bank movement matched to a contribution gives back a credit: a reversal, never a refund.
        kind = "payment" if payment.amount_cents > 0 else "reversal"
        rows.append({"contribution_id": contribution.id, "source": "bank", "kind": kind,
                     "amount_cents": payment.amount_cents, "external_id": payment.external_id, "booked_on": payment.booked_on, "created_at": now})
        entries.append({"account": "cash", "amount_cents": payment.amount_cents, "booked_on": payment.booked_on,
                        "kind": "contribution_paid" if payment.amount_cents > 0 else "contribution_refunded",
                        "contribution_id": contribution.id, "memo": f"bank {payment.external_id}"[:200]})
        before = sums.get(contribution.id, domain.PaymentSums())
        after = domain.PaymentSums(before.received_cents + payment.amount_cents, before.refunded_cents)
        sums[contribution.id] = after
        declaration = declarations[contribution.declaration_id]
        if payment.amount_cents > 0:
            notices.append(Notice(tuple(people.get(declaration.employer_id, ())), "contribution_received",
                                  page("employers.declaration", declaration_id=declaration.id),
                                  "dismissal_declaration", declaration.id,
                                  {"number": declaration.id, "amount_cents": payment.amount_cents,
                                   "owed_cents": max(0, contribution.amount_cents - after.net_cents)},
                                  key=f"contribution_received:{payment.external_id}"))
        status = domain.contribution_status(contribution.amount_cents, after,
                                            in_flight=contribution.status == "processing")
        if status != contribution.status:
            changes.append({"at": now, "actor_id": None, "object_type": "contribution", "object_id": contribution.id,
                            "action": "status_changed", "from_state": contribution.status, "to_state": status,
                            "reason": f"bank {payment.external_id}"})
            contribution.status = status
            contribution.updated_at = now
    if rows:  # as batches of one short INSERT each: no objects to track, no ids to read back
        session.execute(insert(ContributionPayment.__table__), rows)
        ledger.post_many(session, entries)
    if changes:
        session.execute(insert(AuditEntry.__table__), changes)
    notify_many(session, notices, send_now=send_now)
    session.flush()
    return len(rows)
