"""Reading Belgian CODA bank statements (Febelfin's "Coded statement of account", version 2): text files of
128-character records: 0 header, 1 old balance, 2.1/2.2/2.3 a movement, 3.1/3.2/3.3 information about it,
4 free communication, 8 new balance, 9 trailer. One file may hold several statements, each from 0 to 9.

They are read into the same ``camt.ParsedFile`` as a CAMT.053 statement, so matching, duplicate detection,
splits and reversals treat both alike:

- A movement's structured communication (record 2.1, communication type 1, of type 101 or 102) is its structured
  reference, as CAMT's ``Strd/CdtrRefInf``. A free communication (records 2.1, 2.2 and 2.3 end to end, and free
  information records 3.x) is searched as CAMT's ``Ustrd`` is. Other structured communications (card payments,
  direct debits, charges…) are shown, never searched: their digits are nobody's reference.
- A movement totalised by the customer or the bank (types 1 and 2) whose details (types 5, 6, 7) add up to it
  becomes one line per detail, as CAMT's ``TxDtls``; any other movement is one line (the details of type 3, such
  as charges, are parts of one payment). Details never count as money of their own.
- A cancellation (transaction 49 or 99) or an R-transaction of type reversal or cancellation is a reversal; a
  reject, return or refund is a return, with its ISO reason (record 2.2, positions 114-117: AC04...).
- A statement is known by its account, the date of its new balance with its paper number, and its CODA sequence
  number. The bank's reference of a movement is kept (``tx_reference``) but identifies nothing: banks repeat it
  across movements. Without it, the same money imported as CAMT and as CODA is held as a possible duplicate.

Lenient on what real files get wrong (trailing blanks cut, CRLF or LF, Latin-1 or UTF-8, control characters;
trailer totals and balances, which anonymised samples break, are not checked), strict on what money depends on:
a line that is not a record, a record out of place, a sign, amount or date that cannot be read, or a file cut
before its last trailer refuses the whole file with the line and positions (``CodaError``), never half-read.

Why not a library: codapy 0.3.28 (PyPI; MIT; github.com/mhemeryck/pycoda) was evaluated. It reads the shared
samples record by record, but only cuts records into fields: it does not group statements, attach 2.2, 2.3 and
3.x to their movement, decode structured communications or account structures, nor tell movements from their
details. It fails with a bare ``TypeError`` or ``ValueError`` and no line number on an unknown record, on a line
whose trailing blanks were cut, or on a value date of 000000 (which the standard allows); it needs factory-boy
and Faker at run time, imports ``six`` without declaring it, installs a top-level module named ``pycoda`` (the
name of another project), and its code has not changed since 2022 (later commits bump dependencies). Wrapping
it would leave most of the work here and add three dependencies; this module reads CODA itself.
"""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from typing import Any

from stdnum import iban
from stdnum.be import iban as be_iban

from portal.errors import N_
from vouchers.banking import camt, domain

RECORD_LENGTH = 128

#: Structured communications that carry the payer's OGM/VCS (``+++123/4567/89012+++``).
REFERENCE_TYPES = ("101", "102")

#: Transactions (record 2.1, positions 57-58) that cancel or correct another one.
CANCELLATIONS = ("49", "99")

#: R-transaction types (record 2.2, position 113): 1 reject, 2 return, 3 refund, 4 reversal, 5 cancellation.
RETURNS = ("1", "2", "3")
REVERSALS = ("4", "5")

#: Types (record 2.1, position 54) of an amount totalised by the customer or the bank, and of their details.
TOTALS = ("1", "2")
TOTAL_DETAILS = ("5", "6", "7")

_HEADER = re.compile(rb"00000[0-9]{6}")
_DIGITS = re.compile(r"[0-9]+")
_CURRENCY = re.compile(r"[A-Z]{3}")
_IBAN_SHAPE = re.compile(r"[A-Z]{2}[0-9]{2}[A-Z0-9]{11,30}")
_CONTROL = re.compile(r"[\x00-\x1f\x7f-\x9f]")
_LABELS = {"21": "2.1", "22": "2.2", "23": "2.3", "31": "3.1", "32": "3.2", "33": "3.3"}
_KINDS = ("0", "1", "21", "22", "23", "31", "32", "33", "4", "8", "9")


class CodaError(camt.CamtError):
    """The file is not a CODA statement we can read. ``template`` is translatable; ``params`` fill it."""

    def __init__(self, template: str, code: str = "coda_invalid", **params: Any):
        super().__init__(template, code, **params)


def looks_like_coda(data: bytes) -> bool:
    """Whether a file starts as CODA does: a header record, ``0`` and four zeros, then its creation date."""
    return bool(_HEADER.match(data.lstrip(b"\xef\xbb\xbf").lstrip()))


@dataclass(frozen=True)
class _Line:
    number: int  # in the file, from 1
    text: str  # exactly RECORD_LENGTH characters

    @property
    def kind(self) -> str:
        return self.text[:2] if self.text[0] in "23" else self.text[0]

    def at(self, start: int, end: int) -> str:
        """Positions ``start`` to ``end``, numbered from 1 and both included, as the Febelfin standard gives them."""
        return self.text[start - 1:end]

    def error(self, template: str, code: str) -> CodaError:
        return CodaError(template, code, line=self.number, record=_LABELS.get(self.kind, self.kind))

    def invalid(self, start: int, end: int) -> CodaError:
        return CodaError(N_('Line %(line)s of the CODA file (record %(record)s): positions %(positions)s read '
                            '"%(value)s", which is not valid there.'),
                         line=self.number, record=_LABELS.get(self.kind, self.kind),
                         positions=f"{start}-{end}" if end > start else str(start),
                         value=self.at(start, end).strip()[:40])

    def digits(self, start: int, end: int) -> str:
        value = self.at(start, end)
        if not _DIGITS.fullmatch(value):
            raise self.invalid(start, end)
        return value

    def amount(self, sign_at: int, start: int) -> int:
        """A sign (0 credit, 1 debit) and 15 digits, the last three decimals: signed cents."""
        sign = self.at(sign_at, sign_at)
        if sign not in ("0", "1"):
            raise self.invalid(sign_at, sign_at)
        digits = self.digits(start, start + 14)
        cents = domain.amount_to_cents(f"{int(digits[:12])}.{digits[12:]}")
        if cents is None:  # a third decimal that is not 0: no euro amount
            raise self.invalid(start, start + 14)
        return -cents if sign == "1" else cents

    def day(self, start: int) -> date:
        """A date written DDMMYY."""
        digits = self.digits(start, start + 5)
        try:
            return date(2000 + int(digits[4:]), int(digits[2:4]), int(digits[:2]))
        except ValueError as exc:
            raise self.invalid(start, start + 5) from exc

    def optional_day(self, start: int) -> date | None:
        """A date written DDMMYY, or None when left blank or 000000."""
        return self.day(start) if self.at(start, start + 5).strip(" 0") else None


def _read_lines(data: bytes) -> list[_Line]:
    data = data.removeprefix(b"\xef\xbb\xbf")
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        text = data.decode("latin-1")
    lines = []
    # Split on line feeds only: str.splitlines() would also split on characters that may stand in a text field.
    for number, raw in enumerate(text.split("\n"), start=1):
        line = _CONTROL.sub(" ", raw.rstrip("\r"))
        if not line.strip():
            continue
        if len(line) > RECORD_LENGTH:
            if line[RECORD_LENGTH:].strip():
                raise CodaError(N_("Line %(line)s of the CODA file has %(length)s characters, not 128."),
                                "coda_line_length", line=number, length=len(line))
            line = line[:RECORD_LENGTH]
        lines.append(_Line(number, line.ljust(RECORD_LENGTH)))
    return lines


@dataclass
class _Record:
    """A record 2.1 with its 2.2, 2.3 and information records 3.x."""

    seq: str  # the movement's continuous sequence number
    detail: str  # 0000 for the movement itself, else one of its details
    bank_reference: str
    cents: int  # negative for a debit
    value_on: date | None
    booked_on: date | None
    kind: str  # 0-3 a movement, 5-9 a detail
    transaction: str
    structured: str | None  # the type of a structured communication (101, 105, 114…), None for a free one
    communication: str  # raw zones of 2.1, 2.2 and 2.3, end to end
    customer_reference: str = ""
    r_type: str = ""
    return_reason: str = ""  # record 2.2, positions 114-117: the ISO reason of an R-transaction (AC04...)
    account: str = ""
    name: str = ""
    information: list[str] = field(default_factory=list)  # free information (3.1 with its 3.2 and 3.3)
    information_free: bool = False  # whether the last 3.1 was free, so its 3.2 and 3.3 continue it
    information_name: str = ""  # the counterparty's name in a structured information of type 001
    details: list[_Record] = field(default_factory=list)


def _record(line: _Line) -> _Record:
    kind = line.at(62, 62)
    if kind not in ("0", "1"):
        raise line.invalid(62, 62)
    zone = line.at(63, 115)
    return _Record(seq=line.digits(3, 6), detail=line.digits(7, 10), bank_reference=line.at(11, 31).strip(),
                   cents=line.amount(32, 33), value_on=line.optional_day(48),
                   booked_on=line.optional_day(116), kind=line.at(54, 54), transaction=line.at(57, 58),
                   structured=zone[:3] if kind == "1" else None, communication=zone[3:] if kind == "1" else zone)


def bban_to_iban(bban: str) -> str | None:
    """A Belgian account number of the old structure (12 digits) as its IBAN; None when it is not valid."""
    bban = bban.strip()
    if not _DIGITS.fullmatch(bban) or len(bban) != 12:
        return None
    candidate = f"BE{iban.calc_check_digits('BE00' + bban)}{bban}"
    return candidate if be_iban.is_valid(candidate) else None


def _counterparty_iban(raw: str) -> str | None:
    """Record 2.3, positions 11-47: an old Belgian account number (12 digits, a blank, the currency), else an
    account of up to 34 characters and the currency. An IBAN is kept as the bank wrote it (as CAMT's ``IBAN``
    is); another account number is not an IBAN."""
    if raw[12:13] == " ":
        return bban_to_iban(raw[:12])
    number = raw[:34].replace(" ", "").upper()
    return number if _IBAN_SHAPE.fullmatch(number) else None


def _squash(text: str) -> str:
    return " ".join(text.split())


@dataclass
class _Statement:
    header: _Line
    opening: _Line
    movements: list[_Record] = field(default_factory=list)
    last: _Record | None = None


class _Reader:
    """Reads the lines in order: 0, then for each statement 1, its movements (2.x, 3.x, 4), 8, then 9."""

    def __init__(self) -> None:
        self.state = "start"
        self.header: _Line | None = None
        self.current: _Statement | None = None
        self.statements: list[camt.ParsedStatement] = []

    def out_of_place(self, line: _Line) -> CodaError:
        return line.error(N_("Line %(line)s of the CODA file (record %(record)s) is out of place: a CODA statement "
                             "runs from records 0 and 1, through its movements (records 2 and 3), to records 8 "
                             "and 9."), "coda_order")

    def read(self, line: _Line) -> None:
        kind = line.kind
        if kind not in _KINDS:
            raise CodaError(N_('Line %(line)s of the CODA file is not a CODA record (it starts with "%(start)s").'),
                            "coda_record_unknown", line=line.number, start=line.text[:10].strip())
        allowed = {"0": ("start", "trailer"), "1": ("header", "balance"), "8": ("body",), "9": ("balance",),
                   "4": ("body", "balance")}.get(kind, ("body",))
        if self.state not in allowed:
            raise self.out_of_place(line)
        if kind == "0":
            self.header, self.state = line, "header"
            if line.at(128, 128) != "2":  # the version of the format: only CODA 2 is read
                raise line.invalid(128, 128)
            line.day(6)
        elif kind == "9":
            self.state = "trailer"
        elif kind == "1" and self.header is not None:
            self.current, self.state = _Statement(self.header, line), "body"
        elif kind == "4":  # a free communication: the bank's message to the customer, nothing to book
            return
        elif self.current is None:  # pragma: no cover - the states above let no other record through
            raise self.out_of_place(line)
        elif kind == "8":
            self.statements.append(_statement(self.current, line))
            self.current, self.state = None, "balance"
        else:
            self.movement_record(self.current, line, kind)

    def movement_record(self, statement: _Statement, line: _Line, kind: str) -> None:
        last = statement.last
        if kind == "21":
            record = _record(line)
            if record.detail == "0000":
                statement.movements.append(record)
            elif statement.movements and statement.movements[-1].seq == record.seq:
                statement.movements[-1].details.append(record)
            else:  # a detail without its movement
                raise self.out_of_place(line)
            statement.last = record
            return
        if last is None or line.at(3, 6) != last.seq or (kind in ("22", "23") and line.at(7, 10) != last.detail):
            raise self.out_of_place(line)
        if kind == "22":
            last.communication += line.at(11, 63)
            last.customer_reference = line.at(64, 98).strip()
            last.r_type = line.at(113, 113).strip()
            last.return_reason = line.at(114, 117).strip()
        elif kind == "23":
            last.account = line.at(11, 47)
            last.name = line.at(48, 82).strip()
            last.communication += line.at(83, 125)
        elif kind == "31":
            last.information_free = line.at(40, 40) != "1"
            if last.information_free:
                last.information.append(line.at(41, 113))
            elif line.at(41, 43) == "001":  # data concerning the counterparty: its name first
                last.information_name = last.information_name or line.at(44, 113).strip()
        elif last.information_free and last.information:
            last.information[-1] += line.at(11, 115) if kind == "32" else line.at(11, 100)

    def finish(self) -> list[camt.ParsedStatement]:
        if self.state != "trailer":
            raise CodaError(N_("The CODA file ends before its last statement does (records 8 and 9 are missing): "
                               "it may have been cut short."), "coda_truncated")
        return self.statements


def _account(line: _Line) -> tuple[str, str]:
    """The statement's account and currency (record 1), by the account structure in position 2."""
    structure = line.at(2, 2)
    if structure == "0":  # an old Belgian account number
        account, currency = bban_to_iban(line.at(6, 17)) or line.at(6, 17).strip(), line.at(19, 21)
    elif structure == "2":  # a Belgian IBAN
        account, currency = line.at(6, 21), line.at(40, 42)
    elif structure in ("1", "3"):  # a foreign account number, a foreign IBAN
        account, currency = line.at(6, 39), line.at(40, 42)
    else:
        raise line.invalid(2, 2)
    account = account.replace(" ", "").upper()
    if not account:
        raise line.invalid(6, 39)
    if not _CURRENCY.fullmatch(currency):
        raise line.invalid(19, 21) if structure == "0" else line.invalid(40, 42)
    return account, currency


def _statement(statement: _Statement, closing: _Line) -> camt.ParsedStatement:
    opening = statement.opening
    account, currency = _account(opening)
    to_on = closing.day(58)
    paper = opening.digits(3, 5)
    lines: list[camt.ParsedLine] = []
    for index, movement in enumerate(statement.movements, start=1):
        lines.extend(_movement_lines(movement, index, currency, to_on))
    return camt.ParsedStatement(
        statement_ref=f"{to_on.isoformat()}/{paper}", sequence=opening.digits(126, 128), legal_sequence=paper,
        issued_on=statement.header.day(6), from_on=min([line.booked_on for line in lines] + [to_on]), to_on=to_on,
        account=account[:camt.LIMITS["account"]], currency=currency, opening_balance_cents=opening.amount(43, 44),
        closing_balance_cents=closing.amount(42, 43), lines=lines)


def _movement_lines(movement: _Record, index: int, currency: str, fallback_on: date) -> list[camt.ParsedLine]:
    """One line per detail of a total whose details add up to it, else one line for the whole movement."""
    parts = [detail for detail in movement.details if detail.kind in TOTAL_DETAILS]
    if (movement.kind in TOTALS and parts and sum(part.cents for part in parts) == movement.cents
            and all((part.cents < 0) == (movement.cents < 0) for part in parts)):
        return [_line(part, index, tx_index, currency, fallback_on)
                for tx_index, part in enumerate(parts, start=1) if part.cents]
    return [_line(movement, index, 0, currency, fallback_on)] if movement.cents else []


def _cut(value: str | None, limit: str) -> str | None:
    value = _squash(value or "")
    return value[:camt.LIMITS[limit]] or None


def _line(record: _Record, entry_index: int, tx_index: int, currency: str, fallback_on: date) -> camt.ParsedLine:
    creditor_references: list[str] = []
    searched: list[str] = []
    shown: list[str] = []
    if record.structured is None:
        searched.append(_squash(record.communication))
    elif record.structured in REFERENCE_TYPES:
        creditor_references.append(record.communication[:12].strip())
    else:
        shown.append(f"{record.structured}: {_squash(record.communication)}")
    searched.extend(_squash(text) for text in record.information)
    searched = [text for text in searched if text]
    found = domain.find_structured_reference(creditor_references, searched)
    name = record.name or record.information_name
    texts = [text for text in shown + searched if text.strip(": ")]
    return camt.ParsedLine(
        entry_index=entry_index, tx_index=tx_index, direction="debit" if record.cents < 0 else "credit",
        amount_cents=abs(record.cents), currency=currency, booked_on=record.booked_on or fallback_on,
        value_on=record.value_on, booked=True,
        reversal=record.transaction in CANCELLATIONS or record.r_type in REVERSALS, returned=record.r_type in RETURNS,
        entry_reference=None, entry_ref=None, tx_reference=_cut(record.bank_reference, "id"),
        end_to_end_id=_cut(record.customer_reference, "id"),
        structured_reference=found.references[0] if found.references else None,
        more_references=found.references[1:], reference_text=_cut(found.raw, "ref"),
        remittance_text=_cut(" | ".join(texts), "text"), counterparty_name=_cut(name, "name"),
        counterparty_iban=_counterparty_iban(record.account) if record.account else None, counterparty_id=None,
        enterprise_number=domain.find_enterprise_number([name, *searched]),
        return_reason_code=_cut(record.return_reason, "id"))


def parse(data: bytes) -> camt.ParsedFile:
    """Read a CODA file. Raises ``CodaError`` with the line and the reason when it is malformed."""
    if not data or not data.strip():
        raise CodaError(N_("The file is empty."), "file_empty")
    if len(data) > camt.MAX_FILE_BYTES:
        raise CodaError(N_("The file is larger than %(mb)s MB."), "file_too_large", mb=camt.MAX_FILE_BYTES // 2**20)
    reader = _Reader()
    lines = _read_lines(data)
    for line in lines:
        reader.read(line)
    statements = reader.finish()
    header = lines[0]
    return camt.ParsedFile(version="CODA 2", message_id=_cut(header.at(25, 34), "id"),
                           sha256=hashlib.sha256(data).hexdigest(), statements=statements)
