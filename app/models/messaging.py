"""Conversations and every message in and out (the outbox is the `messages` table)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Conversation(db.Model):
    """Where a person is in a flow. `key` is "sms:<person id>"; calls keep theirs in `calls`."""

    __tablename__ = "conversations"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(sa.String(64), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)


class Message(db.Model):
    """One SMS. Outbound rows are written before any job runs, so nothing is lost."""

    __tablename__ = "messages"
    __table_args__ = (
        sa.Index("ix_messages_status_created", "status", "created_at"),
        # A person's messages in order: the last few texts in (every inbound text's loop
        # check) read without sorting all of them (migration 0012).
        sa.Index("ix_messages_person_id_id", "person_id", "id"),
        # Retention's search: bodies still kept, by age (partial, so it stays small).
        sa.Index(
            "ix_messages_body_kept_created",
            "created_at",
            postgresql_where=sa.text("body IS NOT NULL"),
            sqlite_where=sa.text("body IS NOT NULL"),
        ),
    )

    IN, OUT = "in", "out"
    # Outbound life: queued -> sending -> sent -> delivered | undelivered | failed.
    # "replied" is an answer given inside the webhook's TwiML; "simulated" one kept
    # in simulator mode; "blocked" one never sent because the person opted out;
    # "unknown" one whose send may or may not have reached Twilio (never resent blindly:
    # the sweep asks Twilio, then marks it sent or queues it again).
    # `lease_until` on a queued row means "the sweep not before" (a retry is due).

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    direction: Mapped[str] = mapped_column(sa.String(3))
    kind: Mapped[str] = mapped_column(sa.String(20), default="reply")
    # Kept for a limited time only (retention), hence nullable.
    body: Mapped[str | None] = mapped_column(sa.Text)
    twilio_sid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    status: Mapped[str] = mapped_column(sa.String(16))
    error_code: Mapped[int | None]
    # Makes an outbound message idempotent: "reminder:<signup id>" is queued at most once.
    dedup_key: Mapped[str | None] = mapped_column(sa.String(80), unique=True)
    reply_to_id: Mapped[int | None] = mapped_column(sa.ForeignKey("messages.id"), index=True)
    # The broadcast this message is part of, for its progress bar.
    broadcast_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("broadcasts.id", ondelete="SET NULL"), index=True
    )
    attempts: Mapped[int] = mapped_column(default=0)
    lease_until: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
