"""bank line allocations, several references, reversals and returns

One bank line may pay several contributions, split to the cent (by several structured references in its
text, or by a person): bank_line_allocations holds one row per contribution, with the external id of the
payment it wrote. A debit that gives a booked credit back (a reversal or a return) can now be matched: it
undoes what that credit paid with negative allocations (counter-entries), and names the credit when the
import found it. Lines already matched get their one allocation from the payment they wrote.
Pending lines get a key of their own ("pending|..."), so the booked entry that follows one under the same
bank reference is no longer taken for a repeat.

Revision ID: b4a000000016
Revises: a9e000000015
Create Date: 2026-12-07 10:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'b4a000000016'
down_revision = 'a9e000000015'
branch_labels = None
depends_on = None


def upgrade():
    # bank_lines first: SQLite rebuilds the table, which no other table may reference at that moment.
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.add_column(sa.Column('more_references', sa.String(length=130), nullable=True))
        batch_op.add_column(sa.Column('returns_credit', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch_op.add_column(sa.Column('reverses_line_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_bank_lines_reverses_line_id_bank_lines'), 'bank_lines',
                                    ['reverses_line_id'], ['id'])
        batch_op.create_index(batch_op.f('ix_bank_lines_reverses_line_id'), ['reverses_line_id'], unique=False)
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_debits_ignored'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bank_lines_debits_ignored'),
                                         "direction = 'credit' OR status = 'ignored' OR returns_credit")
        batch_op.create_check_constraint(batch_op.f('ck_bank_lines_returns_are_debits'),
                                         "direction = 'debit' OR NOT returns_credit")
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_method_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bank_lines_method_known'),
                                         "match_method IS NULL OR match_method IN ('reference', 'manual', 'reversal')")

    op.create_table('bank_line_allocations',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('line_id', sa.Integer(), nullable=False),
    sa.Column('contribution_id', sa.Integer(), nullable=False),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('external_id', sa.String(length=255), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents <> 0', name=op.f('ck_bank_line_allocations_amount_not_zero')),
    sa.ForeignKeyConstraint(['contribution_id'], ['contributions.id'],
                            name=op.f('fk_bank_line_allocations_contribution_id_contributions'), ondelete='RESTRICT'),
    sa.ForeignKeyConstraint(['line_id'], ['bank_lines.id'], name=op.f('fk_bank_line_allocations_line_id_bank_lines'),
                            ondelete='RESTRICT'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_line_allocations')),
    sa.UniqueConstraint('external_id', name=op.f('uq_bank_line_allocations_external_id')),
    sa.UniqueConstraint('line_id', 'contribution_id', name='uq_bank_line_allocations_line_contribution')
    )
    with op.batch_alter_table('bank_line_allocations', schema=None) as batch_op:
        batch_op.create_index('ix_bank_line_allocations_contribution', ['contribution_id'], unique=False)

    # Each line matched so far paid one contribution, with the payment "bank-line-<id>".
    op.execute("INSERT INTO bank_line_allocations (line_id, contribution_id, amount_cents, external_id, created_at) "
               "SELECT l.id, p.contribution_id, p.amount_cents, p.external_id, p.created_at "
               "FROM bank_lines l JOIN contribution_payments p ON p.external_id = 'bank-line-' || CAST(l.id AS VARCHAR) "
               "WHERE l.status = 'matched'")
    op.execute("UPDATE bank_lines SET line_key = 'pending|' || line_key WHERE ignore_reason = 'not_booked'")


def downgrade():
    # Lines that undid a credit, or were split, cannot be told apart afterwards: refuse rather than lose that.
    bind = op.get_bind()
    kept = bind.execute(sa.text("SELECT count(*) FROM bank_lines WHERE returns_credit AND status <> 'ignored'")).scalar()
    split = bind.execute(sa.text("SELECT count(*) FROM (SELECT line_id FROM bank_line_allocations GROUP BY line_id "
                                 "HAVING count(*) > 1) AS s")).scalar()
    if kept or split:
        raise RuntimeError("bank lines were split or undid a credit: this downgrade would lose what they booked")
    # A pending line whose booked entry came since keeps its prefix: the keys are unique.
    op.execute("UPDATE bank_lines SET line_key = substr(line_key, 9) WHERE line_key LIKE 'pending|%' "
               "AND substr(line_key, 9) NOT IN (SELECT k.line_key FROM (SELECT line_key FROM bank_lines) AS k)")

    with op.batch_alter_table('bank_line_allocations', schema=None) as batch_op:
        batch_op.drop_index('ix_bank_line_allocations_contribution')
    op.drop_table('bank_line_allocations')

    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_method_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bank_lines_method_known'),
                                         "match_method IS NULL OR match_method IN ('reference', 'manual')")
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_returns_are_debits'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_debits_ignored'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bank_lines_debits_ignored'),
                                         "direction = 'credit' OR status = 'ignored'")
        batch_op.drop_index(batch_op.f('ix_bank_lines_reverses_line_id'))
        batch_op.drop_constraint(batch_op.f('fk_bank_lines_reverses_line_id_bank_lines'), type_='foreignkey')
        batch_op.drop_column('reverses_line_id')
        batch_op.drop_column('returns_credit')
        batch_op.drop_column('more_references')

