"""payment attempts: the idempotency key of a PaymentIntent create still waiting for its answer

Revision ID: 0011_payment_attempts
Revises: 0010_quote_accept
Create Date: 2026-12-07 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011_payment_attempts'
down_revision = '0010_quote_accept'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.add_column(sa.Column('intent_key', sa.String(length=100), nullable=True))


def downgrade():
    with op.batch_alter_table('payments', schema=None) as batch_op:
        batch_op.drop_column('intent_key')
