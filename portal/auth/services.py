"""Account use cases: create, authenticate, confirm, reset, tokens, revocation.

Services flush and never commit; the caller commits once.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime, timedelta
from typing import Any

from itsdangerous import BadSignature, SignatureExpired, URLSafeTimedSerializer
from sqlalchemy import Integer, bindparam, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from portal import audit
from portal.auth.email_rule import email_problem, is_email
from portal.auth.models import ApiToken, User, new_session_token
from portal.auth.passwords import (
    hash_password,
    needs_rehash,
    password_problems,
    verify_password,
)
from portal.db import UTCDateTime, prepared
from portal.errors import Conflict, ValidationFailed
from portal.permissions import Role

PASSWORD_MESSAGES = {
    "too_short": "The password must have at least 10 characters.",
    "same_as_email": "The password must not be your e-mail address.",
    "too_long": "The password is too long.",
}


def normalise_email(email: str) -> str:
    return email.strip().lower()


def plausible_email(address: str) -> bool:
    """An address by the portal's one rule (``portal.auth.email_rule``): what services check where no form did."""
    return is_email(address)


def check_new_password(password: str, email: str) -> None:
    problems = password_problems(password, email=email)
    if problems:
        raise ValidationFailed(
            "The password is not strong enough.",
            code="weak_password",
            fields={"password": [PASSWORD_MESSAGES[p] for p in problems]},
        )


def create_user(
    session: Session,
    *,
    email: str,
    password: str,
    role: Role | str,
    first_name: str = "",
    last_name: str = "",
    language: str = "fr",
    confirmed_at: datetime | None = None,
    provider_id: int | None = None,
    employer_id: int | None = None,
    password_hash: str | None = None,
) -> User:
    """Create an account. A duplicate e-mail is a 409 with a field error, never a 500.

    ``password_hash`` instead of ``password``: a password checked and hashed earlier (a registration that waited
    for its e-mail link keeps only the hash)."""
    email = normalise_email(email)
    if problem := email_problem(email):
        raise ValidationFailed(problem, fields={"email": [problem]})
    if password_hash is None:
        check_new_password(password, email)
    if session.scalar(select(User.id).where(User.email == email)) is not None:
        raise Conflict("An account with this e-mail address already exists.", code="email_taken",
                       fields={"email": ["An account with this e-mail address already exists."]})
    user = User(
        email=email,
        password_hash=password_hash or hash_password(password),
        role=Role(role).value,
        first_name=first_name.strip(),
        last_name=last_name.strip(),
        language=language,
        confirmed_at=confirmed_at,
        provider_id=provider_id,
        employer_id=employer_id,
    )
    session.add(user)
    try:
        with session.begin_nested():
            session.flush()
    except IntegrityError as exc:  # a concurrent registration with the same e-mail
        raise Conflict("An account with this e-mail address already exists.", code="email_taken",
                       fields={"email": ["An account with this e-mail address already exists."]}) from exc
    return user


def authenticate(session: Session, email: str, password: str, *, now: datetime) -> User | None:
    """The user if the password matches and the account is usable; otherwise None."""
    user = session.scalar(User.by_email(email))
    if not verify_password(user.password_hash if user else None, password) or user is None:
        return None
    if not user.is_active:
        return None
    if needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)
    user.last_login_at = now
    return user


def change_password(session: Session, user: User, new_password: str, *, now: datetime) -> None:
    """Set a new password and revoke every session and API token of the user."""
    check_new_password(new_password, user.email)
    user.password_hash = hash_password(new_password)
    revoke_everywhere(session, user, now=now)
    audit.record(session, actor=user, object_type="user", object_id=user.id, action="password_changed", now=now)


def revoke_everywhere(session: Session, user: User, *, now: datetime) -> None:
    user.session_token = new_session_token()
    session.execute(
        update(ApiToken).where(ApiToken.user_id == user.id, ApiToken.revoked_at.is_(None)).values(revoked_at=now)
    )


def load_session_user(session: Session, login_id: str, *beside: Any) -> tuple[User | None, tuple[Any, ...]]:
    """Flask-Login's loader: the id carries the session token, so a rotated token logs the session out.

    ``beside``: columns read in the same statement (the page header's count of unread notices), returned after
    the user; made once by the caller, as the statement is (``portal.db.prepared``)."""
    user_id, _, token = login_id.partition(":")
    if not user_id.isdigit() or not token:
        return None, ()
    statement = prepared(("session_user", beside),
                         lambda: select(User, *beside).where(User.id == bindparam("user_id", type_=Integer)))
    found = session.execute(statement, {"user_id": int(user_id)}).one_or_none()
    user = found[0] if found is not None else None
    if user is None or not user.is_active or not secrets.compare_digest(user.session_token, token):
        return None, ()
    return user, tuple(found[1:])


# --- API bearer tokens -------------------------------------------------------

def _hash_token(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def issue_api_token(session: Session, user: User, *, now: datetime, hours: int) -> tuple[str, datetime]:
    token = "tnw_" + secrets.token_urlsafe(32)
    expires_at = now + timedelta(hours=hours)
    session.add(ApiToken(user_id=user.id, token_hash=_hash_token(token), created_at=now, expires_at=expires_at))
    session.flush()
    return token, expires_at


def api_token_user(session: Session, token: str, *, now: datetime) -> User | None:
    """The active user a live token stands for, in one query (every API call asks)."""
    statement = prepared("api_token_user", lambda: select(User).join(ApiToken, ApiToken.user_id == User.id).where(
        ApiToken.token_hash == bindparam("token_hash"), ApiToken.revoked_at.is_(None),
        ApiToken.expires_at > bindparam("now", type_=UTCDateTime())))
    user = session.scalar(statement, {"token_hash": _hash_token(token), "now": now})
    return user if user is not None and user.is_active else None


def revoke_api_token(session: Session, token: str, *, now: datetime) -> bool:
    result = session.execute(
        update(ApiToken)
        .where(ApiToken.token_hash == _hash_token(token), ApiToken.revoked_at.is_(None))
        .values(revoked_at=now)
    )
    return bool(result.rowcount)


# --- Signed e-mail links -------------------------------------------------------

def _serializer(secret_key: str, salt: str) -> URLSafeTimedSerializer:
    return URLSafeTimedSerializer(secret_key, salt=salt)


def make_confirmation_token(secret_key: str, user: User) -> str:
    return _serializer(secret_key, "confirm-email").dumps({"uid": user.id, "email": user.email})


def confirm_email(session: Session, secret_key: str, token: str, *, max_age_hours: int, now: datetime) -> User | None:
    try:
        data: dict[str, Any] = _serializer(secret_key, "confirm-email").loads(token, max_age=max_age_hours * 3600)
    except (SignatureExpired, BadSignature):
        return None
    user = session.get(User, data.get("uid"))
    if user is None or user.email != data.get("email"):
        return None
    if user.confirmed_at is None:
        user.confirmed_at = now
    return user


def make_reset_token(secret_key: str, user: User) -> str:
    # The password hash's tail makes the link single-use: once the password
    # changes, the old link no longer verifies.
    return _serializer(secret_key, "reset-password").dumps({"uid": user.id, "ph": user.password_hash[-16:]})


def user_for_reset_token(session: Session, secret_key: str, token: str, *, max_age_minutes: int) -> User | None:
    try:
        data: dict[str, Any] = _serializer(secret_key, "reset-password").loads(token, max_age=max_age_minutes * 60)
    except (SignatureExpired, BadSignature):
        return None
    user = session.get(User, data.get("uid"))
    if user is None or not user.is_active or user.password_hash[-16:] != data.get("ph"):
        return None
    return user
