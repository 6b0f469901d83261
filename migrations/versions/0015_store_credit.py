"""store credit is money: a balance row per buyer, the ledger's kinds (grant, spend, restore)
with the balance after each row, credit grants that wait for a second person above the refund
limit, store credit paid towards an order, units put back in stock by a return

Revision ID: 0015_store_credit
Revises: 0014_registrations
Create Date: 2026-12-07 18:20:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0015_store_credit'
down_revision = '0014_registrations'
branch_labels = None
depends_on = None

CREDIT_WITHIN_TOTAL = 'credit_cents >= 0 AND credit_cents <= total_cents'


def upgrade():
    op.create_table('credit_accounts',
    sa.Column('user_id', sa.Integer(), autoincrement=False, nullable=False),
    sa.Column('balance_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('balance_cents >= 0', name=op.f('ck_credit_accounts_balance_not_negative')),
    sa.ForeignKeyConstraint(['user_id'], ['users.id'], name=op.f('fk_credit_accounts_user_id_users'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('user_id', name=op.f('pk_credit_accounts'))
    )
    op.create_table('credit_grants',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('return_id', sa.Integer(), nullable=False),
    sa.Column('buyer_id', sa.Integer(), nullable=True),
    sa.Column('amount_cents', sa.BigInteger(), nullable=False),
    sa.Column('currency', sa.String(length=3), nullable=False),
    sa.Column('reason', sa.String(length=300), nullable=False),
    sa.Column('status', sa.String(length=20), nullable=False),
    sa.Column('requested_by_id', sa.Integer(), nullable=True),
    sa.Column('requested_by_label', sa.String(length=200), nullable=False),
    sa.Column('approved_by_id', sa.Integer(), nullable=True),
    sa.Column('approved_by_label', sa.String(length=200), nullable=False),
    sa.Column('decided_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('decision_note', sa.String(length=300), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.CheckConstraint('amount_cents > 0', name=op.f('ck_credit_grants_amount_positive')),
    sa.CheckConstraint("status IN ('pending_approval', 'granted', 'rejected')", name=op.f('ck_credit_grants_status_known')),
    sa.CheckConstraint('approved_by_id IS NULL OR approved_by_id <> requested_by_id', name=op.f('ck_credit_grants_four_eyes')),
    sa.ForeignKeyConstraint(['approved_by_id'], ['users.id'], name=op.f('fk_credit_grants_approved_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['buyer_id'], ['users.id'], name=op.f('fk_credit_grants_buyer_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['requested_by_id'], ['users.id'], name=op.f('fk_credit_grants_requested_by_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['return_id'], ['return_requests.id'], name=op.f('fk_credit_grants_return_id_return_requests'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_credit_grants'))
    )
    with op.batch_alter_table('credit_grants', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_credit_grants_approved_by_id'), ['approved_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_grants_buyer_id'), ['buyer_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_grants_requested_by_id'), ['requested_by_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_credit_grants_return_id'), ['return_id'], unique=False)
        batch_op.create_index('ix_credit_grants_status_created', ['status', 'created_at'], unique=False)

    # Nothing references store_credits, so SQLite may copy it to a new table safely.
    with op.batch_alter_table('store_credits', schema=None) as batch_op:
        batch_op.add_column(sa.Column('kind', sa.String(length=10), server_default='grant', nullable=False))
        batch_op.add_column(sa.Column('balance_after_cents', sa.BigInteger(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('order_id', sa.Integer(), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_store_credits_order_id_orders'), 'orders', ['order_id'], ['id'])
        batch_op.create_unique_constraint(batch_op.f('uq_store_credits_order_id_kind'), ['order_id', 'kind'])
        batch_op.create_check_constraint(batch_op.f('ck_store_credits_kind_known'), "kind IN ('grant', 'spend', 'restore')")
        batch_op.create_check_constraint(
            batch_op.f('ck_store_credits_amount_sign'),
            "(kind = 'spend' AND amount_cents < 0) OR (kind <> 'spend' AND amount_cents > 0)",
        )
        batch_op.create_check_constraint(batch_op.f('ck_store_credits_balance_after_not_negative'), 'balance_after_cents >= 0')
        batch_op.create_check_constraint(batch_op.f('ck_store_credits_order_named'), "kind = 'grant' OR order_id IS NOT NULL")

    # Credit given before this revision was only ever granted: each row's balance after it is
    # the running sum per buyer, and each buyer's balance row is that sum.
    bind = op.get_bind()
    running = {}
    rows = bind.execute(sa.text(
        "SELECT id, buyer_id, email, amount_cents FROM store_credits ORDER BY id"
    )).all()
    for row_id, buyer_id, email, amount in rows:
        key = ('buyer', buyer_id) if buyer_id is not None else ('email', (email or '').lower())
        running[key] = running.get(key, 0) + amount
        bind.execute(
            sa.text("UPDATE store_credits SET balance_after_cents = :after WHERE id = :id"),
            {"after": running[key], "id": row_id},
        )
    for (kind, who), total in running.items():
        if kind == 'buyer':
            bind.execute(
                sa.text(
                    "INSERT INTO credit_accounts (user_id, balance_cents, currency, updated_at) "
                    "VALUES (:user_id, :total, 'USD', CURRENT_TIMESTAMP)"
                ),
                {"user_id": who, "total": total},
            )

    op.add_column('return_requests', sa.Column('restocked_units', sa.Integer(), server_default='0', nullable=False))

    # A plain ADD COLUMN on both databases: copying `orders` to a new table (SQLite's batch
    # mode) would run its foreign keys' ON DELETE CASCADE and empty order_lines.
    if bind.dialect.name == 'sqlite':
        op.execute(
            "ALTER TABLE orders ADD COLUMN credit_cents BIGINT DEFAULT '0' NOT NULL "
            f"CONSTRAINT ck_orders_credit_within_total CHECK ({CREDIT_WITHIN_TOTAL})"
        )
    else:
        op.add_column('orders', sa.Column('credit_cents', sa.BigInteger(), server_default='0', nullable=False))
        op.create_check_constraint(op.f('ck_orders_credit_within_total'), 'orders', CREDIT_WITHIN_TOTAL)


def downgrade():
    bind = op.get_bind()
    if bind.dialect.name != 'sqlite':
        op.drop_constraint(op.f('ck_orders_credit_within_total'), 'orders', type_='check')
    op.drop_column('orders', 'credit_cents')
    op.drop_column('return_requests', 'restocked_units')
    # Spends and restores have no place in the old ledger (it only knew grants).
    op.execute("DELETE FROM store_credits WHERE kind <> 'grant'")
    with op.batch_alter_table('store_credits', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('ck_store_credits_order_named'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_store_credits_balance_after_not_negative'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_store_credits_amount_sign'), type_='check')
        batch_op.drop_constraint(batch_op.f('ck_store_credits_kind_known'), type_='check')
        batch_op.drop_constraint(batch_op.f('uq_store_credits_order_id_kind'), type_='unique')
        batch_op.drop_constraint(batch_op.f('fk_store_credits_order_id_orders'), type_='foreignkey')
        batch_op.drop_column('order_id')
        batch_op.drop_column('balance_after_cents')
        batch_op.drop_column('kind')
    with op.batch_alter_table('credit_grants', schema=None) as batch_op:
        batch_op.drop_index('ix_credit_grants_status_created')
        batch_op.drop_index(batch_op.f('ix_credit_grants_return_id'))
        batch_op.drop_index(batch_op.f('ix_credit_grants_requested_by_id'))
        batch_op.drop_index(batch_op.f('ix_credit_grants_buyer_id'))
        batch_op.drop_index(batch_op.f('ix_credit_grants_approved_by_id'))
    op.drop_table('credit_grants')
    op.drop_table('credit_accounts')
