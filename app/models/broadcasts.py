"""Broadcasts: one text from a coordinator to a group (volunteers, or an activity's sign-ups)."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Broadcast(db.Model):
    """What was written, to whom, and how far sending it has come.

    Each recipient's SMS is an outbox row (`messages.broadcast_id`), so delivery
    progress is read from the rows that Twilio's status callbacks update.
    """

    __tablename__ = "broadcasts"

    VOLUNTEERS, ACTIVITY = "volunteers", "activity"
    # draft: written, previewed; sending: asked to send (waits for the morning in
    # quiet hours); sent: every recipient's message is in the outbox.
    DRAFT, SENDING, SENT = "draft", "sending", "sent"

    id: Mapped[int] = mapped_column(primary_key=True)
    created_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    # The coordinator's own words, sent as written (plus a short footer per language).
    body: Mapped[str] = mapped_column(sa.Text)
    # Optional translations written by the coordinator: {"en": "..."}.
    translations: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    audience: Mapped[str] = mapped_column(sa.String(12))
    # volunteers: {"tags": [...], "area": "..."}; activity: {"occurrence_id": 3,
    # "waiting": true}.
    audience_filter: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    status: Mapped[str] = mapped_column(sa.String(10), default=DRAFT, index=True)
    # When the send is due: when it was asked for, or the end of the quiet hours.
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
