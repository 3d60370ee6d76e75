"""one waiting request per invited member: the NISS a coordinator typed stays on the request until the member accepts

Two coordinators filing for the same member at the same moment could both pass the check for an open request; the
partial unique index makes the second one fail in the database, whatever the race.

Revision ID: f2a000000026
Revises: f1a000000025
Create Date: 2026-12-15 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f2a000000026'
down_revision = 'f1a000000025'
branch_labels = None
depends_on = None

OPEN = "status IN ('draft', 'submitted', 'info_requested', 'waitlisted')"


def upgrade():
    with op.batch_alter_table('voucher_requests') as batch:
        batch.add_column(sa.Column('member_niss', sa.String(length=11), nullable=True))
    # Requests still waiting for their member take the invitation's NISS; should a race already have left two open
    # requests for one NISS, only the oldest takes it (the fund sees both in its queue and decides).
    op.execute(f"""
        UPDATE voucher_requests SET member_niss = (
            SELECT niss FROM member_invitations WHERE member_invitations.id = voucher_requests.invitation_id)
        WHERE beneficiary_id IS NULL AND invitation_id IS NOT NULL AND {OPEN}
          AND id = (SELECT min(other.id) FROM voucher_requests AS other
                    JOIN member_invitations AS mine ON mine.id = voucher_requests.invitation_id
                    JOIN member_invitations AS theirs ON theirs.id = other.invitation_id
                    WHERE theirs.niss = mine.niss AND other.beneficiary_id IS NULL
                      AND other.status IN ('draft', 'submitted', 'info_requested', 'waitlisted'))
    """)
    op.create_index('uq_voucher_requests_open_per_invited_niss', 'voucher_requests', ['member_niss'], unique=True,
                    sqlite_where=sa.text(f"beneficiary_id IS NULL AND {OPEN}"),
                    postgresql_where=sa.text(f"beneficiary_id IS NULL AND {OPEN}"))


def downgrade():
    op.drop_index('uq_voucher_requests_open_per_invited_niss', table_name='voucher_requests')
    with op.batch_alter_table('voucher_requests') as batch:
        batch.drop_column('member_niss')
