"""What the search box of the bank lines finds (``vouchers.search``): the list's condition, its values bind
parameters (``Search.params``).

- a structured reference: the lines that carried it, and the lines matched to the contribution it names;
- an enterprise number: the lines whose payer gave it, and the lines matched to that employer's contributions;
- a national number: the lines matched to a contribution declared for that worker;
- a number: the line of that number, and the lines matched to the contribution of that number;
- a name: the lines whose payer's name holds each word (no case, no accents);
- a voucher code, or anything else: no line.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import Select, bindparam, false, or_, select

from portal.search import name_words
from vouchers.banking.models import BankLine, BankLineAllocation
from vouchers.employers.models import Contribution, Declaration, Employer
from vouchers.search import ENTERPRISE, NAME, NISS, NUMBER, REFERENCE


def lines_found(kind: str, words: int) -> Any:
    value = bindparam("q_value")
    if kind == REFERENCE:
        named = select(Contribution.id).where(Contribution.structured_reference == value)
        return or_(BankLine.structured_reference == value, BankLine.more_references.contains(value),
                   _matched_to(named))
    if kind == ENTERPRISE:
        theirs = (select(Contribution.id).join(Declaration, Declaration.id == Contribution.declaration_id)
                  .join(Employer, Employer.id == Declaration.employer_id).where(Employer.enterprise_number == value))
        return or_(BankLine.enterprise_number == value, _matched_to(theirs))
    if kind == NISS:
        return _matched_to(select(Contribution.id).join(Declaration, Declaration.id == Contribution.declaration_id)
                           .where(Declaration.worker_niss == value))
    if kind == NUMBER:
        return or_(BankLine.id == value, _matched_to(select(Contribution.id).where(Contribution.id == value)))
    if kind == NAME:
        return name_words((BankLine.counterparty_name,), words)
    return false()


def _matched_to(contributions: Select[Any]) -> Any:
    """Lines matched to one of ``contributions``: as a whole, or in part (a line split over several)."""
    return or_(BankLine.contribution_id.in_(contributions),
               BankLine.id.in_(select(BankLineAllocation.line_id)
                               .where(BankLineAllocation.contribution_id.in_(contributions))))
