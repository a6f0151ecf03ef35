"""Activities: list, read, create, change, cancel, and the bulk upsert a nightly sync uses."""

import sqlalchemy as sa

from app.api import bp
from app.api.auth import bound_organisation, check_organisation
from app.api.errors import conflict, invalid, not_found
from app.api.pagination import page_of
from app.api.schemas.activities import (
    ActivityChanged,
    ActivityCreate,
    ActivityOut,
    ActivityPage,
    ActivityQuery,
    ActivityUpdate,
)
from app.api.schemas.common import local
from app.api.spec import operation
from app.extensions import db
from app.models import Activity, Organisation
from app.services import activities
from app.timeutil import local_zone

TAG = "Activities"
ID = "<int:activity_id>"
# Fields stored on the activity as they come.
PLAIN = ("title", "description", "place", "address", "directions", "cost", "contact",
         "capacity", "starts_at", "duration_minutes", "repeat_weekly", "repeat_until")  # fmt: skip


def activity_out(activity: Activity) -> ActivityOut:
    fields = {name: getattr(activity, name) for name in PLAIN}
    fields["starts_at"] = local(activity.starts_at)
    return ActivityOut(
        **fields, id=activity.id, organisation_id=activity.organisation_id,
        organisation=activity.organisation.name, cancelled=activity.cancelled,
        source=activity.source, external_id=activity.external_id,
        created_at=local(activity.created_at),
    )  # fmt: skip


def find_activity(activity_id: int) -> Activity:
    """The activity, or 404 (also when it belongs to another organisation than the token's)."""
    found = db.session.get(Activity, activity_id)
    if found is None:
        raise not_found("activity")
    check_organisation(found.organisation_id, "activity")
    return found


def organisation_for(organisation_id: int | None, name: str | None, field: str) -> Organisation:
    """The organisation a new activity belongs to: by id, by name (added if new), or the
    token's own; a bound token may name no other."""
    bound = bound_organisation()
    if organisation_id is not None:
        found = db.session.get(Organisation, organisation_id)
        if found is None or (bound is not None and found.id != bound):
            raise invalid(f"{field}_id", "no such organisation for this token")
        return found
    if bound is not None:
        found = db.session.get(Organisation, bound)
        if name and name.lower() != found.name.lower():
            raise invalid(field, f"this token may only use {found.name}")
        return found
    if not name:
        raise invalid(f"{field}_id", "give organisation_id or organisation")
    return activities.organisation_named(name)


@bp.get("/activities")
@operation("read", "activities", tag=TAG, ok={200: ActivityPage})
def list_activities(query: ActivityQuery):
    """List activities

    In order of their (first) start. Filter by organisation, by where they came from
    (`source`, `external_id`), by cancelled, by start time and by words in the title.
    """
    select = sa.select(Activity).order_by(Activity.starts_at, Activity.id)
    bound = bound_organisation()
    if bound is not None:
        select = select.where(Activity.organisation_id == bound)
    if query.organisation_id is not None:
        select = select.where(Activity.organisation_id == query.organisation_id)
    for name in ("source", "external_id"):
        if getattr(query, name) is not None:
            select = select.where(getattr(Activity, name) == getattr(query, name))
    if query.cancelled is not None:
        select = select.where(Activity.cancelled == query.cancelled)
    if query.starts_after is not None:
        select = select.where(Activity.starts_at >= query.starts_after)
    if query.starts_before is not None:
        select = select.where(Activity.starts_at < query.starts_before)
    if query.q:
        select = select.where(sa.func.lower(Activity.title).contains(query.q.lower()))
    return ActivityPage(**page_of(select, query, activity_out))


@bp.get(f"/activities/{ID}")
@operation("read", "activities", tag=TAG, ok={200: ActivityOut}, errors=(404,))
def get_activity(activity_id: int):
    """One activity"""
    return activity_out(find_activity(activity_id))


@bp.post("/activities")
@operation("activities", tag=TAG, ok={201: ActivityOut})
def create_activity(json: ActivityCreate):
    """Create an activity

    Its dates (occurrences) for the next four weeks are made at once, each with the
    short number people text to sign up.
    """
    organisation = organisation_for(json.organisation_id, json.organisation, "organisation")
    fields = {name: getattr(json, name) for name in PLAIN}
    if not fields["repeat_weekly"]:
        fields["repeat_until"] = None
    activity = activities.create_activity(organisation, **fields)
    db.session.commit()
    return activity_out(activity), 201


@bp.patch(f"/activities/{ID}")
@operation("activities", tag=TAG, ok={200: ActivityChanged}, errors=(404, 409))
def update_activity(activity_id: int, json: ActivityUpdate):
    """Change an activity

    Only the fields sent change. Its future dates follow; people signed up are told by
    SMS when the time or place moves (`people_told`).
    """
    activity = find_activity(activity_id)
    if activity.cancelled:
        raise conflict("The activity is cancelled; it cannot be changed.")
    given = json.model_dump(exclude_unset=True)
    for required in ("title", "place", "starts_at", "duration_minutes", "repeat_weekly",
                     "organisation_id"):  # fmt: skip
        if required in given and given[required] is None:
            raise invalid(required, "may not be null")
    if "organisation_id" in given:
        given["organisation"] = organisation_for(given.pop("organisation_id"), None,
                                                 "organisation")  # fmt: skip
    weekly = given.get("repeat_weekly", activity.repeat_weekly)
    until = given.get("repeat_until", activity.repeat_until) if weekly else None
    first = given.get("starts_at", activity.starts_at).astimezone(local_zone()).date()
    if until is not None and until < first:
        raise invalid("repeat_until", "must be on or after the first date")
    if not weekly:
        given["repeat_until"] = None
    told = activities.update_activity(activity, **given)
    db.session.commit()
    return ActivityChanged(activity=activity_out(activity), people_told=told)


@bp.post(f"/activities/{ID}/cancel")
@operation("activities", tag=TAG, ok={200: ActivityChanged}, errors=(404,))
def cancel_activity(activity_id: int):
    """Cancel an activity

    Every date not yet started is cancelled and everyone signed up or waiting is told by
    SMS. Cancelling again changes nothing (`people_told` is 0).
    """
    activity = find_activity(activity_id)
    told = 0 if activity.cancelled else activities.cancel_activity(activity)
    db.session.commit()
    return ActivityChanged(activity=activity_out(activity), people_told=told)
