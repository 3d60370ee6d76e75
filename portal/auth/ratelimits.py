"""Sign-in limits, one set shared by the web login (both of its steps) and the API token endpoint.

- Per client address: ``LOGIN_LIMIT_PER_IP`` failed attempts, whatever the accounts tried.
- Per account *and* address: ``LOGIN_LIMIT_PER_ACCOUNT`` failed attempts at one account from one address. Keyed on
  the pair, so someone guessing from elsewhere cannot lock the owner out of their own account; guessing from many
  addresses still meets the per-address limit at each, and a fund administrator's password alone opens nothing.

Only failures count (a wrong password or code: 401/422); signing in successfully uses up nothing. The second step
of the web login names no e-mail: it counts against the account waiting for its code (``PENDING_EMAIL_KEY``).

``mail_limits`` keeps the older rule for pages that send e-mail (a forgotten password): every post counts.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Response, current_app, request, session
from flask_login import current_user

from portal.extensions import client_ip, limiter

#: Where the web login keeps the e-mail of the account waiting for its second step.
PENDING_EMAIL_KEY = "two_step_email"


def _account_email() -> str:
    email = request.form.get("email")
    if email is None and request.is_json:
        body = request.get_json(silent=True)
        email = body.get("email") if isinstance(body, dict) else None
    if email is None and PENDING_EMAIL_KEY in session:
        email = session.get(PENDING_EMAIL_KEY)
    return str(email or "").strip().lower()[:254]


def _account_key() -> str:
    return "account:" + _account_email()


def _account_and_ip_key() -> str:
    return f"account:{_account_email()}|ip:{client_ip()}"


def _ip_key() -> str:
    return "ip:" + client_ip()


def _failed(response: Response) -> bool:
    return response.status_code in (401, 422)


_per_ip = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], scope="sign-in-ip", key_func=_ip_key,
                               methods=["POST"], deduct_when=_failed)
# A post without an e-mail names no account: only the per-address limit applies to it.
_per_account_and_ip = limiter.shared_limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"],
                                           scope="sign-in-account", key_func=_account_and_ip_key, methods=["POST"],
                                           deduct_when=_failed, exempt_when=lambda: not _account_email())


def login_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    return _per_ip(_per_account_and_ip(view))


def mail_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    per_ip = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_IP"], key_func=_ip_key, methods=["POST"],
                           scope="login-ip")
    per_account = limiter.limit(lambda: current_app.config["LOGIN_LIMIT_PER_ACCOUNT"], key_func=_account_key,
                                methods=["POST"], scope="login-account", exempt_when=lambda: not _account_email())
    return per_ip(per_account(view))


def _sent_mail(response: Response) -> bool:
    """A registration that passed the checks (and so wrote an e-mail). A form sent back with its errors did not."""
    return response.status_code < 400


def _already_logged_in_on_the_web() -> bool:
    """Judged before the view: a logged-in person posting a registration page is only sent on to their own page.
    (Not judged after it, as a beneficiary's registration logs the new person in.)"""
    return not request.path.startswith("/api/") and current_user.is_authenticated


_registrations_per_ip = limiter.shared_limit(lambda: current_app.config["REGISTRATION_LIMIT_PER_IP"],
                                             scope="registration-ip", key_func=_ip_key, methods=["POST"],
                                             deduct_when=_sent_mail, exempt_when=_already_logged_in_on_the_web)
_registrations_per_email = limiter.shared_limit(lambda: current_app.config["REGISTRATION_LIMIT_PER_EMAIL"],
                                                scope="registration-email", key_func=_account_key, methods=["POST"],
                                                deduct_when=_sent_mail,
                                                exempt_when=lambda: not _account_email()
                                                or _already_logged_in_on_the_web())


def registration_limits(view: Callable[..., Any]) -> Callable[..., Any]:
    """Self-registration, on the web and in the API: each one e-mails the address given, so both the sender and
    the address written to are limited (``REGISTRATION_LIMIT_PER_IP``, ``REGISTRATION_LIMIT_PER_EMAIL``)."""
    return _registrations_per_ip(_registrations_per_email(view))


def _signed_in_account_key() -> str:
    return f"user:{getattr(current_user, 'id', None)}"


#: Sending the link that confirms an account's address again: ``CONFIRMATION_RESEND_LIMIT`` per account (every
#: post counts). The address is not proven yet, so without it anyone could flood someone else's mailbox by
#: registering with it. The scope and key are those of the employers' page and API, so one account has one budget.
confirmation_resend_limits = limiter.shared_limit(lambda: current_app.config["CONFIRMATION_RESEND_LIMIT"],
                                                  scope="confirmation-resend", key_func=_signed_in_account_key,
                                                  methods=["POST"])
