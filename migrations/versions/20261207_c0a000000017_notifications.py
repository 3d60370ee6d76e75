"""notifications in the portal, opt-outs per kind, HTML e-mails; employers invite colleagues like agents

Revision ID: c0a000000017
Revises: b4a000000016
Create Date: 2026-12-07 06:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'c0a000000017'
down_revision = 'b4a000000016'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('notifications',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.Column('params', sa.Text(), nullable=False),
    sa.Column('link_endpoint', sa.String(length=80), nullable=False),
    sa.Column('link_values', sa.Text(), nullable=False),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('read_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('dedupe_key', sa.String(length=200), nullable=True),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notifications_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_notifications')),
    sa.UniqueConstraint('dedupe_key', name=op.f('uq_notifications_dedupe_key'))
    )
    op.create_index('ix_notifications_user_unread', 'notifications', ['user_id', 'read_at', 'id'], unique=False)
    op.create_table('notification_opt_outs',
    sa.Column('user_id', sa.Integer(), nullable=False),
    sa.Column('kind', sa.String(length=40), nullable=False),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_notification_opt_outs_user_id_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', 'kind', name=op.f('pk_notification_opt_outs'))
    )
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('html_body', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('notification_id', sa.Integer(), nullable=True))
    with op.batch_alter_table('employer_agent_invitations', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), nullable=False, server_default='agent'))
        batch_op.create_check_constraint(batch_op.f('ck_employer_agent_invitations_kind_known'),
                                        "kind IN ('agent', 'colleague')")


def downgrade():
    with op.batch_alter_table('employer_agent_invitations', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_employer_agent_invitations_kind_known'), type_='check')
        batch_op.drop_column('kind')
    with op.batch_alter_table('outbox_messages', schema=None) as batch_op:
        batch_op.drop_column('notification_id')
        batch_op.drop_column('html_body')
    op.drop_table('notification_opt_outs')
    op.drop_index('ix_notifications_user_unread', table_name='notifications')
    op.drop_table('notifications')
