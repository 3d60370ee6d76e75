"""bank statements and their lines

CAMT.053 statements, unique by the bank's identity (account, Stmt/Id, electronic sequence), and their
lines, unique by a stable key so the same money is never imported twice; each credit line is matched
to a contribution, waits unmatched, is dismissed with a reason, or is ignored (debits and the like).

Revision ID: b5a7e0000010
Revises: 3e7e00000009
Create Date: 2026-11-25 15:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b5a7e0000010'
down_revision = '3e7e00000009'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('bank_statements',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('account', sa.String(length=34), nullable=False),
    sa.Column('statement_ref', sa.String(length=35), nullable=False),
    sa.Column('sequence', sa.String(length=35), nullable=False),
    sa.Column('legal_sequence', sa.String(length=35), nullable=True),
    sa.Column('message_id', sa.String(length=35), nullable=True),
    sa.Column('version', sa.String(length=20), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=True),
    sa.Column('issued_on', sa.Date(), nullable=True),
    sa.Column('from_on', sa.Date(), nullable=True),
    sa.Column('to_on', sa.Date(), nullable=True),
    sa.Column('opening_balance_cents', sa.BigInteger(), nullable=True),
    sa.Column('closing_balance_cents', sa.BigInteger(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('file_sha256', sa.String(length=64), nullable=False),
    sa.Column('schema_valid', sa.Boolean(), nullable=True),
    sa.Column('imported_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('imported_by', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['imported_by'], ['users.id'], name=op.f('fk_bank_statements_imported_by_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statements')),
    sa.UniqueConstraint('account', 'statement_ref', 'sequence', name='uq_bank_statements_identity')
    )
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_bank_statements_file_sha256'), ['file_sha256'], unique=False)

    op.create_table('bank_lines',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('statement_id', sa.Integer(), nullable=False),
    sa.Column('entry_index', sa.Integer(), nullable=False),
    sa.Column('tx_index', sa.Integer(), nullable=False),
    sa.Column('line_key', sa.String(length=200), nullable=False),
    sa.Column('direction', sa.String(length=6), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('booked_on', sa.Date(), nullable=False),
    sa.Column('value_on', sa.Date(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('ignore_reason', sa.String(length=12), nullable=True),
    sa.Column('entry_reference', sa.String(length=35), nullable=True),
    sa.Column('tx_reference', sa.String(length=35), nullable=True),
    sa.Column('end_to_end_id', sa.String(length=35), nullable=True),
    sa.Column('structured_reference', sa.String(length=12), nullable=True),
    sa.Column('reference_text', sa.String(length=140), nullable=True),
    sa.Column('remittance_text', sa.String(length=1000), nullable=True),
    sa.Column('counterparty_name', sa.String(length=140), nullable=True),
    sa.Column('counterparty_iban', sa.String(length=34), nullable=True),
    sa.Column('counterparty_id', sa.String(length=70), nullable=True),
    sa.Column('enterprise_number', sa.String(length=10), nullable=True),
    sa.Column('contribution_id', sa.Integer(), nullable=True),
    sa.Column('match_method', sa.String(length=10), nullable=True),
    sa.Column('decided_by', sa.Integer(), nullable=True),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("(status = 'ignored') = (ignore_reason IS NOT NULL)", name=op.f('ck_bank_lines_ignored_has_reason')),
    sa.CheckConstraint("(status = 'matched') = (contribution_id IS NOT NULL)", name=op.f('ck_bank_lines_matched_has_contribution')),
    sa.CheckConstraint("(status = 'matched') = (match_method IS NOT NULL)", name=op.f('ck_bank_lines_matched_has_method')),
    sa.CheckConstraint("direction = 'credit' OR status = 'ignored'", name=op.f('ck_bank_lines_debits_ignored')),
    sa.CheckConstraint("direction IN ('credit', 'debit')", name=op.f('ck_bank_lines_direction_known')),
    sa.CheckConstraint("ignore_reason IS NULL OR ignore_reason IN ('debit', 'reversal', 'not_booked', 'currency')", name=op.f('ck_bank_lines_ignore_known')),
    sa.CheckConstraint("match_method IS NULL OR match_method IN ('reference', 'manual')", name=op.f('ck_bank_lines_method_known')),
    sa.CheckConstraint("status <> 'dismissed' OR decision_reason IS NOT NULL", name=op.f('ck_bank_lines_dismissed_has_reason')),
    sa.CheckConstraint("status IN ('unmatched', 'matched', 'dismissed', 'ignored')", name=op.f('ck_bank_lines_status_known')),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_bank_lines_amount_positive')),
    sa.ForeignKeyConstraint(['contribution_id'], ['contributions.id'], name=op.f('fk_bank_lines_contribution_id_contributions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['decided_by'], ['users.id'], name=op.f('fk_bank_lines_decided_by_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['statement_id'], ['bank_statements.id'], name=op.f('fk_bank_lines_statement_id_bank_statements'), ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_lines')),
    sa.UniqueConstraint('line_key', name=op.f('uq_bank_lines_line_key'))
    )
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.create_index('ix_bank_lines_contribution', ['contribution_id'], unique=False)
        batch_op.create_index('ix_bank_lines_statement', ['statement_id', 'id'], unique=False)
        batch_op.create_index('ix_bank_lines_status_booked', ['status', 'booked_on', 'id'], unique=False)
        batch_op.create_index(batch_op.f('ix_bank_lines_structured_reference'), ['structured_reference'], unique=False)


def downgrade():
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_lines_structured_reference'))
        batch_op.drop_index('ix_bank_lines_status_booked')
        batch_op.drop_index('ix_bank_lines_statement')
        batch_op.drop_index('ix_bank_lines_contribution')

    op.drop_table('bank_lines')
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_bank_statements_file_sha256'))

    op.drop_table('bank_statements')
