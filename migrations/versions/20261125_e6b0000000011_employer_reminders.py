"""employer reminders and overdue flags

Revision ID: e6b0000000011
Revises: b5a7e0000010
Create Date: 2026-11-25 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e6b0000000011'
down_revision = 'b5a7e0000010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('reminder_sent_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('overdue_flagged_at', sa.DateTime(timezone=True), nullable=True))


def downgrade():
    with op.batch_alter_table('contributions', schema=None) as batch_op:
        batch_op.drop_column('overdue_flagged_at')
        batch_op.drop_column('reminder_sent_at')
