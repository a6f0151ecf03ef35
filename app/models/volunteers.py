"""Volunteers, coordinators, and the tasks (oppdrag) coordinators ask volunteers to help with."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.activities import Organisation
from app.models.base import UTCDateTime, utcnow
from app.models.people import Person


class Volunteer(db.Model):
    """A person who may be asked to help. Language and phone are the person's own."""

    __tablename__ = "volunteers"

    PENDING, ACTIVE, INACTIVE = "pending", "active", "inactive"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), unique=True
    )
    # pending: said FRIVILLIG and waits for a coordinator to talk to them and approve.
    status: Mapped[str] = mapped_column(sa.String(10), default=PENDING, index=True)
    # Lower-case skills and languages spoken: ["driver", "pl"].
    tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    area: Mapped[str | None] = mapped_column(sa.String(60))
    # Set while the volunteer has asked for a break (PAUSE); START clears it.
    paused_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    approved_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    note: Mapped[str | None] = mapped_column(sa.Text)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship()


class Coordinator(db.Model):
    """Someone at a volunteer centre who creates tasks and chooses whom to ask."""

    __tablename__ = "coordinators"

    id: Mapped[int] = mapped_column(primary_key=True)
    person_id: Mapped[int] = mapped_column(
        sa.ForeignKey("people.id", ondelete="CASCADE"), unique=True
    )
    organisation_id: Mapped[int | None] = mapped_column(sa.ForeignKey("organisations.id"))
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person] = relationship()
    organisation: Mapped[Organisation | None] = relationship()


class Task(db.Model):
    """One request for help: "drive Mrs Hansen to the doctor", needing `needed` volunteers."""

    __tablename__ = "tasks"
    __table_args__ = (
        sa.CheckConstraint("accepted >= 0 AND accepted <= needed", name="within_needed"),
        sa.CheckConstraint("needed >= 1", name="needs_someone"),
    )

    OPEN, FILLED, EXPIRED, CANCELLED = "open", "filled", "expired", "cancelled"

    id: Mapped[int] = mapped_column(primary_key=True)
    # The number volunteers type (JA 45). Unique while the task is current; released
    # (None) a day after it took place, so numbers stay short.
    code: Mapped[int | None] = mapped_column(unique=True)
    title: Mapped[str] = mapped_column(sa.String(60))
    description: Mapped[str] = mapped_column(sa.String(160), default="")
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    place: Mapped[str] = mapped_column(sa.String(80))
    area: Mapped[str | None] = mapped_column(sa.String(60))
    # What an accepted volunteer needs to reach someone: "Kari, 912 34 567".
    contact: Mapped[str] = mapped_column(sa.String(80))
    needed: Mapped[int] = mapped_column(default=1)
    # Places taken, changed only by conditional UPDATEs (see services.tasks).
    accepted: Mapped[int] = mapped_column(default=0)
    required_tags: Mapped[list] = mapped_column(sa.JSON, default=list)
    required_language: Mapped[str | None] = mapped_column(sa.String(8))
    expires_at: Mapped[datetime] = mapped_column(UTCDateTime(), index=True)
    coordinator_id: Mapped[int] = mapped_column(sa.ForeignKey("coordinators.id"))
    status: Mapped[str] = mapped_column(sa.String(10), default=OPEN, index=True)
    # Tell those asked who have not answered when the task fills or expires.
    notify_unanswered: Mapped[bool] = mapped_column(default=True)
    # Minutes between one wave and the next, unless a wave says otherwise.
    wave_interval: Mapped[int] = mapped_column(default=120)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    filled_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    coordinator: Mapped[Coordinator] = relationship()


class TaskWave(db.Model):
    """A group of volunteers asked together; wave 2 goes out only if wave 1 did not fill it."""

    __tablename__ = "task_waves"
    __table_args__ = (sa.UniqueConstraint("task_id", "number"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    number: Mapped[int]
    # Minutes after the previous wave went out; None: the task's wave_interval.
    after_minutes: Mapped[int | None]
    # When it is due (set by `task send`, or when the previous wave went out).
    send_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime())

    task: Mapped[Task] = relationship()


class TaskOffer(db.Model):
    """One volunteer asked (or to be asked) to help with one task, and what they answered."""

    __tablename__ = "task_offers"
    __table_args__ = (
        sa.UniqueConstraint("task_id", "person_id"),
        sa.Index("ix_task_offers_person_status", "person_id", "status"),
    )

    # planned: on a wave not sent yet; skipped: paused/inactive/capped when the wave went;
    # taken: said yes too late; no_longer_needed: told the task filled, expired or ended.
    PLANNED, SKIPPED, ASKED = "planned", "skipped", "asked"
    ACCEPTED, DECLINED, WITHDRAWN = "accepted", "declined", "withdrawn"
    TAKEN, NO_LONGER_NEEDED = "taken", "no_longer_needed"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"))
    person_id: Mapped[int] = mapped_column(sa.ForeignKey("people.id", ondelete="CASCADE"))
    volunteer_id: Mapped[int] = mapped_column(sa.ForeignKey("volunteers.id", ondelete="CASCADE"))
    wave: Mapped[int] = mapped_column(default=1)
    status: Mapped[str] = mapped_column(sa.String(20), default=PLANNED)
    # The request SMS, for delivery progress per task.
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    asked_at: Mapped[datetime | None] = mapped_column(UTCDateTime(), index=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    task: Mapped[Task] = relationship()
    person: Mapped[Person] = relationship()
    volunteer: Mapped[Volunteer] = relationship()


class TaskEvent(db.Model):
    """The task's history, for coordinators: created, waves, answers, filled, expired."""

    __tablename__ = "task_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    task_id: Mapped[int] = mapped_column(sa.ForeignKey("tasks.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(sa.String(20))
    person_id: Mapped[int | None] = mapped_column(sa.ForeignKey("people.id", ondelete="SET NULL"))
    # Short and free of phone numbers: "wave 2: 5 asked".
    detail: Mapped[str | None] = mapped_column(sa.String(200))
    # The SMS that told the coordinator, if one went.
    message_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("messages.id", ondelete="SET NULL")
    )
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)

    person: Mapped[Person | None] = relationship()
