"""quote accept: order lines keep the warranty term they were sold with

Revision ID: 0010_quote_accept
Revises: 0009_delivery_lead
Create Date: 2026-12-07 18:30:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010_quote_accept'
down_revision = '0009_delivery_lead'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('warranty_months', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_order_lines_warranty_not_negative'), 'warranty_months >= 0'
        )
    # Lines made from a quote before this revision kept their variant but lost its product:
    # give it back, so the buyer counts as an owner and serial numbers can be recorded.
    op.execute(
        "UPDATE order_lines SET product_id = ("
        "SELECT variants.product_id FROM variants WHERE variants.id = order_lines.variant_id"
        ") WHERE product_id IS NULL AND variant_id IS NOT NULL"
    )
    # Earlier lines took the term from the catalog at delivery: copy today's term, the one they
    # would have been registered with. (Units already registered keep their registration.)
    op.execute(
        "UPDATE order_lines SET warranty_months = ("
        "SELECT products.warranty_months FROM products WHERE products.id = order_lines.product_id"
        ") WHERE product_id IS NOT NULL AND EXISTS ("
        "SELECT 1 FROM products WHERE products.id = order_lines.product_id)"
    )


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_order_lines_warranty_not_negative'), type_='check')
        batch_op.drop_column('warranty_months')
