"""Pure rules of the fund's books: periods and months of reconciliation and reports, the journal's
accounts and sides, and corrections.

No database and no clock: days come in as parameters."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, timedelta

from portal.errors import N_, ValidationFailed
from vouchers.banking.domain import typed_euros_to_cents

# A period is at most a leap year long: the whole year's reconciliation is one request.
MAX_PERIOD_DAYS = 366


# Dates outside these bounds are typing mistakes, not periods of the fund (which started in 2024).
EARLIEST_ON = date(2000, 1, 1)


LATEST_ON = date(2099, 12, 31)


@dataclass(frozen=True)
class Period:
    from_on: date
    to_on: date

    @property
    def days(self) -> int:
        return (self.to_on - self.from_on).days + 1

    def as_of(self, today: date) -> date:
        """The day the states are judged on: the period's last day, or today while it runs."""
        return min(self.to_on, today)


def check_period(from_on: date | None, to_on: date | None) -> Period:
    """Both days given, in order, within ``MAX_PERIOD_DAYS``; otherwise 422 with a reason per field."""
    problems: dict[str, list[str]] = {}
    for name, value, missing in (("from_on", from_on, N_("Give the first day of the period.")),
                                 ("to_on", to_on, N_("Give the last day of the period."))):
        if value is None:
            problems[name] = [missing]
        elif not EARLIEST_ON <= value <= LATEST_ON:
            problems[name] = [N_("Give a date between 2000-01-01 and 2099-12-31.")]
    if not problems:
        assert from_on is not None and to_on is not None
        if to_on < from_on:
            problems["to_on"] = [N_("The last day must be on or after the first day.")]
        elif (to_on - from_on).days + 1 > MAX_PERIOD_DAYS:
            problems["to_on"] = [N_("A period covers at most 366 days.")]
    if problems:
        raise ValidationFailed(N_("The period is not valid."), code="invalid_period", fields=problems)
    assert from_on is not None and to_on is not None
    return Period(from_on, to_on)


def month_of(day: date) -> Period:
    """The calendar month around ``day``: the default period of the pages."""
    first = day.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return Period(first, following - timedelta(days=1))


def first_of_month(day: date) -> date:
    return day.replace(day=1)


def add_month(month: date, count: int = 1) -> date:
    index = month.year * 12 + month.month - 1 + count
    return date(index // 12, index % 12 + 1, 1)


def months_of(period: Period) -> list[date]:
    """The first day of every month the period touches, in order."""
    months, month = [], first_of_month(period.from_on)
    while month <= period.to_on:
        months.append(month)
        month = add_month(month)
    return months


def last_twelve_months(today: date) -> Period:
    """The default period of the monthly reports: this month and the eleven before it."""
    return Period(add_month(first_of_month(today), -11), add_month(first_of_month(today)) - timedelta(days=1))


def months_between(first: date, until: date) -> int:
    """How many months from the month of ``first`` up to, not including, the month of ``until`` (0 if none)."""
    return max(0, (until.year - first.year) * 12 + until.month - first.month)


@dataclass(frozen=True)
class LedgerSplit:
    """Where a period's ledger sums come from (``services.closings``): the stored closings of the whole months
    before ``until_on``, and the entries themselves for the rest, so that the entries read are those of the
    months from ``until_on`` to the period's end, and of the month it starts in from ``from_on`` on, never the
    whole history.

    ``until_on`` is the first day of today's month (``cut_on``, no closing exists for it or later) or of the
    month after ``to_on``, whichever comes first: a month counts from its closing only when it lies whole
    within the days summed. A period starting inside a closed month (``from_on`` not a first) splits that
    month: its closing gives the balances, and its days from ``from_on`` (``live_from_on``..``live_to_on``) are
    summed from the entries for the period's movements (an empty range, ``live_to_on`` before
    ``live_from_on``, otherwise).
    """

    from_on: date
    to_on: date
    until_on: date
    live_from_on: date
    live_to_on: date
    cut_on: date


def ledger_split(period: Period, today: date) -> LedgerSplit:
    cut = first_of_month(today)
    until = min(cut, first_of_month(period.to_on + timedelta(days=1)))
    start = first_of_month(period.from_on)
    if start < period.from_on and start < until:  # the period's days of a closed month
        live_from, live_to = period.from_on, add_month(start) - timedelta(days=1)
    else:
        live_from, live_to = period.from_on, period.from_on - timedelta(days=1)
    return LedgerSplit(period.from_on, period.to_on, until, live_from, live_to, cut)


def _percent(part: int, whole: int) -> int | None:
    """part / whole in whole percent, rounded half up; None when there is nothing to divide."""
    return (200 * part + whole) // (2 * whole) if whole else None


# --- the journal: each ledger entry as a booking between its account and a counter-account --------------

#: Every account of the journal, with the code of the Belgian minimum chart of accounts (PCMN/MAR) a fund's
#: accountant would book it on: the ledger's own three (cash, committed, payable) and those the other side of
#: their movements goes to. Class 0 holds the voucher commitments and their counterpart; 580 (internal
#: transfers) takes both legs of a claim's payment, which the ledger books twice (payable down, cash down), so
#: that each entry is a booking of its own and the pair still nets out. The pages name them
#: (``labels.ACCOUNT_LABELS``).
ACCOUNT_CODES: dict[str, str] = {
    "cash": "550000",  # the fund's bank account
    "committed": "010000",  # voucher value committed
    "payable": "440000",  # providers: approved claims to pay
    "commitments": "011000",  # voucher commitments: counterpart
    "contributions": "730000",  # employers' contributions
    "funding": "740000",  # funding of the fund (operating subsidy)
    "coaching": "613000",  # coaching paid for: approved claims
    "transfers": "580000",  # internal transfers
    "suspense": "499000",  # suspense: to be classified
}


#: The ledger's accounts that grow on the debit side (an asset); the others grow on the credit side.
DEBIT_NATURED = frozenset({"cash"})


def counter_account(account: str, kind: str) -> str:
    """Where the other side of a ledger movement goes. A kind the journal does not know yet lands on the
    suspense account, so the journal still balances and the accountant sees it."""
    if account == "committed":
        return "commitments"
    if account == "cash":
        return {"contribution_paid": "contributions", "contribution_refunded": "contributions",
                "funding": "funding", "claim_paid": "transfers"}.get(kind, "suspense")
    if account == "payable":
        return {"claim_approved": "coaching", "claim_paid": "transfers"}.get(kind, "suspense")
    return "suspense"


@dataclass(frozen=True)
class Booking:
    """One ledger entry in the journal: ``debit_cents`` or ``credit_cents`` on ``account`` (the other is 0),
    and the same amount on the opposite side of ``counter``."""

    account: str
    counter: str
    debit_cents: int
    credit_cents: int


def booking(account: str, kind: str, amount_cents: int) -> Booking:
    """cash +X is a debit of the bank; committed or payable +X a credit of that account (what the fund owes or
    has promised grows); a negative amount takes the other side."""
    grows = amount_cents if account in DEBIT_NATURED else -amount_cents
    debit, credit = (grows, 0) if grows >= 0 else (0, -grows)
    return Booking(account, counter_account(account, kind), debit, credit)


# --- corrections ----------------------------------------------------------------------------------------

#: At most this far from zero: what a BIGINT and every other amount of the portal hold comfortably.
MAX_CORRECTION_CENTS = 10**13


_SIGN = re.compile(r"^\s*([-\u2212]?)\s*(.*)$", re.DOTALL)


def typed_signed_euros_to_cents(text: str | None) -> int | None:
    """An amount typed in euros that may be negative ("-150", "− 1.800,50"), in cents; None otherwise."""
    match = _SIGN.match(text or "")
    if match is None:  # pragma: no cover - the pattern matches any text
        return None
    cents = typed_euros_to_cents(match.group(2))
    if cents is None:
        return None
    return -cents if match.group(1) else cents


def correction_cents(standing_cents: int, wanted_cents: int) -> int:
    """The amount of the correcting entry that brings an entry standing at ``standing_cents`` (its own amount
    plus its corrections so far) to ``wanted_cents``; refused when nothing would change or the amount is out
    of bounds."""
    if abs(wanted_cents) > MAX_CORRECTION_CENTS:
        message = N_("Give an amount of at most 100,000,000,000 euros.")
        raise ValidationFailed(message, code="amount_out_of_range", fields={"amount_cents": [message]})
    if wanted_cents == standing_cents:
        message = N_("The entry already stands at this amount: there is nothing to correct.")
        raise ValidationFailed(message, code="nothing_to_correct", fields={"amount_cents": [message]})
    return wanted_cents - standing_cents
