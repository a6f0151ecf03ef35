"""Requests for a person to call back: the promise that a human will answer."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.people import Person


class CallbackRequest(db.Model):
    __tablename__ = "callback_requests"

    OPEN, CLAIMED, DONE = "open", "claimed", "done"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    # The language staff should call back in.
    language: Mapped[str] = mapped_column(sa.String(8))
    # "asked" (RING/CALL), "stuck" (misunderstood again and again), "voice" (from a call).
    reason: Mapped[str] = mapped_column(sa.String(20))
    channel: Mapped[str] = mapped_column(sa.String(8), default="sms")
    status: Mapped[str] = mapped_column(sa.String(10), default=OPEN, index=True)
    recording_url: Mapped[str | None] = mapped_column(sa.String(500))
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship()
