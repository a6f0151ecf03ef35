"""Volunteers: list, read, register, change, tags, pause and resume.

Volunteers belong to the whole service (not to one organisation), and every look at
or change to one is a look at a person: all of it goes to the audit log.
"""

import sqlalchemy as sa
from flask import current_app

from app.api import bp
from app.api.auth import token
from app.api.errors import invalid, not_found
from app.api.pagination import page_of
from app.api.schemas.common import local
from app.api.schemas.people import (
    TagsIn,
    VolunteerCreate,
    VolunteerOut,
    VolunteerPage,
    VolunteerQuery,
    VolunteerUpdate,
)
from app.api.spec import operation
from app.extensions import db
from app.models import Person, Volunteer
from app.services import audit, volunteers
from app.services.people import normalise_phone
from app.timeutil import utcnow

TAG = "Volunteers"
ID = "<int:volunteer_id>"
SCOPES = ("read", "volunteers")


def volunteer_out(volunteer: Volunteer) -> VolunteerOut:
    person = volunteer.person
    return VolunteerOut(
        id=volunteer.id, person_id=person.id, name=person.name, phone=person.phone,
        language=person.language, status=volunteers.status_of(volunteer),
        tags=list(volunteer.tags or []), area=volunteer.area, note=volunteer.note,
        paused_at=local(volunteer.paused_at), approved_at=local(volunteer.approved_at),
        created_at=local(volunteer.created_at),
    )  # fmt: skip


def _find(volunteer_id: int) -> Volunteer:
    found = db.session.get(Volunteer, volunteer_id)
    if found is None:
        raise not_found("volunteer")
    return found


def _language(value: str | None, field: str = "language") -> str | None:
    if value is not None and value not in current_app.config["LANGUAGES"]:
        languages = ", ".join(current_app.config["LANGUAGES"])
        raise invalid(field, f"must be one of the service's languages: {languages}")
    return value


def _done(volunteer: Volunteer, action: str, status: int = 200):
    audit.record(token(), f"api.{action}", person=volunteer.person_id, obj=volunteer)
    db.session.commit()
    return volunteer_out(volunteer), status


@bp.get("/volunteers")
@operation(*SCOPES, tag=TAG, ok={200: VolunteerPage}, shared=True)
def list_volunteers(query: VolunteerQuery):
    """List volunteers

    Waiting for approval first (they wait for a call), then by name. Filter by status
    and by tag.
    """
    select = sa.select(Volunteer).join(Volunteer.person)
    if query.status == volunteers.PAUSED:
        select = select.where(
            Volunteer.status == Volunteer.ACTIVE, Volunteer.paused_at.is_not(None)
        )
    elif query.status == Volunteer.ACTIVE:
        select = select.where(Volunteer.status == Volunteer.ACTIVE, Volunteer.paused_at.is_(None))
    elif query.status is not None:
        select = select.where(Volunteer.status == query.status)
    pending_first = sa.case((Volunteer.status == Volunteer.PENDING, 0), else_=1)
    by_name = sa.func.lower(sa.func.coalesce(Person.name, ""))
    select = select.order_by(pending_first, by_name, Volunteer.id)
    rows = None
    if query.tag:
        # Tags are a JSON list, queried differently by SQLite and PostgreSQL: filter here.
        wanted = volunteers.clean_tags(query.tag)
        rows = [v for v in db.session.scalars(select) if set(wanted) <= set(v.tags or [])]
    page = page_of(select, query, volunteer_out, rows=rows)
    audit.record(token(), "api.list_volunteers", detail=f"{len(page['data'])} volunteers")
    db.session.commit()
    return VolunteerPage(**page)


@bp.get(f"/volunteers/{ID}")
@operation(*SCOPES, tag=TAG, ok={200: VolunteerOut}, errors=(404,), shared=True)
def get_volunteer(volunteer_id: int):
    """One volunteer"""
    return _done(_find(volunteer_id), "view_volunteer")


@bp.post("/volunteers")
@operation("volunteers", tag=TAG, ok={200: VolunteerOut, 201: VolunteerOut}, shared=True)
def create_volunteer(json: VolunteerCreate):
    """Register a volunteer

    They are active at once (the coordinator has talked to them). A number that is a
    volunteer already is updated instead (200).
    """
    phone = normalise_phone(json.phone)
    if phone is None:
        raise invalid("phone", "not a phone number")
    existing = db.session.scalar(
        sa.select(Volunteer).join(Volunteer.person).where(Person.phone == phone)
    )
    found = volunteers.register(
        phone, name=json.name, language=_language(json.language), tags=json.tags,
        area=json.area, note=json.note,
    )  # fmt: skip
    return _done(found, "register_volunteer", 200 if existing else 201)


@bp.patch(f"/volunteers/{ID}")
@operation("volunteers", tag=TAG, ok={200: VolunteerOut}, errors=(404,), shared=True)
def update_volunteer(volunteer_id: int, json: VolunteerUpdate):
    """Change a volunteer

    Only the fields sent change. `status` approves a pending volunteer (active) or ends
    one (inactive); pausing has its own operations.
    """
    found = _find(volunteer_id)
    given = json.model_dump(exclude_unset=True)
    for required in ("name", "language", "tags", "status"):
        if required in given and given[required] is None:
            raise invalid(required, "may not be null")
    volunteers.update_details(
        found, name=given.get("name"), language=_language(given.get("language")),
        tags=given.get("tags"), area=given.get("area", found.area),
        note=given.get("note", found.note),
    )  # fmt: skip
    if given.get("status") == Volunteer.ACTIVE:
        volunteers.approve(found)
    elif given.get("status") == Volunteer.INACTIVE:
        volunteers.deactivate(found)
    return _done(found, "edit_volunteer")


@bp.put(f"/volunteers/{ID}/tags")
@operation("volunteers", tag=TAG, ok={200: VolunteerOut}, errors=(404,), shared=True)
def set_volunteer_tags(volunteer_id: int, json: TagsIn):
    """Replace a volunteer's tags

    Tags are lower-cased; repeats are dropped.
    """
    found = _find(volunteer_id)
    found.tags = volunteers.clean_tags(json.tags)
    return _done(found, "tag_volunteer")


@bp.post(f"/volunteers/{ID}/pause")
@operation("volunteers", tag=TAG, ok={200: VolunteerOut}, errors=(404,), shared=True)
def pause_volunteer(volunteer_id: int):
    """Pause a volunteer

    No task requests until resumed (as when they text PAUSE). Pausing twice is harmless.
    """
    found = _find(volunteer_id)
    volunteers.pause(found, utcnow())
    return _done(found, "pause_volunteer")


@bp.post(f"/volunteers/{ID}/resume")
@operation("volunteers", tag=TAG, ok={200: VolunteerOut}, errors=(404,), shared=True)
def resume_volunteer(volunteer_id: int):
    """Resume a paused volunteer"""
    found = _find(volunteer_id)
    volunteers.resume(found)
    return _done(found, "resume_volunteer")
