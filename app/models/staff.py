"""Staff who sign in to the web pages, and the audit log of what they looked at or changed."""

from datetime import datetime

import sqlalchemy as sa
from flask_login import UserMixin
from sqlalchemy.orm import Mapped, mapped_column

from app.extensions import db
from app.models.base import UTCDateTime, utcnow

# Each role may do everything the roles before it may.
ROLES = ("staff", "coordinator", "admin")
STAFF_LANGUAGES = ("nb", "en")


class StaffUser(UserMixin, db.Model):
    __tablename__ = "staff_users"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Stored lower-cased, so sign-in is not case-sensitive.
    email: Mapped[str] = mapped_column(sa.String(254), unique=True)
    name: Mapped[str] = mapped_column(sa.String(120))
    password_hash: Mapped[str] = mapped_column(sa.String(255))
    role: Mapped[str] = mapped_column(sa.String(12), default="staff")
    # Their own phone (E.164): the call button rings it first, then the resident.
    phone: Mapped[str | None] = mapped_column(sa.String(20))
    # Language of the staff pages for this person: "nb" or "en".
    language: Mapped[str] = mapped_column(sa.String(8), default="nb")
    active: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow)
    last_login_at: Mapped[datetime | None] = mapped_column(UTCDateTime())
    # Part of the session's user id: signing out raises it, which ends every session of
    # this person (a copied cookie is worthless after sign-out).
    session_epoch: Mapped[int] = mapped_column(default=0, server_default="0")

    def has_role(self, role: str) -> bool:
        """True when this user's role is `role` or ranks above it."""
        return self.role in ROLES and ROLES.index(self.role) >= ROLES.index(role)

    @property
    def is_active(self) -> bool:  # Flask-Login refuses to sign in inactive users
        return self.active

    def get_id(self) -> str:
        # The end of the password hash is part of the session's user id, so a password
        # reset ends every session opened with the old password.
        return f"{self.id}:{self.password_hash[-12:]}:{self.session_epoch or 0}"

    def __repr__(self) -> str:
        return f"<StaffUser {self.id} {self.role}>"


class AuditEntry(db.Model):
    """One look at or change to a person's data by a staff member."""

    __tablename__ = "audit_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    # Who did it: a staff member, or (through the JSON API) an API token.
    staff_id: Mapped[int | None] = mapped_column(sa.ForeignKey("staff_users.id"), index=True)
    api_token_id: Mapped[int | None] = mapped_column(sa.ForeignKey("api_tokens.id"), index=True)
    # What was done: "view_messages", "claim_callback", "edit_volunteer" …
    action: Mapped[str] = mapped_column(sa.String(40))
    person_id: Mapped[int | None] = mapped_column(
        sa.ForeignKey("people.id", ondelete="SET NULL"), index=True
    )
    object_type: Mapped[str | None] = mapped_column(sa.String(40))
    object_id: Mapped[int | None]
    detail: Mapped[str | None] = mapped_column(sa.String(500))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime(), default=utcnow, index=True)


def _role_names() -> tuple[str, ...]:
    """The roles as msgids, so the pages can show them translated."""
    from app.i18n import N_

    return (N_("staff"), N_("coordinator"), N_("admin"))
