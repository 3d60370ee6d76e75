"""the fund's search boxes: names folded (no case, no accents) and indexed with trigrams; payers' enterprise numbers

The queue, the claims, the bank lines and the providers are searched by name, typed in any case and with or
without accents. On PostgreSQL ``tnw_fold(text)`` is ``lower(unaccent(text))``, declared immutable so that it can
be indexed (the ``unaccent`` dictionary is named, so the result does not depend on the search path), and the
folded names are indexed with trigrams (``pg_trgm``): ``tnw_fold(last_name) ILIKE '%dupont%'`` is an index scan
among hundreds of thousands of people. Both extensions are trusted: the database's owner may create them.
SQLite gets the same function from the application, on each connection (``portal.search``), and no index for it.

A bank line is also found by the payer's enterprise number: a plain index, on both.

Revision ID: f16e5ea4c001
Revises: f1ea5e000027
Create Date: 2026-12-16 09:00:00

"""
from alembic import op

revision = 'f16e5ea4c001'
down_revision = 'f1ea5e000027'
branch_labels = None
depends_on = None

#: (index, table, folded columns)
_FOLDED = (
    ("ix_users_folded_names", "users", ("first_name", "last_name")),
    ("ix_member_invitations_folded_names", "member_invitations", ("first_name", "last_name")),
    ("ix_providers_folded_name", "providers", ("name",)),
    ("ix_bank_lines_folded_payer", "bank_lines", ("counterparty_name",)),
)


def upgrade():
    op.create_index(op.f('ix_bank_lines_enterprise_number'), 'bank_lines', ['enterprise_number'])
    if op.get_bind().dialect.name != 'postgresql':
        return
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent WITH SCHEMA public")
    op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
    op.execute("CREATE OR REPLACE FUNCTION public.tnw_fold(text) RETURNS text "
               "LANGUAGE sql IMMUTABLE STRICT PARALLEL SAFE "
               "AS $$ SELECT lower(public.unaccent('public.unaccent'::regdictionary, $1)) $$")
    for name, table, columns in _FOLDED:
        folded = ", ".join(f"public.tnw_fold({column}) public.gin_trgm_ops" for column in columns)
        op.execute(f"CREATE INDEX {name} ON {table} USING gin ({folded})")


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        for name, _table, _columns in _FOLDED:
            op.execute(f"DROP INDEX IF EXISTS {name}")
        op.execute("DROP FUNCTION IF EXISTS public.tnw_fold(text)")
    op.drop_index(op.f('ix_bank_lines_enterprise_number'), table_name='bank_lines')
