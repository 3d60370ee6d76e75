"""Bulk declarations from a CSV file: every line is validated first, then all are imported or none.

The file has a header line with these columns (any order, `;` or `,` separated, UTF-8,
as spreadsheets export it):

    worker_first_name;worker_last_name;worker_niss;contract_end_on;physician_decision_on

``physician_decision_on`` may be empty. Dates are ``YYYY-MM-DD`` or ``DD/MM/YYYY``.
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Generator
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy.orm import Session

from portal.errors import N_
from portal.fund_settings import RulesBook
from portal.input_guard import FORBIDDEN
from vouchers.employers.services import declarations as declaration_services
from vouchers.employers.services.declarations import CleanDeclaration, DeclarationData

COLUMNS = ("worker_first_name", "worker_last_name", "worker_niss", "contract_end_on", "physician_decision_on")


REQUIRED_COLUMNS = COLUMNS[:4]


DATE_COLUMNS = ("contract_end_on", "physician_decision_on")


MAX_LINES = 20_000


TEMPLATE = ";".join(COLUMNS) + "\r\nAmélie;Peeters;85.07.30-033.28;2025-09-30;2025-09-01\r\n"


_DMY = re.compile(r"^(\d{1,2})[/.-](\d{1,2})[/.-](\d{4})$")


@dataclass(frozen=True)
class LineError:
    line: int
    field: str
    #: An English template with ``%(name)s`` placeholders, translated by the web layer.
    message: str
    params: dict[str, Any] = field(default_factory=dict)

    @property
    def text(self) -> str:
        return self.message % self.params if self.params else self.message


@dataclass
class ImportReport:
    lines: int = 0
    imported_ids: list[int] = field(default_factory=list)
    errors: list[LineError] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.errors

    def errors_by_line(self) -> dict[int, list[LineError]]:
        grouped: dict[int, list[LineError]] = {}
        for error in self.errors:
            grouped.setdefault(error.line, []).append(error)
        return grouped


def parse_date(text: str) -> date:
    text = text.strip()
    match = _DMY.match(text)
    if match:
        day, month, year = (int(part) for part in match.groups())
        return date(year, month, day)
    return date.fromisoformat(text)


UNREADABLE_LINE = N_("This line cannot be read: a value is far too long or a quotation mark is not closed.")
REFUSED_CHARACTER = N_("This value contains an invisible control character that cannot be saved (a NUL byte). "
                       "Remove it and try again.")


def read_rows(text: str) -> tuple[list[tuple[int, DeclarationData]], list[LineError]]:
    """Parse the file into (line number, data) pairs; shape problems become line errors."""
    text = text.lstrip("\ufeff")
    first_line = text.split("\n", 1)[0]
    delimiter = ";" if first_line.count(";") >= first_line.count(",") else ","
    if "\t" in first_line and not first_line.count(delimiter):
        delimiter = "\t"
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=delimiter)
    errors: list[LineError] = []
    try:
        header = next(reader)
    except StopIteration:
        return [], [LineError(1, "file", N_("The file is empty."))]
    except csv.Error:
        return [], [LineError(1, "file", UNREADABLE_LINE)]
    names = [h.strip().lower() for h in header]
    missing = [c for c in REQUIRED_COLUMNS if c not in names]
    if missing:
        return [], [LineError(1, "header", N_("The first line must name the columns: %(columns)s."),
                              {"columns": ", ".join(COLUMNS)})]
    index = {name: names.index(name) for name in COLUMNS if name in names}
    rows: list[tuple[int, DeclarationData]] = []
    while True:
        try:
            values = next(reader)
        except StopIteration:
            break
        except csv.Error:  # a field longer than the csv module allows, or a quote never closed
            errors.append(LineError(reader.line_num, "file", UNREADABLE_LINE))
            break
        line = reader.line_num
        if not any(v.strip() for v in values):
            continue
        if len(rows) >= MAX_LINES:
            errors.append(LineError(line, "file", N_("The file has too many lines (at most 20,000).")))
            break
        cell: dict[str, Any] = {name: (values[i].strip() if i < len(values) else "") for name, i in index.items()}
        # The request guard leaves uploads to their readers: the database cannot store a NUL, so the line is
        # refused here, naming its column.
        errors.extend(LineError(line, name, REFUSED_CHARACTER) for name, value in cell.items()
                      if FORBIDDEN.search(value))
        data = DeclarationData(worker_first_name=cell.get("worker_first_name", ""),
                               worker_last_name=cell.get("worker_last_name", ""),
                               worker_niss=cell.get("worker_niss", ""))
        for name in DATE_COLUMNS:
            raw = cell.get(name, "")
            if not raw:
                continue
            try:
                setattr(data, name, parse_date(raw))
            except ValueError:
                errors.append(LineError(line, name, N_("This date is not valid: use YYYY-MM-DD or DD/MM/YYYY.")))
        rows.append((line, data))
    if not rows and not errors:
        errors.append(LineError(1, "file", N_("The file has no declarations under its first line.")))
    return rows, errors


@dataclass(frozen=True)
class Progress:
    """How far an import is: ``phase`` is "checking" (validating lines) or "importing" (inserting them)."""

    phase: str
    done: int
    total: int


#: Lines checked or inserted between two progress reports (and rows per batched INSERT).
PROGRESS_EVERY = 1000


def import_steps(session: Session, actor: Any, text: str, *, employer_id: int | None, today: date,
                 now: datetime) -> Generator[Progress, None, ImportReport]:
    """The import, step by step: yields its progress and returns the report (``StopIteration.value``).

    Every line is validated (fields, national numbers, dates, duplicates in the file and already
    declared) before anything is written; then all lines are inserted in batches of
    ``PROGRESS_EVERY``, all in the caller's one transaction, so the caller commits all of them or
    rolls back and nothing is imported."""
    employer_id = declaration_services.resolve_employer_id(session, actor, employer_id)
    rows, errors = read_rows(text)
    total = len(rows)
    report = ImportReport(lines=total)
    yield Progress("checking", 0, total)
    lines_with_errors = {e.line for e in errors}
    book = RulesBook(session)
    clean_rows: list[tuple[int, CleanDeclaration]] = []
    for done, (line, data) in enumerate(rows, 1):
        rules = book.on(data.contract_end_on or today)
        clean, problems = declaration_services.clean_declaration(data, today=today, rules=rules)
        for name, messages in problems.items():
            errors.extend(LineError(line, name, message) for message in messages)
        if clean is not None and line not in lines_with_errors:
            clean_rows.append((line, clean))
        if done % PROGRESS_EVERY == 0 and done < total:
            yield Progress("checking", done, total)
    seen: dict[tuple[str, date], int] = {}
    for line, clean in clean_rows:
        key = (clean.worker_niss, clean.contract_end_on)
        if key in seen:
            errors.append(LineError(line, "worker_niss", N_("This worker and contract end date are already on line "
                                                            "%(line)s."), {"line": seen[key]}))
        else:
            seen[key] = line
    already = declaration_services.existing_declarations(session, employer_id, seen.keys())
    for key in sorted(already, key=seen.__getitem__):
        errors.append(LineError(seen[key], "worker_niss",
                                N_("This worker's dismissal with this contract end date is already declared.")))
    yield Progress("checking", total, total)
    if errors:
        report.errors = sorted(errors, key=lambda e: (e.line, COLUMNS.index(e.field) if e.field in COLUMNS else -1))
        return report
    cleaned = [clean for _, clean in clean_rows]
    for start in range(0, len(cleaned), PROGRESS_EVERY):
        report.imported_ids += declaration_services.declare_many(session, actor, cleaned[start:start + PROGRESS_EVERY],
                                                     employer_id=employer_id, today=today, now=now, rules_book=book)
        yield Progress("importing", len(report.imported_ids), total)
    return report


def import_declarations(session: Session, actor: Any, text: str, *, employer_id: int | None, today: date,
                        now: datetime) -> ImportReport:
    """Validate every line, then import all lines in batches, or none when any line has a problem."""
    steps = import_steps(session, actor, text, employer_id=employer_id, today=today, now=now)
    while True:
        try:
            next(steps)
        except StopIteration as finished:
            return finished.value
