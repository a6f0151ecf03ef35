"""activity import: external id and source

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-23 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0006'
down_revision = '0005'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.add_column(sa.Column('source', sa.String(length=300), nullable=True))
        batch_op.add_column(sa.Column('external_id', sa.String(length=300), nullable=True))
        batch_op.create_unique_constraint(batch_op.f('uq_activities_source'), ['source', 'external_id'])


def downgrade():
    with op.batch_alter_table('activities', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('uq_activities_source'), type_='unique')
        batch_op.drop_column('external_id')
        batch_op.drop_column('source')
