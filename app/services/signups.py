"""Signing up and cancelling, with capacity kept by conditional updates, never read-then-write.

`Occurrence.booked` counts confirmed places. It only changes through an UPDATE whose
WHERE clause checks capacity, so two people racing for the last place cannot both get
it: on PostgreSQL the second UPDATE waits for the first and then finds no room; on
SQLite writers are serialised.
"""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Occurrence, Person, SignUp
from app.services import events
from app.services.sql import insert_or_skip


@dataclass(frozen=True)
class Result:
    outcome: str
    signup: SignUp | None = None
    position: int | None = None  # place on the waiting list
    promoted: SignUp | None = None  # who moved up from the waiting list


def find(person: Person, occurrence: Occurrence) -> SignUp | None:
    return db.session.scalar(
        sa.select(SignUp).where(
            SignUp.person_id == person.id, SignUp.occurrence_id == occurrence.id
        )
    )


def join(person: Person, occurrence: Occurrence, now: datetime) -> Result:
    """Sign up: a place if there is one, else the waiting list. Never twice."""
    if occurrence.starts_at <= now:
        return Result("started")
    signup = find(person, occurrence)
    if signup and signup.status == SignUp.CONFIRMED:
        return Result("already", signup)
    if signup and signup.status == SignUp.WAITING:
        return Result("already_waiting", signup, waiting_position(signup))
    if signup is None:
        insert = insert_or_skip(SignUp, SignUp.occurrence_id, SignUp.person_id)
        if insert is not None:
            return _join_new(insert, person, occurrence, now)
        try:
            with db.session.begin_nested():
                signup = SignUp(person_id=person.id, occurrence_id=occurrence.id,
                                status=SignUp.WAITING, queued_at=now)
                db.session.add(signup)
        except IntegrityError:  # the same person, twice at once: the other one won
            return Result("already", find(person, occurrence))
    else:
        claimed = db.session.execute(
            sa.update(SignUp)
            .where(SignUp.id == signup.id, SignUp.status == SignUp.CANCELLED)
            .values(status=SignUp.WAITING, queued_at=now)
        ).rowcount
        if not claimed:
            return Result("already", signup)
        db.session.refresh(signup)
    if _take_place(occurrence):
        signup.status = SignUp.CONFIRMED
        db.session.flush()
        events.signup_created(signup)
        return Result("joined", signup)
    db.session.flush()
    events.signup_created(signup)
    return Result("waiting", signup, waiting_position(signup))


def _join_new(insert, person: Person, occurrence: Occurrence, now: datetime) -> Result:
    """A first sign-up in two statements: the place taken (which holds the occurrence's
    row until the commit), then the sign-up made with its status, by an INSERT that
    the unique (occurrence, person) lets through once."""
    placed = _take_place(occurrence)
    status = SignUp.CONFIRMED if placed else SignUp.WAITING
    signup = db.session.scalar(
        insert.values(person_id=person.id, occurrence_id=occurrence.id, status=status,
                      queued_at=now).returning(SignUp)
    )  # fmt: skip
    if signup is None:  # the same person, twice at once: the other one won
        if placed:
            _give_place_back(occurrence)
        return Result("already", find(person, occurrence))
    events.signup_created(signup)
    if placed:
        return Result("joined", signup)
    return Result("waiting", signup, waiting_position(signup))


def cancel(person: Person, occurrence: Occurrence) -> Result:
    """Give up a place (the first on the waiting list gets it) or leave the waiting list."""
    signup = find(person, occurrence)
    if signup is None or signup.status == SignUp.CANCELLED:
        return Result("not_signed_up")
    was = signup.status
    done = db.session.execute(
        sa.update(SignUp)
        .where(SignUp.id == signup.id, SignUp.status == was)
        .values(status=SignUp.CANCELLED)
    ).rowcount
    if not done:
        return Result("not_signed_up")
    db.session.refresh(signup)
    if was == SignUp.WAITING:
        return Result("left_waiting", signup)
    # Giving the place back locks the occurrence row until commit, so the promotion
    # below cannot race another cancellation or sign-up for the same occurrence.
    _give_place_back(occurrence)
    return Result("cancelled", signup, promoted=promote_first_waiting(occurrence))


def _give_place_back(occurrence: Occurrence) -> None:
    db.session.execute(
        sa.update(Occurrence).where(Occurrence.id == occurrence.id)
        .values(booked=Occurrence.booked - 1)
    )


def _take_place(occurrence: Occurrence) -> bool:
    taken = db.session.execute(
        sa.update(Occurrence)
        .where(
            Occurrence.id == occurrence.id,
            sa.or_(Occurrence.capacity.is_(None), Occurrence.booked < Occurrence.capacity),
        )
        .values(booked=Occurrence.booked + 1)
    ).rowcount
    return taken == 1


def promote_first_waiting(occurrence: Occurrence) -> SignUp | None:
    """Give the first on the waiting list a place, if one is free; None when none moved."""
    first = db.session.scalar(
        sa.select(SignUp)
        .where(SignUp.occurrence_id == occurrence.id, SignUp.status == SignUp.WAITING)
        .order_by(SignUp.queued_at, SignUp.id)
        .limit(1)
    )
    if first is None or not _take_place(occurrence):
        return None
    first.status = SignUp.CONFIRMED
    db.session.flush()
    return first


def waiting_position(signup: SignUp) -> int:
    """1 for the first on the waiting list."""
    ahead = db.session.scalar(
        sa.select(sa.func.count()).select_from(SignUp).where(
            SignUp.occurrence_id == signup.occurrence_id,
            SignUp.status == SignUp.WAITING,
            sa.or_(
                SignUp.queued_at < signup.queued_at,
                sa.and_(SignUp.queued_at == signup.queued_at, SignUp.id < signup.id),
            ),
        )
    )
    return ahead + 1


def upcoming_for(person: Person, now: datetime) -> list[SignUp]:
    """The person's current sign-ups and waiting-list places, soonest first."""
    return list(
        db.session.scalars(
            sa.select(SignUp)
            .join(SignUp.occurrence)
            .where(
                SignUp.person_id == person.id,
                SignUp.status != SignUp.CANCELLED,
                Occurrence.starts_at >= now,
                ~Occurrence.cancelled,
            )
            .order_by(Occurrence.starts_at)
        )
    )
