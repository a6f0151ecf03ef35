"""Activities and their dated occurrences, each with a short code people can type."""

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Activity, Occurrence, Organisation
from app.timeutil import local_zone, utcnow

HORIZON_DAYS = 28
# Codes start at 10 so that 1-9 always mean menu choices.
FIRST_CODE = 10
# A code stays attached a day after the end, then is freed for reuse.
CODE_GRACE = timedelta(days=1)


def create_activity(organisation: Organisation, **fields) -> Activity:
    """Add an activity and its occurrences within the horizon (caller commits)."""
    activity = Activity(organisation=organisation, **fields)
    db.session.add(activity)
    db.session.flush()
    _materialise(activity, utcnow() + timedelta(days=HORIZON_DAYS))
    _assign_codes()
    return activity


def ensure_occurrences(now: datetime | None = None) -> int:
    """Create missing occurrences up to the horizon, give them codes, free old codes.

    Run daily by the scheduler and after imports; safe to run any number of times.
    Returns how many occurrences were created.
    """
    now = now or utcnow()
    db.session.execute(
        sa.update(Occurrence)
        .where(Occurrence.ends_at < now - CODE_GRACE, Occurrence.code.is_not(None))
        .values(code=None)
    )
    until = now + timedelta(days=HORIZON_DAYS)
    created = 0
    for activity in db.session.scalars(sa.select(Activity).where(~Activity.cancelled)):
        created += _materialise(activity, until)
    _assign_codes()
    return created


def weekly_starts(activity: Activity, until: datetime) -> list[datetime]:
    """Start times of the activity up to `until`, keeping local wall-clock time over DST."""
    if not activity.repeat_weekly:
        return [activity.starts_at] if activity.starts_at <= until else []
    zone = local_zone()
    first = activity.starts_at.astimezone(zone).replace(tzinfo=None)
    last_day = activity.repeat_until
    starts = []
    week = 0
    while True:
        local = first + timedelta(weeks=week)
        start = local.replace(tzinfo=zone).astimezone(activity.starts_at.tzinfo)
        if start > until or (last_day and local.date() > last_day):
            return starts
        starts.append(start)
        week += 1


def _materialise(activity: Activity, until: datetime) -> int:
    existing = set(
        db.session.scalars(
            sa.select(Occurrence.starts_at).where(Occurrence.activity_id == activity.id)
        )
    )
    duration = timedelta(minutes=activity.duration_minutes)
    created = 0
    for start in weekly_starts(activity, until):
        if start in existing or start + duration < utcnow():
            continue
        db.session.add(
            Occurrence(
                activity_id=activity.id,
                starts_at=start,
                ends_at=start + duration,
                capacity=activity.capacity,
            )
        )
        created += 1
    db.session.flush()
    return created


def _assign_codes() -> None:
    """Give every current occurrence without a code the smallest free one, in time order."""
    taken = set(db.session.scalars(sa.select(Occurrence.code).where(Occurrence.code.is_not(None))))
    waiting = db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.code.is_(None), Occurrence.ends_at >= utcnow() - CODE_GRACE)
        .order_by(Occurrence.starts_at, Occurrence.id)
    )
    candidate = FIRST_CODE
    for occurrence in waiting:
        while candidate in taken:
            candidate += 1
        occurrence.code = candidate
        taken.add(candidate)
    db.session.flush()


def upcoming(now: datetime, offset: int = 0, limit: int = 3) -> list[Occurrence]:
    """Occurrences not yet started, soonest first, for listing page by page."""
    return list(
        db.session.scalars(
            sa.select(Occurrence)
            .join(Occurrence.activity)
            .where(
                Occurrence.starts_at >= now,
                ~Occurrence.cancelled,
                ~Activity.cancelled,
                Occurrence.code.is_not(None),
            )
            .order_by(Occurrence.starts_at, Occurrence.id)
            .offset(offset)
            .limit(limit)
        )
    )


def by_code(code: int) -> Occurrence | None:
    """The current occurrence people reach by this code, if any."""
    return db.session.scalar(sa.select(Occurrence).where(Occurrence.code == code))
