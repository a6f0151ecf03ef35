"""The audit log: every time staff view or change a person's data, one row says so."""

from app.extensions import db
from app.models import ApiToken, AuditEntry, Person, StaffUser


def record(
    staff: StaffUser | ApiToken,
    action: str,
    *,
    person: Person | int | None = None,
    obj=None,
    detail: str | None = None,
) -> AuditEntry:
    """Add an audit entry in the current transaction (the caller commits).

    `person` is the person whose data it is (a Person or an id); `obj` the row looked at
    or changed (any model with an `id`), stored as its table name and id. `staff` is the
    actor: a staff member, or the API token a platform used.
    """
    person_id = person.id if isinstance(person, Person) else person
    actor = {"api_token_id": staff.id} if isinstance(staff, ApiToken) else {"staff_id": staff.id}
    entry = AuditEntry(
        **actor,
        action=action[:40],
        person_id=person_id,
        object_type=getattr(obj, "__tablename__", None),
        object_id=getattr(obj, "id", None),
        detail=detail[:500] if detail else None,
    )
    db.session.add(entry)
    return entry
