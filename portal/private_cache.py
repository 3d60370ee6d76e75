"""A short-lived cache of the pages and API answers that logged-in people read again and again: the
beneficiary's own page and voucher, the fund's request queue, a coach's week.

Why: these pages are read far more often than what they show changes (a coach refreshes the week, a
beneficiary reloads the balance, an integrator polls the queue). Rebuilding one costs 10-50 ms of Python
(queries, ORM objects, a template); serving the copy rendered a moment ago costs one round trip to Redis.

What makes a copy safe to serve, all checked on every use:
- **The same person in the same session.** The key holds the session id (or the API token), the URL, the
  cookies and the client's address and browser, so a copy is never served to anyone else. A copy is
  served only while the session's stored data is exactly what it was when the copy was made: logging out,
  switching employer, a new flash message or a new CSRF secret change that data, and the copy is dead.
- **Nothing changed in the database since.** Every committed transaction that wrote anything (any INSERT,
  UPDATE, DELETE or DDL through SQLAlchemy, in any process using this app: web workers, the scheduler,
  CLI commands) moves a shared *data generation* forward after its commit; a copy made under an older
  generation is dead. This is deliberately coarse: any write ends every copy, so no page can show data
  older than the last write, whatever tables it read. Revoking a session or a token, a password change, a
  role or account change are database writes too.
- **Not older than ``PRIVATE_CACHE_SECONDS``** (10 by default), nor past an API token's expiry: what
  depends on the clock alone ("3 days left") is at most that stale.
- **Only views marked with :func:`private_page`**, only GET/HEAD, only status 200 for a logged-in user, only
  answers that set no cookie but the session's, and only when neither the session data nor the data
  generation moved while the page was being made (a page that writes, such as an audited read, is never
  kept).

Writes are seen through SQLAlchemy: a statement that may write marks the thread, and the Session's commit
of the outermost transaction moves the generation (a released savepoint does not; a rolled-back transaction
clears the mark). The code base writes through the Session only; a write through a bare Connection would be
seen at the thread's next Session commit, up to ``PRIVATE_CACHE_SECONDS`` late.

The shared state lives in Redis beside the sessions (``SESSION_REDIS_URL``); without Redis the cache is off,
because several processes would not see each other's writes. ``PRIVATE_CACHE_LOCAL`` keeps it in this
process instead (tests, one-process servers). A write whose process dies between its commit and moving the
generation forward stays unseen for at most ``PRIVATE_CACHE_SECONDS``.
"""

from __future__ import annotations

import hashlib
import json
import pickle
import secrets
import threading
import time
import weakref
from collections.abc import Callable, Iterable
from contextvars import ContextVar
from functools import wraps
from typing import Any, Protocol

from flask import Flask, current_app, g, has_app_context, make_response
from flask_login import current_user
from sqlalchemy import event
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import TextClause
from werkzeug.exceptions import HTTPException
from werkzeug.http import parse_cookie

from portal.wsgi_capture import call_app, read_body

MARK = "X-Private-Cacheable"
HIT_HEADER = ("X-Private-Cache", "hit")  # on answers served from a copy: for operators and tests
GENERATION_KEY = "tnw:private-cache:generation"
ENTRY_PREFIX = "tnw:private-cache:entry:"
_CACHED_METHODS = frozenset({"GET", "HEAD"})
# Request headers a page may depend on besides the URL: each is part of the key.
_KEY_HEADERS = ("HTTP_COOKIE", "HTTP_ACCEPT", "HTTP_ACCEPT_LANGUAGE", "HTTP_USER_AGENT", "REMOTE_ADDR",
                "HTTP_X_FORWARDED_FOR", "HTTP_X_FORWARDED_HOST", "HTTP_X_FORWARDED_PROTO",
                "HTTP_X_FORWARDED_PREFIX", "HTTP_HOST", "wsgi.url_scheme", "SCRIPT_NAME")


def private_page(view: Callable[..., Any]) -> Callable[..., Any]:
    """Mark a view whose answer depends only on the database, the session and the request (see the module's
    rules): no side effects, nothing random. The mark carries the expiry of the API token it was made for."""

    @wraps(view)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        response = make_response(view(*args, **kwargs))
        if (response.status_code == 200 and current_user.is_authenticated
                and "private_page_cache" in current_app.extensions):
            expires_at = g.get("credential_expires_at")
            response.headers[MARK] = str(expires_at.timestamp()) if expires_at is not None else "-"
        return response

    wrapper.private_page = True  # type: ignore[attr-defined]  # kept by the decorators above (functools.wraps)
    return wrapper


def marked_views(app: Flask) -> Callable[[dict[str, Any]], bool]:
    """Whether a request goes to a view marked with :func:`private_page`: only those are worth a look in the
    store, so every other request of a logged-in person costs no extra round trip to Redis."""

    def goes_to_marked_view(environ: dict[str, Any]) -> bool:
        try:
            endpoint, _args = app.url_map.bind_to_environ(environ, server_name=app.config.get("SERVER_NAME")).match()
        except HTTPException:  # not found, wrong method, a redirect: the app answers
            return False
        return bool(getattr(app.view_functions.get(endpoint), "private_page", False))

    return goes_to_marked_view


# --- Knowing that the data changed -----------------------------------------------------------------

# Per thread (each request and each scheduler job runs in one): did this unit of work write?
_wrote: ContextVar[bool] = ContextVar("tnw_private_cache_wrote", default=False)
_READ_ONLY_WORDS = frozenset({"SELECT", "SHOW", "EXPLAIN", "PRAGMA", "SAVEPOINT", "RELEASE", "ROLLBACK", "BEGIN",
                              "SET", "VALUES"})


def statement_writes(statement: str, context: Any) -> bool:
    """Whether a statement may change data: compiled statements say so; plain SQL text is judged by its first
    word, and anything not known to be a read counts as a write (a spurious write only costs a cache miss)."""
    compiled = getattr(context, "compiled", None)
    if compiled is not None and not isinstance(getattr(compiled, "statement", None), TextClause):
        return bool(context.isinsert or context.isupdate or context.isdelete or context.isddl)
    words = statement.split(None, 1)
    return not words or words[0].upper() not in _READ_ONLY_WORDS


def _note_statement(conn: Any, cursor: Any, statement: str, parameters: Any, context: Any,
                    executemany: bool) -> None:
    if not _wrote.get() and statement_writes(statement, context):
        _wrote.set(True)


# The caches installed in this process. Outside an app's context a write moves every one forward: a spare
# move costs a miss, a missed one would serve a stale page.
_installed: weakref.WeakSet[PrivatePageCache] = weakref.WeakSet()


def _after_commit(session: Session) -> None:
    # A savepoint released (begin_nested) is not a commit yet: the outer transaction's commit moves it.
    if not _wrote.get() or session.in_nested_transaction():
        return
    _wrote.set(False)
    if has_app_context():
        cache = current_app.extensions.get("private_page_cache")
        caches = [] if cache is None else [cache]
    else:
        caches = list(_installed)
    for cache in caches:
        cache.data_changed()


def _after_rollback(session: Session, previous_transaction: Any) -> None:
    if previous_transaction.parent is None:
        _wrote.set(False)  # the whole transaction is rolled back (not a savepoint): what it wrote is gone


_listening = False
_listening_lock = threading.Lock()


def _listen_once() -> None:
    global _listening
    with _listening_lock:
        if _listening:
            return
        event.listen(Engine, "before_cursor_execute", _note_statement)
        event.listen(Session, "after_commit", _after_commit)
        event.listen(Session, "after_soft_rollback", _after_rollback)
        _listening = True


# --- Where copies and the generation live ------------------------------------------------------------

class Store(Protocol):
    def read(self, session_id: str | None, entry_key: str | None) -> tuple[bytes | None, bytes | None,
                                                                            bytes | None]:
        """The session's stored data, the data generation and the entry, in one round trip."""

    def write(self, entry_key: str, value: bytes, seconds: float) -> None: ...

    def start_generation(self) -> None: ...

    def bump(self) -> None: ...


class RedisStore:
    """Copies, the generation and (read only) the sessions of Flask-Session, in one Redis."""

    def __init__(self, client: Any, session_prefix: str) -> None:
        self.client = client
        self.session_prefix = session_prefix

    def read(self, session_id: str | None, entry_key: str | None) -> tuple[bytes | None, bytes | None,
                                                                            bytes | None]:
        keys = [GENERATION_KEY]
        if session_id is not None:
            keys.append(self.session_prefix + session_id)
        if entry_key is not None:
            keys.append(entry_key)
        values = self.client.mget(keys)
        generation = values[0]
        session_data = values[1] if session_id is not None else None
        entry = values[-1] if entry_key is not None else None
        return session_data, generation, entry

    def write(self, entry_key: str, value: bytes, seconds: float) -> None:
        self.client.set(entry_key, value, px=max(1, int(seconds * 1000)))

    def start_generation(self) -> None:
        # A random start: a generation lost with Redis's memory never comes back to a value old copies hold.
        self.client.set(GENERATION_KEY, secrets.randbits(62), nx=True)

    def bump(self) -> None:
        pipe = self.client.pipeline(transaction=False)
        pipe.set(GENERATION_KEY, secrets.randbits(62), nx=True)
        pipe.incr(GENERATION_KEY)
        pipe.execute()


class LocalStore:
    """This process's memory, for tests and one-process servers; sessions read from Flask-Session's cachelib."""

    def __init__(self, session_cache: Any, session_prefix: str, clock: Callable[[], float] = time.time) -> None:
        self.session_cache = session_cache
        self.session_prefix = session_prefix
        self.clock = clock
        self.generation: int | None = None
        self._entries: dict[str, tuple[bytes, float]] = {}
        self._lock = threading.Lock()

    def read(self, session_id: str | None, entry_key: str | None) -> tuple[bytes | None, bytes | None,
                                                                            bytes | None]:
        session_data = None
        if session_id is not None:
            stored = self.session_cache.get(self.session_prefix + session_id)
            session_data = None if stored is None else pickle.dumps(stored)
        with self._lock:
            generation = None if self.generation is None else str(self.generation).encode()
            entry = None
            if entry_key is not None and entry_key in self._entries:
                value, expires = self._entries[entry_key]
                if expires > self.clock():
                    entry = value
                else:
                    del self._entries[entry_key]
        return session_data, generation, entry

    def write(self, entry_key: str, value: bytes, seconds: float) -> None:
        with self._lock:
            self._entries[entry_key] = (value, self.clock() + seconds)

    def start_generation(self) -> None:
        with self._lock:
            if self.generation is None:
                self.generation = secrets.randbits(62)

    def bump(self) -> None:
        with self._lock:
            self.generation = (self.generation if self.generation is not None else secrets.randbits(62)) + 1


# --- The middleware -----------------------------------------------------------------------------------

def _fingerprint(session_data: bytes | None) -> str:
    return "" if session_data is None else hashlib.blake2b(session_data, digest_size=16).hexdigest()


class PrivatePageCache:
    """WSGI middleware in front of the app (see the module docstring)."""

    def __init__(self, wsgi_app: Callable[..., Any], *, store: Store, seconds: float, session_cookie: str,
                 clock: Callable[[], float] = time.time, logger: Any = None) -> None:
        self.wsgi_app = wsgi_app
        self.store = store
        self.seconds = seconds
        self.session_cookie = session_cookie
        self.clock = clock
        self.logger = logger
        self.worth_a_look: Callable[[dict[str, Any]], bool] = lambda environ: True  # attach() narrows it

    def data_changed(self) -> None:
        try:
            self.store.bump()
        except Exception:  # the write is committed: its copies die within PRIVATE_CACHE_SECONDS anyway
            if self.logger is not None:
                self.logger.warning("private page cache: could not move the data generation forward",
                                    exc_info=True)

    def _credential(self, environ: dict[str, Any]) -> tuple[str, str] | None:
        """Who the app will take the caller for, decided as the app decides it (portal.create_app): a bearer
        token on an /api/ path, otherwise the session cookie."""
        authorization = environ.get("HTTP_AUTHORIZATION", "")
        if environ.get("PATH_INFO", "").startswith("/api/") and authorization[:7].lower() == "bearer ":
            token = authorization[7:].strip()
            return ("bearer", token) if token else None
        cookies = environ.get("HTTP_COOKIE", "")
        if self.session_cookie + "=" not in cookies:
            return None
        session_id = parse_cookie(cookies).get(self.session_cookie)
        return ("session", session_id) if session_id else None

    @staticmethod
    def _entry_key(environ: dict[str, Any], kind: str, credential: str) -> str:
        parts = [environ.get("REQUEST_METHOD", ""), environ.get("PATH_INFO", ""), environ.get("QUERY_STRING", ""),
                 kind, credential] + [str(environ.get(name, "")) for name in _KEY_HEADERS]
        return ENTRY_PREFIX + hashlib.blake2b("\x00".join(parts).encode("utf-8", "surrogateescape"),
                                              digest_size=20).hexdigest()

    def __call__(self, environ: dict[str, Any], start_response: Callable[..., Any]) -> Iterable[bytes]:
        if environ.get("REQUEST_METHOD") not in _CACHED_METHODS:
            return self.wsgi_app(environ, start_response)
        credential = self._credential(environ)
        if credential is None or not self.worth_a_look(environ):
            return self.wsgi_app(environ, start_response)
        kind, value = credential
        session_id = value if kind == "session" else None
        entry_key = self._entry_key(environ, kind, value)
        try:
            session_data, generation, raw = self.store.read(session_id, entry_key)
        except Exception:  # the cache only saves work: without it the app answers
            if self.logger is not None:
                self.logger.warning("private page cache unavailable", exc_info=True)
            return self.wsgi_app(environ, start_response)
        if kind == "session" and session_data is None:
            return self.wsgi_app(environ, start_response)  # no such session: the app decides (login page)
        if generation is None:
            self.store.start_generation()
            return self.wsgi_app(environ, start_response)
        fingerprint = _fingerprint(session_data)
        if raw is not None:
            served = self._serve(raw, generation, fingerprint, start_response)
            if served is not None:
                return served
        return self._fill(environ, start_response, entry_key, session_id, fingerprint, generation)

    def _serve(self, raw: bytes, generation: bytes, fingerprint: str,
               start_response: Callable[..., Any]) -> Iterable[bytes] | None:
        head, _, body = raw.partition(b"\n")
        try:
            meta = json.loads(head)
        except ValueError:
            return None
        if meta["gen"] != generation.decode() or meta["fp"] != fingerprint or meta["exp"] <= self.clock():
            return None
        start_response(meta["status"], [tuple(pair) for pair in meta["headers"]] + [HIT_HEADER])
        return [body]

    def _fill(self, environ: dict[str, Any], start_response: Callable[..., Any], entry_key: str,
              session_id: str | None, fingerprint: str, generation: bytes) -> Iterable[bytes]:
        result, status, headers = call_app(self.wsgi_app, environ, start_response, MARK)
        mark = next((value for name, value in headers if name == MARK), None)
        if mark is None or not status.startswith("200"):
            return result
        body = read_body(result)
        kept = self._headers_to_keep(headers)
        if kept is not None:
            self._keep(entry_key, session_id, fingerprint, generation, status, kept, body, mark)
        return [body]

    def _headers_to_keep(self, headers: list[tuple[str, str]]) -> list[tuple[str, str]] | None:
        """The answer's headers without the mark and the session cookie; None if it sets any other cookie."""
        kept = []
        for name, value in headers:
            if name == MARK:
                continue
            if name.lower() == "set-cookie":
                if value.startswith(self.session_cookie + "="):
                    continue  # refreshed by the next answer the app makes itself
                return None
            kept.append((name, value))
        return kept

    def _keep(self, entry_key: str, session_id: str | None, fingerprint: str, generation: bytes, status: str,
              headers: list[tuple[str, str]], body: bytes, mark: str) -> None:
        try:
            session_after, generation_after, _ = self.store.read(session_id, None)
            if generation_after != generation or _fingerprint(session_after) != fingerprint:
                return  # the session or the data moved while the page was made: keep nothing
            now = self.clock()
            expires = now + self.seconds
            if mark != "-":
                expires = min(expires, float(mark))
            if expires <= now:
                return
            meta = {"gen": generation.decode(), "fp": fingerprint, "exp": expires, "status": status,
                    "headers": headers}
            self.store.write(entry_key, json.dumps(meta).encode() + b"\n" + body, expires - now)
        except Exception:  # the answer is made and sent; only the copy is lost
            if self.logger is not None:
                self.logger.warning("private page cache: could not keep a copy", exc_info=True)


def install(app: Flask) -> None:
    seconds = float(app.config.get("PRIVATE_CACHE_SECONDS", 0) or 0)
    if seconds <= 0:
        return
    prefix = app.config["SESSION_KEY_PREFIX"]
    store: Store
    if app.config.get("PRIVATE_CACHE_LOCAL"):
        store = LocalStore(app.session_interface.cache, prefix)  # type: ignore[attr-defined]
    elif app.config.get("SESSION_TYPE") == "redis":
        store = RedisStore(app.config["SESSION_REDIS"], prefix)
    else:
        return  # several processes, no shared place to learn of each other's writes: no private cache
    attach(app, PrivatePageCache(app.wsgi_app, store=store, seconds=seconds,
                                 session_cookie=app.config["SESSION_COOKIE_NAME"], logger=app.logger))


def attach(app: Flask, cache: PrivatePageCache) -> None:
    """Put the cache in front of the app and let every commit in this process reach it."""
    _listen_once()
    cache.worth_a_look = marked_views(app)
    app.wsgi_app = cache  # type: ignore[method-assign]
    app.extensions["private_page_cache"] = cache
    _installed.add(cache)
