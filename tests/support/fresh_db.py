"""Fresh, migrated databases for the test apps, migrated once per process and copied after that.

Every app a test process builds (the suite's own, the live servers of the browser tests) needs a database of its
own at the migrations' head. Running the 30-odd migrations again for each costs seconds; a copy of one freshly
migrated database is the same state for a fraction of that: PostgreSQL copies a database with
``CREATE DATABASE x TEMPLATE y``, an SQLite file is copied with the backup API (safe while in WAL mode).

The first database of a process that is brand new when migrated becomes the template: a copy of it is kept, which no
app ever connects to (PostgreSQL refuses to copy a database others are connected to). A database that existed before
the run (DATABASE_URL without pytest-xdist: a helper's own database, maybe with a previous run's rows) is never made
the template, so a copy is always exactly what the migrations alone make.
"""

from __future__ import annotations

import os
import secrets
import shutil
import sqlite3
import tempfile
from pathlib import Path
from typing import Any

from sqlalchemy.engine import make_url


class _Template:
    """This process's migrated template: an SQLite file, or a PostgreSQL database name (on the server of the
    DATABASE_URL). None until the first fresh database has been migrated."""

    sqlite_path: Path | None = None
    postgres_name: str | None = None
    postgres_admin_url: str | None = None


_TEMPLATE = _Template()


def _admin_execute(admin_url: str, statement: str) -> None:
    import psycopg

    with psycopg.connect(admin_url, autocommit=True) as connection:
        connection.execute(statement)


def _sqlite_copy(source: Path, target: Path) -> None:
    with sqlite3.connect(source) as src, sqlite3.connect(target) as dst:
        src.backup(dst)
    src.close()
    dst.close()


class FreshDatabase:
    """A new, empty or template-copied database for one app: an SQLite file in ``root``, or a new database on the
    server of DATABASE_URL (dropped by :meth:`drop`).

    ``create()`` before the app is built, ``migrate(app)`` once it is: the migrations run only when the process has
    no template yet (and this database's migrated state then becomes it); otherwise the copy is already there."""

    def __init__(self, root: Path, name: str = "e2e") -> None:
        from portal.config import normalise_database_url

        self.postgres: str | None = None
        self.sqlite_path: Path | None = None
        if os.environ.get("DATABASE_URL"):
            base = make_url(normalise_database_url(os.environ["DATABASE_URL"]))
            self.postgres = f"{base.database or 'postgres'}_{name}_{secrets.token_hex(4)}"
            # psycopg takes a plain libpq URL; the admin connection goes to the server's `postgres` db.
            self._admin_url = base.set(drivername="postgresql", database="postgres").render_as_string(
                hide_password=False)
            self.url = base.set(drivername="postgresql+psycopg", database=self.postgres).render_as_string(
                hide_password=False)
        else:
            self.sqlite_path = root / f"{name}.sqlite3"
            self.url = f"sqlite:///{self.sqlite_path}"
        self.copied = False

    def create(self) -> None:
        """Create the database: a copy of the template when there is one, else empty."""
        if self.postgres is not None:
            template = f' TEMPLATE "{_TEMPLATE.postgres_name}"' if _TEMPLATE.postgres_name else ""
            _admin_execute(self._admin_url, f'CREATE DATABASE "{self.postgres}"{template}')
            self.copied = bool(template)
        elif _TEMPLATE.sqlite_path is not None:
            assert self.sqlite_path is not None
            _sqlite_copy(_TEMPLATE.sqlite_path, self.sqlite_path)
            self.copied = True

    def migrate(self, app: Any) -> None:
        """Bring the database to the migrations' head: nothing to do for a copy of the template; otherwise run the
        migrations, and keep this brand-new database's state as the template for the next ones."""
        if self.copied:
            return
        from flask_migrate import upgrade

        with app.app_context():
            upgrade()
        keep_as_template(app, self.url)

    def drop(self) -> None:
        if self.postgres is not None:
            _admin_execute(self._admin_url, f'DROP DATABASE IF EXISTS "{self.postgres}" WITH (FORCE)')


def keep_as_template(app: Any, url: str) -> None:
    """Keep a copy of the database at ``url`` (brand new, just migrated by ``app``) as this process's template,
    unless there already is one. The app's pooled connections are closed first: PostgreSQL copies only a database
    nobody is connected to; the app opens new ones when it next needs them."""
    if _TEMPLATE.sqlite_path is not None or _TEMPLATE.postgres_name is not None:
        return
    from portal.db import db

    with app.app_context():
        db.engine.dispose()
    source = make_url(url)
    if source.get_backend_name() == "sqlite":
        assert source.database
        # A folder of its own: the source's may be deleted with its server before the process ends.
        template = Path(tempfile.mkdtemp(prefix="tnw-template-")) / "template.sqlite3"
        _sqlite_copy(Path(source.database), template)
        _TEMPLATE.sqlite_path = template
    else:
        name = f"{source.database}_tpl_{secrets.token_hex(4)}"
        admin = source.set(drivername="postgresql", database="postgres").render_as_string(hide_password=False)
        _admin_execute(admin, f'CREATE DATABASE "{name}" TEMPLATE "{source.database}"')
        _TEMPLATE.postgres_name, _TEMPLATE.postgres_admin_url = name, admin


def drop_template() -> None:
    """At the end of the process: drop the template."""
    if _TEMPLATE.sqlite_path is not None:
        shutil.rmtree(_TEMPLATE.sqlite_path.parent, ignore_errors=True)
        _TEMPLATE.sqlite_path = None
    if _TEMPLATE.postgres_name is not None and _TEMPLATE.postgres_admin_url is not None:
        _admin_execute(_TEMPLATE.postgres_admin_url, f'DROP DATABASE IF EXISTS "{_TEMPLATE.postgres_name}" WITH (FORCE)')
        _TEMPLATE.postgres_name = None
