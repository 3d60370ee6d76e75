"""Security headers on every response; HSTS wherever cookies are secure (outside debug and tests by default)."""

from __future__ import annotations

from urllib.parse import urlsplit

from flask import Flask, Response


def register_security_headers(app: Flask) -> None:
    stripe_js = app.config.get("STRIPE_JS_URL") or ""
    stripe_origin = ""
    if stripe_js:
        parts = urlsplit(stripe_js)
        stripe_origin = f"{parts.scheme}://{parts.netloc}"
    api_origin = app.config.get("STRIPE_API_BASE") or ""
    csp = "; ".join(
        [
            "default-src 'self'",
            f"script-src 'self' {stripe_origin}".strip(),
            f"frame-src 'self' {stripe_origin}".strip(),
            f"connect-src 'self' {stripe_origin} {api_origin}".strip(),
            "img-src 'self' data:",
            "style-src 'self'",
            "object-src 'none'",
            "base-uri 'self'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        ]
    )

    @app.after_request
    def add_headers(response: Response) -> Response:
        response.headers.setdefault("Content-Security-Policy", csp)
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("X-Frame-Options", "DENY")
        response.headers.setdefault("Referrer-Policy", "strict-origin-when-cross-origin")
        response.headers.setdefault("Permissions-Policy", "camera=(), microphone=(), geolocation=()")
        if response.mimetype == "text/html":
            response.headers.setdefault("Cache-Control", "no-store")
        if app.config["SESSION_COOKIE_SECURE"] and app.config["HSTS_SECONDS"]:
            # Only with secure cookies: a portal run on plain http (SESSION_COOKIE_SECURE=0) has no HTTPS to pin.
            response.headers.setdefault("Strict-Transport-Security", f"max-age={app.config['HSTS_SECONDS']}")
        return response
