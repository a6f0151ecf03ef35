"""a person's messages in order: (person_id, id) instead of (person_id)

Revision ID: 0012
Revises: 0011
Create Date: 2026-11-24 04:30:00

Every inbound text now reads the sender's last few texts (the auto-reply loop check,
`ORDER BY id DESC LIMIT n`), and staff pages list a person's messages in order. With an
index on person_id alone that reads and sorts all of the person's messages, which grow
with every text they ever sent; on (person_id, id) it reads the last few and stops
(bench/growth.py shows both plans for a resident with thousands of texts). The new
index serves every search by person_id the old one did, so the old one goes.
"""
from alembic import op


# revision identifiers, used by Alembic.
revision = '0012'
down_revision = '0011'
branch_labels = None
depends_on = None


def upgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_person_id_id'), ['person_id', 'id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_messages_person_id'))


def downgrade():
    with op.batch_alter_table('messages', schema=None) as batch_op:
        batch_op.create_index(batch_op.f('ix_messages_person_id'), ['person_id'], unique=False)
        batch_op.drop_index(batch_op.f('ix_messages_person_id_id'))
