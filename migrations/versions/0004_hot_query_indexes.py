"""indexes for hot queries found by the benchmarks (bench/growth.py)

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-23 02:25:00

- signups.person_id: "my sign-ups" (SMS MINE, the phone line's sign-ups) looked up a
  person's sign-ups by a sequential scan; the unique (occurrence_id, person_id) index
  cannot serve a search by person alone.
- messages.reply_to_id: a redelivered MessageSid is answered with the replies stored
  for it; without the index that was a sequential scan of every message ever kept.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0004'
down_revision = '0003'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_signups_person_id'), ['person_id'], unique=False)
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_reply_to_id'), ['reply_to_id'], unique=False)


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_messages_reply_to_id'))
    with op.batch_alter_table('signups', schema=None) as batch_op:
        batch_op.drop_index(batch_op.f('ix_signups_person_id'))
