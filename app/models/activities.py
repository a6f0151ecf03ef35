"""Organisations, their activities, the dated occurrences people sign up for."""

from datetime import date, datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.base import UTCDateTime, utcnow


class Organisation(db.Model):
    __tablename__ = "organisations"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(sa.String(120), unique=True)
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    email: Mapped[str | None] = mapped_column(sa.String(200))


class Activity(db.Model):
    """What is on: a single date, or a weekly series from `starts_at` until `repeat_until`."""

    __tablename__ = "activities"
    # An imported activity is found again by its id in the source (CSV external_id or iCal
    # UID) within that source (a URL or file name), so a re-import updates it.
    __table_args__ = (sa.UniqueConstraint("source", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    organisation_id: Mapped[int] = mapped_column(sa.ForeignKey("organisations.id"))
    title: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text)
    place: Mapped[str] = mapped_column(sa.String(120))
    address: Mapped[str | None] = mapped_column(sa.String(200))
    directions: Mapped[str | None] = mapped_column(sa.String(300))
    cost: Mapped[str | None] = mapped_column(sa.String(60))
    contact: Mapped[str | None] = mapped_column(sa.String(120))
    # None means no limit on sign-ups.
    capacity: Mapped[int | None]
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime())
    duration_minutes: Mapped[int] = mapped_column(default=120)
    repeat_weekly: Mapped[bool] = mapped_column(default=False)
    repeat_until: Mapped[date | None]
    cancelled: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Both None for activities made by hand.
    source: Mapped[str | None] = mapped_column(sa.String(300))
    external_id: Mapped[str | None] = mapped_column(sa.String(300))

    organisation: Mapped[Organisation] = relationship()
    # Titles and descriptions in other languages (app.services.activity_translations).
    translations: Mapped[list["ActivityTranslation"]] = relationship(  # noqa: F821
        back_populates="activity", cascade="all, delete-orphan"
    )


class Occurrence(db.Model):
    """One dated session of an activity, with its own short code and its own places."""

    __tablename__ = "occurrences"
    __table_args__ = (
        sa.UniqueConstraint("activity_id", "starts_at"),
        sa.CheckConstraint("capacity IS NULL OR booked <= capacity", name="within_capacity"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(sa.ForeignKey("activities.id"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime())
    # The number people type (`MELD 12`). Unique while the occurrence is current; released
    # (set to None) once it is over, so codes stay short.
    code: Mapped[int | None] = mapped_column(unique=True)
    capacity: Mapped[int | None]
    # Confirmed places taken, changed only by conditional UPDATEs (see services.signups).
    booked: Mapped[int] = mapped_column(default=0)
    cancelled: Mapped[bool] = mapped_column(default=False)

    activity: Mapped[Activity] = relationship()


class SignUp(db.Model):
    __tablename__ = "signups"
    __table_args__ = (sa.UniqueConstraint("occurrence_id", "person_id"),)

    CONFIRMED, WAITING, CANCELLED = "confirmed", "waiting", "cancelled"

    id: Mapped[int] = mapped_column(primary_key=True)
    occurrence_id: Mapped[int] = mapped_column(sa.ForeignKey("occurrences.id"), index=True)
    # Indexed for "my sign-ups": the unique constraint above leads with occurrence_id.
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[str] = mapped_column(sa.String(12))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    # Waiting-list order: when the person (last) joined the list.
    queued_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    occurrence: Mapped[Occurrence] = relationship()
    person: Mapped["Person"] = relationship()  # noqa: F821 - resolved by the registry
