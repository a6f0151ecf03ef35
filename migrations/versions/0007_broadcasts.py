"""broadcasts, and each outbound message's broadcast

Revision ID: 0007
Revises: 0006
Create Date: 2026-11-23 02:20:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0007'
down_revision = '0006'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('broadcasts',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('created_by_id', sa.Integer(), nullable=True),
    sa.Column('body', sa.Text(), nullable=False),
    sa.Column('translations', sa.JSON(), nullable=False),
    sa.Column('audience', sa.String(length=12), nullable=False),
    sa.Column('audience_filter', sa.JSON(), nullable=False),
    sa.Column('status', sa.String(length=10), nullable=False),
    sa.Column('send_at', sa.DateTime(timezone=True), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('sent_at', sa.DateTime(timezone=True), nullable=True),
    sa.ForeignKeyConstraint(['created_by_id'], ['staff_users.id'], name=op.f('fk_broadcasts_created_by_id_staff_users'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_broadcasts'))
    )
    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_broadcasts_status'), ['status'], unique=False)

    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.add_column(sa.Column('broadcast_id', sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f('ix_messages_broadcast_id'), ['broadcast_id'], unique=False)
        batch_op.create_foreign_key(batch_op.f('fk_messages_broadcast_id_broadcasts'), 'broadcasts', ['broadcast_id'], ['id'], ondelete='SET NULL')


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_messages_broadcast_id_broadcasts'), type_='foreignkey')
        batch_op.drop_index(batch_op.f('ix_messages_broadcast_id'))
        batch_op.drop_column('broadcast_id')

    with op.batch_alter_table('broadcasts', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_broadcasts_status'))

    op.drop_table('broadcasts')
