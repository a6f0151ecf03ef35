"""An activity's title and description in another language than it was written in."""

from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.orm import Mapped, mapped_column, relationship

from app.extensions import db
from app.models.activities import Activity
from app.models.base import UTCDateTime, utcnow


class ActivityTranslation(db.Model):
    """One language's title (and description) of one activity, written by staff."""

    __tablename__ = "activity_translations"
    __table_args__ = (sa.UniqueConstraint("activity_id", "language"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    activity_id: Mapped[int] = mapped_column(
        sa.ForeignKey("activities.id", ondelete="CASCADE")
    )
    language: Mapped[str] = mapped_column(sa.String(8))
    # As long as the activity's own: both are sent in text messages.
    title: Mapped[str] = mapped_column(sa.String(80))
    description: Mapped[str | None] = mapped_column(sa.Text)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, onupdate=utcnow)

    activity: Mapped[Activity] = relationship(back_populates="translations")
