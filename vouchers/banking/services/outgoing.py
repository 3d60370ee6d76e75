"""The fund's own transfers seen on its statement: a debit that pays a transfer of one of our pain.001 files marks it
paid; a credit that brings one back marks it returned (``services.transfers`` does what follows: the claim paid or
waiting for a new batch, the refund paid or returned, the ledger, the people told).

A line names a transfer by our own ids, which the bank gives back: the transfer's end-to-end id (``EndToEndId``,
``TNW-CLAIM-<id>``, ``TNW-REFUND-<id>``) in the line's end-to-end field or its texts; or the whole file's message
id (or its payment block's, ``<message id>-1``) for a batch the bank booked as one debit. The amount must be the
transfer's (or the whole file's) to the cent, else a person decides. A credit bringing a transfer back is no
contribution's money: it leaves the queue as a reversal of money out. A line held as a possible duplicate is left
to a person, and a transfer already returned by one line is not returned again by another.

``match_outgoing_lines`` is called by the statement import once its lines are stored and the contributions'
matching is done; lines carrying none of our ids cost no query.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from portal.errors import Conflict
from vouchers.banking.domain import meaningful_end_to_end
from vouchers.banking.models import BankLine, PayoutBatch
from vouchers.banking.payout_models import ContributionRefund, PayoutTransfer
from vouchers.banking.services import transfers as transfer_states

#: Our ids as they appear in a line: TNW-CLAIM-12, TNW-CLAIM-12-2, TNW-REFUND-3, TNW-PAYOUT-20261214-00000007(-1).
_OUR_ID = re.compile(r"TNW-[A-Z]+(?:-\d+)+", re.IGNORECASE)


def _texts(line: BankLine) -> Iterable[str]:
    for text in (line.end_to_end_id, line.entry_reference, line.tx_reference, line.reference_text,
                 line.remittance_text):
        if text:
            yield text


def our_ids(line: BankLine) -> list[str]:
    """Every id of ours the line carries, its end-to-end field first, upper-cased, without repeats."""
    found: list[str] = []
    end_to_end = meaningful_end_to_end(line.end_to_end_id)
    if end_to_end and _OUR_ID.fullmatch(end_to_end):
        found.append(end_to_end.upper())
    for text in _texts(line):
        found.extend(match.group(0).upper() for match in _OUR_ID.finditer(text))
    return list(dict.fromkeys(found))


def _file_ids(ids: Iterable[str]) -> set[str]:
    """Message ids a line may name: the id itself, or a payment block's id (the message id and ``-<n>``)."""
    names = set()
    for name in ids:
        names.add(name)
        base, _dash, last = name.rpartition("-")
        if base and last.isdigit() and len(last) <= 3:
            names.add(base)
    return names


def _is_debit_out(line: BankLine) -> bool:
    return line.direction == "debit" and line.status == "ignored" and line.ignore_reason == "debit"


def _is_credit_back(line: BankLine) -> bool:
    """A booked euro credit that paid no contribution: waiting in the queue (not held), or a reversal of a debit."""
    if line.direction != "credit" or line.currency != "EUR":
        return False
    if line.status == "unmatched":
        return line.hold_reason is None
    return line.status == "ignored" and line.ignore_reason == "reversal" and line.decision_reason is None


def match_outgoing_lines(session: Session, lines: Sequence[BankLine], *, now: datetime, actor: Any = None) -> int:
    """Follow our transfers on newly imported statement lines (stored, with ids). Returns how many lines told us
    something: a transfer paid, or returned."""
    wanted = [(line, ids) for line in lines if _is_debit_out(line) or _is_credit_back(line)
              for ids in [our_ids(line)] if ids]
    if not wanted:
        return 0
    every_id = {name for _line, ids in wanted for name in ids}
    by_end_to_end = {t.end_to_end_id.upper(): t for t in session.scalars(
        select(PayoutTransfer).where(PayoutTransfer.end_to_end_id.in_(sorted(every_id))))}
    files = sorted(_file_ids(every_id))
    batches = {b.message_id.upper(): b for b in session.scalars(select(PayoutBatch).where(
        PayoutBatch.message_id.in_(files)))}
    refunds = {r.message_id.upper(): r for r in session.scalars(select(ContributionRefund).where(
        ContributionRefund.message_id.in_(files)))}
    used = 0
    # In booking order, the money out before what came back the same day.
    for line, ids in sorted(wanted, key=lambda pair: (pair[0].booked_on, pair[0].direction != "debit", pair[0].id)):
        named = [by_end_to_end[name] for name in ids if name in by_end_to_end]
        if line.direction == "debit":
            done = _paid_by(session, line, named or _transfers_of_files(session, ids, batches, refunds), now, actor)
        else:
            done = _returned_by(session, line, named, now, actor)
        used += done
    return used


def _transfers_of_files(session: Session, ids: list[str], batches: dict[str, PayoutBatch],
                        refunds: dict[str, ContributionRefund]) -> list[PayoutTransfer]:
    """The transfers of the first file of ours the line names, when it names no transfer itself."""
    for name in _ordered_file_ids(ids):
        if name in batches:
            return transfer_states.transfers_of_batch(session, batches[name].id)
        if name in refunds:
            return list(session.scalars(select(PayoutTransfer).where(PayoutTransfer.refund_id == refunds[name].id)))
    return []


def _ordered_file_ids(ids: list[str]) -> list[str]:
    ordered: list[str] = []
    for name in ids:
        ordered.extend(sorted(_file_ids([name]), key=len, reverse=True))
    return list(dict.fromkeys(ordered))


def _paid_by(session: Session, line: BankLine, transfers: list[PayoutTransfer], now: datetime, actor: Any) -> bool:
    """A debit pays one transfer of the same amount, or a whole file whose total it is."""
    money = [t for t in transfers if t.amount_cents > 0 and t.status in ("pending", "paid")]
    single = [t for t in money if t.amount_cents == line.amount_cents]
    if len(single) == 1:
        chosen = single
    elif money and sum(t.amount_cents for t in money) == line.amount_cents and len({t.batch_id for t in money}) == 1:
        chosen = money
    else:
        return False
    if any(t.paid_line_id not in (None, line.id) for t in chosen):
        return False  # another line already showed this money leaving: a person looks
    try:
        with session.begin_nested():
            for transfer in chosen:
                transfer_states.mark_paid(session, transfer, on=line.booked_on, now=now, actor=actor, line=line)
    except Conflict:  # a claim of it is no longer approved: the import goes on, a person looks at the batch
        return False
    return True


def _returned_by(session: Session, line: BankLine, transfers: list[PayoutTransfer], now: datetime,
                 actor: Any) -> bool:
    """A credit brings back one transfer of the same amount that is waiting or paid, and not returned yet."""
    fitting = [t for t in transfers if t.amount_cents == line.amount_cents and t.amount_cents > 0
               and t.status in ("pending", "paid") and t.return_line_id is None]
    if len(fitting) != 1:
        return False
    transfer = fitting[0]
    # The bank's reason (RtrInf/Rsn/Cd: AC04 account closed...) goes with it: the transfer's page, its batch's
    # history and the person told all say why the money came back.
    transfer_states.mark_failed(session, transfer, on=line.booked_on, now=now, actor=actor, line=line,
                                reason_code=line.return_reason_code)
    if line.status == "unmatched":
        transfer_states.set_line_aside(session, line, transfer, actor=actor, now=now)
    else:
        line.decision_reason = f"returned transfer {transfer.end_to_end_id}"
    return True
