"""employer reminders and overdue flags

Revision ID: e6b0000000011
Revises: b5a7e0000010
Create Date: 2026-11-25 15:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'e6b0000000011'
down_revision = 'b5a7e0000010'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
