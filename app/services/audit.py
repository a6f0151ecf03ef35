"""The audit log: every time staff view or change a person's data, one row says so."""

from app.extensions import db
from app.models import AuditEntry, Person, StaffUser


def record(
    staff: StaffUser,
    action: str,
    *,
    person: Person | int | None = None,
    obj=None,
    detail: str | None = None,
) -> AuditEntry:
    """Add an audit entry in the current transaction (the caller commits).

    `person` is the person whose data it is (a Person or an id); `obj` the row looked at
    or changed (any model with an `id`), stored as its table name and id.
    """
    person_id = person.id if isinstance(person, Person) else person
    entry = AuditEntry(
        staff_id=staff.id,
        action=action[:40],
        person_id=person_id,
        object_type=getattr(obj, "__tablename__", None),
        object_id=getattr(obj, "id", None),
        detail=detail[:500] if detail else None,
    )
    db.session.add(entry)
    return entry
