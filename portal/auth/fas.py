"""Sign-in through the federal authentication service (FAS, CSAM: itsme or the eID card), an OpenID Connect
provider that tells the portal the person's national register number (NISS).

Authlib's OpenID Connect client does the protocol: the authorization code flow with PKCE (S256), a state and a
nonce kept in this browser's session, and the ID token's signature checked against the keys the issuer publishes
(its JWKS), with its issuer, audience, expiry and nonce. Configured by environment variables (``FAS_*``,
portal/config.py); without them the portal offers no such sign-in and these pages are 404s.

This module knows nothing of beneficiaries: what a proven NISS opens is decided by the handler a domain package
registers (``register_identity_handler``). The proven identity waits in the session (``pending_identity``) for the
pages that finish the sign-in, for 15 minutes at most.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from typing import Any

import requests
from authlib.common.errors import AuthlibBaseError
from authlib.integrations.flask_client import FlaskOAuth2App, OAuth
from flask import (
    Blueprint,
    Flask,
    abort,
    current_app,
    flash,
    redirect,
    request,
    session,
    url_for,
)
from flask.typing import ResponseReturnValue
from flask_babel import get_locale
from flask_babel import gettext as _
from flask_login import current_user, login_user
from joserfc.errors import JoseError

from portal.clock import utcnow

log = logging.getLogger(__name__)

bp = Blueprint("fas", __name__)

#: Where the proven identity waits for the pages that finish the sign-in (kept across a login: auth/views.py).
PENDING_KEY = "fas_identity"
PENDING_SECONDS = 15 * 60
HANDLER_KEY = "fas_identity_handler"
CLIENT_KEY = "fas_oidc_client"
METADATA_SECONDS = 3600
# The names the federal service gives (given name / surname), and OpenID Connect's standard ones.
GIVEN_NAME_CLAIMS = ("given_name", "givenName")
FAMILY_NAME_CLAIMS = ("family_name", "surname")


@dataclass(frozen=True)
class ProvenIdentity:
    """What the federal service vouches for: the NISS as it sent it (the handler checks its form), the names."""

    niss: str
    given_name: str
    family_name: str
    subject: str


IdentityHandler = Callable[[ProvenIdentity], ResponseReturnValue]


def register_identity_handler(app: Flask, handler: IdentityHandler) -> None:
    """The domain side's answer to a proven identity (log in, link, or ask what is missing)."""
    app.extensions[HANDLER_KEY] = handler


def enabled() -> bool:
    """Offered only when the service is configured (the sign-in button is not shown otherwise)."""
    config = current_app.config
    return bool(_discovery_url() and config.get("FAS_CLIENT_ID") and HANDLER_KEY in current_app.extensions)


@bp.app_context_processor
def _offered() -> dict[str, Any]:
    """``fas_enabled()`` in every template: the sign-in button shows only when the service is configured."""
    return {"fas_enabled": enabled}


def _discovery_url() -> str:
    config = current_app.config
    issuer = (config.get("FAS_ISSUER") or "").rstrip("/")
    return config.get("FAS_DISCOVERY_URL") or (f"{issuer}/.well-known/openid-configuration" if issuer else "")


def _client() -> FlaskOAuth2App:
    """One Authlib client per configuration (read when first used, so tests and operators may change it), made
    anew every hour so that the provider's discovery document and keys are read again (Authlib also reads the keys
    again at once when a token names a key it does not have)."""
    config = current_app.config
    settings = (_discovery_url(), config["FAS_CLIENT_ID"], config.get("FAS_CLIENT_SECRET") or "",
                config["FAS_SCOPES"])
    cached = current_app.extensions.get(CLIENT_KEY)
    if cached is not None and cached[0] == settings and time.monotonic() - cached[2] < METADATA_SECONDS:
        return cached[1]
    discovery, client_id, secret, scopes = settings
    registry = OAuth()
    registry.init_app(current_app._get_current_object())  # type: ignore[attr-defined]
    # The name keeps Authlib from reading settings of its own from the app's config (it would look for NAME_*).
    client = registry.register(
        "federal_authentication", client_id=client_id, client_secret=secret or None, server_metadata_url=discovery,
        client_kwargs={"scope": scopes, "code_challenge_method": "S256",
                       "default_timeout": config["FAS_TIMEOUT_SECONDS"]})
    current_app.extensions[CLIENT_KEY] = (settings, client, time.monotonic())
    return client


def remember(identity: ProvenIdentity) -> None:
    session[PENDING_KEY] = {**asdict(identity), "since": int(utcnow().timestamp())}


def pending_identity() -> ProvenIdentity | None:
    """The identity proven in this browser in the last 15 minutes and not used yet, if any."""
    kept = session.get(PENDING_KEY)
    if not isinstance(kept, dict) or utcnow().timestamp() - kept.get("since", 0) > PENDING_SECONDS:
        return None
    try:
        return ProvenIdentity(**{k: v for k, v in kept.items() if k != "since"})
    except TypeError:
        return None


def forget() -> None:
    session.pop(PENDING_KEY, None)


def start_session(user: Any) -> None:
    """Log in the person the federal service vouched for, on a new session id (no fixation); the visitor's language
    stays. The caller commits (the last login time)."""
    language = session.get("lang")
    session.clear()
    if language:
        session["lang"] = language
    regenerate = getattr(current_app.session_interface, "regenerate", None)
    if regenerate is not None:
        regenerate(session)
    login_user(user)
    user.last_login_at = utcnow()


@bp.route("/login/fas")
def start():  # type: ignore[no-untyped-def]
    """Off to the federal service; it sends the person back to ``callback``."""
    if not enabled():
        abort(404)
    redirect_uri = current_app.config.get("FAS_REDIRECT_URI") or url_for("fas.callback", _external=True)
    try:
        return _client().authorize_redirect(redirect_uri, ui_locales=str(get_locale()))
    except (AuthlibBaseError, requests.RequestException, ValueError) as error:
        log.warning("FAS sign-in could not start: %s", type(error).__name__)
        return _failed(_("The sign-in service (itsme, eID) cannot be reached just now. Please try again later."))


@bp.route("/login/fas/callback")
def callback():  # type: ignore[no-untyped-def]
    """The federal service's answer: a code, exchanged for tokens whose ID token must check out in full."""
    if not enabled():
        abort(404)
    if request.args.get("error"):
        return _failed(_("The sign-in with itsme or eID was cancelled or refused. You can try again."))
    try:
        identity = _proven_identity(_client())
    except (AuthlibBaseError, JoseError, requests.RequestException, ValueError, KeyError) as error:
        # A forged, replayed or stale answer, or a provider that cannot be reached: nothing is signed in.
        log.warning("FAS sign-in refused: %s", type(error).__name__)
        return _failed(_("The sign-in with itsme or eID did not succeed. Please try again."))
    remember(identity)
    return current_app.extensions[HANDLER_KEY](identity)


def _proven_identity(client: FlaskOAuth2App) -> ProvenIdentity:
    token = client.authorize_access_token()  # checks the state, sends the PKCE verifier, checks the ID token
    claims: dict[str, Any] | None = token.get("userinfo")
    if not claims:  # no ID token at all: an OAuth answer, not an OpenID Connect sign-in
        raise ValueError("no ID token")
    claim = current_app.config["FAS_NISS_CLAIM"]
    if not claims.get(claim):
        # Some providers give the number only at the userinfo endpoint, asked over TLS with the access token;
        # it must be about the same person as the signed ID token.
        extra = client.userinfo(token=token)
        if extra.get("sub") != claims.get("sub"):
            raise ValueError("userinfo is about someone else")
        claims = {**extra, **claims}
    niss = claims.get(claim)
    if not isinstance(niss, str) or not niss.strip():
        raise ValueError("no national register number in the answer")
    return ProvenIdentity(niss=niss.strip(), given_name=_first(claims, GIVEN_NAME_CLAIMS),
                          family_name=_first(claims, FAMILY_NAME_CLAIMS), subject=str(claims.get("sub") or ""))


def _first(claims: dict[str, Any], names: tuple[str, ...]) -> str:
    for name in names:
        value = claims.get(name)
        if isinstance(value, str) and value.strip():
            return value.strip()[:100]
    return ""


def _failed(message: str) -> ResponseReturnValue:
    flash(message, "error")
    return redirect(url_for("main.home" if current_user.is_authenticated else "auth.login"))
