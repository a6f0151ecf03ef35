"""Staff accounts: created by an admin (or the CLI), passwords hashed with scrypt."""

import sqlalchemy as sa
from werkzeug.security import check_password_hash, generate_password_hash

from app.extensions import db
from app.i18n import N_
from app.models.staff import ROLES, STAFF_LANGUAGES, StaffUser
from app.timeutil import utcnow

MIN_PASSWORD_LENGTH = 12
# Checked against when no such user exists, so a wrong email takes as long as a wrong
# password and the timing does not tell which emails have accounts.
_DUMMY_HASH = generate_password_hash("not a real password", method="scrypt")


class AccountError(ValueError):
    """A request the accounts service refuses; the message is an English msgid.

    `field` names the form field it is about ("email", "password" …), if any.
    """

    def __init__(self, message: str, field: str | None = None):
        super().__init__(message)
        self.field = field


def normalise_email(email: str) -> str:
    return (email or "").strip().lower()


def password_problem(password: str) -> str | None:
    """Why a password is too weak (an English msgid), or None when it will do."""
    if len(password or "") < MIN_PASSWORD_LENGTH:
        return N_("The password must have at least 12 characters.")
    if len(set(password)) < 4:
        return N_("The password must not repeat the same few characters.")
    return None


def hash_password(password: str) -> str:
    return generate_password_hash(password, method="scrypt")


def find_by_email(email: str) -> StaffUser | None:
    return db.session.scalar(sa.select(StaffUser).where(StaffUser.email == normalise_email(email)))


def create(
    email: str,
    name: str,
    password: str,
    role: str = "staff",
    phone: str | None = None,
    language: str = "nb",
) -> StaffUser:
    """Add a staff account (the caller commits). Raises AccountError on bad input."""
    email = normalise_email(email)
    if "@" not in email or len(email) > 254:
        raise AccountError(N_("Enter a valid email address."), "email")
    if not (name or "").strip():
        raise AccountError(N_("Enter a name."), "name")
    if role not in ROLES:
        raise AccountError(N_("Choose a role."), "role")
    if language not in STAFF_LANGUAGES:
        language = "nb"
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    if find_by_email(email):
        raise AccountError(N_("There is already an account with this email."), "email")
    user = StaffUser(
        email=email,
        name=name.strip()[:120],
        password_hash=hash_password(password),
        role=role,
        phone=phone or None,
        language=language,
        active=True,
    )
    db.session.add(user)
    db.session.flush()
    return user


def authenticate(email: str, password: str) -> StaffUser | None:
    """The active user with this email and password, or None."""
    user = find_by_email(email)
    if user is None:
        check_password_hash(_DUMMY_HASH, password or "")
        return None
    if not check_password_hash(user.password_hash, password or "") or not user.active:
        return None
    return user


def set_password(user: StaffUser, password: str) -> None:
    """Replace the password; sessions opened with the old one end (see StaffUser.get_id)."""
    problem = password_problem(password)
    if problem:
        raise AccountError(problem, "password")
    user.password_hash = hash_password(password)


def deactivate(user: StaffUser, by: StaffUser) -> None:
    if user.id == by.id:
        raise AccountError(N_("You cannot deactivate your own account."))
    user.active = False


def reactivate(user: StaffUser) -> None:
    user.active = True


def signed_in(user: StaffUser) -> None:
    user.last_login_at = utcnow()


def end_sessions(user: StaffUser) -> None:
    """End every session of this person (sign-out): their session ids no longer match."""
    user.session_epoch = (user.session_epoch or 0) + 1


def all_accounts() -> list[StaffUser]:
    return list(
        db.session.scalars(sa.select(StaffUser).order_by(StaffUser.active.desc(), StaffUser.name))
    )
