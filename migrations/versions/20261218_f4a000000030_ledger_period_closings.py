"""closed months of the ledger: each past month's totals by account and kind, reopened by a late entry

ledger_period_closings holds one row per closed month (its first day, when it was closed, how many entries it
had); ledger_period_closing_totals the month's count and sum in cents per account and kind. The reconciliation
reads them for the whole months before a period ends and sums only the entries of the rest
(vouchers/ledger/services/closings.py).

A month is that of an entry's booked_on. An entry written into a closed month (a bank line matched late is booked
on the line's own day) reopens it: an AFTER INSERT trigger on ledger_entries deletes the month's closing in the
same transaction (its totals go with it, ON DELETE CASCADE), and the month is closed again later. PostgreSQL: one
statement trigger over the inserted rows (a COPY or a batch of thousands deletes once per month); SQLite: a row
trigger. A closing is never changed in place: a BEFORE UPDATE trigger on both tables refuses it (a recompute
deletes and closes again). Also an index on ledger_entries.booked_on: closing a month and summing the open one
read a month of entries of every account.

Revision ID: f4a000000030
Revises: f3c000000029
Create Date: 2026-12-18 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f4a000000030'
down_revision = 'f3c000000029'
branch_labels = None
depends_on = None

TABLES = ('ledger_period_closings', 'ledger_period_closing_totals')

PG_FUNCTIONS = ("""
CREATE OR REPLACE FUNCTION reopen_closed_ledger_months() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    -- The totals first, by name: the ON DELETE CASCADE would take them too, but only where foreign keys are on.
    DELETE FROM ledger_period_closing_totals
     WHERE month_on IN (SELECT DISTINCT date_trunc('month', booked_on::timestamp)::date FROM new_entries);
    DELETE FROM ledger_period_closings
     WHERE month_on IN (SELECT DISTINCT date_trunc('month', booked_on::timestamp)::date FROM new_entries);
    RETURN NULL;
END;
$$
""", """
CREATE OR REPLACE FUNCTION refuse_changing_ledger_closings() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'rows of % are never changed (UPDATE refused): delete the closing and close the month again',
        TG_TABLE_NAME;
END;
$$
""")


def upgrade():
    postgresql = op.get_bind().dialect.name == 'postgresql'
    # month_on is the first day of its month, as each dialect says it.
    first_day = "extract(day from month_on) = 1" if postgresql else "strftime('%d', month_on) = '01'"
    op.create_table(
        'ledger_period_closings',
        sa.Column('month_on', sa.Date(), nullable=False),
        sa.Column('closed_at', sa.DateTime(timezone=True), nullable=False),
        sa.Column('entry_count', sa.BigInteger(), nullable=False),
        sa.CheckConstraint('entry_count >= 0', name=op.f('ck_ledger_period_closings_entry_count_not_negative')),
        sa.CheckConstraint(first_day, name=op.f('ck_ledger_period_closings_month_on_first_day')),
        sa.PrimaryKeyConstraint('month_on', name=op.f('pk_ledger_period_closings')),
    )
    op.create_table(
        'ledger_period_closing_totals',
        sa.Column('month_on', sa.Date(), nullable=False),
        sa.Column('account', sa.String(length=20), nullable=False),
        sa.Column('kind', sa.String(length=40), nullable=False),
        sa.Column('entry_count', sa.BigInteger(), nullable=False),
        sa.Column('amount_cents', sa.BigInteger(), nullable=False),
        sa.CheckConstraint("account IN ('cash', 'committed', 'payable')",
                           name=op.f('ck_ledger_period_closing_totals_account_known')),
        sa.CheckConstraint('entry_count > 0', name=op.f('ck_ledger_period_closing_totals_entry_count_positive')),
        sa.ForeignKeyConstraint(['month_on'], ['ledger_period_closings.month_on'],
                                name=op.f('fk_ledger_period_closing_totals_month_on_ledger_period_closings'),
                                ondelete='CASCADE'),
        sa.PrimaryKeyConstraint('month_on', 'account', 'kind', name=op.f('pk_ledger_period_closing_totals')),
    )
    # A plain CREATE INDEX, no batch: rebuilding ledger_entries on SQLite would drop its append-only triggers.
    op.create_index('ix_ledger_entries_booked_on', 'ledger_entries', ['booked_on'], unique=False)

    if postgresql:
        for function in PG_FUNCTIONS:
            op.execute(function)
        op.execute("CREATE TRIGGER ledger_entries_reopen_closed_months AFTER INSERT ON ledger_entries "
                   "REFERENCING NEW TABLE AS new_entries FOR EACH STATEMENT "
                   "EXECUTE FUNCTION reopen_closed_ledger_months()")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} "
                       "FOR EACH ROW EXECUTE FUNCTION refuse_changing_ledger_closings()")
    else:
        # The totals by name too: SQLite applies ON DELETE CASCADE only on a connection with foreign keys on.
        op.execute("CREATE TRIGGER ledger_entries_reopen_closed_months AFTER INSERT ON ledger_entries BEGIN "
                   "DELETE FROM ledger_period_closing_totals WHERE month_on = date(NEW.booked_on, 'start of month'); "
                   "DELETE FROM ledger_period_closings WHERE month_on = date(NEW.booked_on, 'start of month'); END")
        for table in TABLES:
            op.execute(f"CREATE TRIGGER {table}_no_update BEFORE UPDATE ON {table} BEGIN "
                       f"SELECT RAISE(ABORT, 'rows of {table} are never changed (UPDATE refused): delete the "
                       "closing and close the month again'); END")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_reopen_closed_months ON ledger_entries")
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update ON {table}")
        op.execute("DROP FUNCTION IF EXISTS reopen_closed_ledger_months()")
        op.execute("DROP FUNCTION IF EXISTS refuse_changing_ledger_closings()")
    else:
        op.execute("DROP TRIGGER IF EXISTS ledger_entries_reopen_closed_months")
        for table in TABLES:
            op.execute(f"DROP TRIGGER IF EXISTS {table}_no_update")
    op.drop_index('ix_ledger_entries_booked_on', table_name='ledger_entries')
    op.drop_table('ledger_period_closing_totals')
    op.drop_table('ledger_period_closings')
