"""catalog speed: the catalog generation (for caches), a trigram index for search on
PostgreSQL, no index on products.is_active

Revision ID: 0008_catalog_speed
Revises: 0007_support
Create Date: 2026-11-23 11:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0008_catalog_speed'
down_revision = '0007_support'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('catalog_generation',
    sa.Column('id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('value', sa.BigInteger(), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_catalog_generation'))
    )
    op.execute("INSERT INTO catalog_generation (id, value) VALUES (1, 1)")
    # Nearly every product is active: the index only misled SQLite's planner (it sorted every
    # match of a search instead of walking ix_products_created_at).
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_is_active')
        # With is_active in it, a filtered category's matches are counted from the index alone.
        batch_op.drop_index('ix_products_category_created')
        batch_op.create_index(
            'ix_products_category_active_created',
            ['category_id', 'is_active', 'created_at'],
            unique=False,
        )
    if op.get_bind().dialect.name == 'postgresql':
        # Search matches words anywhere in search_text (LIKE '%word%'): a trigram index answers
        # that without reading every product. pg_trgm is a trusted extension (PostgreSQL 13+),
        # so the database owner may create it.
        op.execute("CREATE EXTENSION IF NOT EXISTS pg_trgm")
        op.execute(
            "CREATE INDEX ix_products_search_trgm ON products "
            "USING gin (search_text gin_trgm_ops)"
        )


def downgrade():
    if op.get_bind().dialect.name == 'postgresql':
        op.execute("DROP INDEX IF EXISTS ix_products_search_trgm")
    with op.batch_alter_table('products', schema=None) as batch_op:
        batch_op.drop_index('ix_products_category_active_created')
        batch_op.create_index(
            'ix_products_category_created', ['category_id', 'created_at'], unique=False
        )
        batch_op.create_index('ix_products_is_active', ['is_active'], unique=False)
    op.drop_table('catalog_generation')
