"""Texts the service sends on its own (reminders, a place that opened), in each language."""

from app import i18n
from app.conversation.engine import Prompt
from app.conversation.flow import get_flow
from app.conversation.render import render
from app.models import Occurrence, Person, SignUp
from app.services import activity_translations, outbox
from app.services.people import language_of
from app.timeutil import local_zone


def occurrence_values(occurrence: Occurrence, language: str) -> dict:
    """What prompts say about an occurrence: code, title, place, day and time.

    The title in the reader's language where staff translated it, else the activity's
    own with "(in Norwegian)" (see `activity_translations.localised`).
    """
    zone = local_zone()
    return {
        "title": activity_translations.localised(occurrence.activity, language).noted_title,
        "day": i18n.format_day(occurrence.starts_at, language, zone),
        "time": i18n.format_clock(occurrence.starts_at, language, zone),
        "place": occurrence.activity.place,
        "code": occurrence.code or "",
    }


def notice_text(name: str, person: Person, values: dict) -> str:
    flow = get_flow("sms")
    language = language_of(person)
    return render(flow, [Prompt(flow.notices[name], values)], language)[0]


def send_signup_notice(name: str, signup: SignUp, dedup_key: str) -> None:
    """Queue notice `name` ("promoted", "reminder") about a sign-up, at most once per key."""
    person = signup.person
    values = occurrence_values(signup.occurrence, language_of(person))
    outbox.queue_sms(person, notice_text(name, person, values), kind=name, dedup_key=dedup_key)

