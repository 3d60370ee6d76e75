"""scheduler job runs, and dedupe keys for scheduled notices

Revision ID: 5c4ed0e10001
Revises: a1b7fd8c9eba
Create Date: 2026-11-25 13:00:00

"""
from alembic import op
import sqlalchemy as sa


revision = '5c4ed0e10001'
down_revision = 'a1b7fd8c9eba'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('job_runs',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('job_name', sa.String(length=100), nullable=False),
    sa.Column('period_key', sa.String(length=40), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('started_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('result', sa.Text(), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_job_runs'))
    )
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.create_index('ix_job_runs_recent', ['job_name', 'id'], unique=False)
        batch_op.create_index('uq_job_runs_done_once', ['job_name', 'period_key'], unique=True,
                              sqlite_where=sa.text("status = 'done'"), postgresql_where=sa.text("status = 'done'"))
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('dedupe_key', sa.String(length=200), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_outbox_messages_dedupe_key'), ['dedupe_key'])


def downgrade():
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_outbox_messages_dedupe_key'), type_='unique')
        batch_op.drop_column('dedupe_key')
    with op.batch_alter_table('job_runs', schema=None) as batch_op:
        batch_op.drop_index('uq_job_runs_done_once', sqlite_where=sa.text("status = 'done'"),
                            postgresql_where=sa.text("status = 'done'"))
        batch_op.drop_index('ix_job_runs_recent')
    op.drop_table('job_runs')
