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


_TYPED_AMOUNT = re.compile(r"^\d{1,13}(\.\d{1,2})?$")


def typed_euros_to_cents(text: str | None) -> int | None:
    """An amount a person typed in euros: ``"1800"``, ``"1800,5"``, ``"1.800,50"``, ``"1 800.50"`` or ``"€ 150"``
    in integer cents, never through a float; None for anything else (a sign, three decimals, letters)."""
    cleaned = re.sub(r"[\s\u00a0\u202f€]", "", text or "")
    if "," in cleaned and "." in cleaned:
        decimal_mark = "," if cleaned.rfind(",") > cleaned.rfind(".") else "."
        cleaned = cleaned.replace("." if decimal_mark == "," else ",", "").replace(decimal_mark, ".")
    else:
        cleaned = cleaned.replace(",", ".")
    if not _TYPED_AMOUNT.match(cleaned):
        return None
    return int(Decimal(cleaned) * 100)


#: What may stand between the three groups of a reference typed by hand: nothing, or up to three spaces, dots,
#: slashes or dashes ("123 4567 89012", "123.4567.89012", "123 - 4567 - 89012", "+++123/4567/89012+++").
_GAP = r"[\s./\\\-\u2010-\u2015]{0,3}"


#: A reference typed in free text: 3 + 4 + 5 digits and no digit on either side, so that an IBAN, an enterprise
#: number or a longer number never yields one; letters may touch it ("VCS123/4567/89012"). The wrappers (+++, ***)
#: are optional, and kept in what is shown as typed.
_TYPED_REFERENCE = re.compile(rf"(?:[+*]{{3}}\s*)?(?<!\d)(\d{{3}}){_GAP}(\d{{4}}){_GAP}(\d{{5}})(?!\d)(?:\s*[+*]{{3}})?")


_REFERENCE_CHARACTERS = re.compile(r"^[\d+*/.\s-]+$")


#: At most this many references are read from one line: enough for any real transfer, and a bound on the work.
MAX_REFERENCES = 10


@dataclass(frozen=True)
class ReferenceFound:
    """``structured`` is the first valid 12-digit OGM/VCS (mod 97 checked), ``references`` every valid one in the
    order the payer gave them (a transfer may pay several contributions); ``raw`` is what the line carried as a
    reference even when it is not valid (shown to the administrator as "unverified")."""

    structured: str | None = None
    raw: str | None = None
    references: tuple[str, ...] = ()


def _valid_ogm(digits: str) -> str | None:
    return digits if len(digits) == 12 and ogm_vcs.is_valid(digits) else None


def find_structured_reference(creditor_references: Sequence[str], free_texts: Sequence[str]) -> ReferenceFound:
    """The references of a payment: the structured ones (``RmtInf/Strd/CdtrRefInf/Ref``) when one is valid, since
    the payer's bank checked them; else every valid one the payer typed in the free text (``Ustrd``), however it
    was typed. An invalid one never stops the search, and the same reference twice counts once."""
    raw: str | None = None
    found: dict[str, str] = {}  # valid reference -> as it was written, in the payer's order
    for reference in creditor_references:
        reference = (reference or "").strip()
        if not reference:
            continue
        raw = raw or reference
        valid = _valid_ogm(re.sub(r"\D", "", reference)) if _REFERENCE_CHARACTERS.match(reference) else None
        if valid:
            found.setdefault(valid, reference)
    texts = [text for text in free_texts if text]
    # Banks cut the payer's text into lines of 140 characters (Ustrd), at times in the middle of a reference: the
    # lines are read again as one text when none of them alone names a valid reference.
    for batch in (texts, ["".join(texts)] if len(texts) > 1 else []):
        if found:
            break
        for text in batch:
            for match in _TYPED_REFERENCE.finditer(text):
                raw = raw or match.group(0).strip()
                valid = _valid_ogm("".join(match.groups()))
                if valid:
                    found.setdefault(valid, match.group(0).strip())
    references = tuple(found)[:MAX_REFERENCES]
    if not references:
        return ReferenceFound(None, raw)
    return ReferenceFound(references[0], found[references[0]], references)


def split_by_dues(amount_cents: int, dues: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """One transfer paying several contributions, ``dues`` = ``(contribution_id, still owed)`` in the payer's order:
    each takes what it still owes while money is left, and what remains after all of them goes to the last one
    (overpaid, as a single reference paying too much is). Contributions left with nothing are left out, so the
    parts are positive and add up to ``amount_cents`` exactly."""
    if not dues or amount_cents <= 0:
        return []
    parts: dict[int, int] = {}
    left = amount_cents
    for contribution_id, owed in dues:
        take = min(left, max(owed, 0))
        if take:
            parts[contribution_id] = parts.get(contribution_id, 0) + take
            left -= take
    if left:
        last = dues[-1][0]
        parts[last] = parts.get(last, 0) + left
    order = [contribution_id for contribution_id, _owed in dues]
    return sorted(parts.items(), key=lambda item: order.index(item[0]))


def clean_reference(text: str | None) -> str | None:
    """A reference typed by an administrator (``+++010/8068/17183+++`` or the 12 digits), or None if invalid."""
    value = (text or "").strip()
    if not value or not _REFERENCE_CHARACTERS.match(value):
        return None
    return _valid_ogm(re.sub(r"\D", "", value))


_IBAN_LIKE = re.compile(r"\b[A-Z]{2}\d{2}(?:\s?[A-Z0-9]{4}){2,7}(?:\s?[A-Z0-9]{1,3})?\b")


_ENTERPRISE = re.compile(r"(?<![\dA-Za-z])(?:BE\s?)?([01]\d{3})[.\s]?(\d{3})[.\s]?(\d{3})(?!\d)")


def find_enterprise_numbers(texts: Iterable[str | None]) -> list[str]:
    """Every valid enterprise number (10 digits, mod 97) in the payer's name, identification or free text, in
    that order and once each, e.g. ``BE 0403.170.701`` or ``0403170701``: a social secretariat names itself and
    its client. Valid IBANs are left out first."""
    found: dict[str, None] = {}
    for text in texts:
        if not text:
            continue
        cleaned = _IBAN_LIKE.sub(lambda m: " " if iban.is_valid(m.group(0)) else m.group(0), text.upper())
        for match in _ENTERPRISE.finditer(cleaned):
            digits = "".join(match.groups())
            if be_vat.is_valid(digits):
                found.setdefault(be_vat.compact(digits))
    return list(found)


def find_enterprise_number(texts: Iterable[str | None]) -> str | None:
    """The first valid enterprise number in the payer's name, identification or free text."""
    numbers = find_enterprise_numbers(texts)
    return numbers[0] if numbers else None


def single_fit(amount_cents: int, open_contributions: Iterable[tuple[int, int]]) -> int | None:
    """The one contribution, among ``(contribution_id, still owed)`` of the employers a credit names, that owes
    exactly its amount; None when none does or several do (then a person chooses: DOMAIN.md)."""
    fitting = {contribution_id for contribution_id, owed in open_contributions if owed == amount_cents > 0}
    return fitting.pop() if len(fitting) == 1 else None


SUGGESTION_REASONS = ("employer_and_amount", "employer", "amount", "returned_payment")


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


#: ISO bank transaction sub-families (``BkTxCd/Domn/Fmly/SubFmlyCd``) of a debit that gives a credit back: a return,
#: a cancellation, an unpaid or reversed direct debit.
RETURN_SUB_FAMILIES = frozenset({"RRTN", "RPCR", "UPDD", "PRDD"})


@dataclass(frozen=True)
class LineStart:
    """How a newly imported line starts: its status, why it is ignored, and whether it gives a credit back."""

    status: str
    ignore_reason: str | None = None
    returns_credit: bool = False


def initial_status(*, direction: str, reversal: bool, booked: bool, currency: str,
                   returned: bool = False) -> LineStart:
    """Only booked euro credits can pay a contribution, and only booked euro debits that give a credit back (a
    reversal, ``RvslInd``, or a return) can undo such a payment; the rest is kept for the record and left out of
    matching. A pending entry books nothing: the booked entry that follows it does."""
    gives_back = direction == "debit" and (reversal or returned)
    if direction != "credit" and not gives_back:
        return LineStart("ignored", "debit")
    if direction == "credit" and reversal:  # a debit taken back: money out undone, no contribution's money
        return LineStart("ignored", "reversal")
    if not booked:
        return LineStart("ignored", "not_booked")
    if currency != "EUR":
        return LineStart("ignored", "currency")
    return LineStart("unmatched", None, gives_back)


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


def meaningful_end_to_end(value: str | None) -> str | None:
    """The payer's end-to-end id, or None when it identifies nothing (absent, or the banks' "NOTPROVIDED")."""
    end_to_end = (value or "").strip()
    return None if end_to_end.upper() in _NO_END_TO_END else end_to_end


def _signals(facts: LineFacts) -> dict[str, str | None]:
    return {"reference": facts.structured_reference, "end_to_end": meaningful_end_to_end(facts.end_to_end_id),
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


@dataclass(frozen=True)
class BookedCredit:
    """A credit already booked to contributions: what a reversal may give back. ``parts`` are its
    ``(contribution_id, cents)``."""

    line_id: int
    facts: LineFacts
    parts: tuple[tuple[int, int], ...]


def reversed_credit(reversal: LineFacts, credits: Iterable[BookedCredit]) -> BookedCredit | None:
    """The booked credit a reversal or return gives back, only when it is sure: the same amount, booked no later,
    its structured reference or end-to-end id the same, and neither of them differing where both carry one. (Not
    the accounts: a return may name the fund's own account where the credit named the payer's.) Several such
    credits that booked the same money the same way (the same payment made twice) are one answer, the latest;
    anything else is None, and a person decides."""
    mine = _signals(reversal)
    fitting = []
    for credit in credits:
        facts = credit.facts
        if (facts.direction, facts.amount_cents) != ("credit", reversal.amount_cents):
            continue
        if facts.booked_on > reversal.booked_on:
            continue
        theirs = _signals(facts)
        compared = [name for name in ("reference", "end_to_end") if mine[name] and theirs[name]]
        if not compared or any(mine[name] != theirs[name] for name in compared):
            continue
        fitting.append(credit)
    if not fitting or len({credit.parts for credit in fitting}) > 1:
        return None
    return max(fitting, key=lambda credit: (credit.facts.booked_on, credit.line_id))
