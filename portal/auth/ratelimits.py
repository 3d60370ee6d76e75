"""Login rate limits: per client IP and per account (the e-mail tried)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import current_app, request

from portal.extensions import client_ip, limiter


def _account_email() -> str:
    email = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    return str(email or "").strip().lower()[:254]


def _account_key() -> str:
    return "account:" + _account_email()


def _ip_key() -> str:
    return "ip:" + client_ip()


def login_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    per_ip = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], key_func=_ip_key, methods=["POST"],
                           scope="login-ip")
    # A post without an e-mail names no account: only the per-address limit applies to it.
    per_account = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key,
                                methods=["POST"], scope="login-account", exempt_when=lambda: not _account_email())
    return per_ip(per_account(view))
