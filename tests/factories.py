"""Small builders for test data, through the same services the app uses."""

from datetime import datetime, timedelta

from app.extensions import db
from app.models import Occurrence, Organisation
from app.services.activities import create_activity
from app.timeutil import utcnow


def organisation(name: str = "Fjordvik frivilligsentral") -> Organisation:
    org = db.session.query(Organisation).filter_by(name=name).one_or_none()
    if org is None:
        org = Organisation(name=name, phone="+4791000000")
        db.session.add(org)
        db.session.flush()
    return org


def occurrence(
    title: str = "Strikkekafé",
    starts_in: timedelta = timedelta(days=2),
    capacity: int | None = None,
    starts_at: datetime | None = None,
    **fields,
) -> Occurrence:
    """A single-date activity and its one occurrence (committed); returns the occurrence."""
    fields.setdefault("place", "Biblioteket")
    activity = create_activity(
        organisation(),
        title=title,
        starts_at=starts_at or utcnow() + starts_in,
        capacity=capacity,
        **fields,
    )
    db.session.commit()
    return db.session.query(Occurrence).filter_by(activity_id=activity.id).one()
