"""faults and abuse: a number's permanent SMS error, paused replies, staff session epoch

Revision ID: 0011
Revises: 0010
Create Date: 2026-11-23 04:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0011'
down_revision = '0010'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('sms_error_code', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('replies_paused_until', sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.add_column(sa.Column('session_epoch', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('staff_users', schema=None) as batch_op:
        batch_op.drop_column('session_epoch')

    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('replies_paused_until')
        batch_op.drop_column('sms_error_code')
