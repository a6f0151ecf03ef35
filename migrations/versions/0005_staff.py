"""staff users, audit log, callback claims and staff calls

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-23 02:10:00.000000

"""
from alembic import op
import sqlalchemy as sa


# revision identifiers, used by Alembic.
revision = '0005'
down_revision = '0004'
branch_labels = None
depends_on = None


def upgrade():
    op.create_table('staff_users',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('email', sa.String(length=254), nullable=False),
    sa.Column('name', sa.String(length=120), nullable=False),
    sa.Column('password_hash', sa.String(length=255), nullable=False),
    sa.Column('role', sa.String(length=12), nullable=False),
    sa.Column('phone', sa.String(length=20), nullable=True),
    sa.Column('language', sa.String(length=8), nullable=False),
    sa.Column('active', sa.Boolean(), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('last_login_at', sa.DateTime(timezone=True), nullable=True),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_users')),
    sa.UniqueConstraint('email', name=op.f('uq_staff_users_email'))
    )
    op.create_table('audit_entries',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('action', sa.String(length=40), nullable=False),
    sa.Column('person_id', sa.Integer(), nullable=True),
    sa.Column('object_type', sa.String(length=40), nullable=True),
    sa.Column('object_id', sa.Integer(), nullable=True),
    sa.Column('detail', sa.String(length=500), nullable=True),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.ForeignKeyConstraint(['person_id'], ['people.id'], name=op.f('fk_audit_entries_person_id_people'), ondelete='SET NULL'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_audit_entries_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_audit_entries'))
    )
    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_audit_entries_created_at'), ['created_at'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_person_id'), ['person_id'], unique=False)
        batch_op.create_index(batch_op.f('ix_audit_entries_staff_id'), ['staff_id'], unique=False)

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.add_column(sa.Column('claimed_by_id', sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column('claimed_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column('outcome', sa.String(length=20), nullable=True))
        batch_op.add_column(sa.Column('attempts', sa.Integer(), nullable=False, server_default='0'))
        batch_op.add_column(sa.Column('last_attempt_at', sa.DateTime(timezone=True), nullable=True))
        batch_op.create_foreign_key(batch_op.f('fk_callback_requests_claimed_by_id_staff_users'), 'staff_users', ['claimed_by_id'], ['id'], ondelete='SET NULL')

    op.create_table('staff_calls',
    sa.Column('id', sa.Integer(), nullable=False),
    sa.Column('request_id', sa.Integer(), nullable=False),
    sa.Column('staff_id', sa.Integer(), nullable=False),
    sa.Column('call_sid', sa.String(length=64), nullable=True),
    sa.Column('status', sa.String(length=16), nullable=False),
    sa.Column('created_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('updated_at', sa.DateTime(timezone=True), nullable=False),
    sa.Column('duration_seconds', sa.Integer(), nullable=True),
    sa.ForeignKeyConstraint(['request_id'], ['callback_requests.id'], name=op.f('fk_staff_calls_request_id_callback_requests'), ondelete='CASCADE'),
    sa.ForeignKeyConstraint(['staff_id'], ['staff_users.id'], name=op.f('fk_staff_calls_staff_id_staff_users')),
    sa.PrimaryKeyConstraint('id', name=op.f('pk_staff_calls')),
    sa.UniqueConstraint('call_sid', name=op.f('uq_staff_calls_call_sid'))
    )
    with op.batch_alter_table('staff_calls', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_staff_calls_request_id'), ['request_id'], unique=False)


def downgrade():
    with op.batch_alter_table('staff_calls', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_staff_calls_request_id'))
    op.drop_table('staff_calls')

    with op.batch_alter_table('callback_requests', schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f('fk_callback_requests_claimed_by_id_staff_users'), type_='foreignkey')
        batch_op.drop_column('last_attempt_at')
        batch_op.drop_column('attempts')
        batch_op.drop_column('outcome')
        batch_op.drop_column('claimed_at')
        batch_op.drop_column('claimed_by_id')

    with op.batch_alter_table('audit_entries', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_audit_entries_staff_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_person_id'))
        batch_op.drop_index(batch_op.f('ix_audit_entries_created_at'))
    op.drop_table('audit_entries')
    op.drop_table('staff_users')
