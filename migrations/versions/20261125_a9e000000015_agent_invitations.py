"""employers invite agents by e-mail instead of linking an address directly

Revision ID: a9e000000015
Revises: f1e000000014
Create Date: 2026-11-25 16:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'a9e000000015'
down_revision = 'f1e000000014'
branch_labels = None
depends_on = None

OPEN = "accepted_at IS NULL AND cancelled_at IS NULL"


def upgrade():
    op.create_table('employer_agent_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('invited_by_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('cancelled_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint('accepted_at IS NULL OR cancelled_at IS NULL',
                       name=op.f('ck_employer_agent_invitations_accepted_or_cancelled')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'],
                            name=op.f('fk_employer_agent_invitations_employer_id_employers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['invited_by_id'], ['users.id'],
                            name=op.f('fk_employer_agent_invitations_invited_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_agent_invitations'))
    )
    with op.batch_alter_table('employer_agent_invitations', schema=None) as batch_op:
        batch_op.create_index('uq_employer_agent_invitations_open', ['employer_id', 'email'], unique=True,
                              sqlite_where=sa.text(OPEN), postgresql_where=sa.text(OPEN))


def downgrade():
    with op.batch_alter_table('employer_agent_invitations', schema=None) as batch_op:
        batch_op.drop_index('uq_employer_agent_invitations_open', sqlite_where=sa.text(OPEN),
                            postgresql_where=sa.text(OPEN))
    op.drop_table('employer_agent_invitations')
