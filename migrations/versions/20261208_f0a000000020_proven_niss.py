"""proven NISS (sign-in through FAS: itsme, eID)

beneficiaries.niss_proven_at: when the person proved the number through the federal authentication service. A
typed NISS proves nothing, so it is no longer unique (a person whose number someone else typed is never refused);
a proven one is (partial unique index).

Downgrade: the typed duplicates of a number keep it on the oldest account only (the others lose it), so that the
old unique constraint can come back.

Revision ID: f0a000000020
Revises: e1b000000019
Create Date: 2026-12-08 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f0a000000020'
down_revision = 'e1b000000019'
branch_labels = None
depends_on = None

PROVEN_NISS_SQL = "niss_proven_at IS NOT NULL"


def upgrade():
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.add_column(sa.Column('niss_proven_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.drop_constraint(batch_op.f('uq_beneficiaries_niss'), type_='unique')
        batch_op.create_index(batch_op.f('ix_beneficiaries_niss'), ['niss'], unique=False)
    # Made after the batch (SQLite rebuilds the table in it), so that its WHERE stays.
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.create_index('uq_beneficiaries_proven_niss', ['niss'], unique=True,
                              sqlite_where=sa.text(PROVEN_NISS_SQL), postgresql_where=sa.text(PROVEN_NISS_SQL))


def downgrade():
    op.execute("UPDATE beneficiaries SET niss = NULL WHERE niss IS NOT NULL AND EXISTS (SELECT 1 FROM beneficiaries "
               "AS older WHERE older.niss = beneficiaries.niss AND older.id < beneficiaries.id)")
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.drop_index('uq_beneficiaries_proven_niss')
    with op.batch_alter_table('beneficiaries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_beneficiaries_niss'))
        batch_op.drop_column('niss_proven_at')
        batch_op.create_unique_constraint(batch_op.f('uq_beneficiaries_niss'), ['niss'])
