"""payouts followed to the bank: each transfer of a pain.001 file, pain.002 status reports, contribution refunds

payout_transfers holds one row per transfer of our pain.001 files (a claim in a payout batch, or a contribution
refund), with what the bank said of it (paid, rejected, returned), so a claim whose transfer came back can be paid
again in a later batch. payout_status_reports keeps the pain.002 reports uploaded. contribution_refunds holds the
refunds of overpaid contributions (proposed by one administrator, approved by another). A payout batch may now be
'rejected' (the bank refused every transfer). Each claim already in a batch gets its transfer, paid when the claim
is paid.

Revision ID: f0e000000024
Revises: f7a3e0b1c2d4
Create Date: 2026-12-14 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f0e000000024'
down_revision = 'f7a3e0b1c2d4'
branch_labels = None
depends_on = None

LIVE_CLAIM_TRANSFER = "claim_id IS NOT NULL AND status IN ('pending', 'paid')"
OPEN_REFUND = "status IN ('proposed', 'approved')"


def upgrade():
    # payout_batches first: SQLite rebuilds it, which no other table may reference at that moment.
    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payout_batches_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_payout_batches_status_known'),
                                         "status IN ('created', 'paid', 'rejected')")

    op.create_table('contribution_refunds',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('contribution_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('iban', sa.String(length=34), nullable=False),
    sa.Column('account_name', sa.String(length=140), nullable=False),
    sa.Column('reason', sa.Text(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('proposed_by', sa.Integer(), nullable=True),
    sa.Column('proposed_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('message_id', sa.String(length=35), nullable=True),
    sa.Column('xml', sa.Text(), nullable=True),
    sa.Column('execution_on', sa.Date(), nullable=True),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('proposed', 'refused', 'approved', 'paid', 'returned')",
                       name=op.f('ck_contribution_refunds_status_known')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_contribution_refunds_amount_positive')),
    sa.CheckConstraint("status IN ('proposed', 'refused') OR message_id IS NOT NULL",
                       name=op.f('ck_contribution_refunds_approved_has_file')),
    sa.CheckConstraint("status <> 'refused' OR decision_reason IS NOT NULL",
                       name=op.f('ck_contribution_refunds_refused_has_reason')),
    sa.CheckConstraint("status IN ('proposed', 'refused') OR decided_by <> proposed_by",
                       name=op.f('ck_contribution_refunds_four_eyes')),
    sa.ForeignKeyConstraint(['contribution_id'], ['contributions.id'],
                            name=op.f('fk_contribution_refunds_contribution_id_contributions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['proposed_by'], ['users.id'], name=op.f('fk_contribution_refunds_proposed_by_users'),
                            ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_contribution_refunds_decided_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contribution_refunds')),
    sa.UniqueConstraint('message_id', name=op.f('uq_contribution_refunds_message_id'))
    )
    with op.batch_alter_table('contribution_refunds', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_contribution_refunds_contribution_id'), ['contribution_id'], unique=False)
        batch_op.create_index('ix_contribution_refunds_status', ['status', 'id'], unique=False)
    op.create_index('uq_contribution_refunds_open', 'contribution_refunds', ['contribution_id'], unique=True,
                    sqlite_where=sa.text(OPEN_REFUND), postgresql_where=sa.text(OPEN_REFUND))

    op.create_table('payout_status_reports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('message_id', sa.String(length=35), nullable=False),
    sa.Column('original_message_id', sa.String(length=35), nullable=False),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('group_status', sa.String(length=4), nullable=True),
    sa.Column('created_at_bank', sa.DateTime(timezone=True), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('paid_count', sa.Integer(), nullable=False),
    sa.Column('rejected_count', sa.Integer(), nullable=False),
    sa.Column('returned_count', sa.Integer(), nullable=False),
    sa.Column('unchanged_count', sa.Integer(), nullable=False),
    sa.Column('unknown_ids', sa.Text(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'],
                            name=op.f('fk_payout_status_reports_batch_id_payout_batches'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['refund_id'], ['contribution_refunds.id'],
                            name=op.f('fk_payout_status_reports_refund_id_contribution_refunds'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['imported_by'], ['users.id'], name=op.f('fk_payout_status_reports_imported_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_status_reports')),
    sa.UniqueConstraint('file_sha256', name=op.f('uq_payout_status_reports_file_sha256')),
    sa.UniqueConstraint('message_id', name=op.f('uq_payout_status_reports_message_id'))
    )
    with op.batch_alter_table('payout_status_reports', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_payout_status_reports_original_message_id'), ['original_message_id'],
                              unique=False)
        batch_op.create_index(batch_op.f('ix_payout_status_reports_batch_id'), ['batch_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_status_reports_refund_id'), ['refund_id'], unique=False)

    op.create_table('payout_transfers',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('batch_id', sa.Integer(), nullable=True),
    sa.Column('claim_id', sa.Integer(), nullable=True),
    sa.Column('refund_id', sa.Integer(), nullable=True),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=False),
    sa.Column('creditor_name', sa.String(length=140), nullable=False),
    sa.Column('creditor_iban', sa.String(length=34), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('paid_on', sa.Date(), nullable=True),
    sa.Column('paid_line_id', sa.Integer(), nullable=True),
    sa.Column('failed_on', sa.Date(), nullable=True),
    sa.Column('return_line_id', sa.Integer(), nullable=True),
    sa.Column('reason_code', sa.String(length=35), nullable=True),
    sa.Column('reason', sa.String(length=500), nullable=True),
    sa.Column('status_report_id', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('version', sa.Integer(), nullable=False),
    sa.CheckConstraint("status IN ('pending', 'paid', 'rejected', 'returned')",
                       name=op.f('ck_payout_transfers_status_known')),
    sa.CheckConstraint('amount_cents >= 0', name=op.f('ck_payout_transfers_amount_positive')),
    sa.CheckConstraint('(claim_id IS NULL) <> (refund_id IS NULL)', name=op.f('ck_payout_transfers_pays_one_thing')),
    sa.CheckConstraint('(claim_id IS NULL) = (batch_id IS NULL)', name=op.f('ck_payout_transfers_claims_in_batches')),
    sa.CheckConstraint("status <> 'paid' OR paid_on IS NOT NULL", name=op.f('ck_payout_transfers_paid_has_day')),
    sa.CheckConstraint("status NOT IN ('rejected', 'returned') OR failed_on IS NOT NULL",
                       name=op.f('ck_payout_transfers_failed_has_day')),
    sa.ForeignKeyConstraint(['batch_id'], ['payout_batches.id'], name=op.f('fk_payout_transfers_batch_id_payout_batches'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['claim_id'], ['claims.id'], name=op.f('fk_payout_transfers_claim_id_claims'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['refund_id'], ['contribution_refunds.id'],
                            name=op.f('fk_payout_transfers_refund_id_contribution_refunds'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['paid_line_id'], ['bank_lines.id'], name=op.f('fk_payout_transfers_paid_line_id_bank_lines'),
                            ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['return_line_id'], ['bank_lines.id'],
                            name=op.f('fk_payout_transfers_return_line_id_bank_lines'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['status_report_id'], ['payout_status_reports.id'],
                            name=op.f('fk_payout_transfers_status_report_id_payout_status_reports'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_payout_transfers')),
    sa.UniqueConstraint('end_to_end_id', name=op.f('uq_payout_transfers_end_to_end_id')),
    sa.UniqueConstraint('refund_id', name=op.f('uq_payout_transfers_refund_id'))
    )
    with op.batch_alter_table('payout_transfers', schema=None) as batch_op:
        batch_op.create_index('ix_payout_transfers_batch', ['batch_id', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_transfers_paid_line_id'), ['paid_line_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_payout_transfers_return_line_id'), ['return_line_id'], unique=False)
    op.create_index('uq_payout_transfers_live_claim', 'payout_transfers', ['claim_id'], unique=True,
                    sqlite_where=sa.text(LIVE_CLAIM_TRANSFER), postgresql_where=sa.text(LIVE_CLAIM_TRANSFER))

    # Every claim already in a batch was one transfer of its file (end-to-end id TNW-CLAIM-<id>), paid with it.
    op.execute(
        "INSERT INTO payout_transfers (batch_id, claim_id, end_to_end_id, creditor_name, creditor_iban, amount_cents, "
        "status, paid_on, created_at, updated_at, version) "
        "SELECT c.payout_batch_id, c.id, 'TNW-CLAIM-' || CAST(c.id AS VARCHAR), substr(p.name, 1, 140), "
        "replace(COALESCE(p.iban, ''), ' ', ''), c.amount_cents, "
        "CASE WHEN c.status = 'paid' THEN 'paid' ELSE 'pending' END, "
        "CASE WHEN c.status = 'paid' THEN COALESCE(c.paid_on, b.paid_on, b.execution_on) END, "
        "b.created_at, b.created_at, 1 "
        "FROM claims c JOIN payout_batches b ON b.id = c.payout_batch_id JOIN providers p ON p.id = c.provider_id")


def downgrade():
    # What the bank refused or gave back, and refunds made, would be lost: refuse rather than forget money moved.
    bind = op.get_bind()
    failed = bind.execute(sa.text("SELECT count(*) FROM payout_transfers WHERE status IN ('rejected', 'returned') "
                                  "OR refund_id IS NOT NULL")).scalar()
    rejected = bind.execute(sa.text("SELECT count(*) FROM payout_batches WHERE status = 'rejected'")).scalar()
    if failed or rejected:
        raise RuntimeError("transfers were refused or returned, or refunds paid: this downgrade would lose them")
    op.drop_index('uq_payout_transfers_live_claim', table_name='payout_transfers')
    with op.batch_alter_table('payout_transfers', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_transfers_return_line_id'))
        batch_op.drop_index(batch_op.f('ix_payout_transfers_paid_line_id'))
        batch_op.drop_index('ix_payout_transfers_batch')
    op.drop_table('payout_transfers')

    with op.batch_alter_table('payout_status_reports', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_payout_status_reports_refund_id'))
        batch_op.drop_index(batch_op.f('ix_payout_status_reports_batch_id'))
        batch_op.drop_index(batch_op.f('ix_payout_status_reports_original_message_id'))
    op.drop_table('payout_status_reports')

    op.drop_index('uq_contribution_refunds_open', table_name='contribution_refunds')
    with op.batch_alter_table('contribution_refunds', schema=None) as batch_op:
        batch_op.drop_index('ix_contribution_refunds_status')
        batch_op.drop_index(batch_op.f('ix_contribution_refunds_contribution_id'))
    op.drop_table('contribution_refunds')

    with op.batch_alter_table('payout_batches', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_payout_batches_status_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_payout_batches_status_known'),
                                         "status IN ('created', 'paid')")
