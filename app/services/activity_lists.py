"""What the coordinators' activity pages show: activities by next date, and who signed up."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import Activity, Occurrence, Organisation, SignUp


@dataclass(frozen=True)
class Listed:
    activity: Activity
    next: Occurrence | None  # the next date not yet over and not cancelled
    waiting: int  # on the waiting list of that date


@dataclass(frozen=True)
class Dated:
    occurrence: Occurrence
    confirmed: list[SignUp]
    waiting: list[SignUp]  # in waiting-list order


def overview(
    now: datetime, search: str | None = None, organisation_id: int | None = None
) -> list[Listed]:
    """Activities with something coming first (soonest first), then cancelled or over ones."""
    query = sa.select(Activity).join(Activity.organisation)
    if search:
        pattern = f"%{search.strip().lower()}%"
        query = query.where(
            sa.or_(sa.func.lower(Activity.title).like(pattern),
                   sa.func.lower(Activity.place).like(pattern))
        )  # fmt: skip
    if organisation_id:
        query = query.where(Activity.organisation_id == organisation_id)
    found = list(db.session.scalars(query.order_by(Activity.starts_at.desc(), Activity.id)))
    nexts = _next_occurrences([a.id for a in found], now)
    waiting = _waiting_counts([o.id for o in nexts.values()])
    rows = [Listed(a, nexts.get(a.id), waiting.get(getattr(nexts.get(a.id), "id", None), 0))
            for a in found]  # fmt: skip
    # Upcoming by their next date; the rest (over or cancelled) after, newest first.
    upcoming = sorted((r for r in rows if r.next and not r.activity.cancelled),
                      key=lambda r: r.next.starts_at)  # fmt: skip
    return upcoming + [r for r in rows if not (r.next and not r.activity.cancelled)]


def organisations() -> list[Organisation]:
    return list(db.session.scalars(sa.select(Organisation).order_by(Organisation.name)))


def dates_of(activity: Activity, now: datetime, past: int = 3) -> list[Dated]:
    """The activity's dates not yet over, and the last `past` ones, each with its sign-ups."""
    coming = db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.activity_id == activity.id, Occurrence.ends_at >= now)
        .order_by(Occurrence.starts_at)
    ).all()
    over = db.session.scalars(
        sa.select(Occurrence)
        .where(Occurrence.activity_id == activity.id, Occurrence.ends_at < now)
        .order_by(Occurrence.starts_at.desc())
        .limit(past)
    ).all()
    occurrences = list(reversed(over)) + list(coming)
    signups = db.session.scalars(
        sa.select(SignUp)
        .where(
            SignUp.occurrence_id.in_([o.id for o in occurrences]),
            SignUp.status.in_((SignUp.CONFIRMED, SignUp.WAITING)),
        )
        .order_by(SignUp.queued_at, SignUp.id)
    ).all()
    dated = []
    for occurrence in occurrences:
        mine = [s for s in signups if s.occurrence_id == occurrence.id]
        dated.append(
            Dated(
                occurrence,
                sorted((s for s in mine if s.status == SignUp.CONFIRMED),
                       key=lambda s: (s.created_at, s.id)),
                [s for s in mine if s.status == SignUp.WAITING],
            )
        )  # fmt: skip
    return dated


def _next_occurrences(activity_ids: list[int], now: datetime) -> dict[int, Occurrence]:
    if not activity_ids:
        return {}
    found = {}
    for occurrence in db.session.scalars(
        sa.select(Occurrence)
        .where(
            Occurrence.activity_id.in_(activity_ids),
            Occurrence.ends_at >= now,
            ~Occurrence.cancelled,
        )
        .order_by(Occurrence.starts_at.desc())
    ):
        found[occurrence.activity_id] = occurrence  # the soonest is written last
    return found


def _waiting_counts(occurrence_ids: list[int]) -> dict[int, int]:
    if not occurrence_ids:
        return {}
    rows = db.session.execute(
        sa.select(SignUp.occurrence_id, sa.func.count())
        .where(SignUp.occurrence_id.in_(occurrence_ids), SignUp.status == SignUp.WAITING)
        .group_by(SignUp.occurrence_id)
    )
    return dict(rows.all())
