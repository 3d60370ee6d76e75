"""Settings. The only module that reads environment variables.

Defaults give a working single-machine portal: a SQLite file and a generated
secret key in ``instance/``, server-side sessions on disk, in-memory rate limits
and e-mail printed to the console. At scale only the environment changes.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

PROJECT_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE = PROJECT_ROOT / "instance"


def _flag(name: str, default: bool) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def _optional_flag(name: str) -> bool | None:
    """A yes/no setting, or None when it is not set (the app then decides from its mode)."""
    return _flag(name, False) if os.environ.get(name) is not None else None


def _secret_key(instance: Path) -> str:
    """Read SECRET_KEY, or generate one into instance/ once so restarts keep sessions."""
    from_env = os.environ.get("SECRET_KEY")
    if from_env:
        return from_env
    key_file = instance / "secret_key"
    if key_file.exists():
        return key_file.read_text().strip()
    instance.mkdir(parents=True, exist_ok=True)
    key = secrets.token_urlsafe(48)
    key_file.write_text(key)
    key_file.chmod(0o600)
    return key


def normalise_database_url(url: str) -> str:
    """Accept plain ``postgresql://`` URLs and use the psycopg 3 driver for them."""
    if url.startswith("postgres://"):
        url = "postgresql://" + url[len("postgres://") :]
    if url.startswith("postgresql://"):
        url = "postgresql+psycopg://" + url[len("postgresql://") :]
    return url


def load_config() -> dict[str, Any]:
    instance = Path(os.environ.get("PORTAL_INSTANCE_PATH", DEFAULT_INSTANCE))
    instance.mkdir(parents=True, exist_ok=True)
    database_url = normalise_database_url(
        os.environ.get("DATABASE_URL", f"sqlite:///{instance / 'portal.sqlite3'}")
    )
    session_redis = os.environ.get("SESSION_REDIS_URL")
    config: dict[str, Any] = {
        "INSTANCE_PATH": str(instance),
        "SECRET_KEY": _secret_key(instance),
        "SQLALCHEMY_DATABASE_URI": database_url,
        "SQLALCHEMY_ENGINE_OPTIONS": {"pool_pre_ping": True},
        # Sessions live on the server so that logging out really revokes them.
        "SESSION_TYPE": "redis" if session_redis else "cachelib",
        "SESSION_REDIS_URL": session_redis,
        "SESSION_PERMANENT": True,
        "PERMANENT_SESSION_LIFETIME": timedelta(hours=int(os.environ.get("SESSION_HOURS", "8"))),
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        # Cookies only over HTTPS, and HSTS: on unless set to 0, or in debug/testing mode (create_app decides None).
        "SESSION_COOKIE_SECURE": _optional_flag("SESSION_COOKIE_SECURE"),
        "HSTS_SECONDS": int(os.environ.get("HSTS_SECONDS", str(365 * 24 * 3600))),
        # The session (on the server, and its cookie) is written only when it changed: a plain GET sets no cookie.
        # A session thus lasts PERMANENT_SESSION_LIFETIME from its last change (signing in, a form's first token).
        "SESSION_REFRESH_EACH_REQUEST": False,
        # Flask-Login's "remember me" cookie (not offered today): as strict as the session's, should it ever be.
        "REMEMBER_COOKIE_HTTPONLY": True,
        "REMEMBER_COOKIE_SAMESITE": "Lax",
        "SESSION_KEY_PREFIX": "tnw:session:",
        "SESSION_DIRECTORY": str(instance / "sessions"),
        "RATELIMIT_STORAGE_URI": os.environ.get("RATELIMIT_STORAGE_URI", "memory://"),
        "RATELIMIT_ENABLED": _flag("RATELIMIT_ENABLED", True),
        "LOGIN_LIMIT_PER_ACCOUNT": os.environ.get("LOGIN_LIMIT_PER_ACCOUNT", "5 per 5 minutes"),
        "LOGIN_LIMIT_PER_IP": os.environ.get("LOGIN_LIMIT_PER_IP", "30 per 5 minutes"),
        # The code of an employer's ownership letter, the confirmation e-mail sent again
        # (vouchers/employers/company_access/limits.py).
        "OWNERSHIP_CODE_LIMIT": os.environ.get("OWNERSHIP_CODE_LIMIT", "10 per hour"),
        "CONFIRMATION_RESEND_LIMIT": os.environ.get("CONFIRMATION_RESEND_LIMIT", "3 per hour"),
        "WTF_CSRF_TIME_LIMIT": None,  # bound to the session, which expires anyway
        # The largest request body (uploads included); a larger one is a 413 before anything reads it.
        "MAX_CONTENT_LENGTH": int(os.environ.get("MAX_UPLOAD_MB", "25")) * 1024 * 1024,
        # argon2id cost: the library's defaults (RFC 9106 low-memory profile).
        "ARGON2_PARAMETERS": {"time_cost": 3, "memory_cost": 65536, "parallelism": 4},
        "API_TOKEN_HOURS": int(os.environ.get("API_TOKEN_HOURS", "12")),
        "EMAIL_TOKEN_HOURS": int(os.environ.get("EMAIL_TOKEN_HOURS", "48")),
        "RESET_TOKEN_MINUTES": int(os.environ.get("RESET_TOKEN_MINUTES", "60")),
        # E-mail: "console" prints, "smtp" sends through MAIL_SERVER.
        "MAIL_BACKEND": os.environ.get("MAIL_BACKEND", "console"),
        "MAIL_SERVER": os.environ.get("MAIL_SERVER", "127.0.0.1"),
        "MAIL_PORT": int(os.environ.get("MAIL_PORT", "25")),
        "MAIL_USERNAME": os.environ.get("MAIL_USERNAME"),
        "MAIL_PASSWORD": os.environ.get("MAIL_PASSWORD"),
        "MAIL_USE_TLS": _flag("MAIL_USE_TLS", False),
        "MAIL_SENDER": os.environ.get("MAIL_SENDER", "Fonds Retour au Travail <noreply@tnw.example>"),
        "PUBLIC_BASE_URL": os.environ.get("PUBLIC_BASE_URL", "http://127.0.0.1:5000"),
        # Stripe: the portal talks to Stripe only through portal.payments.
        "STRIPE_SECRET_KEY": os.environ.get("STRIPE_SECRET_KEY", ""),
        "STRIPE_PUBLISHABLE_KEY": os.environ.get("STRIPE_PUBLISHABLE_KEY", ""),
        "STRIPE_WEBHOOK_SECRET": os.environ.get("STRIPE_WEBHOOK_SECRET", ""),
        "STRIPE_API_BASE": os.environ.get("STRIPE_API_BASE"),
        "STRIPE_JS_URL": os.environ.get("STRIPE_JS_URL", "https://js.stripe.com/v3/"),
        # Without STRIPE_SECRET_KEY, card payments are refused unless in debug/testing mode or this is set (demos).
        "ALLOW_FAKE_PAYMENTS": _flag("ALLOW_FAKE_PAYMENTS", False),
        # The fund's own account, the debtor of payout batches. Placeholders: set the real ones in production.
        "FUND_IBAN": os.environ.get("FUND_IBAN", "BE71096123456769"),
        "FUND_NAME": os.environ.get("FUND_NAME", "Fonds Retour au Travail - INAMI"),
        "FUND_BIC": os.environ.get("FUND_BIC", "GKCCBEBB"),
        # Where people reach the fund, shown on the help, privacy and accessibility pages. Placeholders: set the
        # real ones in production (the phone number and postal address are shown only when set).
        "HELP_EMAIL": os.environ.get("HELP_EMAIL", "help@demo.tnw.be"),
        "HELP_PHONE": os.environ.get("HELP_PHONE", ""),
        "FUND_POSTAL_ADDRESS": os.environ.get("FUND_POSTAL_ADDRESS", ""),
        "PRIVACY_EMAIL": os.environ.get("PRIVACY_EMAIL", "privacy@demo.tnw.be"),
        "PAIN001_XSD_PATH": os.environ.get("PAIN001_XSD_PATH"),
        "CAMT053_XSD_PATH": os.environ.get("CAMT053_XSD_PATH"),
        "BABEL_DEFAULT_LOCALE": "fr",
        "BABEL_DEFAULT_TIMEZONE": "Europe/Brussels",
        "BABEL_TRANSLATION_DIRECTORIES": str(PROJECT_ROOT / "portal" / "translations"),
        # The interface's languages (an employer's letter to a worker is in fr, nl or de).
        "UI_LANGUAGES": ("fr", "nl", "de", "en"),
        "ALL_LANGUAGES": ("fr", "nl", "de", "en"),
        # flask-smorest: the OpenAPI document is served at /api/v1/openapi.json.
        "API_TITLE": "Fonds Retour au Travail portal API",
        "API_VERSION": "v1",
        "OPENAPI_VERSION": "3.0.3",
        "OPENAPI_URL_PREFIX": "/api/v1",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {"info": {"description": (
            "The portal's JSON API. Calls for a person carry `Authorization: Bearer <token>` "
            "(from `POST /auth/token`). Errors answer `{\"error\": {code, message, fields}}`; lists page with `next_cursor`.\n\n"
            "Freshness: public marketplace answers may be up to `PUBLIC_CACHE_SECONDS` (30 s) old. An answer to a "
            "caller with a token is made afresh for every call.")}},
        "PROPAGATE_EXCEPTIONS": False,
        "TRUST_PROXY_HOPS": int(os.environ.get("TRUST_PROXY_HOPS", "0")),
        # How long anonymous visitors may be served a public page rendered earlier (portal/public_cache.py); 0: off.
        "PUBLIC_CACHE_SECONDS": float(os.environ.get("PUBLIC_CACHE_SECONDS", "30")),
        # Sign-in with itsme or eID through the federal authentication service (portal/auth/fas.py): an OpenID
        # Connect provider, found by its discovery document (or its issuer). Unset: not offered.
        "FAS_DISCOVERY_URL": os.environ.get("FAS_DISCOVERY_URL", ""),
        "FAS_ISSUER": os.environ.get("FAS_ISSUER", ""),
        "FAS_CLIENT_ID": os.environ.get("FAS_CLIENT_ID", ""),
        "FAS_CLIENT_SECRET": os.environ.get("FAS_CLIENT_SECRET", ""),
        "FAS_SCOPES": os.environ.get("FAS_SCOPES", "openid profile egovnrn"),
        "FAS_NISS_CLAIM": os.environ.get("FAS_NISS_CLAIM", "egovNRN"),
        "FAS_REDIRECT_URI": os.environ.get("FAS_REDIRECT_URI", ""),
        "FAS_TIMEOUT_SECONDS": float(os.environ.get("FAS_TIMEOUT_SECONDS", "10")),
        # Self-registrations (each sends an e-mail): per client address, and per address written to.
        "REGISTRATION_LIMIT_PER_IP": os.environ.get("REGISTRATION_LIMIT_PER_IP", "100 per hour"),
        "REGISTRATION_LIMIT_PER_EMAIL": os.environ.get("REGISTRATION_LIMIT_PER_EMAIL", "3 per hour"),
    }
    return config
