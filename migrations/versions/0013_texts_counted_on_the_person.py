"""texts counted on the person's row: the flood window and the same-text run

Revision ID: 0013
Revises: 0012
Create Date: 2026-11-23 09:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0013'
down_revision = '0012'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('texts_window_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('texts_in_window', sa.Integer(), server_default='0', nullable=False))
        batch_op.add_column(sa.Column('last_text_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('last_text_digest', sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column('same_text_run', sa.Integer(), server_default='0', nullable=False))


def downgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('same_text_run')
        batch_op.drop_column('last_text_digest')
        batch_op.drop_column('last_text_at')
        batch_op.drop_column('texts_in_window')
        batch_op.drop_column('texts_window_at')
