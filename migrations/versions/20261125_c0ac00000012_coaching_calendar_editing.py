"""coaching: calendar editing, offer deactivation, disputes

Revision ID: c0ac00000012
Revises: e6b0000000011
Create Date: 2026-11-25 15:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'c0ac00000012'
down_revision = 'e6b0000000011'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
