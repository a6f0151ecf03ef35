"""People by phone number: found, created, and their language."""

import phonenumbers
import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.models import Person
from app.timeutil import utcnow

# A first guess at the language from the country code, before the person chooses.
_REGION_LANGUAGE = {
    "NO": "nb", "SJ": "nb", "GB": "en", "IE": "en", "US": "en", "CA": "en", "AU": "en",
    "NZ": "en", "PL": "pl", "LT": "lt", "UA": "uk", "SO": "so", "ER": "ti", "PK": "ur",
    "IR": "fa", "AF": "fa", "SY": "ar", "IQ": "ar", "EG": "ar", "SA": "ar", "AE": "ar",
}  # fmt: skip


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


def language_of(person: Person) -> str:
    """The language to speak to this person in: chosen, guessed from the number, or default."""
    if person.language:
        return person.language
    enabled = current_app.config["LANGUAGES"]
    try:
        region = phonenumbers.region_code_for_number(phonenumbers.parse(person.phone))
    except phonenumbers.NumberParseException:
        region = None
    guess = _REGION_LANGUAGE.get(region or "")
    return guess if guess in enabled else current_app.config["DEFAULT_LANGUAGE"]


def touch(person: Person) -> None:
    person.last_contact_at = utcnow()
