"""bank statements and their lines

Revision ID: b5a7e0000010
Revises: 3e7e00000009
Create Date: 2026-11-25 15:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'b5a7e0000010'
down_revision = '3e7e00000009'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
