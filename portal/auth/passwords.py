"""Password hashing with argon2id, and the rules a new password must meet."""

from __future__ import annotations

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError

_hasher = PasswordHasher()
MIN_LENGTH = 10
# A hash to verify against when the account does not exist, so that a
# login attempt takes the same time whether or not the e-mail is known.
_DUMMY_HASH = _hasher.hash("not-a-real-password")


def use_parameters(*, time_cost: int, memory_cost: int, parallelism: int) -> None:
    """Set the argon2 cost (from the app config). Existing hashes are upgraded at next login."""
    global _hasher, _DUMMY_HASH
    _hasher = PasswordHasher(time_cost=time_cost, memory_cost=memory_cost, parallelism=parallelism)
    _DUMMY_HASH = _hasher.hash("not-a-real-password")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password_hash: str | None, password: str) -> bool:
    try:
        return _hasher.verify(password_hash or _DUMMY_HASH, password) and password_hash is not None
    except (VerificationError, InvalidHashError):
        return False


def needs_rehash(password_hash: str) -> bool:
    return _hasher.check_needs_rehash(password_hash)


def password_problems(password: str, *, email: str = "") -> list[str]:
    """Plain-language reasons a password is refused (English; the web layer translates)."""
    problems = []
    if len(password) < MIN_LENGTH:
        problems.append("too_short")
    if email and password.strip().lower() == email.strip().lower():
        problems.append("same_as_email")
    if len(password) > 256:
        problems.append("too_long")
    return problems
