"""what each contribution payment is: a payment, a refund the fund made, or a reversal by the bank

A reversal (a returned or reversed credit) means the money never stayed: the contribution is owed again. A refund
is money the fund gave back of its own accord. Both are negative, so the amount alone cannot tell them apart.

Revision ID: f1a000000025
Revises: f0b000000021
Create Date: 2026-12-09 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f1a000000025'
down_revision = 'f0b000000021'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contribution_payments') as batch:
        batch.add_column(sa.Column('kind', sa.String(length=10), server_default='payment', nullable=False))
    # Until now a negative bank movement was a reversal unless it was one of the fund's refund transfers.
    op.execute("UPDATE contribution_payments SET kind = 'reversal' "
               "WHERE amount_cents < 0 AND source = 'bank' AND external_id NOT LIKE 'refund-%'")
    op.execute("UPDATE contribution_payments SET kind = 'refund' WHERE amount_cents < 0 AND kind = 'payment'")
    with op.batch_alter_table('contribution_payments') as batch:
        batch.create_check_constraint(batch.f('ck_contribution_payments_kind_known'), "kind IN ('payment', 'refund', 'reversal')")
        batch.create_check_constraint(batch.f('ck_contribution_payments_kind_sign'), "(kind = 'payment') = (amount_cents > 0)")


def downgrade():
    with op.batch_alter_table('contribution_payments') as batch:
        batch.drop_constraint(batch.f('ck_contribution_payments_kind_sign'), type_='check')
        batch.drop_constraint(batch.f('ck_contribution_payments_kind_known'), type_='check')
        batch.drop_column('kind')
