"""delivery events: the history of a delivery window (booked, moved, cancelled, delivered),
written by the delivery lifecycle's transition like every other lifecycle's events

Revision ID: 0017_delivery_events
Revises: 0016_exchange
Create Date: 2026-12-09 10:00:00

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0017_delivery_events'
down_revision = '0016_exchange'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('delivery_events',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('appointment_id', sa.Integer(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('actor_id', sa.Integer(), nullable=True),
    sa.Column('actor_label', sa.String(length=200), nullable=False),
    sa.Column('kind', sa.String(length=30), nullable=False),
    sa.Column('from_status', sa.String(length=12), nullable=True),
    sa.Column('to_status', sa.String(length=12), nullable=True),
    sa.Column('note', sa.Text(), nullable=False),
    sa.ForeignKeyConstraint(['actor_id'], ['users.id'], name=op.f('fk_delivery_events_actor_id_users'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['appointment_id'], ['delivery_appointments.id'], name=op.f('fk_delivery_events_appointment_id_delivery_appointments'), ondelete='CASCADE'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_delivery_events'))
    )
    with op.batch_alter_table('delivery_events', schema=None) as batch_op:
        batch_op.create_index('ix_delivery_events_actor', ['actor_id'], unique=False)
        batch_op.create_index('ix_delivery_events_appointment', ['appointment_id', 'id'], unique=False)


def downgrade():
    with op.batch_alter_table('delivery_events', schema=None) as batch_op:
        batch_op.drop_index('ix_delivery_events_appointment')
        batch_op.drop_index('ix_delivery_events_actor')

    op.drop_table('delivery_events')
