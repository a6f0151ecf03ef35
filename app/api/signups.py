"""An activity's dates (occurrences) and who signed up for each. Reading sign-ups shows
people's names and numbers, so each read is written to the audit log."""

import sqlalchemy as sa

from app.api import bp
from app.api.activities import find_activity
from app.api.auth import check_organisation, token
from app.api.errors import not_found
from app.api.pagination import page_of
from app.api.schemas.activities import (
    OccurrenceOut,
    OccurrencePage,
    OccurrenceQuery,
    PersonRef,
    SignUpOut,
    SignUpPage,
    SignUpQuery,
)
from app.api.schemas.common import local
from app.api.spec import operation
from app.extensions import db
from app.models import Occurrence, SignUp
from app.services import audit, signups
from app.timeutil import utcnow

TAG = "Sign-ups"
ID = "<int:occurrence_id>"


def occurrence_out(occurrence: Occurrence) -> OccurrenceOut:
    waiting = db.session.scalar(
        sa.select(sa.func.count()).select_from(SignUp).where(
            SignUp.occurrence_id == occurrence.id, SignUp.status == SignUp.WAITING
        )
    )  # fmt: skip
    return OccurrenceOut(
        id=occurrence.id, activity_id=occurrence.activity_id, code=occurrence.code,
        starts_at=local(occurrence.starts_at), ends_at=local(occurrence.ends_at),
        capacity=occurrence.capacity, booked=occurrence.booked, waiting=waiting,
        cancelled=occurrence.cancelled,
    )  # fmt: skip


def person_ref(person) -> PersonRef:
    return PersonRef(id=person.id, name=person.name, phone=person.phone, language=person.language)


def signup_out(signup: SignUp) -> SignUpOut:
    position = signups.waiting_position(signup) if signup.status == SignUp.WAITING else None
    return SignUpOut(
        id=signup.id, occurrence_id=signup.occurrence_id, status=signup.status,
        person=person_ref(signup.person), created_at=local(signup.created_at),
        waiting_position=position,
    )  # fmt: skip


def find_occurrence(occurrence_id: int) -> Occurrence:
    found = db.session.get(Occurrence, occurrence_id)
    if found is None:
        raise not_found("occurrence")
    check_organisation(found.activity.organisation_id, "occurrence")
    return found


@bp.get("/activities/<int:activity_id>/occurrences")
@operation("read", "activities", tag=TAG, ok={200: OccurrencePage}, errors=(404,))
def list_occurrences(activity_id: int, query: OccurrenceQuery):
    """An activity's dates

    Soonest first; only those not over unless `include_past`.
    """
    activity = find_activity(activity_id)
    select = (
        sa.select(Occurrence)
        .where(Occurrence.activity_id == activity.id)
        .order_by(Occurrence.starts_at, Occurrence.id)
    )
    if not query.include_past:
        select = select.where(Occurrence.ends_at >= utcnow())
    return OccurrencePage(**page_of(select, query, occurrence_out))


@bp.get(f"/occurrences/{ID}")
@operation("read", "activities", tag=TAG, ok={200: OccurrenceOut}, errors=(404,))
def get_occurrence(occurrence_id: int):
    """One date of an activity"""
    return occurrence_out(find_occurrence(occurrence_id))


@bp.get(f"/occurrences/{ID}/signups")
@operation("read", "activities", tag=TAG, ok={200: SignUpPage}, errors=(404,))
def list_signups(occurrence_id: int, query: SignUpQuery):
    """Who signed up for a date

    Confirmed places and the waiting list (in its order), with names and numbers. Each
    read is written to the audit log with the token as the one who looked.
    """
    occurrence = find_occurrence(occurrence_id)
    select = (
        sa.select(SignUp)
        .where(SignUp.occurrence_id == occurrence.id)
        .order_by(SignUp.queued_at, SignUp.id)
    )
    if query.status is not None:
        select = select.where(SignUp.status == query.status)
    page = page_of(select, query, signup_out)
    audit.record(token(), "api.view_signups", obj=occurrence,
                 detail=f"{len(page['data'])} sign-ups")  # fmt: skip
    db.session.commit()
    return SignUpPage(**page)
