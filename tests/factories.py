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


def coordinator(phone: str = "+4790000001", name: str = "Kari", language: str = "nb"):
    """An active coordinator of the test organisation (committed)."""
    from app.services.volunteers import add_coordinator

    found = add_coordinator(phone, name, organisation(), language)
    db.session.commit()
    return found


def volunteer(
    phone: str, name: str | None = None, language: str = "nb", tags=("driver",), **fields
):
    """An active volunteer (committed)."""
    from app.services.volunteers import register

    found = register(phone, name=name, language=language, tags=list(tags), **fields)
    db.session.commit()
    return found


def task(
    needed: int = 1,
    starts_in: timedelta = timedelta(days=2),
    title: str = "Kjøring til legen",
    by=None,
    **fields,
):
    """An open task of `by` (a coordinator, made if not given), committed."""
    from app.services.task_planning import create_task

    fields.setdefault("place", "Fjordvik legekontor")
    fields.setdefault("description", "Fru Hansen trenger skyss og følge.")
    now = fields.pop("now", utcnow())
    made = create_task(
        by or coordinator(), title=title, needed=needed, starts_at=now + starts_in, now=now,
        **fields,
    )  # fmt: skip
    db.session.commit()
    return made
