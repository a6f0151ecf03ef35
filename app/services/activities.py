"""Activities and their dated occurrences, each with a short code people can type."""

from datetime import datetime, timedelta

import sqlalchemy as sa
from sqlalchemy.orm import contains_eager, joinedload

from app.extensions import db
from app.models import Activity, Occurrence, Organisation, Person, SignUp
from app.services.signups import promote_first_waiting
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


def organisation_named(name: str) -> Organisation:
    """The organisation with this name (any case), added if there is none. Caller commits."""
    name = name.strip()[:120]
    found = db.session.scalar(
        sa.select(Organisation).where(sa.func.lower(Organisation.name) == name.lower())
    )
    if found is None:
        found = Organisation(name=name)
        db.session.add(found)
        db.session.flush()
    return found


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


def _materialise(activity: Activity, until: datetime, skip_days=frozenset()) -> int:
    existing = set(
        db.session.scalars(
            sa.select(Occurrence.starts_at).where(Occurrence.activity_id == activity.id)
        )
    )
    duration = timedelta(minutes=activity.duration_minutes)
    zone = local_zone()
    created = 0
    for start in weekly_starts(activity, until):
        if start in existing or start + duration < utcnow():
            continue
        if skip_days and start.astimezone(zone).date() in skip_days:
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
    """Give every current occurrence without a code the smallest free one, in time order.

    Dates cancelled before they had a code (an imported series' EXDATEs) need none.
    """
    taken = set(db.session.scalars(sa.select(Occurrence.code).where(Occurrence.code.is_not(None))))
    waiting = db.session.scalars(
        sa.select(Occurrence)
        .where(
            Occurrence.code.is_(None),
            Occurrence.ends_at >= utcnow() - CODE_GRACE,
            ~Occurrence.cancelled,
        )
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
            # Filled from the join: listing then reads each title and place without a
            # query per line (bench/: three fewer queries per page).
            .options(contains_eager(Occurrence.activity))
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
    return db.session.scalar(
        sa.select(Occurrence)
        .where(Occurrence.code == code)
        .options(joinedload(Occurrence.activity))  # every caller reads the title next
    )


# Fields whose change moves or reshapes the dated occurrences.
_SCHEDULE_FIELDS = {"starts_at", "duration_minutes", "repeat_weekly", "repeat_until", "capacity"}
# Fields signed-up people are told about when they change.
_TOLD_FIELDS = {"starts_at", "place"}


def update_activity(activity: Activity, now: datetime | None = None, **fields) -> int:
    """Change an activity; its future occurrences follow. Caller commits.

    An occurrence on the same local date (or the one date of a single activity) is
    changed in place, so its code and its sign-ups stay, and those signed up are told
    if the time or place moved. Occurrences the new schedule no longer has are
    cancelled (everyone on them is told) or, with nobody ever signed up, removed.
    Returns how many people will get an SMS about the change.
    """
    now = now or utcnow()
    changed = {k for k, v in fields.items() if getattr(activity, k) != v}
    for name in changed:
        setattr(activity, name, fields[name])
    if activity.cancelled or not changed & (_SCHEDULE_FIELDS | _TOLD_FIELDS):
        db.session.flush()
        return 0
    told = 0
    future = _future_occurrences(activity, now)
    starts = [s for s in weekly_starts(activity, now + timedelta(days=HORIZON_DAYS)) if s > now]
    zone = local_zone()
    by_day = {s.astimezone(zone).date(): s for s in starts}
    duration = timedelta(minutes=activity.duration_minutes)
    for occurrence in future:
        day = occurrence.starts_at.astimezone(zone).date()
        start = by_day.pop(day, None)
        if start is None and not activity.repeat_weekly and starts:
            start = by_day.pop(starts[0].astimezone(zone).date(), None)
        if start is None:
            told += _drop_occurrence(occurrence)
            continue
        moved = occurrence.starts_at != start
        occurrence.starts_at, occurrence.ends_at = start, start + duration
        # Nobody loses a confirmed place because the capacity went down.
        capacity = activity.capacity
        occurrence.capacity = None if capacity is None else max(capacity, occurrence.booked)
        db.session.flush()
        _fill_from_waiting_list(occurrence)
        if moved or "place" in changed:
            key = f"changed:{occurrence.id}:{start:%Y%m%d%H%M}:{activity.place}"
            told += _tell(occurrence, "activity_changed", key)
    # A date cancelled on its own stays cancelled, whatever time the series moves to.
    cancelled_days = {
        o.starts_at.astimezone(zone).date() for o in _future_occurrences(activity, now, True)
    }
    _materialise(activity, now + timedelta(days=HORIZON_DAYS), skip_days=cancelled_days)
    _assign_codes()
    return told


def cancel_activity(activity: Activity, now: datetime | None = None) -> int:
    """Cancel the activity and every occurrence not yet started; returns how many are told."""
    activity.cancelled = True
    told = sum(cancel_occurrence(o) for o in _future_occurrences(activity, now or utcnow()))
    db.session.flush()
    return told


def cancel_occurrence(occurrence: Occurrence) -> int:
    """Cancel one date and text everyone confirmed or waiting, once each. Caller commits.

    Their sign-ups stay as they were, so staff can still see who had signed up.
    Returns how many people will get the SMS.
    """
    # A conditional UPDATE, so two coordinators pressing at once cancel (and tell) once;
    # the dedup keys would stop a second SMS anyway.
    done = db.session.execute(
        sa.update(Occurrence)
        .where(Occurrence.id == occurrence.id, ~Occurrence.cancelled)
        .values(cancelled=True)
    ).rowcount
    db.session.refresh(occurrence)
    if not done:
        return 0
    return _tell(occurrence, "activity_cancelled", f"cancelled:{occurrence.id}")


def people_to_tell(occurrences: list[Occurrence]) -> int:
    """How many SMS cancelling these occurrences would send (for the confirmation page)."""
    ids = [o.id for o in occurrences if not o.cancelled]
    if not ids:
        return 0
    return db.session.scalar(
        sa.select(sa.func.count())
        .select_from(SignUp)
        .join(SignUp.person)
        .where(SignUp.occurrence_id.in_(ids), _is_current(), ~Person.opted_out)
    )


def future_occurrences(activity: Activity, now: datetime | None = None) -> list[Occurrence]:
    """The activity's occurrences not yet started and not cancelled, soonest first."""
    return _future_occurrences(activity, now or utcnow())


def _future_occurrences(
    activity: Activity, now: datetime, cancelled: bool = False
) -> list[Occurrence]:
    return list(
        db.session.scalars(
            sa.select(Occurrence)
            .where(
                Occurrence.activity_id == activity.id,
                Occurrence.starts_at > now,
                Occurrence.cancelled == cancelled,
            )
            .order_by(Occurrence.starts_at)
        )
    )


def _is_current():
    return SignUp.status.in_((SignUp.CONFIRMED, SignUp.WAITING))


def _drop_occurrence(occurrence: Occurrence) -> int:
    """An occurrence the schedule no longer has: removed if nobody ever signed up."""
    ever = db.session.scalar(
        sa.select(sa.func.count()).select_from(SignUp).where(SignUp.occurrence_id == occurrence.id)
    )
    if ever:
        return cancel_occurrence(occurrence)
    db.session.delete(occurrence)
    db.session.flush()
    return 0


def _tell(occurrence: Occurrence, notice: str, key: str) -> int:
    """Queue `notice` to everyone confirmed or waiting on the occurrence, once per key."""
    # Imported here: the conversation package imports this module.
    from app.conversation.notices import send_signup_notice

    signups = db.session.scalars(
        sa.select(SignUp)
        .where(SignUp.occurrence_id == occurrence.id, _is_current())
        .order_by(SignUp.id)
    ).all()
    told = 0
    for signup in signups:
        if signup.person.opted_out:
            continue
        send_signup_notice(notice, signup, dedup_key=f"{key}:{signup.person_id}")
        told += 1
    return told


def _fill_from_waiting_list(occurrence: Occurrence) -> None:
    """After capacity went up: move people up from the waiting list and tell them."""
    from app.conversation.notices import send_signup_notice

    while (promoted := promote_first_waiting(occurrence)) is not None:
        send_signup_notice("promoted", promoted, dedup_key=None)
