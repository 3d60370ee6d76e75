"""payout batches: approved claims bundled into one SEPA pain.001 file, marked paid once

Revision ID: fa0e70000007
Revises: 5c4ed0e10001
Create Date: 2026-11-25 14:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = 'fa0e70000007'
down_revision = '5c4ed0e10001'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('payout_batches',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('created_by', sa.Integer(), nullable=True),
    sa.Column('total_cents', sa.BigInteger(), nullable=False),
    sa.Column('claim_count', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('execution_on', sa.Date(), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('paid_by', sa.Integer(), nullable=True),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('xml', sa.Text(), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("(status = 'paid') = (paid_on IS NOT NULL)", name=op.f('ck_payout_batches_paid_on_when_paid')),
    sa.CheckConstraint("status IN ('created', 'paid')", name=op.f('ck_payout_batches_status_known')),
    sa.CheckConstraint('claim_count >= 1', name=op.f('ck_payout_batches_not_empty')),
    sa.CheckConstraint('total_cents >= 0', name=op.f('ck_payout_batches_total_positive')),
    sa.ForeignKeyConstraint(['created_by'], ['users.id'], name=op.f('fk_payout_batches_created_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['paid_by'], ['users.id'], name=op.f('fk_payout_batches_paid_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_batches')),
    sa.UniqueConstraint('message_id', name=op.f('uq_payout_batches_message_id'))
    )
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.create_index('ix_payout_batches_status', ['status', 'id'], unique=False)



def downgrade():
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_index('ix_payout_batches_status')

    op.drop_table('payout_batches')
