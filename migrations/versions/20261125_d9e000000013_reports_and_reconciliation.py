"""reconciliation and reports indexes

Revision ID: d9e000000013
Revises: c0ac00000012
Create Date: 2026-11-25 15:00:00

"""
import sqlalchemy as sa  # noqa: F401
from alembic import op  # noqa: F401

revision = 'd9e000000013'
down_revision = 'c0ac00000012'
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
