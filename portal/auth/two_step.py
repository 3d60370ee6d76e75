"""Two-step sign-in: a time-based one-time code (TOTP, RFC 6238: 30-second steps, 6 digits, SHA-1), as every
authenticator app makes them. Required for fund administrators, offered to everyone (DOMAIN.md, "Identity").

A code is accepted for the current step and one step either side (clocks drift), and only once: the account
keeps the last step accepted, and a code for that step or an earlier one is refused. Wherever a code from the app
is asked, one of the account's recovery codes (portal/auth/recovery.py) does instead, once.

Services flush and never commit; the caller commits once.
"""

from __future__ import annotations

import hmac
from datetime import datetime

import pyotp
import segno
from sqlalchemy import or_, update
from sqlalchemy.orm import Session

from portal import audit
from portal.auth import recovery
from portal.auth.models import User
from portal.errors import Forbidden
from portal.permissions import Role

STEP_SECONDS = 30
DIGITS = 6
ISSUER = "TNW Fund"


def new_secret() -> str:
    """160 random bits in base32, the size RFC 4226 recommends."""
    return pyotp.random_base32()


def time_step(now: datetime) -> int:
    return int(now.timestamp()) // STEP_SECONDS


def code_at(secret: str, step: int) -> str:
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).generate_otp(step)


def provisioning_uri(secret: str, email: str) -> str:
    """The otpauth:// address an authenticator app reads (usually from a QR code)."""
    return pyotp.TOTP(secret, digits=DIGITS, interval=STEP_SECONDS).provisioning_uri(name=email, issuer_name=ISSUER)


def qr_data_uri(uri: str) -> str:
    """The otpauth:// address as a QR code, an SVG in a data: URI (the pages' CSP allows data: images)."""
    return str(segno.make(uri, error="m").svg_data_uri(scale=5, border=4))


def clean_code(code: str | None) -> str:
    """What people type: spaces and dashes in the middle are fine ("123 456")."""
    return "".join(ch for ch in (code or "") if ch not in " -\u00a0")


def matching_step(secret: str, code: str | None, *, now: datetime, after: int | None = None) -> int | None:
    """The time step (now, or one either side) whose code this is, if later than ``after``; else None."""
    code = clean_code(code)
    if len(code) != DIGITS or not code.isascii() or not code.isdigit():
        return None
    current = time_step(now)
    for step in (current - 1, current, current + 1):
        if (after is None or step > after) and hmac.compare_digest(code_at(secret, step), code):
            return step
    return None


def required(user: User) -> bool:
    """Who may not sign in with a password alone."""
    return user.role == Role.FUND_ADMIN.value


def is_on(user: User) -> bool:
    return user.totp_enabled_at is not None and bool(user.totp_secret)


def check_code(session: Session, user: User, code: str | None, *, now: datetime) -> bool:
    """True, once, for a right code of an account with two-step sign-in on; the step is then used up.

    The step is written with a conditional UPDATE, so two requests racing with the same code cannot both pass."""
    if not is_on(user):
        return False
    assert user.totp_secret is not None
    step = matching_step(user.totp_secret, code, now=now, after=user.totp_last_step)
    if step is None:
        return False
    result = session.execute(
        update(User)
        .where(User.id == user.id, or_(User.totp_last_step.is_(None), User.totp_last_step < step))
        .values(totp_last_step=step)
        .execution_options(synchronize_session=False)
    )
    if not result.rowcount:
        return False
    user.totp_last_step = step
    session.flush()
    return True


def turn_on(session: Session, user: User, secret: str, *, now: datetime, used_step: int | None = None) -> None:
    """Two-step sign-in on with this secret (an operator's command, demo data, or after a first right code)."""
    user.totp_secret = secret
    user.totp_enabled_at = now
    user.totp_last_step = used_step
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="two_step_turned_on", now=now)
    session.flush()


def check_second_factor(session: Session, user: User, code: str | None, *, now: datetime) -> str | None:
    """What a right second factor was: "app" (a code from the authenticator app) or "recovery" (a recovery code,
    now spent); None when the code is neither, or the account has no two-step sign-in."""
    if not is_on(user):
        return None
    if check_code(session, user, code, now=now):
        return "app"
    if recovery.use_code(session, user, code, now=now):
        return "recovery"
    return None


def confirm_and_turn_on(session: Session, user: User, secret: str, code: str | None, *,
                        now: datetime) -> list[str] | None:
    """Turn it on if the code shows that the person's app holds this secret: the new recovery codes, in clear
    (shown once); None when the code does not match."""
    step = matching_step(secret, code, now=now)
    if step is None:
        return None
    turn_on(session, user, secret, now=now, used_step=step)
    return recovery.replace_codes(session, user, now=now)


def move_to_new_app(session: Session, user: User, secret: str, code: str | None, *, now: datetime) -> bool:
    """A new phone or app: the new secret replaces the old one if the code shows the new app holds it. The
    recovery codes stay as they are."""
    step = matching_step(secret, code, now=now)
    if step is None or not is_on(user):
        return False
    user.totp_secret = secret
    user.totp_last_step = step
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="two_step_app_replaced", now=now)
    session.flush()
    return True


def turn_off(session: Session, user: User, *, now: datetime) -> None:
    """Back to a password alone: never for a fund administrator."""
    if required(user):
        raise Forbidden("Fund administrators must sign in with a second factor.", code="two_step_required")
    user.totp_secret = None
    user.totp_enabled_at = None
    user.totp_last_step = None
    recovery.remove_codes(session, user.id)
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="two_step_turned_off", now=now)
    session.flush()
