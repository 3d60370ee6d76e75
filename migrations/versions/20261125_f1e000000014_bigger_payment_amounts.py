"""bigger payment amounts; bank lines held for a person

contribution_payments.amount_cents becomes 64-bit like bank_lines.amount_cents and the ledger, so a
large bank credit matched by hand is recorded instead of overflowing. Bank lines get hold_reason and
possible_duplicate_of: a credit that looks like money already imported with another statement, or far
larger than its contribution, waits for a person instead of being booked automatically.

Revision ID: f1e000000014
Revises: d9e000000013
Create Date: 2026-11-25 15:30:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f1e000000014'
down_revision = 'd9e000000013'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contribution_payments', schema=None) as batch_op:
        batch_op.alter_column('amount_cents', existing_type=sa.Integer(), type_=sa.BigInteger(),
                              existing_nullable=False)

    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('hold_reason', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('possible_duplicate_of', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bank_lines_possible_duplicate_of_bank_lines'), 'bank_lines',
                                    ['possible_duplicate_of'], ['id'])
        batch_op.create_check_constraint(
            batch_op.f('ck_bank_lines_hold_known'),
            "hold_reason IS NULL OR hold_reason IN ('possible_duplicate', 'amount_too_large')")
        batch_op.create_check_constraint(
            batch_op.f('ck_bank_lines_duplicate_has_original'),
            "(COALESCE(hold_reason, '') = 'possible_duplicate') = (possible_duplicate_of IS NOT NULL)")


def downgrade():
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_duplicate_has_original'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_hold_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_bank_lines_possible_duplicate_of_bank_lines'), type_='foreignkey')
        batch_op.drop_column('possible_duplicate_of')
        batch_op.drop_column('hold_reason')

    # On PostgreSQL an amount beyond 32 bits makes this fail rather than be truncated.
    with op.batch_alter_table('contribution_payments', schema=None) as batch_op:
        batch_op.alter_column('amount_cents', existing_type=sa.BigInteger(), type_=sa.Integer(),
                              existing_nullable=False)
