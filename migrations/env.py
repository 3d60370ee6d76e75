"""Alembic environment, run through Flask-Migrate inside the portal's app context."""

import logging
from logging.config import fileConfig

from alembic import context
from flask import current_app

config = context.config
if config.config_file_name:
    fileConfig(config.config_file_name, disable_existing_loggers=False)
logger = logging.getLogger("alembic.env")

migrate_ext = current_app.extensions["migrate"]
engine = migrate_ext.db.engine
target_metadata = migrate_ext.db.metadata
config.set_main_option("sqlalchemy.url", engine.url.render_as_string(hide_password=False).replace("%", "%%"))


def run_migrations_offline() -> None:
    context.configure(url=config.get_main_option("sqlalchemy.url"), target_metadata=target_metadata,
                      literal_binds=True, **migrate_ext.configure_args)
    with context.begin_transaction():
        context.run_migrations()


def run_migrations_online() -> None:
    conf_args = dict(migrate_ext.configure_args)

    def skip_empty(context_, revision, directives):  # type: ignore[no-untyped-def]
        if getattr(config.cmd_opts, "autogenerate", False) and directives[0].upgrade_ops.is_empty():
            directives[:] = []
            logger.info("No changes in schema detected.")

    conf_args.setdefault("process_revision_directives", skip_empty)
    with engine.connect() as connection:
        # SQLite changes a table by rebuilding it (batch migrations): dropping the old copy of a table that other
        # rows reference (users, voucher_requests) would fail, or cascade, with foreign keys enforced. They are
        # off during the migrations (a pragma only takes effect outside a transaction, hence the driver's own
        # connection), every reference is checked before the commit, and they are on again afterwards.
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            connection.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
        try:
            context.configure(connection=connection, target_metadata=target_metadata, **conf_args)
            with context.begin_transaction():
                context.run_migrations()
                if sqlite:
                    broken = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
                    if broken:
                        raise RuntimeError(f"the migrations leave rows referencing nothing: {broken[:10]}")
        finally:
            if sqlite:
                # Alembic leaves the connection in a transaction of its own (autobegun), where the pragma would
                # be ignored and this pooled connection would go on without foreign keys: end it first.
                if connection.in_transaction():
                    connection.commit()
                connection.connection.driver_connection.execute("PRAGMA foreign_keys=ON")
                if not connection.exec_driver_sql("PRAGMA foreign_keys").scalar():
                    raise RuntimeError("foreign keys could not be switched back on after the migrations")


if context.is_offline_mode():
    run_migrations_offline()
else:
    run_migrations_online()
