"""Running the app under a WSGI middleware that may keep its answer (the public page cache)."""

from __future__ import annotations

from collections.abc import Callable, Iterable
from typing import Any


def call_app(wsgi_app: Callable[..., Any], environ: dict[str, Any], start_response: Callable[..., Any],
             hidden: str) -> tuple[Iterable[bytes], str, list[tuple[str, str]]]:
    """The app's body, status and headers; the client gets the same answer without the ``hidden`` header (a mark
    for the middleware, not for the client)."""
    captured: dict[str, Any] = {"status": "", "headers": []}

    def capture(status: str, headers: list[tuple[str, str]], exc_info: Any = None) -> Callable[[bytes], Any]:
        captured["status"], captured["headers"] = status, headers
        return start_response(status, [(name, value) for name, value in headers if name != hidden], exc_info)

    result = wsgi_app(environ, capture)
    return result, captured["status"], captured["headers"]


def read_body(result: Iterable[bytes]) -> bytes:
    """The whole body, the app's iterable closed as WSGI asks."""
    body = b"".join(result)
    if hasattr(result, "close"):
        result.close()
    return body
