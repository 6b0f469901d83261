"""quote line kinds: a trade-in is its own kind of line (a credit), no longer a negative custom
line; approval reasons get room for every reason a quote needs a manager

Revision ID: 0012_quote_line_kinds
Revises: 0011_payment_attempts
Create Date: 2026-12-07 18:40:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0012_quote_line_kinds'
down_revision = '0011_payment_attempts'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_quote_lines_kind_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_quote_lines_catalog_price_positive'), type_='check')
    # Every credit written so far was a trade-in entered as a negative custom line.
    op.execute(
        "UPDATE quote_lines SET kind = 'trade_in', unit_cost_cents = 0, discount_kind = 'none', "
        "discount_value = 0 WHERE kind = 'custom' AND unit_price_cents < 0"
    )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f('ck_quote_lines_kind_known'), "kind IN ('catalog', 'custom', 'trade_in')"
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_quote_lines_catalog_price_positive'),
            "kind <> 'catalog' OR unit_price_cents > 0",
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_quote_lines_trade_in_is_credit'),
            "kind <> 'trade_in' OR (unit_price_cents < 0 AND unit_cost_cents = 0"
            " AND discount_kind = 'none')",
        )
    with op.batch_alter_table('quote_versions', schema=None) as batch_op:
        batch_op.alter_column(
            'approval_reason',
            existing_type=sa.String(length=300),
            type_=sa.String(length=1000),
            existing_nullable=False,
        )


def downgrade():
    op.execute(
        "UPDATE quote_versions SET approval_reason = substr(approval_reason, 1, 300) "
        "WHERE length(approval_reason) > 300"
    )
    with op.batch_alter_table('quote_versions', schema=None) as batch_op:
        batch_op.alter_column(
            'approval_reason',
            existing_type=sa.String(length=1000),
            type_=sa.String(length=300),
            existing_nullable=False,
        )
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_quote_lines_trade_in_is_credit'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_quote_lines_catalog_price_positive'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_quote_lines_kind_known'), type_='check')
    # Before trade-ins had a kind of their own, a trade-in was a negative custom line.
    op.execute("UPDATE quote_lines SET kind = 'custom' WHERE kind = 'trade_in'")
    with op.batch_alter_table('quote_lines', schema=None) as batch_op:
        batch_op.create_check_constraint(
            batch_op.f('ck_quote_lines_kind_known'), "kind IN ('catalog', 'custom')"
        )
        batch_op.create_check_constraint(
            batch_op.f('ck_quote_lines_catalog_price_positive'),
            "kind = 'custom' OR unit_price_cents > 0",
        )
