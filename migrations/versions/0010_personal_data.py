"""personal data: deleted people, deletion counts, recordings Twilio must delete

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-23 03:00:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0010'
down_revision = '0009'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.add_column(sa.Column('deleted_at', sa.DateTime(timezone=True), nullable=True))

    op.create_table('deletions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('requested_by', sa.String(length=80), nullable=False),
    sa.Column('counts', sa.JSON(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_deletions_person_id_people'), ondelete='SET NULL'),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_deletions'))
    )
    with op.batch_alter_table('deletions', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_deletions_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_deletions_person_id'), ['person_id'], unique=False)

    op.create_table('recording_deletions',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('recording_sid', sa.String(length=64), nullable=False),
    sa.Column('attempts', sa.Integer(), nullable=False),
    sa.Column('last_error_code', sa.Integer(), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_recording_deletions')),
    sa.UniqueConstraint('recording_sid', name=op.f('uq_recording_deletions_recording_sid'))
    )

    # Retention looks for bodies still kept that are past their time: a partial index
    # holds only those, so the search does not grow with the rows already blanked.
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_body_kept_created'), ['created_at'], unique=False, postgresql_where=sa.text('body IS NOT NULL'), sqlite_where=sa.text('body IS NOT NULL'))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_body_kept_created'))

    op.drop_table('recording_deletions')
    with op.batch_alter_table('deletions', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_deletions_person_id'))
        batch_op.drop_index(batch_op.f('ix_deletions_created_at'))

    op.drop_table('deletions')
    with op.batch_alter_table('people', schema=None) as batch_op:
        batch_op.drop_column('deleted_at')
