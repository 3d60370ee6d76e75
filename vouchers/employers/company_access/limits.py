"""Rate limits of the ownership code and of the confirmation e-mail, shared by the pages and the API. (An
employer's registration has the limits of every self-registration: ``portal.auth.ratelimits.registration_limits``.)

- The code of a letter: ``OWNERSHIP_CODE_LIMIT`` wrong codes per account, on top of the ``MAX_WRONG_CODES`` a
  letter allows.
- Sending the confirmation e-mail again: ``CONFIRMATION_RESEND_LIMIT`` per account.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import current_app
from flask_login import current_user

from portal.extensions import limiter


def _setting(name: str) -> Callable[[], str]:
    """The limit in ``portal/config.py`` (an environment variable of the same name)."""
    return lambda: current_app.config[name]


def _account_key() -> str:
    return f"user:{getattr(current_user, 'id', None)}"


code_limits = limiter.shared_limit(_setting("OWNERSHIP_CODE_LIMIT"), scope="ownership-code", key_func=_account_key,
                                   methods=["POST"], deduct_when=lambda response: response.status_code == 422)

resend_limits = limiter.shared_limit(_setting("CONFIRMATION_RESEND_LIMIT"), scope="confirmation-resend",
                                     key_func=_account_key, methods=["POST"])
