"""Valid Belgian identifiers for demo, test and benchmark data (never real people's)."""

from __future__ import annotations

import random
from datetime import date

from stdnum import iban
from stdnum.be import ssn, vat

# Bank codes that python-stdnum's bank register knows, so generated IBANs pass its check.
_BANK_CODES = ("096", "001", "068", "310", "363", "735", "850", "979")


def national_number(birth: date, serial: int) -> str:
    """An 11-digit national register number (serial 1–997; odd for men, even for women)."""
    base = f"{birth:%y%m%d}{serial:03d}"
    prefix = "2" if birth.year >= 2000 else ""
    check = 97 - int(prefix + base) % 97
    number = f"{base}{check:02d}"
    return ssn.validate(number)


def enterprise_number(seed: int) -> str:
    """A 10-digit BCE/KBO number starting with 0, with valid mod-97 check digits."""
    body = f"0{2_000_000 + seed % 7_999_999:07d}"[:8]
    check = 97 - int(body) % 97
    return vat.validate(f"{body}{check:02d}")


def belgian_iban(rng: random.Random) -> str:
    for _ in range(50):
        bank = rng.choice(_BANK_CODES)
        account = f"{bank}{rng.randrange(10**7):07d}"
        check = int(account) % 97 or 97
        bban = f"{account}{check:02d}"
        candidate = f"BE{iban.calc_check_digits('BE00' + bban)}{bban}"
        if iban.is_valid(candidate):
            return candidate
    raise RuntimeError("no valid IBAN generated")  # pragma: no cover - the bank list is known
