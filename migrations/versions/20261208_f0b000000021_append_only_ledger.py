"""a ledger nobody can rewrite: the database refuses UPDATE and DELETE on ledger and usage entries

ledger_entries and voucher_usage are append-only: a BEFORE UPDATE OR DELETE trigger on each refuses the
statement, on PostgreSQL (one plpgsql function shared by both tables) and on SQLite (RAISE(ABORT)). A
correction is a new ledger entry: corrects_entry_id names the entry it corrects (same account, kind and
record; its amount is the difference).

Revision ID: f0b000000021
Revises: f0e000000024
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f0b000000021'
down_revision = 'f0e000000024'
branch_labels = None
depends_on = None

TABLES = ('ledger_entries', 'voucher_usage')

PG_FUNCTION = """
CREATE OR REPLACE FUNCTION refuse_rewriting_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are never changed or deleted (% refused): a correction is a new entry',
        TG_TABLE_NAME, TG_OP
        USING HINT = 'Append a correcting entry instead (the fund''s ledger entry page, or its API).';
END;
$$
"""


def _sqlite_triggers(table):
    for operation in ('UPDATE', 'DELETE'):
        yield (f"CREATE TRIGGER {table}_no_{operation.lower()} BEFORE {operation} ON {table} BEGIN "
               f"SELECT RAISE(ABORT, 'rows of {table} are never changed or deleted ({operation} refused): "
               f"a correction is a new entry'); END")


def upgrade():
    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('corrects_entry_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_ledger_entries_corrects_entry_id_ledger_entries'),
                                    'ledger_entries', ['corrects_entry_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_index('ix_ledger_entries_corrects', ['corrects_entry_id'], unique=False)

    # After the table is rebuilt (SQLite's batch mode drops a table's triggers with it).
    if op.get_bind().dialect.name == 'postgresql':
        op.execute(PG_FUNCTION)
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_append_only BEFORE UPDATE OR DELETE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_rewriting_append_only()")
    else:
        for table in TABLES:
            for statement in _sqlite_triggers(table):
                op.execute(statement)


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_append_only ON {table}")
        op.execute("DROP FUNCTION IF EXISTS refuse_rewriting_append_only()")
    else:
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_delete")

    with op.batch_alter_table('ledger_entries', schema=None) as batch_op:
        batch_op.drop_index('ix_ledger_entries_corrects')
        batch_op.drop_constraint(batch_op.f('fk_ledger_entries_corrects_entry_id_ledger_entries'), type_='foreignkey')
        batch_op.drop_column('corrects_entry_id')
