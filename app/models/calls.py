"""Phone calls: where each call is in the voice flow, and the answer to its last step."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow
from app.models.people import Person


class Call(db.Model):
    """One call, keyed by Twilio's CallSid.

    Every TwiML answer names the step it expects next; `step` is the last one answered
    and `last_response` its TwiML, so a step Twilio retries is answered again, not redone.
    """

    __tablename__ = "calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    call_sid: Mapped[str] = mapped_column(sa.String(64), unique=True)
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    flow: Mapped[str] = mapped_column(sa.String(40))
    state: Mapped[str] = mapped_column(sa.String(40))
    data: Mapped[dict] = mapped_column(sa.JSON, default=dict)
    step: Mapped[int] = mapped_column(default=0)
    last_response: Mapped[str | None] = mapped_column(sa.Text)
    # Twilio's CallStatus: in-progress, completed, busy, no-answer, failed, canceled.
    status: Mapped[str] = mapped_column(sa.String(16), default="in-progress")
    started_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    duration_seconds: Mapped[int | None]

    person: Mapped[Person] = relationship()
