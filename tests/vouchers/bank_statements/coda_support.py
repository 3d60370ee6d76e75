"""Writing CODA statements in the tests, as Belgian banks send them (Febelfin CODA 2): records of 128 characters,
each field at the positions the standard gives (from 1, both ends included)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path

from tests.vouchers.bank_statements.conftest import FUND_IBAN, SAMPLES

CODA_SAMPLES = SAMPLES.parent / "coda"
NOV_20 = date(2026, 11, 20)


def record(*fields: tuple[int, str]) -> str:
    """A record of 128 characters with each ``(position, text)`` written from that position on."""
    line = [" "] * 128
    for position, text in fields:
        assert position - 1 + len(text) <= 128, (position, text)
        line[position - 1:position - 1 + len(text)] = text
    return "".join(line)


def ddmmyy(day: date) -> str:
    return day.strftime("%d%m%y")


def amount(cents: int) -> str:
    """15 digits, the last three decimals (mills)."""
    return f"{abs(cents) * 10:015d}"


@dataclass
class Movement:
    amount: str  # "1800.00"
    credit: bool = True
    reference: str | None = None  # a structured communication of type 101: the 12 digits
    free_text: str = ""  # a free communication: 2.1 (53), then 2.2 (53), then 2.3 (43 characters)
    name: str = "Employer SA"
    iban: str = "BE68539007547034"
    booked_on: date = NOV_20
    #: type (0 simple, 2 totalised by the bank, 6 its detail), family (01 credit transfers), transaction (50 a transfer
    #: in your favour, 99 a cancellation), category
    transaction: str = "00150000"
    end_to_end: str = ""
    r_type: str = ""  # record 2.2, position 113: 1 reject, 2 return, 3 refund, 4 reversal, 5 cancellation
    return_reason: str = ""  # record 2.2, positions 114-117: the ISO reason of an R-transaction (AC04...)
    bank_reference: str = ""
    details: list[Movement] = field(default_factory=list)  # the parts of a total (transaction type 1 or 2)

    @property
    def cents(self) -> int:
        euros, _, cents = self.amount.partition(".")
        return int(euros) * 100 + int((cents + "00")[:2])


def movement_records(m: Movement, seq: int, detail: int, paper: str) -> list[str]:
    text = m.free_text.ljust(149)
    if m.reference:
        kind, zone = "1", "101" + m.reference
    else:
        kind, zone = "0", text[:53]
    ref = m.bank_reference or f"BANKREF{seq:04d}{detail:04d}"
    glob = "1" if m.details else "0"
    records = [record((1, "21"), (3, f"{seq:04d}"), (7, f"{detail:04d}"), (11, ref[:21]), (32, "0" if m.credit else "1"),
                      (33, amount(m.cents)), (48, ddmmyy(m.booked_on)), (54, m.transaction),
                      (62, kind), (63, zone), (116, ddmmyy(m.booked_on)), (122, paper), (125, glob), (126, "1"),
                      (128, "0")),
               record((1, "22"), (3, f"{seq:04d}"), (7, f"{detail:04d}"), (11, "" if m.reference else text[53:106]),
                      (64, m.end_to_end), (99, "GEBABEBB"), (113, m.r_type), (114, m.return_reason),
                      (126, "1"), (128, "0")),
               record((1, "23"), (3, f"{seq:04d}"), (7, f"{detail:04d}"), (11, m.iban), (45, "EUR"), (48, m.name),
                      (83, "" if m.reference else text[106:149]), (126, "0"), (128, "0"))]
    for number, part in enumerate(m.details, start=1):
        records.extend(movement_records(part, seq, number, paper))
    return records


def coda(movements: list[Movement], *, account: str = FUND_IBAN, paper: str = "214", sequence: str = "214",
         on: date = NOV_20, opening_cents: int = 100_000, header: str = "0000020112672505") -> bytes:
    """One CODA file holding one statement of ``account`` (a Belgian IBAN: account structure 2)."""
    net = sum(m.cents if m.credit else -m.cents for m in movements)
    closing = opening_cents + net
    lines = [record((1, header), (25, "TNW-TEST"), (35, "FONDS RETOUR AU TRAVAIL"), (61, "KREDBEBB"),
                    (72, "00123456789"), (84, "00000"), (128, "2")),
             record((1, "12"), (3, paper), (6, account), (40, "EUR"), (43, "0" if opening_cents >= 0 else "1"),
                    (44, amount(opening_cents)), (59, ddmmyy(on - timedelta(days=1))), (65, "FONDS TNW"),
                    (126, sequence))]
    for seq, m in enumerate(movements, start=1):
        lines.extend(movement_records(m, seq, 0, paper))
    lines.append(record((1, "8"), (2, paper), (5, account), (39, "EUR"), (42, "0" if closing >= 0 else "1"),
                        (43, amount(closing)), (58, ddmmyy(on)), (128, "0")))
    debit = sum(m.cents for m in movements if not m.credit)
    credit = sum(m.cents for m in movements if m.credit)
    lines.append(record((1, "9"), (17, f"{len(lines) - 1:06d}"), (23, amount(debit)), (38, amount(credit)),
                        (128, "2")))
    return ("\n".join(lines) + "\n").encode("latin-1")


def sample(name: str) -> bytes:
    return (CODA_SAMPLES / name).read_bytes()


def sample_names() -> list[str]:
    return sorted(path.name for path in Path(CODA_SAMPLES).iterdir())
