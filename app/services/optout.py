"""Opt-out and opt-in, mirroring what Twilio itself does with the same words.

Twilio acts on a message that is only one of its words (any case), before we see it;
we keep the same state so that nothing is ever sent to an opted-out number.
"""

from functools import lru_cache

import sqlalchemy as sa

from app import i18n
from app.conversation.keywords import normalise
from app.extensions import db
from app.models import Person
from app.timeutil import utcnow

TWILIO_OPT_OUT = {"stop", "unsubscribe", "end", "quit", "stopall", "revoke", "optout", "cancel"}
TWILIO_OPT_IN = {"start", "yes", "unstop"}
TWILIO_HELP = {"help", "info"}
RESERVED = TWILIO_OPT_OUT | TWILIO_OPT_IN | TWILIO_HELP


def classify(body: str, stop_msgid: str, start_msgid: str, languages: list[str]) -> str | None:
    """"stop", "start", "help" when the whole message is such a word, else None."""
    text = normalise(body)
    if text in TWILIO_OPT_OUT or text in _words(stop_msgid, tuple(languages)):
        return "stop"
    if text in TWILIO_OPT_IN or text in _words(start_msgid, tuple(languages)):
        return "start"
    if text in TWILIO_HELP:
        return "help"
    return None


@lru_cache(maxsize=32)
def _words(msgid: str, languages: tuple[str, ...]) -> frozenset[str]:
    return frozenset(normalise(w) for lang in languages for w in i18n.keyword_words(lang, msgid))


def opt_out(person: Person) -> bool:
    """Stop all outbound messages to the person. True if this changed anything."""
    if person.opted_out:
        return False
    person.opted_out = True
    person.opted_out_at = utcnow()
    return True


def opt_out_by_id(person_id: int | None) -> None:
    """Record that Twilio says this person unsubscribed (error 21610). Caller commits.

    One conditional UPDATE, for callers (the send job, status callbacks) that hold an
    id rather than a loaded person.
    """
    if person_id is None:
        return
    db.session.execute(
        sa.update(Person)
        .where(Person.id == person_id, ~Person.opted_out)
        .values(opted_out=True, opted_out_at=utcnow())
    )


def opt_in(person: Person) -> bool:
    """Allow messages again. True if the person had opted out."""
    if not person.opted_out:
        return False
    person.opted_out = False
    person.opted_out_at = None
    return True
