"""exchange for another variant: units of an order line put back in stock by its returns (so
two returns of one line restock it once), and the returned goods' value an exchange applied

Revision ID: 0016_exchange
Revises: 0015_store_credit
Create Date: 2026-12-07 19:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0016_exchange'
down_revision = '0015_store_credit'
branch_labels = None
depends_on = None


def upgrade():
    # Plain ADD COLUMN on both databases: copying order_lines to a new table (SQLite's batch
    # mode) is not needed for a column with a default.
    op.add_column('order_lines', sa.Column('restocked_quantity', sa.Integer(), server_default='0', nullable=False))
    op.add_column('return_requests', sa.Column('exchange_value_cents', sa.BigInteger(), server_default='0', nullable=False))


def downgrade():
    op.drop_column('return_requests', 'exchange_value_cents')
    op.drop_column('order_lines', 'restocked_quantity')
