"""return-to-work coordinators of the mutual insurers: a role bound to one insurer, requests filed for members

users get the role 'coordinator' (the role check is recreated) and an insurer_code that only coordinators have.
member_invitations holds a member a coordinator filed for, until they accept the e-mailed link; a request then
points at the invitation instead of a beneficiary (beneficiary_id becomes nullable), and records its
coordinator and the day the member consented.

Revision ID: e1b000000019
Revises: d1a000000018
Create Date: 2026-12-07 13:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'e1b000000019'
down_revision = 'd1a000000018'
branch_labels = None
depends_on = None

OLD_ROLES = "role IN ('beneficiary', 'employer', 'provider_admin', 'coach', 'fund_admin')"
NEW_ROLES = "role IN ('beneficiary', 'employer', 'provider_admin', 'coach', 'fund_admin', 'coordinator')"
OPEN_REQUEST_SQL = "status IN ('draft', 'submitted', 'info_requested', 'waitlisted')"


def upgrade():
    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('insurer_code', sa.Integer(), nullable=True))
        batch_op.drop_constraint(batch_op.f('ck_users_role_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role_known'), NEW_ROLES)
        batch_op.create_check_constraint(batch_op.f('ck_users_insurer_code_of_coordinators'),
                                         "insurer_code IS NULL OR role = 'coordinator'")

    op.create_table('member_invitations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('coordinator_id', sa.Integer(), nullable=False),
    sa.Column('niss', sa.String(length=11), nullable=True),
    sa.Column('first_name', sa.String(length=100), nullable=False),
    sa.Column('last_name', sa.String(length=100), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('accepted_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('beneficiary_id', sa.Integer(), nullable=True),
    sa.CheckConstraint("language IN ('fr', 'nl', 'de', 'en')", name=op.f('ck_member_invitations_language_known')),
    sa.ForeignKeyConstraint(['beneficiary_id'], ['beneficiaries.id'],
                            name=op.f('fk_member_invitations_beneficiary_id_beneficiaries'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['coordinator_id'], ['users.id'], name=op.f('fk_member_invitations_coordinator_id_users'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_member_invitations'))
    )
    with op.batch_alter_table('member_invitations', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_member_invitations_coordinator_id'), ['coordinator_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_member_invitations_niss'), ['niss'], unique=False)

    # SQLite rebuilds voucher_requests: its partial unique index is made again by hand, so its WHERE stays.
    with op.batch_alter_table('voucher_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_voucher_requests_open_per_beneficiary')
    with op.batch_alter_table('voucher_requests', schema=None) as batch_op:
        batch_op.alter_column('beneficiary_id', existing_type=sa.Integer(), nullable=True)
        batch_op.add_column(sa.Column('coordinator_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('consent_on', sa.Date(), nullable=True))
        batch_op.add_column(sa.Column('invitation_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_voucher_requests_coordinator_id_users'), 'users',
                                    ['coordinator_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_foreign_key(batch_op.f('fk_voucher_requests_invitation_id_member_invitations'),
                                    'member_invitations', ['invitation_id'], ['id'], ondelete='RESTRICT')
        batch_op.create_unique_constraint(batch_op.f('uq_voucher_requests_invitation_id'), ['invitation_id'])
        batch_op.create_check_constraint(batch_op.f('ck_voucher_requests_has_a_member'),
                                         "beneficiary_id IS NOT NULL OR invitation_id IS NOT NULL")
        batch_op.create_check_constraint(batch_op.f('ck_voucher_requests_consent_recorded'),
                                         "coordinator_id IS NULL OR consent_on IS NOT NULL")
        batch_op.create_index('ix_voucher_requests_caseload', ['coordinator_id', 'id'], unique=False)
    with op.batch_alter_table('voucher_requests', schema=None) as batch_op:
        batch_op.create_index('uq_voucher_requests_open_per_beneficiary', ['beneficiary_id'], unique=True,
                              sqlite_where=sa.text(OPEN_REQUEST_SQL), postgresql_where=sa.text(OPEN_REQUEST_SQL))


def downgrade():
    bind = op.get_bind()
    waiting = bind.execute(sa.text("SELECT count(*) FROM voucher_requests WHERE beneficiary_id IS NULL")).scalar()
    coordinators = bind.execute(sa.text("SELECT count(*) FROM users WHERE role = 'coordinator'")).scalar()
    if waiting or coordinators:
        raise RuntimeError("coordinators or requests waiting for their member exist: this downgrade would lose them")
    with op.batch_alter_table('voucher_requests', schema=None) as batch_op:
        batch_op.drop_index('uq_voucher_requests_open_per_beneficiary')
    with op.batch_alter_table('voucher_requests', schema=None) as batch_op:
        batch_op.drop_index('ix_voucher_requests_caseload')
        batch_op.drop_constraint(batch_op.f('ck_voucher_requests_consent_recorded'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_voucher_requests_has_a_member'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_voucher_requests_invitation_id'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_voucher_requests_invitation_id_member_invitations'),
                                 type_='foreignkey')
        batch_op.drop_constraint(batch_op.f('fk_voucher_requests_coordinator_id_users'), type_='foreignkey')
        batch_op.drop_column('invitation_id')
        batch_op.drop_column('consent_on')
        batch_op.drop_column('coordinator_id')
        batch_op.alter_column('beneficiary_id', existing_type=sa.Integer(), nullable=False)
    with op.batch_alter_table('voucher_requests', schema=None) as batch_op:
        batch_op.create_index('uq_voucher_requests_open_per_beneficiary', ['beneficiary_id'], unique=True,
                              sqlite_where=sa.text(OPEN_REQUEST_SQL), postgresql_where=sa.text(OPEN_REQUEST_SQL))

    with op.batch_alter_table('member_invitations', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_member_invitations_niss'))
        batch_op.drop_index(batch_op.f('ix_member_invitations_coordinator_id'))
    op.drop_table('member_invitations')

    with op.batch_alter_table('users', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_users_insurer_code_of_coordinators'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_users_role_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_users_role_known'), OLD_ROLES)
        batch_op.drop_column('insurer_code')
