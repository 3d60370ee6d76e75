"""API accounts: bearer tokens and who am I."""

from __future__ import annotations

from typing import Any

from flask import abort, current_app, request
from flask_login import current_user
from flask_smorest import Blueprint

from portal.api_views import endpoint
from portal.auth import services, two_step
from portal.auth.ratelimits import login_limits
from portal.auth.schemas import MeSchema, TokenRequestSchema, TokenSchema
from portal.clock import utcnow
from portal.db import db
from portal.errors import json_error
from portal.mail import commit

blp = Blueprint("auth_api", __name__, description="Accounts and bearer tokens")


@endpoint(blp, "/auth/token", method="POST", public=True, body=TokenRequestSchema, response=(201, TokenSchema),
          refusals={401: (None, ("Wrong e-mail or password (`invalid_credentials`), or, for an account with two-step "
                                "sign-in, the right password without a valid `otp` (`otp_required`)")),
                    429: (None, "Too many attempts")},
          limits=(login_limits,), commits=False)  # the view commits the token, and only when it gives one
def create_token(data: dict[str, Any]):  # type: ignore[no-untyped-def]
    """Exchange an e-mail and password (and, with two-step sign-in, the `otp`: a code from the app or a recovery
    code) for a bearer token.

    The token expires after API_TOKEN_HOURS (12 h by default) and is revoked by
    `POST /auth/logout` or a password change. Fund administrators always need the `otp`: one who has not set up
    an authenticator app yet does so when signing in on the web.
    """
    now = utcnow()
    user = services.authenticate(db.session, data["email"], data["password"], now=now)
    if user is None:
        return json_error(401, "The e-mail address or the password is not right.", "invalid_credentials")
    if two_step.required(user) and not two_step.is_on(user):
        return json_error(401, "This account must sign in with a second factor: set up an authenticator app by "
                               "signing in on the web first.", "otp_required")
    if two_step.is_on(user) and not two_step.check_second_factor(db.session, user, data.get("otp"), now=now):
        return json_error(401, "Send the 6-digit code your authenticator app shows now, or one of your recovery codes, "
                               "as otp (each code works once).", "otp_required")
    token, expires_at = services.issue_api_token(db.session, user, now=now, hours=current_app.config["API_TOKEN_HOURS"])
    commit()
    return {"token": token, "expires_at": expires_at}


@endpoint(blp, "/auth/logout", method="POST", response=(204, None), commits=False)
def revoke_token():  # type: ignore[no-untyped-def]
    """Revoke the bearer token used for this call."""
    header = request.headers.get("Authorization", "")
    if not header.lower().startswith("bearer ") or not current_user.is_authenticated:
        abort(401)
    services.revoke_api_token(db.session, header[7:].strip(), now=utcnow())
    commit()


@endpoint(blp, "/me", response=(200, MeSchema))
def me():  # type: ignore[no-untyped-def]
    """The account the token belongs to."""
    if not current_user.is_authenticated:
        abort(401)
    return current_user
