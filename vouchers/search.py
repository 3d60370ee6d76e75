"""What a person typed in one of the fund's search boxes, understood: pure, no database.

The queue, the claims, the bank lines and the providers each have one box (``q``). What is typed is read as:

- a structured reference, however typed (``+++090/9337/55493+++``, ``090 9337 55493``, the 12 digits), read by the
  bank-line rules (``vouchers.banking.domain.clean_reference``); an invalid one finds nothing;
- a national number (NISS or BIS, 11 digits, with or without dots and dashes: ``85.07.30-033.28``);
- an enterprise number in any format (``BE 0403.170.701``, ``0403170701``);
- a voucher code (``TNW-7K2M-9QXA``, also without the dashes or in lower case);
- a number (``19``, ``#19``): the request's, claim's, line's or provider's own number;
- else a name: each word (at most ``MAX_WORDS``) must be found in it, without regard to case or accents.

Each list decides what each kind finds in its rows (``Search.kind``); a kind that means nothing for a list finds
nothing there. The varying parts are bind parameters (``params``), so a list's statement is built once per
``shape``.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from stdnum.be import ssn
from stdnum.be import vat as be_vat

from portal.search import MAX_WORDS, contains_pattern, fold
from vouchers.banking.domain import clean_reference

#: The largest id a row can have (PostgreSQL's integer).
_MAX_ID = 2**31 - 1

#: What may stand between the digits of a number typed by hand.
_SEPARATORS = re.compile(r"[\s./\\\-+*\u2010-\u2015]")
_ENTERPRISE = re.compile(r"(?i)BE\d{9,10}")
_VOUCHER_CODE = re.compile(r"TNW-?([A-Z0-9]{4})-?([A-Z0-9]{4})")
_CODE_LIKE = re.compile(r"TNW[-A-Z0-9]*")

NAME, NUMBER, VOUCHER_CODE, NISS, ENTERPRISE, REFERENCE, NOTHING = (
    "name", "number", "voucher_code", "niss", "enterprise", "reference", "nothing")


@dataclass(frozen=True)
class Search:
    """``kind`` and its normalised ``value`` (an int for a number, digits for the national, enterprise and
    reference numbers, the code for a voucher); ``words`` for a name (folded: no case, no accents)."""

    kind: str
    value: int | str | None = None
    words: tuple[str, ...] = ()

    @property
    def shape(self) -> tuple[str, int]:
        """What the statement depends on: the kind, and for a name how many words."""
        return self.kind, len(self.words)

    def params(self) -> dict[str, Any]:
        """The bind parameters: ``q_value``, or ``q_w0``, ``q_w1``... (LIKE patterns of the words)."""
        if self.kind == NAME:
            return {f"q_w{index}": contains_pattern(word) for index, word in enumerate(self.words)}
        return {} if self.value is None else {"q_value": self.value}


def read_search(text: str | None) -> Search | None:
    """What ``text`` asks for, or None when nothing was typed. The caller has checked its length
    (``portal.search.MAX_SEARCH``)."""
    typed = " ".join((text or "").split())
    if not typed:
        return None
    compact = _SEPARATORS.sub("", typed).removeprefix("#")
    if _ENTERPRISE.fullmatch(compact):
        return _enterprise(compact)
    if compact.isascii() and compact.isdigit():  # "¹" or "٣" are digits to Python, not to a number typed here
        return _digits(compact)
    code = typed.upper().replace(" ", "")
    if _CODE_LIKE.fullmatch(code):
        parts = _VOUCHER_CODE.fullmatch(code)
        return Search(VOUCHER_CODE, f"TNW-{parts.group(1)}-{parts.group(2)}" if parts else code)
    words = tuple(word for word in (fold(part) or "" for part in typed.split()) if word)[:MAX_WORDS]
    return Search(NAME, words=words) if words else Search(NOTHING)


def _enterprise(compact: str) -> Search:
    return Search(ENTERPRISE, be_vat.compact(compact)) if be_vat.is_valid(compact) else Search(NOTHING)


def _digits(digits: str) -> Search:
    if len(digits) == 12:
        reference = clean_reference(digits)
        return Search(REFERENCE, reference) if reference else Search(NOTHING)
    if len(digits) == 11:
        return Search(NISS, ssn.compact(digits))
    if len(digits) == 10 and be_vat.is_valid(digits):
        return Search(ENTERPRISE, be_vat.compact(digits))
    number = int(digits)
    return Search(NUMBER, number) if 1 <= number <= _MAX_ID else Search(NOTHING)
