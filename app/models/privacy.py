"""What is left after a person's data is deleted, and recordings Twilio still has to delete."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Deletion(db.Model):
    """One person's data deleted: when, at whose request, and how much (counts only).

    `person_id` points at the anonymised person row (no number, no name), so counts
    per day and language stay possible; nothing here leads back to who it was.
    """

    __tablename__ = "deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    # "resident" (by SMS), "staff:<staff id>" or "api:<token name>".
    requested_by: Mapped[str] = mapped_column(sa.String(80))
    # {"messages": 12, "signups": 2, "task_offers": 1, "callbacks": 1, ...}
    counts: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


class RecordingDeletion(db.Model):
    """A recording whose file Twilio still keeps: we ask Twilio to delete it until it has.

    Written in the same transaction that forgets the recording's URL, so the request to
    Twilio survives a Redis or Twilio outage (the retention job retries it).
    """

    __tablename__ = "recording_deletions"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Twilio's RecordingSid ("RE…"): not personal by itself, and gone once Twilio confirms.
    recording_sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    attempts: Mapped[int] = mapped_column(default=0)
    last_error_code: Mapped[int | None]
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
