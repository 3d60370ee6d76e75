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


def downgrade():
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
