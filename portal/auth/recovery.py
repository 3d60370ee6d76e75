"""Recovery codes: what opens an account with two-step sign-in when the authenticator app is lost.

Ten codes are made when two-step sign-in is turned on (and again on request, which voids the old ones). The
person sees them once, to print or download; the portal keeps only their argon2 hashes, as for passwords. Each
works once, in place of a code from the app: on the web's second step and in the API's ``otp``.

A code is 12 characters from an alphabet without look-alikes (no 0/o, 1/i/l), shown in groups of four
(``7kq2-mx9d-p4ft``): about 59 random bits, far beyond guessing within the sign-in limits. What people type is
read leniently: any case, with or without the dashes or spaces.

Services flush and never commit; the caller commits once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime

from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.models import RecoveryCode, User
from portal.auth.passwords import hash_password, verify_password

HOW_MANY = 10
ALPHABET = "23456789abcdefghjkmnpqrstuvwxyz"
LENGTH = 12
GROUP = 4
#: The shape the API's ``otp`` field accepts for a recovery code (a 6-digit app code is the other shape).
PATTERN = rf"[A-Za-z0-9]{{{GROUP}}}(?:[- ]?[A-Za-z0-9]{{{GROUP}}}){{{LENGTH // GROUP - 1}}}"


def new_code() -> str:
    raw = "".join(secrets.choice(ALPHABET) for _ in range(LENGTH))
    return "-".join(raw[i:i + GROUP] for i in range(0, LENGTH, GROUP))


def clean(code: str | None) -> str | None:
    """The code as stored (lower case, no separators), or None when the text cannot be a recovery code."""
    text = "".join(ch for ch in (code or "") if ch not in " -\u00a0").lower()
    if len(text) != LENGTH or any(ch not in ALPHABET for ch in text):
        return None
    return text


def _lookup(cleaned: str) -> int:
    return hashlib.sha256(cleaned.encode()).digest()[0]


def replace_codes(session: Session, user: User, *, now: datetime) -> list[str]:
    """New codes for the account, the old ones void. Returns them in clear: the only time they are readable."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user.id))
    codes = [new_code() for _ in range(HOW_MANY)]
    for code in codes:
        cleaned = clean(code)
        assert cleaned is not None
        session.add(RecoveryCode(user_id=user.id, lookup=_lookup(cleaned), code_hash=hash_password(cleaned),
                                 created_at=now))
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="recovery_codes_made", now=now)
    session.flush()
    return codes


def remove_codes(session: Session, user_id: int) -> None:
    """Every recovery code of the account gone (two-step sign-in turned off, the account closed)."""
    session.execute(delete(RecoveryCode).where(RecoveryCode.user_id == user_id))


def codes_left(session: Session, user_id: int) -> int:
    return session.scalar(select(func.count()).select_from(RecoveryCode)
                          .where(RecoveryCode.user_id == user_id, RecoveryCode.used_at.is_(None))) or 0


def codes_made_at(session: Session, user_id: int) -> datetime | None:
    return session.scalar(select(func.max(RecoveryCode.created_at)).where(RecoveryCode.user_id == user_id))


def use_code(session: Session, user: User, code: str | None, *, now: datetime) -> bool:
    """True, once, for one of the account's unused codes; the code is then spent.

    The code is marked used with a conditional UPDATE, so two requests racing with the same code cannot both pass."""
    cleaned = clean(code)
    if cleaned is None:
        return False
    candidates = session.scalars(select(RecoveryCode).where(
        RecoveryCode.user_id == user.id, RecoveryCode.used_at.is_(None), RecoveryCode.lookup == _lookup(cleaned))).all()
    for candidate in candidates:
        if not verify_password(candidate.code_hash, cleaned):
            continue
        spent = session.execute(update(RecoveryCode)
                                .where(RecoveryCode.id == candidate.id, RecoveryCode.used_at.is_(None))
                                .values(used_at=now).execution_options(synchronize_session=False))
        if not spent.rowcount:
            return False
        audit.record(session, actor=user, object_type="user", object_id=user.id, action="recovery_code_used",
                     now=now)
        session.flush()
        return True
    return False
