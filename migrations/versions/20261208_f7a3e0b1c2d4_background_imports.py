"""one-off background work: APScheduler's database job store, and large bank statements read in the background

apscheduler_jobs is APScheduler 3's own SQLAlchemyJobStore table (portal.background). bank_statement_files holds
an uploaded statement file until its background import ends; bank_statements get a status (importing, imported,
failed), the progress of their import (lines_total, lines_done), the reason of a failure, and their file while
importing. A bank line may be matched by its payer's enterprise number and amount (match_method 'enterprise').
declaration_imports: a large CSV file of declarations read in the background, its progress and what came of it.

Revision ID: f7a3e0b1c2d4
Revises: f0d000000023
Create Date: 2026-12-08 09:00:00

"""
import sqlalchemy as sa
from alembic import op

revision = 'f7a3e0b1c2d4'
down_revision = 'f0d000000023'
branch_labels = None
depends_on = None


OLD_METHODS = "match_method IS NULL OR match_method IN ('reference', 'manual', 'reversal')"
NEW_METHODS = "match_method IS NULL OR match_method IN ('reference', 'enterprise', 'manual', 'reversal')"


def upgrade():
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_method_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bank_lines_method_known'), NEW_METHODS)
    op.create_table('apscheduler_jobs',
    sa.Column('id', sa.Unicode(length=191), nullable=False),
    sa.Column('next_run_time', sa.Float(precision=25), nullable=True),
    sa.Column('job_state', sa.LargeBinary(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_apscheduler_jobs'))
    )
    op.create_index(op.f('ix_apscheduler_jobs_next_run_time'), 'apscheduler_jobs', ['next_run_time'], unique=False)

    op.create_table('bank_statement_files',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('data', sa.LargeBinary(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_bank_statement_files_uploaded_by_users'),
                            ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_bank_statement_files'))
    )
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.add_column(sa.Column('status', sa.String(length=10), server_default='imported', nullable=False))
        batch_op.add_column(sa.Column('lines_total', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('lines_done', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('failure_reason', sa.Text(), nullable=True))
        batch_op.add_column(sa.Column('file_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_bank_statements_file_id'), ['file_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_bank_statements_file_id_bank_statement_files'),
                                    'bank_statement_files', ['file_id'], ['id'], ondelete='SET NULL')
        batch_op.create_check_constraint(batch_op.f('ck_bank_statements_status_known'),
                                         "status IN ('importing', 'imported', 'failed')")
        batch_op.create_check_constraint(batch_op.f('ck_bank_statements_failed_has_reason'),
                                         "status <> 'failed' OR failure_reason IS NOT NULL")
        batch_op.create_check_constraint(batch_op.f('ck_bank_statements_importing_has_file'),
                                         "(status = 'importing') = (file_id IS NOT NULL)")


    op.create_table('declaration_imports',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('uploaded_by', sa.Integer(), nullable=False),
    sa.Column('employer_id', sa.Integer(), nullable=True),
    sa.Column('file_name', sa.String(length=255), nullable=True),
    sa.Column('csv_text', sa.Text(), nullable=True),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('phase', sa.String(length=10), nullable=False),
    sa.Column('lines_total', sa.Integer(), nullable=False),
    sa.Column('lines_done', sa.Integer(), nullable=False),
    sa.Column('imported_count', sa.Integer(), nullable=True),
    sa.Column('errors', sa.Text(), nullable=True),
    sa.Column('failure_reason', sa.Text(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('finished_at', sa.DateTime(timezone=True), nullable=True),
    sa.CheckConstraint("status IN ('importing', 'imported', 'failed')", name=op.f('ck_declaration_imports_status_known')),
    sa.CheckConstraint("phase IN ('checking', 'importing')", name=op.f('ck_declaration_imports_phase_known')),
    sa.CheckConstraint("(status = 'importing') = (csv_text IS NOT NULL)",
                       name=op.f('ck_declaration_imports_text_while_importing')),
    sa.ForeignKeyConstraint(['employer_id'], ['employers.id'], name=op.f('fk_declaration_imports_employer_id_employers'),
                            ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['uploaded_by'], ['users.id'], name=op.f('fk_declaration_imports_uploaded_by_users'),
                            ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_declaration_imports'))
    )
    op.create_index('ix_declaration_imports_uploaded_by', 'declaration_imports', ['uploaded_by', 'id'], unique=False)


def downgrade():
    op.drop_index('ix_declaration_imports_uploaded_by', table_name='declaration_imports')
    op.drop_table('declaration_imports')
    with op.batch_alter_table('bank_statements', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bank_statements_importing_has_file'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_bank_statements_failed_has_reason'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_bank_statements_status_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('fk_bank_statements_file_id_bank_statement_files'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_bank_statements_file_id'))
        batch_op.drop_column('file_id')
        batch_op.drop_column('failure_reason')
        batch_op.drop_column('lines_done')
        batch_op.drop_column('lines_total')
        batch_op.drop_column('status')
    op.drop_table('bank_statement_files')
    with op.batch_alter_table('bank_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_bank_lines_method_known'), type_='check')
        batch_op.create_check_constraint(batch_op.f('ck_bank_lines_method_known'), OLD_METHODS)
    op.drop_index(op.f('ix_apscheduler_jobs_next_run_time'), table_name='apscheduler_jobs')
    op.drop_table('apscheduler_jobs')
