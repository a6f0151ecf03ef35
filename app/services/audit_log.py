"""Reading the audit log: who looked at or changed whose data, newest first, a page at a time."""

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import AuditEntry, StaffUser

PAGE_SIZE = 50


@dataclass(frozen=True)
class Filters:
    """What to show; None means any. `since` and `until` are instants (until excluded)."""

    staff_id: int | None = None
    person_id: int | None = None
    action: str | None = None
    since: datetime | None = None
    until: datetime | None = None


@dataclass(frozen=True)
class Page:
    entries: list[AuditEntry]
    number: int
    has_next: bool


def entries(filters: Filters, page: int = 1, size: int = PAGE_SIZE) -> Page:
    """One page of matching entries, newest first (`page` counts from 1)."""
    page = max(page, 1)
    query = sa.select(AuditEntry)
    if filters.staff_id is not None:
        query = query.where(AuditEntry.staff_id == filters.staff_id)
    if filters.person_id is not None:
        query = query.where(AuditEntry.person_id == filters.person_id)
    if filters.action:
        query = query.where(AuditEntry.action == filters.action)
    if filters.since is not None:
        query = query.where(AuditEntry.created_at >= filters.since)
    if filters.until is not None:
        query = query.where(AuditEntry.created_at < filters.until)
    rows = list(
        db.session.scalars(
            query.order_by(AuditEntry.created_at.desc(), AuditEntry.id.desc())
            .offset((page - 1) * size)
            .limit(size + 1)  # one more tells whether there is a next page
        )
    )
    return Page(rows[:size], page, len(rows) > size)


def actions() -> list[str]:
    """Every action that has been logged, for the filter."""
    return list(db.session.scalars(sa.select(AuditEntry.action).distinct().order_by("action")))


def staff_members() -> list[StaffUser]:
    """Everyone with a staff account, active or not: old entries name former staff too."""
    return list(db.session.scalars(sa.select(StaffUser).order_by(StaffUser.name, StaffUser.id)))
