"""delivery lead: order lines keep the lead time promised at sale (no window before it)

Revision ID: 0009_delivery_lead
Revises: 0008_catalog_speed
Create Date: 2026-12-07 18:40:00

"""
import re

from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0009_delivery_lead'
down_revision = '0008_catalog_speed'
branch_labels = None
depends_on = None

# The checkout's own promise ("With you in about 14 weeks", "Ready in about 2-4 weeks"): the
# lines sold before this column existed get the lead time their buyer was shown. A quote's
# free-text delivery terms are not guessed at.
PROMISE = re.compile(r"^(?:With you|Ready) in about (\d+)(?:-\d+)? weeks?$")


def upgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.add_column(
            sa.Column('lead_weeks', sa.Integer(), server_default='0', nullable=False)
        )
        batch_op.create_check_constraint(
            op.f('ck_order_lines_lead_weeks_not_negative'), 'lead_weeks >= 0'
        )
    bind = op.get_bind()
    lines = sa.table(
        'order_lines',
        sa.column('id', sa.Integer()),
        sa.column('delivery_promise', sa.String()),
        sa.column('lead_weeks', sa.Integer()),
    )
    rows = bind.execute(
        sa.select(lines.c.id, lines.c.delivery_promise).where(
            lines.c.delivery_promise.like('% in about %week%')
        )
    ).all()
    for line_id, promise in rows:
        found = PROMISE.match(promise or '')
        if found:
            bind.execute(
                sa.update(lines)
                .where(lines.c.id == line_id)
                .values(lead_weeks=min(int(found.group(1)), 520))
            )


def downgrade():
    with op.batch_alter_table('order_lines', schema=None) as batch_op:
        batch_op.drop_constraint(op.f('ck_order_lines_lead_weeks_not_negative'), type_='check')
        batch_op.drop_column('lead_weeks')
