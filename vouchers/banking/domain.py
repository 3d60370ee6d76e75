"""Pure rules of bank-statement matching: where a payer's structured reference and enterprise number
hide in a bank line, how amounts become cents, and how suggestions are ranked. No database, no Flask."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation

from stdnum import iban
from stdnum.be import ogm_vcs
from stdnum.be import vat as be_vat

_AMOUNT = re.compile(r"^\d{1,15}(\.\d{1,5})?$")


def amount_to_cents(text: str | None) -> int | None:
    """``"1800"``, ``"1800.5"`` and ``"1800.50"`` are 180050 cents; anything else (a sign, a comma,
    a third decimal that is not 0) is None: the caller reports the file as malformed."""
    value = (text or "").strip()
    if not _AMOUNT.match(value):
        return None
    try:
        cents = Decimal(value) * 100
    except InvalidOperation:  # pragma: no cover - the pattern already refuses what Decimal would
        return None
    if cents != cents.to_integral_value():
        return None
    return int(cents)


#: What payers type in free text: +++123/4567/89012+++ (or ***…***), 123/4567/89012, or 12 bare digits.
_TYPED_REFERENCES = (
    re.compile(r"[+*]{3}\s*(\d{3})\s*/?\s*(\d{4})\s*/?\s*(\d{5})\s*[+*]{3}"),
    re.compile(r"(?<![\d/])(\d{3})\s*/\s*(\d{4})\s*/\s*(\d{5})(?![\d/])"),
    re.compile(r"(?<![\d/])(\d{12})(?![\d/])"),
)


_REFERENCE_CHARACTERS = re.compile(r"^[\d+*/.\s-]+$")


@dataclass(frozen=True)
class ReferenceFound:
    """``structured`` is a valid 12-digit OGM/VCS (mod 97 checked); ``raw`` is what the line carried
    as a reference even when it is not valid (shown to the administrator as "unverified")."""

    structured: str | None = None
    raw: str | None = None


def _valid_ogm(digits: str) -> str | None:
    return digits if len(digits) == 12 and ogm_vcs.is_valid(digits) else None


def find_structured_reference(creditor_references: Sequence[str], free_texts: Sequence[str]) -> ReferenceFound:
    """The reference of a payment: first the structured ones (``RmtInf/Strd/CdtrRefInf/Ref``),
    then what the payer typed in the free text (``Ustrd``). An invalid one never stops the search."""
    raw: str | None = None
    for reference in creditor_references:
        reference = (reference or "").strip()
        if not reference:
            continue
        raw = raw or reference
        if _REFERENCE_CHARACTERS.match(reference):
            found = _valid_ogm(re.sub(r"\D", "", reference))
            if found:
                return ReferenceFound(found, reference)
    for text in free_texts:
        for pattern in _TYPED_REFERENCES:
            for match in pattern.finditer(text or ""):
                digits = "".join(match.groups())
                raw = raw or match.group(0).strip()
                found = _valid_ogm(digits)
                if found:
                    return ReferenceFound(found, match.group(0).strip())
    return ReferenceFound(None, raw)


def clean_reference(text: str | None) -> str | None:
    """A reference typed by an administrator (``+++010/8068/17183+++`` or the 12 digits), or None if invalid."""
    value = (text or "").strip()
    if not value or not _REFERENCE_CHARACTERS.match(value):
        return None
    return _valid_ogm(re.sub(r"\D", "", value))


_IBAN_LIKE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b")


_ENTERPRISE = re.compile(r"(?<![\dA-Za-z])(?:BE\s?)?([01]\d{3})[.\s]?(\d{3})[.\s]?(\d{3})(?!\d)")


def find_enterprise_number(texts: Iterable[str | None]) -> str | None:
    """The first valid enterprise number (10 digits, mod 97) in the payer's name, identification or
    free text, e.g. ``BE 0403.170.701`` or ``0403170701``. Valid IBANs are left out first."""
    for text in texts:
        if not text:
            continue
        cleaned = _IBAN_LIKE.sub(lambda m: " " if iban.is_valid(m.group(0)) else m.group(0), text.upper())
        for match in _ENTERPRISE.finditer(cleaned):
            digits = "".join(match.groups())
            if be_vat.is_valid(digits):
                return be_vat.compact(digits)
    return None


SUGGESTION_REASONS = ("employer_and_amount", "employer", "amount")


@dataclass(frozen=True)
class Candidate:
    """An open contribution that might be what a line pays."""

    contribution_id: int
    owed_cents: int
    due_on: date
    same_employer: bool


@dataclass(frozen=True)
class Suggestion:
    contribution_id: int
    reason: str  # one of SUGGESTION_REASONS


def rank_suggestions(amount_cents: int, candidates: Iterable[Candidate], *, limit: int = 10) -> list[Suggestion]:
    """Best first: the payer's employer owing exactly this amount; then the payer's employer's other
    open contributions; then strangers' contributions owing exactly this amount. Oldest due first."""
    ranked: list[tuple[int, date, int, str]] = []
    for c in candidates:
        exact = c.owed_cents == amount_cents
        if c.same_employer and exact:
            rank, reason = 0, "employer_and_amount"
        elif c.same_employer:
            rank, reason = 1, "employer"
        elif exact:
            rank, reason = 2, "amount"
        else:
            continue
        ranked.append((rank, c.due_on, c.contribution_id, reason))
    ranked.sort()
    seen: set[int] = set()
    out: list[Suggestion] = []
    for _rank, _due, contribution_id, reason in ranked:
        if contribution_id in seen:
            continue
        seen.add(contribution_id)
        out.append(Suggestion(contribution_id, reason))
        if len(out) == limit:
            break
    return out


def initial_status(*, direction: str, reversal: bool, booked: bool, currency: str) -> tuple[str, str | None]:
    """``(status, ignore_reason)`` of a newly imported line. Only booked euro credits can pay a contribution;
    the rest is kept for the record and left out of matching."""
    if direction != "credit":
        return "ignored", "debit"
    if reversal:
        return "ignored", "reversal"
    if not booked:
        return "ignored", "not_booked"
    if currency != "EUR":
        return "ignored", "currency"
    return "unmatched", None


#: A credit larger than this many times its contribution is no payment we book automatically.
AUTO_MATCH_FACTOR = 100


def may_match_automatically(amount_cents: int, contribution_amount_cents: int) -> bool:
    """Whether a credit carrying a contribution's reference is a sane payment of it: at most
    ``AUTO_MATCH_FACTOR`` times what the contribution asks. A larger one waits for a person."""
    return amount_cents <= contribution_amount_cents * AUTO_MATCH_FACTOR


#: What banks write when the payer gave no end-to-end id: it identifies nothing.
_NO_END_TO_END = {"", "NOTPROVIDED"}


@dataclass(frozen=True)
class LineFacts:
    """What tells one payment from another when the bank gave no reference of its own (``AcctSvcrRef``)."""

    direction: str
    amount_cents: int
    booked_on: date
    structured_reference: str | None
    end_to_end_id: str | None
    counterparty_iban: str | None
    counterparty_name: str | None


def _name(value: str | None) -> str | None:
    if not value:
        return None
    return " ".join(value.casefold().split()) or None


def _signals(facts: LineFacts) -> dict[str, str | None]:
    end_to_end = (facts.end_to_end_id or "").strip()
    return {"reference": facts.structured_reference,
            "end_to_end": None if end_to_end.upper() in _NO_END_TO_END else end_to_end,
            "iban": facts.counterparty_iban or None, "name": _name(facts.counterparty_name)}


def likely_same_payment(a: LineFacts, b: LineFacts) -> bool:
    """Whether two lines of the same account (from different statements) are probably the same money:
    the same day, amount and direction, and their structured reference, end-to-end id and payer agree
    wherever both carry one. The payer is its IBAN when both give one, else its name. Two lines that
    carry nothing to tell them apart count as the same: a person looks before the money is booked."""
    if (a.direction, a.amount_cents, a.booked_on) != (b.direction, b.amount_cents, b.booked_on):
        return False
    left, right = _signals(a), _signals(b)
    if left["iban"] and right["iban"]:
        left["name"] = right["name"] = None
    compared = [name for name in left if left[name] and right[name]]
    if any(left[name] != right[name] for name in compared):
        return False
    if compared:
        return True
    return not any(left.values()) and not any(right.values())
