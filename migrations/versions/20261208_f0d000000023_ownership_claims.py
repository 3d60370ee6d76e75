"""employers' ownership claims: a person acts for an enterprise only with the code of a letter sent to its office

employer_ownership_claims holds each request to act for an enterprise, its letter (the code readable only until the
letter is sent, then an argon2 hash only), the wrong tries and the proof. Accounts linked to an employer before
this revision keep their link.

Revision ID: f0d000000023
Revises: f0c000000022
Create Date: 2026-12-08 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f0d000000023'
down_revision = 'f0c000000022'
branch_labels = None
depends_on = None

PENDING_SQL = "status IN ('awaiting_email', 'letter_due', 'letter_sent', 'locked')"


def upgrade():
    op.create_table('employer_ownership_claims',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('details', sa.Text(), nullable=False),
    sa.Column('code', sa.String(length=10), nullable=True),
    sa.Column('code_hash', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('letter_due_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('letter_sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('letter_sent_by_id', sa.Integer(), nullable=True),
    sa.Column('expires_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('failed_attempts', sa.Integer(), nullable=False),
    sa.Column('proven_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('closed_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('awaiting_email', 'letter_due', 'letter_sent', 'proven', 'locked', 'replaced', "
                       "'withdrawn')", name=op.f('ck_employer_ownership_claims_status_known')),
    sa.CheckConstraint("code IS NULL OR status IN ('awaiting_email', 'letter_due')",
                       name=op.f('ck_employer_ownership_claims_code_only_until_sent')),
    sa.CheckConstraint('failed_attempts >= 0', name=op.f('ck_employer_ownership_claims_attempts_positive')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'],
                            name=op.f('fk_employer_ownership_claims_employer_id_employers'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_employer_ownership_claims_user_id_users'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['letter_sent_by_id'], ['users.id'],
                            name=op.f('fk_employer_ownership_claims_letter_sent_by_id_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_employer_ownership_claims'))
    )
    with op.batch_alter_table('employer_ownership_claims', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_employer_ownership_claims_user_id'), ['user_id'], unique=False)
        batch_op.create_index('ix_employer_ownership_claims_status', ['status', 'id'], unique=False)
        batch_op.create_index('uq_employer_ownership_claims_pending', ['employer_id', 'user_id'], unique=True,
                              sqlite_where=sa.text(PENDING_SQL), postgresql_where=sa.text(PENDING_SQL))


def downgrade():
    with op.batch_alter_table('employer_ownership_claims', schema=None) as batch_op:
        batch_op.drop_index('uq_employer_ownership_claims_pending')
        batch_op.drop_index('ix_employer_ownership_claims_status')
        batch_op.drop_index(batch_op.f('ix_employer_ownership_claims_user_id'))
    op.drop_table('employer_ownership_claims')
