"""A real OpenID Connect provider on 127.0.0.1, standing in for the federal authentication service (FAS) in tests.

It is the ``oidc-provider-mock`` package (Authlib's authorization server: discovery, JWKS, signed ID tokens, nonces,
a login form where a test types who signs in), served by Werkzeug from a thread on a free port. That package does
not check PKCE, so ``PkceCheck`` in front of it does, as FAS does: a token request whose ``code_verifier`` does not
hash to the ``code_challenge`` (S256) of its authorization request is refused.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import threading
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import requests
from werkzeug.serving import make_server

NISS_CLAIM = "egovNRN"  # the federal service's claim, the portal's default FAS_NISS_CLAIM


class PkceCheck:
    """WSGI middleware: remembers each code's challenge when the provider issues it, and checks the verifier."""

    def __init__(self, app: Any) -> None:
        self.app = app
        self.challenges: dict[str, tuple[str | None, str | None]] = {}
        self.refused = 0

    def __call__(self, environ: dict[str, Any], start_response: Any) -> Any:
        path = environ.get("PATH_INFO", "")
        if path == "/oauth2/authorize" and environ["REQUEST_METHOD"] == "POST":
            query = parse_qs(environ.get("QUERY_STRING", ""))
            challenge = (query.get("code_challenge") or [None])[0], (query.get("code_challenge_method") or [None])[0]

            def remember(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Any:
                location = dict(headers).get("Location", "")
                code = (parse_qs(urlsplit(location).query).get("code") or [None])[0]
                if code:
                    self.challenges[code] = challenge
                return start_response(status, headers, exc_info)

            return self.app(environ, remember)
        if path == "/oauth2/token":
            body = environ["wsgi.input"].read(int(environ.get("CONTENT_LENGTH") or 0))
            environ["wsgi.input"] = io.BytesIO(body)
            form = parse_qs(body.decode())
            if (form.get("grant_type") or [""])[0] == "authorization_code":
                challenge, method = self.challenges.pop((form.get("code") or [""])[0], (None, None))
                verifier = (form.get("code_verifier") or [""])[0]
                digest = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
                if method != "S256" or not verifier or digest != challenge:
                    self.refused += 1
                    start_response("400 Bad Request", [("Content-Type", "application/json")])
                    return [json.dumps({"error": "invalid_grant", "error_description": "PKCE check failed"}).encode()]
        return self.app(environ, start_response)


class Provider:
    def __init__(self, url: str, pkce: PkceCheck) -> None:
        self.url = url
        self.pkce = pkce

    @property
    def discovery_url(self) -> str:
        return f"{self.url}/.well-known/openid-configuration"

    def add_person(self, subject: str, *, niss: str, given_name: str = "", family_name: str = "") -> None:
        """What the provider will say about ``subject`` once they sign in."""
        claims: dict[str, Any] = {NISS_CLAIM: niss}
        if given_name:
            claims["given_name"] = given_name
        if family_name:
            claims["family_name"] = family_name
        response = requests.put(f"{self.url}/users/{quote(subject, safe='')}", json=claims, timeout=10)
        assert response.status_code == 204, response.text

    def sign_in(self, authorize_url: str, subject: str) -> str:
        """Do what the person does on the provider's page (type who they are, press the button): the URL the
        provider sends them back to."""
        response = requests.post(authorize_url, data={"sub": subject}, allow_redirects=False, timeout=10)
        assert response.status_code == 302, response.text
        return response.headers["Location"]


@contextmanager
def oidc_provider(host_name: str = "127.0.0.1") -> Iterator[Provider]:
    """Start the provider on a free port of 127.0.0.1 (so pytest-xdist workers never collide), stop it after.

    ``host_name`` is the name its URLs use: a browser test gives "localhost", so that the provider and the portal
    (on 127.0.0.1) are two hosts and never share cookies, as two real sites would not."""
    from authlib.deprecate import AuthlibDeprecationWarning

    with warnings.catch_warnings():
        # The package still imports Authlib's older modules (its JOSE and httpx parts, deprecated in favour of
        # joserfc and httpx2): warnings about the test provider, not about the portal's client.
        warnings.simplefilter("ignore", AuthlibDeprecationWarning)
        import oidc_provider_mock

    pkce = PkceCheck(oidc_provider_mock.app(require_nonce=True))
    server = make_server("127.0.0.1", 0, pkce, threaded=True)
    thread = threading.Thread(target=server.serve_forever, name="oidc-provider", daemon=True)
    thread.start()
    try:
        yield Provider(f"http://{host_name}:{server.server_port}", pkce)
    finally:
        server.shutdown()
        server.server_close()
        thread.join(timeout=10)


def fas_settings(provider: Provider) -> dict[str, Any]:
    """The portal's configuration for that provider (what an operator sets through FAS_* variables)."""
    return {"FAS_DISCOVERY_URL": provider.discovery_url, "FAS_ISSUER": "", "FAS_CLIENT_ID": "tnw-portal",
            "FAS_CLIENT_SECRET": "tnw-portal-secret", "FAS_NISS_CLAIM": NISS_CLAIM,
            "FAS_SCOPES": "openid profile egovnrn", "FAS_REDIRECT_URI": ""}
