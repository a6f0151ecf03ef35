"""A person's data: export everything the service keeps, or delete it (scope `people`).

`{ref}` is the person's id (digits only) or their phone number in any form that is not
digits only: international (`+4791234567`) or national with spaces (`912 34 567`). The
work is `app.services.privacy`'s, the same as when a resident deletes their data by
SMS; the API adds the audit entry with the token as actor.
"""

from app.api import bp
from app.api.auth import token
from app.api.errors import not_found
from app.api.schemas.common import local
from app.api.schemas.people import Cancelled, DeletionOut, PersonExport
from app.api.spec import operation
from app.extensions import db
from app.models import Person
from app.services import audit, privacy

TAG = "People"
REF = "<string(maxlength=40):ref>"


def _person(ref: str) -> Person:
    """By id (digits only), else by number; a deleted person's number finds nobody."""
    ref = ref.strip()
    if ref.isdigit():
        found = db.session.get(Person, int(ref)) if len(ref) <= 9 else None
    else:
        found = privacy.find_person(ref)
    if found is None:
        raise not_found("person")
    return found


@bp.get(f"/people/{REF}/export")
@operation("people", tag=TAG, ok={200: PersonExport}, errors=(404,), shared=True)
def export_person(ref: str):
    """Export a person's data

    Everything the service keeps about them, as JSON (for a request under the GDPR's
    right of access). Written to the audit log.
    """
    person = _person(ref)
    data = privacy.export_person(person)
    audit.record(token(), "api.export_person", person=person, obj=person)
    db.session.commit()
    return PersonExport.model_validate(data)


@bp.delete(f"/people/{REF}")
@operation("people", tag=TAG, ok={200: DeletionOut}, errors=(404,), shared=True)
def delete_person(ref: str):
    """Delete a person's data

    As when they text the delete keyword: their sign-ups, messages and volunteer record
    go, and others are told where needed (the waiting list moves up, a coordinator hears
    that "a volunteer" withdrew). It cannot be undone. An anonymous id with counts stays.
    Deleting again changes nothing (`already`).
    """
    person = _person(ref)
    by = "api:" + " ".join(token().name.split())[:70]
    result = privacy.delete_person(person, by=by)
    audit.record(token(), "api.delete_person", person=person, obj=person,
                 detail="already deleted" if result.already else None)  # fmt: skip
    db.session.commit()
    return DeletionOut(
        person_id=result.person_id, already=result.already,
        cancelled=[Cancelled(kind=c.kind, title=c.title, starts_at=local(c.starts_at))
                   for c in result.cancelled],
        callbacks_closed=result.callbacks_closed, counts=dict(result.counts),
    )  # fmt: skip
