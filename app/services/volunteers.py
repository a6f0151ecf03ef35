"""Volunteers and coordinators: who they are, whether they may be asked, and who suits a task.

Coordinators choose whom to ask ("I know Mrs Hansen suits that task better"): the
filter here only narrows the list to people it is fair to ask; it never sends anything.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Coordinator, Organisation, Person, Task, TaskOffer, Volunteer
from app.services import people
from app.services.people import language_of
from app.timeutil import utcnow

# Offer statuses that mean a request really went out to the person.
WAS_ASKED = (
    TaskOffer.ASKED, TaskOffer.ACCEPTED, TaskOffer.DECLINED, TaskOffer.WITHDRAWN,
    TaskOffer.TAKEN, TaskOffer.NO_LONGER_NEEDED,
)  # fmt: skip
WEEK = timedelta(days=7)


def clean_tags(tags) -> list[str]:
    """ "Driver, pl " -> ["driver", "pl"]: lower case, no blanks, no repeats, in order."""
    if isinstance(tags, str):
        tags = tags.split(",")
    return list(dict.fromkeys(t.strip().lower() for t in tags or [] if t and t.strip()))


def volunteer_for(person: Person) -> Volunteer | None:
    """The person's volunteer record, whatever its status; None if they never were one."""
    return db.session.scalar(sa.select(Volunteer).where(Volunteer.person_id == person.id))


def is_active_volunteer(person: Person) -> bool:
    """True for an approved volunteer who is not on a break (PAUSE) and has not opted out."""
    volunteer = volunteer_for(person)
    return (
        volunteer is not None
        and volunteer.status == Volunteer.ACTIVE
        and volunteer.paused_at is None
        and not person.opted_out
    )


def register(
    phone: str,
    name: str | None = None,
    language: str | None = None,
    tags=None,
    area: str | None = None,
    note: str | None = None,
    now: datetime | None = None,
) -> Volunteer:
    """A coordinator registers (or updates) a volunteer; they are active at once. Caller commits."""
    person = people.find_or_create(phone)
    if name:
        person.name = name
    if language:
        person.language = language
    volunteer = volunteer_for(person) or Volunteer(person_id=person.id, tags=[])
    volunteer.person = person
    volunteer.tags = clean_tags(tags) if tags is not None else list(volunteer.tags or [])
    volunteer.area = area or volunteer.area
    volunteer.note = note or volunteer.note
    _activate(volunteer, now)
    db.session.add(volunteer)
    db.session.flush()
    return volunteer


def update_details(
    volunteer: Volunteer,
    name: str | None = None,
    language: str | None = None,
    tags=None,
    area: str | None = None,
    note: str | None = None,
) -> None:
    """A coordinator corrects a volunteer's details; their status stays as it is."""
    person = volunteer.person
    person.name = name or person.name
    person.language = language or person.language
    if tags is not None:
        volunteer.tags = clean_tags(tags)
    volunteer.area = area or None
    volunteer.note = note or None
    db.session.flush()


# The statuses a coordinator sees: paused is an active volunteer on a break.
PAUSED = "paused"
LIST_STATUSES = (Volunteer.PENDING, Volunteer.ACTIVE, PAUSED, Volunteer.INACTIVE)


def status_of(volunteer: Volunteer) -> str:
    """pending, active, paused or inactive."""
    if volunteer.status == Volunteer.ACTIVE and volunteer.paused_at is not None:
        return PAUSED
    return volunteer.status


def listing(status: str | None = None, tag: str | None = None) -> list[Volunteer]:
    """Volunteers for the coordinators' list: pending first (they wait for a call), then by name."""
    query = sa.select(Volunteer).join(Volunteer.person)
    if status == PAUSED:
        query = query.where(Volunteer.status == Volunteer.ACTIVE, Volunteer.paused_at.is_not(None))
    elif status == Volunteer.ACTIVE:
        query = query.where(Volunteer.status == Volunteer.ACTIVE, Volunteer.paused_at.is_(None))
    elif status in LIST_STATUSES:
        query = query.where(Volunteer.status == status)
    pending_first = sa.case((Volunteer.status == Volunteer.PENDING, 0), else_=1)
    by_name = sa.func.lower(sa.func.coalesce(Person.name, ""))
    found = db.session.scalars(query.order_by(pending_first, by_name, Volunteer.id)).all()
    wanted = clean_tags(tag)
    # Tags are a JSON list, which SQLite and PostgreSQL query differently: filter here.
    return [v for v in found if set(wanted) <= set(v.tags or [])]


def all_tags() -> list[str]:
    """Every tag in use, for the filter."""
    tags = set()
    for found in db.session.scalars(sa.select(Volunteer.tags)):
        tags.update(found or [])
    return sorted(tags)


def express_interest(person: Person) -> tuple[Volunteer, bool]:
    """The person texted FRIVILLIG: a pending volunteer, unless they are one already.

    Returns (volunteer, created). Safe when the same word arrives twice at once.
    """
    volunteer = volunteer_for(person)
    if volunteer is not None:
        return volunteer, False
    try:
        with db.session.begin_nested():
            volunteer = Volunteer(person_id=person.id, status=Volunteer.PENDING, tags=[])
            db.session.add(volunteer)
        return volunteer, True
    except IntegrityError:
        return volunteer_for(person), False


def approve(volunteer: Volunteer, now: datetime | None = None) -> None:
    """A coordinator has talked to a pending volunteer and takes them on."""
    _activate(volunteer, now)


def _activate(volunteer: Volunteer, now: datetime | None) -> None:
    if volunteer.status != Volunteer.ACTIVE:
        volunteer.status = Volunteer.ACTIVE
        volunteer.approved_at = now or utcnow()


def deactivate(volunteer: Volunteer) -> None:
    """No longer a volunteer (they asked to stop, or moved away); their history stays."""
    volunteer.status = Volunteer.INACTIVE


def pause(volunteer: Volunteer, now: datetime) -> bool:
    """No task requests until resumed. True if this changed anything."""
    if volunteer.paused_at is not None:
        return False
    volunteer.paused_at = now
    return True


def resume(volunteer: Volunteer) -> bool:
    """Task requests may come again. True if the volunteer had been paused."""
    if volunteer.paused_at is None:
        return False
    volunteer.paused_at = None
    return True


def add_coordinator(
    phone: str,
    name: str | None = None,
    organisation: Organisation | None = None,
    language: str | None = None,
) -> Coordinator:
    """Make the person with this number a coordinator (or update them). Caller commits."""
    person = people.find_or_create(phone)
    if name:
        person.name = name
    if language:
        person.language = language
    coordinator = db.session.scalar(
        sa.select(Coordinator).where(Coordinator.person_id == person.id)
    ) or Coordinator(person_id=person.id)
    coordinator.person = person
    coordinator.active = True
    if organisation is not None:
        coordinator.organisation = organisation
    db.session.add(coordinator)
    db.session.flush()
    return coordinator


@dataclass(frozen=True)
class Candidate:
    volunteer: Volunteer
    asked_this_week: int
    last_asked_at: datetime | None

    @property
    def person(self) -> Person:
        return self.volunteer.person


def asked_since(person_ids: list[int], since: datetime) -> dict[int, tuple[int, datetime]]:
    """person id -> (requests since `since`, the latest request), for those asked at all."""
    if not person_ids:
        return {}
    rows = db.session.execute(
        sa.select(TaskOffer.person_id, sa.func.count(), sa.func.max(TaskOffer.asked_at))
        .where(
            TaskOffer.person_id.in_(person_ids),
            TaskOffer.asked_at >= since,
            TaskOffer.status.in_(WAS_ASKED),
        )
        .group_by(TaskOffer.person_id)
    )
    return {person_id: (count, last) for person_id, count, last in rows}


def candidates(
    task: Task,
    now: datetime,
    tags=None,
    area: str | None = None,
    language: str | None = None,
    rest_days: int | None = None,
    any_area: bool = False,
) -> list[Candidate]:
    """Active volunteers it is fair to ask for `task`, least asked first.

    Filters: approved and not paused or opted out; every tag the task (and `tags`)
    requires; the task's `area` (or `area`) unless `any_area`; the required language
    (the person's own language, or a tag with the language code: "pl"); not asked in
    the last `rest_days` days (VOLUNTEER_REST_DAYS); under VOLUNTEER_WEEKLY_CAP requests in
    7 days; not already on this task.
    """
    config = current_app.config
    required = set(clean_tags(task.required_tags) + clean_tags(tags))
    area = None if any_area else (area or task.area)
    language = language or task.required_language
    rest_days = config["VOLUNTEER_REST_DAYS"] if rest_days is None else rest_days
    on_task = sa.select(TaskOffer.person_id).where(TaskOffer.task_id == task.id)
    query = (
        sa.select(Volunteer)
        .join(Volunteer.person)
        .where(
            Volunteer.status == Volunteer.ACTIVE,
            Volunteer.paused_at.is_(None),
            ~Person.opted_out,
            Volunteer.person_id.not_in(on_task),
        )
        .order_by(Volunteer.id)
    )
    if area:
        query = query.where(sa.func.lower(Volunteer.area) == area.strip().lower())
    found = []
    volunteers = [v for v in db.session.scalars(query) if required <= set(v.tags or [])]
    if language:
        volunteers = [
            v for v in volunteers if language_of(v.person) == language or language in v.tags
        ]
    history = asked_since([v.person_id for v in volunteers], now - WEEK)
    rested = now - timedelta(days=rest_days)
    for volunteer in volunteers:
        count, last = history.get(volunteer.person_id, (0, None))
        if count >= config["VOLUNTEER_WEEKLY_CAP"] or (last is not None and last > rested):
            continue
        found.append(Candidate(volunteer, count, last))
    # Fair: those asked least this week first, then those who waited longest.
    found.sort(
        key=lambda c: (
            c.asked_this_week,
            c.last_asked_at or datetime.min.replace(tzinfo=now.tzinfo),
            c.volunteer.id,
        )
    )
    return found


def may_be_asked(volunteer: Volunteer, now: datetime) -> bool:
    """Checked again when a wave goes out: paused, inactive, opted out or capped since?"""
    if volunteer.status != Volunteer.ACTIVE or volunteer.paused_at is not None:
        return False
    if volunteer.person.opted_out:
        return False
    count, _ = asked_since([volunteer.person_id], now - WEEK).get(volunteer.person_id, (0, None))
    return count < current_app.config["VOLUNTEER_WEEKLY_CAP"]
