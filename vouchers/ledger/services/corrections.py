"""Correcting the ledger: a new entry, never a changed one (the database refuses UPDATE and DELETE).

A fund administrator who finds an entry wrong (the consistency check says so, or the bank statement does) gives
the amount it should stand at and why. The correcting entry has the same account, kind and record (voucher,
contribution, claim) as the entry it corrects, is booked on the day of the correction, and names it
(``corrects_entry_id``); its amount is the difference. Every sum by account or kind takes it in, so
the balance, the reports, the journal and the consistency check all see the corrected figure, and the wrong
entry stays visible beside its correction. Each correction is in the audit log, with its reason.

Services flush and never commit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal import audit
from portal.db import lock_row
from portal.errors import N_, Conflict, Forbidden, NotFound, ValidationFailed
from portal.permissions import Permission, can
from portal.schema_fields import MAX_ID
from vouchers.ledger.domain import correction_cents
from vouchers.ledger.models import LedgerEntry
from vouchers.ledger.services import entries as ledger

MAX_REASON = 2000


@dataclass(frozen=True)
class EntryHistory:
    """An entry and the corrections made to it, oldest first."""

    entry: LedgerEntry
    corrections: list[LedgerEntry]
    original: LedgerEntry | None  # for a correction: the entry it corrects

    @property
    def standing_cents(self) -> int:
        """What the entry amounts to now: its own amount and every correction of it."""
        return self.entry.amount_cents + sum(c.amount_cents for c in self.corrections)


def _get(session: Session, entry_id: int) -> LedgerEntry:
    entry = session.get(LedgerEntry, entry_id) if 1 <= entry_id <= MAX_ID else None
    if entry is None:
        raise NotFound(N_("This ledger entry does not exist."))
    return entry


def _corrections_of(session: Session, entry_id: int) -> list[LedgerEntry]:
    return list(session.scalars(select(LedgerEntry).where(LedgerEntry.corrects_entry_id == entry_id)
                                .order_by(LedgerEntry.id)))


def entry_history(session: Session, actor: Any, entry_id: int) -> EntryHistory:
    if not can(actor, Permission.ADMIN_REPORTS_VIEW):
        raise Forbidden(N_("Only the fund's administrators may see this."))
    entry = _get(session, entry_id)
    if entry.corrects_entry_id is not None:
        return EntryHistory(entry, [], session.get(LedgerEntry, entry.corrects_entry_id))
    return EntryHistory(entry, _corrections_of(session, entry.id), None)


def _clean_reason(reason: str | None) -> str:
    text = (reason or "").strip()
    if not text:
        message = N_("Please give the reason.")
        raise ValidationFailed(message, code="reason_required", fields={"reason": [message]})
    if len(text) > MAX_REASON:
        message = N_("At most 2000 characters.")
        raise ValidationFailed(message, code="reason_too_long", fields={"reason": [message]})
    return text


def correct_entry(session: Session, actor: Any, entry_id: int, *, amount_cents: int | None, reason: str | None,
                  today: date, now: datetime) -> LedgerEntry:
    """Append the entry that brings entry ``entry_id`` to ``amount_cents``, and return it.

    A correction is not corrected in turn: correct the entry it corrects (409). Nothing to change, or no
    reason, is refused with every reason at once (422). The entry's row lock makes two administrators
    correcting it at once take turns, the second seeing the first's correction."""
    if not can(actor, Permission.ADMIN_RECONCILE):
        raise Forbidden(N_("Only the fund's administrators may correct the ledger."))
    entry = _get(session, entry_id)
    if entry.corrects_entry_id is not None:
        raise Conflict(N_("This entry is itself a correction: correct the entry it corrects."),
                       code="correct_the_original")
    problems: dict[str, list[str]] = {}
    text, difference = "", 0
    try:
        text = _clean_reason(reason)
    except ValidationFailed as error:
        problems.update(error.fields)
    if amount_cents is None:
        problems["amount_cents"] = [N_("Give the amount the entry should stand at.")]
    lock_row(session, entry)
    standing = entry.amount_cents + sum(c.amount_cents for c in _corrections_of(session, entry.id))
    if amount_cents is not None:
        try:
            difference = correction_cents(standing, amount_cents)
        except ValidationFailed as error:
            problems.update(error.fields)
    if problems:
        raise ValidationFailed(N_("The correction is not valid."), code="invalid_correction", fields=problems)
    correction = ledger.post(session, account=entry.account, kind=entry.kind, amount_cents=difference,
                             booked_on=today, voucher_id=entry.voucher_id, contribution_id=entry.contribution_id,
                             claim_id=entry.claim_id, memo=f"correction of entry {entry.id}: {text}"[:200],
                             corrects_entry_id=entry.id)
    session.flush()
    audit.record(session, actor=actor, object_type="ledger_entry", object_id=entry.id, action="corrected",
                 from_state=str(standing), to_state=str(amount_cents),
                 reason=f"entry {correction.id} books {difference} cents: {text}"[:2000], now=now)
    return correction
