"""bank lines keep what a return is: a credit bringing back money the fund sent, and the bank's reason

A returned transfer (CAMT ``TxDtls/RtrInf``, or a return's bank transaction code; a CODA R-transaction of type
reject, return or refund) is flagged ``is_return``: such a credit is never an employer's contribution, so it is
never matched to one automatically. ``return_reason_code`` keeps the bank's reason (CAMT ``RtrInf/Rsn/Cd``, or
``Rsn/Prtry``; CODA record 2.2, positions 114-117): AC04 account closed, MD07 beneficiary deceased...

Revision ID: f3b000000028
Revises: f16e5ea4c001
Create Date: 2026-12-17 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f3b000000028'
down_revision = 'f16e5ea4c001'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('bank_lines') as batch:
        batch.add_column(sa.Column('is_return', sa.Boolean(), server_default=sa.false(), nullable=False))
        batch.add_column(sa.Column('return_reason_code', sa.String(length=35), nullable=True))
        batch.create_check_constraint(batch.f('ck_bank_lines_return_is_credit'), "direction = 'credit' OR NOT is_return")


def downgrade():
    with op.batch_alter_table('bank_lines') as batch:
        batch.drop_constraint(batch.f('ck_bank_lines_return_is_credit'), type_='check')
        batch.drop_column('return_reason_code')
        batch.drop_column('is_return')
