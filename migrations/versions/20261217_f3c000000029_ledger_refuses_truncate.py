"""a ledger nobody can empty: PostgreSQL refuses TRUNCATE of the ledger and usage entries

TRUNCATE fires no row trigger, so the BEFORE UPDATE OR DELETE triggers of f0b000000021 let it through. A
BEFORE TRUNCATE ... FOR EACH STATEMENT trigger on each table now refuses it, with the same function and message.
SQLite has no TRUNCATE (its ``DELETE FROM`` without a WHERE is a DELETE, which the row triggers already refuse):
nothing to do there.

Revision ID: f3c000000029
Revises: f3b000000028
Create Date: 2026-12-17 09:30:00

"""
from alembic import op

revision = 'f3c000000029'
down_revision = 'f3b000000028'
branch_labels = None
depends_on = None

TABLES = ('ledger_entries', 'voucher_usage')


def upgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    # refuse_rewriting_append_only() (f0b000000021) names TG_OP: "TRUNCATE refused".
    for table in TABLES:
        op.execute(f"CREATE TRIGGER {table}_no_truncate BEFORE TRUNCATE ON {table} "
                   "FOR EACH STATEMENT EXECUTE FUNCTION refuse_rewriting_append_only()")


def downgrade():
    if op.get_bind().dialect.name != 'postgresql':
        return
    for table in TABLES:
        op.execute(f"DROP TRIGGER IF EXISTS {table}_no_truncate ON {table}")
