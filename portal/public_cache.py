"""A short-lived cache of the public pages that anonymous visitors read most: the provider search and
profiles (pages and API).

Why: the marketplace is read far more than it changes, and most visitors run the same few searches
(their municipality, their language). Serving a page rendered a few seconds ago costs a dictionary
lookup instead of four queries and a template, which keeps the search fast when many people look at
once (issue 5's throughput target).

What is safe to keep, and so the only thing kept:
- a GET or HEAD request that carries no session cookie and no Authorization header (anyone who may be
  logged in goes straight to the app, so staff always see their own changes at once);
- answered by a view marked with :func:`public_page` with status 200, for a visitor who is not logged in;
- whose response sets no cookie (nothing personal: no session, no CSRF token).

The key is the path, the query, the host and scheme, the browser's language header and the language
cookie, so each language gets its own copy. Entries live ``PUBLIC_CACHE_SECONDS`` (30 by default;
0 switches the cache off, as in the tests): a change to a listing reaches anonymous visitors within
that time. Each process keeps its own bounded copy (least recently used entries go first).
"""

from __future__ import annotations

import threading
import time
from collections import OrderedDict
from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from flask import Flask, make_response
from flask_login import current_user

from portal.wsgi_capture import call_app, read_body

MARK = "X-Public-Cacheable"
MAX_ENTRIES = 2000
_CACHED_METHODS = frozenset({"GET", "HEAD"})


def public_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view's answers to anonymous visitors as the same for everyone (see the module's rules)."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        response = make_response(view(*args, **kwargs))
        if response.status_code == 200 and not current_user.is_authenticated:
            response.headers[MARK] = "1"
        return response

    return wrapper


class _Entry:
    __slots__ = ("body", "expires", "headers", "status")

    def __init__(self, status: str, headers: list[tuple[str, str]], body: bytes, expires: float) -> None:
        self.status, self.headers, self.body, self.expires = status, headers, body, expires


class PublicPageCache:
    """WSGI middleware in front of the app (see the module docstring)."""

    def __init__(self, wsgi_app: Callable[..., Any], *, seconds: float, session_cookie: str,
                 max_entries: int = MAX_ENTRIES, clock: Callable[[], float] = time.monotonic) -> None:
        self.wsgi_app = wsgi_app
        self.seconds = seconds
        self.session_cookie = session_cookie + "="
        self.max_entries = max_entries
        self.clock = clock
        self._entries: OrderedDict[tuple[str, ...], _Entry] = OrderedDict()
        self._lock = threading.Lock()

    def clear(self) -> None:
        with self._lock:
            self._entries.clear()

    def _key(self, environ: dict[str, Any]) -> tuple[str, ...] | None:
        if environ.get("REQUEST_METHOD") not in _CACHED_METHODS:
            return None
        cookies = environ.get("HTTP_COOKIE", "")
        if self.session_cookie in cookies or "HTTP_AUTHORIZATION" in environ:
            return None  # possibly someone logged in (browser session or API token): always the app
        return (environ.get("REQUEST_METHOD", ""), environ.get("wsgi.url_scheme", ""), environ.get("HTTP_HOST", ""),
                environ.get("SCRIPT_NAME", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                environ.get("HTTP_ACCEPT_LANGUAGE", ""), cookies)

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        key = self._key(environ)
        if key is None:
            return self.wsgi_app(environ, start_response)
        now = self.clock()
        with self._lock:
            entry = self._entries.get(key)
            if entry is not None:
                if entry.expires > now:
                    self._entries.move_to_end(key)
                else:
                    del self._entries[key]
                    entry = None
        if entry is not None:
            start_response(entry.status, list(entry.headers))
            return [entry.body]
        return self._fill(key, environ, start_response, now)

    def _fill(self, key: tuple[str, ...], environ: dict[str, Any], start_response: Callable[..., Any],
              now: float) -> Iterable[bytes]:
        result, status, headers = call_app(self.wsgi_app, environ, start_response, MARK)
        names = {name.lower() for name, _value in headers}
        if MARK.lower() not in names:
            return result
        body = read_body(result)
        if "set-cookie" not in names and status.startswith("200"):
            entry = _Entry(status, [(n, v) for n, v in headers if n != MARK], body, now + self.seconds)
            with self._lock:
                self._entries[key] = entry
                self._entries.move_to_end(key)
                while len(self._entries) > self.max_entries:
                    self._entries.popitem(last=False)
        return [body]


def install(app: Flask) -> None:
    seconds = float(app.config.get("PUBLIC_CACHE_SECONDS", 0) or 0)
    if seconds <= 0:
        return
    cache = PublicPageCache(app.wsgi_app, seconds=seconds, session_cookie=app.config["SESSION_COOKIE_NAME"])
    app.wsgi_app = cache  # type: ignore[method-assign]
    app.extensions["public_page_cache"] = cache
