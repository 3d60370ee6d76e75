"""Use cases of bank statements: import a CAMT.053 or CODA file (``statement_files`` tells them apart by their
content), match its credit lines to contributions, and let a person match or dismiss what is left.

- Importing the same statement again adds nothing (its identity is unique), and a line already
  imported through another statement is not added twice (its ``line_key`` is unique).
- A file already imported (same SHA-256) adds nothing either, whatever its statements say.
- A pending entry (not booked) books nothing and is known by a key of its own, so the booked entry that
  follows it, even under the same bank reference, is a new line and is matched as usual.
- A credit line carrying valid structured references of contributions is recorded at once
  (``services.matching``; several references split it to the cent): the money goes to the ledger and the
  contributions' statuses follow (partially paid, paid, overpaid). Unless it is *held* for a person:
  when it looks like money already imported with another statement (a statement corrected under a new
  id, without the bank's references; the same batch split into payments in one file and kept whole in
  another), or when it is more than ``domain.AUTO_MATCH_FACTOR`` times the contribution.
- A debit that gives a booked credit back (a reversal or a return) undoes what that credit paid when the
  credit is found for sure; else it waits for a person.
- Everything else waits in the queue (``services.lines``).

Services flush and never commit; the views commit once.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from sqlalchemy import func, insert, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.errors import N_, Conflict, NotFound, ValidationFailed
from vouchers.banking import camt, domain, statement_files
from vouchers.banking.models import BankLine, BankStatement
from vouchers.banking.services import matching, outgoing
from vouchers.banking.services.duplicates import hold_possible_duplicates
from vouchers.banking.services.lines import _require


class InvalidStatementFile(ValidationFailed):
    """The upload is not a CAMT.053 or CODA statement we can read (422; 413 when it is too large).
    ``template``/``params`` translate it."""

    def __init__(self, error: camt.CamtError):
        super().__init__(str(error), code=error.code, fields={"file": [str(error)]})
        self.template = error.template
        self.params = error.params
        if error.code == "file_too_large":
            self.status = 413


def read_upload(stream: BinaryIO) -> bytes:
    """An uploaded file's bytes, at most one more than ``camt.MAX_FILE_BYTES``: enough for ``statement_files.parse``
    to refuse a larger file, without reading all of it into memory."""
    limit = camt.MAX_FILE_BYTES + 1
    chunks: list[bytes] = []
    size = 0
    while size < limit:
        chunk = stream.read(limit - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    return b"".join(chunks)


def line_key(statement: camt.ParsedStatement, line: camt.ParsedLine) -> str:
    """The identity of a line's money. The bank's own reference of the entry (``AcctSvcrRef``) is
    unique per account, so an entry found again in an overlapping statement is the same money.
    Without it, the line is known by its place in this statement (whose second import is refused).
    A pending entry has a key of its own: banks keep the entry's reference when they book it, and the booked
    entry is the money (the pending one, seen again, is still nothing new)."""
    pending = "" if line.booked else "pending|"
    if line.entry_reference:
        return f"{pending}{statement.account}|ref|{line.entry_reference}|{line.tx_index}"
    return (f"{pending}{statement.account}|stmt|{statement.statement_ref}|{statement.sequence}|"
            f"{line.entry_index}|{line.tx_index}")


@dataclass
class StatementImport:
    statement: BankStatement
    duplicate: bool  # imported before: nothing was added
    new_lines: list[BankLine] = field(default_factory=list)
    repeated_lines: int = 0  # lines left out because their money was already imported

    @property
    def possible_duplicates(self) -> int:
        """New lines held for a person: they look like money already imported with another statement."""
        return sum(1 for line in self.new_lines if line.hold_reason == "possible_duplicate")


@dataclass
class ImportResult:
    statements: list[StatementImport]

    @property
    def duplicate(self) -> bool:
        """True when the file added nothing at all: every statement in it was imported before."""
        return all(s.duplicate for s in self.statements)

    @property
    def importing(self) -> bool:
        """True when a statement of the file is being read in the background."""
        return any(s.statement.status == "importing" for s in self.statements)


#: A file with more lines than this is read in the background (``services.background_import``): the upload answers
#: at once, and the statement's page shows the progress. Smaller ones are read within the upload.
BACKGROUND_ABOVE_LINES = 200


def parse_upload(data: bytes) -> camt.ParsedFile:
    """The file read, or ``InvalidStatementFile``."""
    try:
        return statement_files.parse(data)
    except camt.CamtError as error:
        raise InvalidStatementFile(error) from error


def import_statement(session: Session, actor: Any, data: bytes, *, file_name: str | None, now: datetime,
                     xsd_path: str | Path | None = None) -> ImportResult:
    """Import every statement of a CAMT.053 or CODA file and match its credit lines, all within this call.

    A malformed file raises ``InvalidStatementFile`` (422, or 413 when too large) and adds nothing. A
    statement imported before is returned as it is, flagged ``duplicate``; so is every statement of a
    file imported before (the same bytes), even if its statements' identity now reads differently.
    """
    _require(actor)
    parsed = parse_upload(data)
    return known_file(session, parsed) or import_parsed(session, actor, parsed, file_name=file_name, now=now,
                                                        xsd_path=xsd_path)


def known_file(session: Session, parsed: camt.ParsedFile) -> ImportResult | None:
    """The statements of a file imported before (the same bytes; an import that failed does not count), or None."""
    same_file = list(session.scalars(select(BankStatement).where(BankStatement.file_sha256 == parsed.sha256,
                                                                 BankStatement.status != "failed")))
    if not same_file:
        return None
    known = {row.id: row for row in same_file}
    for statement in parsed.statements:
        existing = existing_statement(session, statement)
        if existing is not None:
            known.setdefault(existing.id, existing)
    return ImportResult([StatementImport(known[key], duplicate=True) for key in sorted(known)])


def import_parsed(session: Session, actor: Any, parsed: camt.ParsedFile, *, file_name: str | None, now: datetime,
                  xsd_path: str | Path | None = None) -> ImportResult:
    valid = camt.schema_valid(parsed, xsd_path)
    results = []
    for statement in parsed.statements:
        existing = existing_statement(session, statement)
        if existing is not None:
            results.append(StatementImport(existing, duplicate=True))
            continue
        row = statement_row(parsed, statement, valid, file_name=file_name, actor=actor, now=now)
        add_statement_rows(session, [row])
        results.append(import_lines(session, actor, statement, row, now=now))
    return ImportResult(results)


def existing_statement(session: Session, statement: camt.ParsedStatement) -> BankStatement | None:
    """The statement with the same bank identity, imported or importing (one whose import failed is forgotten)."""
    return session.scalar(select(BankStatement).where(
        BankStatement.account == statement.account, BankStatement.statement_ref == statement.statement_ref,
        BankStatement.sequence == statement.sequence, BankStatement.status != "failed"))


def statement_row(parsed: camt.ParsedFile, statement: camt.ParsedStatement, valid: bool | None, *,
                  file_name: str | None, actor: Any, now: datetime, **state: Any) -> BankStatement:
    return BankStatement(
        account=statement.account, statement_ref=statement.statement_ref, sequence=statement.sequence,
        legal_sequence=statement.legal_sequence, message_id=parsed.message_id, version=parsed.version,
        currency=statement.currency, issued_on=statement.issued_on, from_on=statement.from_on,
        to_on=statement.to_on, opening_balance_cents=statement.opening_balance_cents,
        closing_balance_cents=statement.closing_balance_cents, file_name=(file_name or "")[:255] or None,
        file_sha256=parsed.sha256, schema_valid=valid, imported_at=now, imported_by=getattr(actor, "id", None),
        **state)


def add_statement_rows(session: Session, rows: Sequence[BankStatement]) -> None:
    """Insert new statements, in place of any of the same identity whose import failed (it booked nothing)."""
    try:
        with session.begin_nested():
            for row in rows:
                failed = session.scalar(select(BankStatement).where(
                    BankStatement.account == row.account, BankStatement.statement_ref == row.statement_ref,
                    BankStatement.sequence == row.sequence, BankStatement.status == "failed"))
                if failed is not None:
                    session.delete(failed)
                    session.flush()
                session.add(row)
            session.flush()
    except IntegrityError as exc:  # the same statement imported at this very moment by someone else
        raise Conflict(N_("This statement is being imported by someone else at the same time. Reload the list of "
                          "statements."), code="statement_importing") from exc


#: Planned lines booked per batch; a background import reports its progress after each.
BOOK_BATCH = 500


def import_lines(session: Session, actor: Any, statement: camt.ParsedStatement, row: BankStatement, *,
                 now: datetime, on_progress: Callable[[int], None] | None = None) -> StatementImport:
    """Add the statement's new lines to ``row`` and match them: by reference and by enterprise number (credits),
    then the debits (``matching.book_debit_lines``). ``on_progress(lines_done)`` hears how far it is."""
    keys = [line_key(statement, line) for line in statement.lines]
    known = _known_keys(session, keys)
    result = StatementImport(row, duplicate=False)
    rows = []
    for line, key in zip(statement.lines, keys, strict=True):
        if key in known:
            result.repeated_lines += 1
            continue
        known.add(key)
        rows.append(_new_line(row, line, key, now))
    try:
        with session.begin_nested():
            if rows:  # one INSERT sent as a batch, then the lines read back at once: no ids to return row by row
                session.execute(insert(BankLine.__table__), rows)
    except IntegrityError as exc:  # the same line imported at this very moment by someone else
        raise Conflict(N_("This statement is being imported by someone else at the same time. Reload the list of "
                          "statements."), code="statement_importing") from exc
    result.new_lines = list(session.scalars(select(BankLine).where(BankLine.statement_id == row.id)
                                            .order_by(BankLine.id)))
    hold_possible_duplicates(session, row, result.new_lines)
    planned = matching.plan_automatic(session, result.new_lines)
    done = len(statement.lines) - len(planned)
    for start in range(0, len(planned), BOOK_BATCH):
        batch = planned[start:start + BOOK_BATCH]
        matching.book(session, batch, now=now)
        done += len(batch)
        if on_progress is not None:
            on_progress(done)
    booked_debits = matching.book_debit_lines(session, statement.account, result.new_lines, now=now)
    # The fund's own transfers: a debit paying one, a credit bringing one back (issue 20, services.outgoing).
    outgoing.match_outgoing_lines(session, result.new_lines, now=now, actor=actor)
    audit.record(session, actor=actor, object_type="bank_statement", object_id=row.id, action="imported",
                 reason=f"{statement.account} {statement.statement_ref}/{statement.sequence}: "
                        f"{len(result.new_lines)} lines, {len(planned)} matched, {booked_debits} reversals applied, "
                        f"{result.repeated_lines} already known, "
                        f"{result.possible_duplicates} possible duplicates held",
                 now=now)
    session.flush()
    return result


def _new_line(row: BankStatement, line: camt.ParsedLine, key: str, now: datetime) -> dict[str, Any]:
    """A new line's columns, to be inserted."""
    start = domain.initial_status(direction=line.direction, reversal=line.reversal, booked=line.booked,
                                  currency=line.currency, returned=line.returned)
    return {
        "statement_id": row.id, "entry_index": line.entry_index, "tx_index": line.tx_index, "line_key": key,
        "direction": line.direction, "amount_cents": line.amount_cents, "currency": line.currency or "",
        "booked_on": line.booked_on, "value_on": line.value_on, "status": start.status,
        "ignore_reason": start.ignore_reason, "returns_credit": start.returns_credit,
        "entry_reference": line.entry_reference, "tx_reference": line.tx_reference,
        "end_to_end_id": line.end_to_end_id, "structured_reference": line.structured_reference,
        "more_references": " ".join(line.more_references) or None,
        "reference_text": line.reference_text, "remittance_text": line.remittance_text,
        "counterparty_name": line.counterparty_name, "counterparty_iban": line.counterparty_iban,
        "counterparty_id": line.counterparty_id, "enterprise_number": line.enterprise_number, "created_at": now,
        "is_return": line.direction == "credit" and line.returned, "return_reason_code": line.return_reason_code}


def _known_keys(session: Session, keys: Sequence[str]) -> set[str]:
    known: set[str] = set()
    unique = sorted(set(keys))
    for start in range(0, len(unique), 500):
        chunk = unique[start:start + 500]
        known.update(session.scalars(select(BankLine.line_key).where(BankLine.line_key.in_(chunk))))
    return known


def get_statement(session: Session, actor: Any, statement_id: int) -> BankStatement:
    _require(actor)
    statement = session.get(BankStatement, statement_id)
    if statement is None:
        raise NotFound(N_("This bank statement does not exist."))
    return statement


def list_statements(session: Session, actor: Any, *, limit: int = 50,
                    before_id: int | None = None) -> list[BankStatement]:
    """Statements, newest import first (keyset pages: ask for ``limit + 1`` to know if more follow)."""
    _require(actor)
    query = select(BankStatement)
    if before_id is not None:
        query = query.where(BankStatement.id < before_id)
    return list(session.scalars(query.order_by(BankStatement.id.desc()).limit(limit)))


@dataclass(frozen=True)
class Figures:
    """Counts and sums of one statement's lines, by what their money became."""

    line_count: int = 0
    credit_count: int = 0
    credit_cents: int = 0
    debit_count: int = 0
    debit_cents: int = 0
    matched_count: int = 0
    matched_cents: int = 0
    unmatched_count: int = 0
    unmatched_cents: int = 0
    dismissed_count: int = 0
    dismissed_cents: int = 0
    ignored_credit_count: int = 0
    ignored_credit_cents: int = 0


def statement_figures(session: Session, statement_ids: Sequence[int]) -> dict[int, Figures]:
    """One grouped query for the figures of several statements."""
    if not statement_ids:
        return {}
    rows = session.execute(
        select(BankLine.statement_id, BankLine.direction, BankLine.status, func.count(),
               func.coalesce(func.sum(BankLine.amount_cents), 0))
        .where(BankLine.statement_id.in_(list(statement_ids)))
        .group_by(BankLine.statement_id, BankLine.direction, BankLine.status))
    raw: dict[int, dict[str, int]] = {sid: {} for sid in statement_ids}
    for statement_id, direction, status, count, cents in rows:
        figures = raw[statement_id]
        count, cents = int(count), int(cents)

        def add(name: str, figures: dict[str, int] = figures, count: int = count, cents: int = cents) -> None:
            figures[f"{name}_count"] = figures.get(f"{name}_count", 0) + count
            figures[f"{name}_cents"] = figures.get(f"{name}_cents", 0) + cents

        figures["line_count"] = figures.get("line_count", 0) + count
        add(direction)
        if direction == "credit":
            add("ignored_credit" if status == "ignored" else status)
    return {sid: Figures(**values) for sid, values in raw.items()}
