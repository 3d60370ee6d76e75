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
    # Availability exceptions span days (a leave is one exception) and several may fall on one day
    # (hours off in the morning, extra hours in the evening): the one-per-day unique constraint goes.
    with op.batch_alter_table('coach_availability_exceptions', schema=None) as batch_op:
        batch_op.add_column(sa.Column('until_on', sa.Date(), nullable=True))
    op.execute("UPDATE coach_availability_exceptions SET until_on = on_date")
    with op.batch_alter_table('coach_availability_exceptions', schema=None) as batch_op:
        batch_op.alter_column('until_on', existing_type=sa.Date(), nullable=False)
        batch_op.drop_constraint('uq_coach_availability_exceptions_coach_id', type_='unique')
        batch_op.create_check_constraint(op.f('ck_coach_availability_exceptions_days_in_order'), 'until_on >= on_date')
        batch_op.create_check_constraint(
            op.f('ck_coach_availability_exceptions_times_paired'),
            '(start_time IS NULL AND end_time IS NULL) OR '
            '(start_time IS NOT NULL AND end_time IS NOT NULL AND end_time > start_time)')
        batch_op.create_check_constraint(op.f('ck_coach_availability_exceptions_extra_hours_have_times'), 'NOT available OR start_time IS NOT NULL')
        batch_op.create_index('ix_coach_availability_exceptions_coach_days', ['coach_id', 'until_on'], unique=False)

    # Disputes: at the provider first, then at the fund; how each ended.
    op.create_table('session_disputes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('seat_id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('opened_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('escalated_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('escalated_by', sa.Integer(), nullable=True),
    sa.Column('escalation_note', sa.Text(), nullable=True),
    sa.Column('resolved_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('resolved_by', sa.Integer(), nullable=True),
    sa.Column('resolution_note', sa.Text(), nullable=True),
    sa.Column('corrected_attendance', sa.String(length=20), nullable=True),
    sa.Column('corrected_minutes', sa.Integer(), nullable=True),
    sa.CheckConstraint("corrected_attendance IS NULL OR corrected_attendance IN ('attended', 'no_show', 'late_cancel')", name=op.f('ck_session_disputes_corrected_attendance_known')),
    sa.CheckConstraint("status IN ('open', 'escalated') OR resolved_at IS NOT NULL", name=op.f('ck_session_disputes_resolved_when')),
    sa.CheckConstraint("status IN ('open', 'escalated', 'upheld', 'dismissed')", name=op.f('ck_session_disputes_status_known')),
    sa.CheckConstraint("status IN ('open', 'upheld') OR escalated_at IS NOT NULL", name=op.f('ck_session_disputes_fund_after_escalation')),
    sa.ForeignKeyConstraint(['escalated_by'], ['users.id'], name=op.f('fk_session_disputes_escalated_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_session_disputes_provider_id_providers'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['resolved_by'], ['users.id'], name=op.f('fk_session_disputes_resolved_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['seat_id'], ['session_seats.id'], name=op.f('fk_session_disputes_seat_id_session_seats'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_session_disputes')),
    sa.UniqueConstraint('seat_id', name=op.f('uq_session_disputes_seat_id'))
    )
    with op.batch_alter_table('session_disputes', schema=None) as batch_op:
        batch_op.create_index('ix_session_disputes_provider_status', ['provider_id', 'status', 'id'], unique=False)
        batch_op.create_index('ix_session_disputes_status', ['status', 'id'], unique=False)
    # Seats disputed before this table existed are open disputes at their provider.
    op.execute("INSERT INTO session_disputes (seat_id, provider_id, status, opened_at) "
               "SELECT s.id, c.provider_id, 'open', COALESCE(c.logged_at, c.created_at) "
               "FROM session_seats s JOIN coaching_sessions c ON c.id = s.session_id "
               "WHERE s.confirmation = 'disputed'")

    # A dispute upheld after logging reverses the delivered hours and euros: a new ledger kind.
    with op.batch_alter_table('voucher_usage', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_voucher_usage_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_voucher_usage_kind_known'),
                                         "kind IN ('scheduled', 'released', 'delivered', 'corrected')")


def downgrade():
    # The corrections stay in the ledger's sums only as delivered amounts (an append-only ledger keeps them).
    op.execute("UPDATE voucher_usage SET kind = 'delivered' WHERE kind = 'corrected'")
    with op.batch_alter_table('voucher_usage', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_voucher_usage_kind_known'), type_='check')
        batch_op.create_check_constraint(op.f('ck_voucher_usage_kind_known'),
                                         "kind IN ('scheduled', 'released', 'delivered')")
    with op.batch_alter_table('session_disputes', schema=None) as batch_op:
        batch_op.drop_index('ix_session_disputes_status')
        batch_op.drop_index('ix_session_disputes_provider_status')
    op.drop_table('session_disputes')

    with op.batch_alter_table('coach_availability_exceptions', schema=None) as batch_op:
        batch_op.drop_index('ix_coach_availability_exceptions_coach_days')
        batch_op.drop_constraint(op.f('ck_coach_availability_exceptions_extra_hours_have_times'), type_='check')
        batch_op.drop_constraint(op.f('ck_coach_availability_exceptions_times_paired'), type_='check')
        batch_op.drop_constraint(op.f('ck_coach_availability_exceptions_days_in_order'), type_='check')
    # Back to one exception per day: keep the first of each day, and only its first day.
    op.execute("DELETE FROM coach_availability_exceptions WHERE id NOT IN "
               "(SELECT min(id) FROM coach_availability_exceptions GROUP BY coach_id, on_date)")
    with op.batch_alter_table('coach_availability_exceptions', schema=None) as batch_op:
        batch_op.create_unique_constraint('uq_coach_availability_exceptions_coach_id', ['coach_id', 'on_date'])
        batch_op.drop_column('until_on')
