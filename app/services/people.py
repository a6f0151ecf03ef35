"""People by phone number: found, created, and their language."""

import phonenumbers
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app import languages
from app.extensions import db
from app.models import Person
from app.models.base import UTCDateTime
from app.services.sql import insert_or_skip
from app.timeutil import utcnow


def normalise_phone(raw: str) -> str | None:
    """E.164 for a number as typed or as Twilio sends it; None if it is not a phone number."""
    try:
        number = phonenumbers.parse(raw, current_app.config["DEFAULT_REGION"])
    except phonenumbers.NumberParseException:
        return None
    if not phonenumbers.is_possible_number(number):
        return None
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def masked(phone: str) -> str:
    """A number fit for logs: country code and last two digits only."""
    return f"{phone[:3]}…{phone[-2:]}" if len(phone) > 6 else "…"


def find_or_create(phone: str) -> Person:
    """The person with this E.164 number, created on first contact (safe under races)."""
    person = db.session.scalar(sa.select(Person).where(Person.phone == phone))
    if person:
        return person
    try:
        with db.session.begin_nested():
            person = Person(phone=phone)
            db.session.add(person)
        return person
    except IntegrityError:
        return db.session.scalar(sa.select(Person).where(Person.phone == phone))


def add_number(phone: str) -> None:
    """Make sure someone has this E.164 number: one statement where the database can
    (`INSERT … ON CONFLICT DO NOTHING`: a race with another text from it is settled by
    the unique index), `find_or_create` elsewhere."""
    insert = insert_or_skip(Person.__table__, Person.__table__.c.phone)
    if insert is None:
        find_or_create(phone)
        return
    db.session.execute(insert.values(phone=phone))


def language_of(person: Person) -> str:
    """The language to speak to this person in: chosen, guessed from the number, or default."""
    if person.language:
        return person.language
    return suggested_language(person) or current_app.config["DEFAULT_LANGUAGE"]


def suggested_language(person: Person) -> str | None:
    """The enabled language the number's country suggests (+48 -> pl; the languages
    table's `regions`), a first guess before the person chooses."""
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(person.phone))
    except phonenumbers.NumberParseException:
        return None
    return languages.for_region(region, current_app.config["LANGUAGES"])


def touch(person: Person) -> None:
    person.last_contact_at = utcnow()


# When a person was last in touch: one parameter for every clause that needs the time.
NOW = sa.bindparam("now", type_=UTCDateTime())


def touching(values: dict | None = None) -> sa.Update:
    """The statement `touched` runs: the person by number, touched (with `values` set
    too), returned. Build it once, at import: building one costs more than running it."""
    return (
        sa.update(Person)
        .where(Person.phone == sa.bindparam("number"))
        .values({Person.last_contact_at: NOW, **(values or {})})
        .returning(Person)
        .execution_options(populate_existing=True)
    )


_TOUCH = touching()


def touched(phone: str, statement: sa.Update = _TOUCH, **params) -> Person:
    """The person with this E.164 number, made if new, and touched by `statement` (from
    `touching`, with `params` for its own values): for someone known one statement, for
    a new number two more. The statement holds the person's row until the commit, so
    two requests from one number at once are handled one after the other."""
    params = {"number": phone, "now": utcnow(), **params}
    person = db.session.execute(statement, params).scalar_one_or_none()
    if person is None:
        add_number(phone)
        person = db.session.execute(statement, params).scalar_one()
    return person
