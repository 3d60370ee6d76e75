"""an index for the provider's vouchers list (vouchers waiting for a change of provider)

The reconciliation and reports needed no index of their own (see bench/reconciliation_bench.py).

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
    op.create_index("ix_vouchers_pending_provider_id", "vouchers", ["pending_provider_id"], unique=False)


def downgrade():
    op.drop_index("ix_vouchers_pending_provider_id", table_name="vouchers")
