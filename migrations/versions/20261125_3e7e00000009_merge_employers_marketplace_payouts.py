"""merge the employers, marketplace and payouts branches into one history

Revision ID: 3e7e00000009
Revises: e6a1c0de0001, c0ffee000005, fa0e70000007
Create Date: 2026-11-25 13:30:00

"""

revision = '3e7e00000009'
down_revision = ('e6a1c0de0001', 'c0ffee000005', 'fa0e70000007')
branch_labels = None
depends_on = None


def upgrade():
    pass


def downgrade():
    pass
