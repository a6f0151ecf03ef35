"""Requests for a person to call back: the promise that a human will answer."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.people import Person
from app.models.staff import StaffUser


class CallbackRequest(db.Model):
    __tablename__ = "callback_requests"

    OPEN, CLAIMED, DONE = "open", "claimed", "done"
    # What staff record after trying: "reached", "no_answer", "try_later".
    OUTCOMES = ("reached", "no_answer", "try_later")

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
    # Who is handling it; taken with a conditional UPDATE so only one can.
    claimed_by_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("staff_users.id", ondelete="SET NULL")
    )
    claimed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    outcome: Mapped[str | None] = mapped_column(sa.String(20))
    attempts: Mapped[int] = mapped_column(default=0)
    last_attempt_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    person: Mapped[Person] = relationship()
    claimed_by: Mapped[StaffUser | None] = relationship()


class StaffCall(db.Model):
    """One press of Call: Twilio rings the staff member, then bridges to the resident."""

    __tablename__ = "staff_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        sa.ForeignKey("callback_requests.id", ondelete="CASCADE"), index=True
    )
    staff_id: Mapped[int] = mapped_column(sa.ForeignKey("staff_users.id"))
    # Twilio's CallSid once Twilio took the call; None while queued or when simulated.
    call_sid: Mapped[str | None] = mapped_column(sa.String(64), unique=True)
    # Ours ("queued", "simulated", "failed") and then Twilio's CallStatus values.
    status: Mapped[str] = mapped_column(sa.String(16), default="queued")
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    duration_seconds: Mapped[int | None]
