"""The rules of the ownership code: its shape, how long it works, how many wrong tries it allows. Pure."""

from __future__ import annotations

import re
import secrets
from datetime import date, datetime, timedelta

# No 0/O, 1/I/L: the code is read from paper and typed by hand.
CODE_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 10  # 31^10, about 2^49: out of reach with MAX_WRONG_CODES tries per letter
#: Days a code works from the day its letter is sent: time for the post, and for the office to pass it on.
CODE_VALID_DAYS = 60
#: Wrong codes a letter allows; then its code stops working and a new letter is needed.
MAX_WRONG_CODES = 5

KBO_PUBLIC_SEARCH = "https://kbopub.economie.fgov.be/kbopub/toonondernemingps.html?ondernemingsnummer={number}"


def new_code() -> str:
    return "".join(secrets.choice(CODE_ALPHABET) for _ in range(CODE_LENGTH))


def normalise_code(typed: str | None) -> str:
    """What a person typed, as the code is stored: capitals, without spaces, dashes or dots."""
    return re.sub(r"[\s.\-_]", "", typed or "").upper()[:40]


def formatted_code(code: str) -> str:
    """As printed on the letter: two groups of five."""
    return f"{code[:5]}-{code[5:]}"


def expires_at(sent_at: datetime) -> datetime:
    return sent_at + timedelta(days=CODE_VALID_DAYS)


def expires_at_day(written_on: date) -> date:
    """The last day printed on a letter written that day: never later than the code really works."""
    return written_on + timedelta(days=CODE_VALID_DAYS)


def is_expired(status: str, expires: datetime | None, now: datetime) -> bool:
    return status == "letter_sent" and expires is not None and expires <= now


def shown_status(status: str, expires: datetime | None, now: datetime) -> str:
    """The stored status, except that a sent letter whose code no longer works reads ``expired``."""
    return "expired" if is_expired(status, expires, now) else status


def may_ask_new_letter(status: str, expires: datetime | None, now: datetime) -> bool:
    """Only once the previous letter's code can no longer be used: too many wrong tries, or too late."""
    return status == "locked" or is_expired(status, expires, now)


def attempts_left(failed_attempts: int) -> int:
    return max(MAX_WRONG_CODES - failed_attempts, 0)


def formatted_enterprise_number(number: str) -> str:
    """0403170701 as 0403.170.701."""
    return f"{number[:4]}.{number[4:7]}.{number[7:]}" if len(number) == 10 else number


def kbo_url(number: str) -> str:
    """The enterprise's page in the public search of the Crossroads Bank for Enterprises (its registered office)."""
    return KBO_PUBLIC_SEARCH.format(number=number)
