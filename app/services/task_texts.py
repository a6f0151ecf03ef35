"""What task messages say, in each person's language, and queuing them in the outbox.

The texts are notices in `flows/sms.yaml` (translated in `locales/`), rendered here
because the task services send them themselves, whichever channel the answer came by.
"""

import re

from flask import current_app

from app import i18n
from app.conversation.notices import notice_text
from app.models import Message, Person, Task
from app.services import outbox
from app.services.people import language_of, masked
from app.sms_length import NOTICE_SEGMENTS, encoding, segments
from app.timeutil import local_zone

MAX_SEGMENTS = 2
# Notices a volunteer may get about a task; each must fit MAX_SEGMENTS with real values.
VOLUNTEER_NOTICES = (
    "task_request", "task_confirmed", "task_reminder", "task_cancelled", "task_not_needed",
)  # fmt: skip
NAME_LIMIT = 40  # one name in a coordinator's SMS
NAMES_BUDGET = 90  # characters of volunteer names in a coordinator's SMS


def task_values(task: Task, language: str) -> dict:
    """What prompts say about a task: its number, title, description, when, where, whom to call."""
    zone = local_zone()
    coordinator = task.coordinator
    organisation = coordinator.organisation.name if coordinator.organisation else ""
    return {
        "code": task.code or "",
        "title": task.title,
        "description": task.description or "",
        "day": i18n.format_day(task.starts_at, language, zone),
        "time": i18n.format_clock(task.starts_at, language, zone),
        "place": task.place,
        "contact": task.contact,
        "name": coordinator.person.name or organisation,
        "needed": task.needed,
        "accepted": task.accepted,
    }


def display_name(person: Person) -> str:
    """A volunteer as a coordinator's SMS names them: their name, else a masked number."""
    return (person.name or masked(person.phone))[:NAME_LIMIT]


def names_list(people: list[Person]) -> str:
    """ "Kari, Ola +2": as many names as fit the budget."""
    names = [display_name(p) for p in people]
    shown: list[str] = []
    for i, name in enumerate(names):
        rest = len(names) - i - 1
        candidate = ", ".join([*shown, name]) + (f" +{rest}" if rest else "")
        if len(candidate) > NAMES_BUDGET and shown:
            return ", ".join(shown) + f" +{len(names) - len(shown)}"
        shown.append(name)
    return ", ".join(shown)


def text(person: Person, name: str, task: Task, **extra) -> str:
    """Notice `name` about `task` as `person` reads it, in their language."""
    values = {**task_values(task, language_of(person)), **extra}
    # An empty description would leave two spaces in the request.
    return re.sub(r" {2,}", " ", notice_text(name, person, values))


def send(person: Person, name: str, task: Task, dedup_key: str | None, **extra) -> Message | None:
    """Queue notice `name` about `task` to `person` (at most once per `dedup_key`)."""
    body = text(person, name, task, **extra)
    return outbox.queue_sms(person, body, kind=name[:20], dedup_key=dedup_key)


def too_long(task: Task) -> list[str]:
    """The volunteer notices that would not fit (MAX_SEGMENTS; in UCS-2 one more), as
    "task_request [nb]"."""
    from app.conversation.engine import Prompt
    from app.conversation.flow import get_flow
    from app.conversation.render import render

    flow = get_flow("sms")
    problems = []
    for language in _volunteer_languages(task):
        values = task_values(task, language)
        for name in VOLUNTEER_NOTICES:
            [text] = render(flow, [Prompt(flow.notices[name], values)], language)
            # Two segments in GSM-7; three in UCS-2, where two hold only 134 characters.
            if segments(text) > NOTICE_SEGMENTS[encoding(text)]:
                problems.append(f"{name} [{language}]")
    return problems


def _volunteer_languages(task: Task) -> list[str]:
    """The enabled languages the task's request can be read in: its required language,
    else those of the volunteers there are (and the default). With eleven languages
    enabled, a language nobody volunteers in must not make a task too long to send."""
    import sqlalchemy as sa

    from app.extensions import db
    from app.models import Volunteer

    config = current_app.config
    if task.required_language:
        wanted = {task.required_language}
    else:
        spoken = db.session.scalars(
            sa.select(Person.language).join(Volunteer, Volunteer.person_id == Person.id)
            .where(Volunteer.status != Volunteer.INACTIVE).distinct()
        )  # fmt: skip
        wanted = {language or config["DEFAULT_LANGUAGE"] for language in spoken}
        wanted.add(config["DEFAULT_LANGUAGE"])
    return [code for code in config["LANGUAGES"] if code in wanted]
