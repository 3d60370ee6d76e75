"""easy words: a beneficiary's choice to read the portal (and its e-mails) in plain language

Revision ID: f1ea5e000027
Revises: f2a000000026
Create Date: 2026-12-16 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f1ea5e000027'
down_revision = 'f2a000000026'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('users') as batch:
        batch.add_column(sa.Column('plain_language', sa.Boolean(), server_default=sa.false(), nullable=False))


def downgrade():
    with op.batch_alter_table('users') as batch:
        batch.drop_column('plain_language')
