"""payment attempts: the idempotency key of a PaymentIntent create still waiting for its answer

Revision ID: 0009_payment_attempts
Revises: 0008_catalog_speed
Create Date: 2026-12-07 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_payment_attempts'
down_revision = '0008_catalog_speed'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intent_key', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('intent_key')
