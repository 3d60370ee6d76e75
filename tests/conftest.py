"""Shared fixtures: one app per test run, its schema built by the migrations,
and each test inside a transaction that is rolled back.

Set DATABASE_URL to run the same suite on PostgreSQL.
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy.orm import Session, scoped_session, sessionmaker

from tests.support.fresh_db import drop_template, keep_as_template
from tests.support.smtp import SMTPServer

TEST_ROOT = Path(tempfile.mkdtemp(prefix="tnw-tests-"))
os.environ.setdefault("PORTAL_INSTANCE_PATH", str(TEST_ROOT / "instance"))
os.environ.setdefault("HYPOTHESIS_STORAGE_DIRECTORY", str(TEST_ROOT / "hypothesis"))


def _share_hypothesis_unicode_tables() -> None:
    """Hypothesis works out its Unicode tables (which characters a codec encodes: seconds of CPU) into its storage
    directory, new for each process here so that no example database outlives a run: every xdist worker of every
    run would compute them again. They depend on nothing but Python's Unicode version (in their path) and
    Hypothesis's own, so the processes share one copy of them, written atomically by Hypothesis."""
    storage = Path(os.environ["HYPOTHESIS_STORAGE_DIRECTORY"])
    if storage != TEST_ROOT / "hypothesis":
        return  # a directory chosen by whoever runs the tests: left as it is
    import hypothesis

    shared = Path(tempfile.gettempdir()) / f"tnw-hypothesis-unicode-{hypothesis.__version__}"
    shared.mkdir(exist_ok=True)
    storage.mkdir(parents=True, exist_ok=True)
    (storage / "unicode_data").symlink_to(shared, target_is_directory=True)


_share_hypothesis_unicode_tables()


def database_url() -> str:
    """SQLite in a temporary folder, or DATABASE_URL. Under pytest-xdist each worker gets a database of its own
    on that PostgreSQL server (``<name>_gw0``, made fresh here and dropped at the end)."""
    url = os.environ.get("DATABASE_URL")
    if not url:
        return f"sqlite:///{TEST_ROOT / 'test.sqlite3'}"
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not worker:
        return url
    from sqlalchemy.engine import make_url

    base = make_url(url)
    return base.set(database=f"{base.database}_{worker}").render_as_string(hide_password=False)


def _worker_database(action: str) -> None:
    """Create or drop this xdist worker's own PostgreSQL database (nothing to do otherwise)."""
    if not (os.environ.get("DATABASE_URL") and os.environ.get("PYTEST_XDIST_WORKER")):
        return
    import psycopg
    from sqlalchemy.engine import make_url

    own = make_url(database_url())
    admin = own.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
    with psycopg.connect(admin, autocommit=True) as connection:
        connection.execute(f'DROP DATABASE IF EXISTS "{own.database}" WITH (FORCE)')
        if action == "create":
            connection.execute(f'CREATE DATABASE "{own.database}"')


def _database_is_new() -> bool:
    """Whether this run made the suite's database itself (an SQLite file in a new folder, or an xdist worker's own
    PostgreSQL database), rather than being given one that may hold a previous run's rows."""
    return not os.environ.get("DATABASE_URL") or bool(os.environ.get("PYTEST_XDIST_WORKER"))


def pytest_sessionfinish(session: pytest.Session) -> None:
    drop_template()


@pytest.fixture(scope="session")
def smtp_server() -> Iterator[SMTPServer]:
    server = SMTPServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def app(smtp_server: SMTPServer) -> Iterator[Flask]:
    from flask_migrate import upgrade

    from portal import create_app
    from portal.config import normalise_database_url

    _worker_database("create")
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret-key",
            "SQLALCHEMY_DATABASE_URI": normalise_database_url(database_url()),
            "SESSION_DIRECTORY": str(TEST_ROOT / "sessions"),
            "MAIL_BACKEND": "smtp",
            "MAIL_SERVER": "127.0.0.1",
            "MAIL_PORT": smtp_server.port,
            "SERVER_NAME": None,
            "PUBLIC_CACHE_SECONDS": 0,  # tests see each change at once; tests/portal/test_public_cache.py tests the cache
            "RATELIMIT_ENABLED": True,
            # Cheap hashing keeps the suite fast; production uses the library's defaults.
            "ARGON2_PARAMETERS": {"time_cost": 1, "memory_cost": 1024, "parallelism": 1},
        }
    )
    with app.app_context():
        upgrade()
    if _database_is_new():
        # The browser tests' live servers get copies of this state instead of migrating again.
        keep_as_template(app, app.config["SQLALCHEMY_DATABASE_URI"])
    yield app
    with app.app_context():
        from portal.db import db

        db.engine.dispose()
    _worker_database("drop")


class _SharedScopedSession(scoped_session):
    """One session shared by the test and the requests it makes, as one request would have.

    Flask-SQLAlchemy removes the session when each app context ends; the test
    owns this one, so that is a no-op until the test is over.
    """

    def remove(self) -> None:
        pass

    def really_remove(self) -> None:
        super().remove()


@pytest.fixture
def db_session(app: Flask) -> Iterator[Session]:
    """The app's session bound to one connection whose outer transaction is rolled back.

    Application commits only release SAVEPOINTs, so nothing a test writes survives it.
    No app context stays pushed during the test: each request gets its own, as in production.
    """
    from portal.db import db
    from portal.extensions import limiter

    with app.app_context():
        connection = db.engine.connect()
        transaction = connection.begin()
        limiter.reset()
    original = db.session
    factory = sessionmaker(bind=connection, join_transaction_mode="create_savepoint")
    shared = _SharedScopedSession(factory, scopefunc=lambda: "test")
    db.session = shared
    try:
        yield shared  # type: ignore[misc]
    finally:
        shared.really_remove()
        db.session = original
        transaction.rollback()
        connection.close()


class CommittingClient(FlaskClient):
    """Commits what the test set up before each request, as it would be in real life.

    The commit only releases a SAVEPOINT: the test's outer transaction still rolls
    everything back. Without it, a request that fails and rolls back would also
    erase the test's own unsaved data.
    """

    def open(self, *args, **kwargs):  # type: ignore[no-untyped-def]
        from portal.db import db

        db.session.commit()
        return super().open(*args, **kwargs)


@pytest.fixture
def client(app: Flask, db_session: Session) -> FlaskClient:
    app.test_client_class = CommittingClient
    return app.test_client()


@pytest.fixture
def mailbox(smtp_server: SMTPServer) -> Iterator[list]:
    smtp_server.messages.clear()
    yield smtp_server.messages
