"""marketplace: providers' contact points (region from the postcode, indexed for search) and catalogue themes

Revision ID: c0ffee000005
Revises: a1b7fd8c9eba
Create Date: 2026-11-25 12:38:14.828746

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = "c0ffee000005"
down_revision = "a1b7fd8c9eba"
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalogue_themes',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('title', sa.String(length=200), nullable=False),
    sa.Column('description', sa.Text(), nullable=False),
    sa.Column('topic', sa.String(length=20), nullable=False),
    sa.Column('kind', sa.String(length=20), nullable=False),
    sa.Column('language', sa.String(length=2), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("kind IN ('individual', 'collective')", name=op.f('ck_catalogue_themes_kind_known')),
    sa.CheckConstraint("language IN ('fr', 'nl', 'de', 'en')", name=op.f('ck_catalogue_themes_language_known')),
    sa.CheckConstraint("topic IN ('job_search', 'self_knowledge', 'well_being', 'skills', 'other')", name=op.f('ck_catalogue_themes_topic_known')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_catalogue_themes_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalogue_themes'))
    )
    with op.batch_alter_table('catalogue_themes', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_catalogue_themes_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_catalogue_themes_topic', ['topic', 'provider_id'], unique=False)

    op.create_table('contact_points',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('provider_id', sa.Integer(), nullable=False),
    sa.Column('name', sa.String(length=200), nullable=False),
    sa.Column('street', sa.String(length=200), nullable=False),
    sa.Column('postcode', sa.String(length=4), nullable=False),
    sa.Column('municipality', sa.String(length=100), nullable=False),
    sa.Column('municipality_key', sa.String(length=100), nullable=False),
    sa.Column('region', sa.String(length=20), nullable=False),
    sa.Column('languages', sa.String(length=20), nullable=False),
    sa.Column('onsite', sa.Boolean(), nullable=False),
    sa.Column('online', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint("region IN ('brussels', 'walloon_brabant', 'flemish_brabant', 'antwerp', 'limburg', 'liege', 'namur', 'hainaut', 'luxembourg', 'west_flanders', 'east_flanders')", name=op.f('ck_contact_points_region_known')),
    sa.CheckConstraint('onsite OR online', name=op.f('ck_contact_points_some_mode')),
    sa.ForeignKeyConstraint(['provider_id'], ['providers.id'], name=op.f('fk_contact_points_provider_id_providers'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_contact_points'))
    )
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.create_index('ix_contact_points_municipality_key', ['municipality_key'], unique=False)
        batch_op.create_index('ix_contact_points_postcode', ['postcode'], unique=False)
        batch_op.create_index(batch_op.f('ix_contact_points_provider_id'), ['provider_id'], unique=False)
        batch_op.create_index('ix_contact_points_region', ['region', 'provider_id'], unique=False)


def downgrade():
    with op.batch_alter_table('contact_points', schema=None) as batch_op:
        batch_op.drop_index('ix_contact_points_region')
        batch_op.drop_index(batch_op.f('ix_contact_points_provider_id'))
        batch_op.drop_index('ix_contact_points_postcode')
        batch_op.drop_index('ix_contact_points_municipality_key')

    op.drop_table('contact_points')
    with op.batch_alter_table('catalogue_themes', schema=None) as batch_op:
        batch_op.drop_index('ix_catalogue_themes_topic')
        batch_op.drop_index(batch_op.f('ix_catalogue_themes_provider_id'))

    op.drop_table('catalogue_themes')
