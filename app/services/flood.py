"""Too many texts, or texts from a machine: a number that floods the service, and an
auto-reply loop with another bot. Either way every text is kept; what changes is
whether, and how often, we answer.

Both are counted on the sender's own row, in the one statement that finds (and locks)
the person when a text arrives (`COUNT_TEXT`, `text_params`): no extra query and no
Redis on the hot path, so both limits hold with Redis down too. The database computes
the counts from the row as it holds it when the statement runs, so two texts at once
are counted twice. A redelivery of a text already answered is not counted: its
transaction is never committed.

- **Flooding**: more than FLOOD_PER_MINUTE texts from one number within a minute of
  the first (a window that starts again with the first text after it). Over the limit
  a text is not answered; the first one over it gets a short "slow down, a person will
  look at it" notice in the person's language, and staff get one callback request
  (reason "flooding"). Other numbers are not touched.
- **Loops**: another machine answering our answers (an "I am away" reply, a chatbot):
  the same text LOOP_REPEATS times in a row, each within LOOP_SECONDS of the last (and
  not closer than a trip through the phone network: that is a burst, not a reply). One
  of our keywords counts only when each came within LOOP_FAST_SECONDS of the last,
  faster than anyone reads: people do repeat "MORE" on purpose; a text without letters
  (a bare number) never does. Replies to the number then pause for LOOP_PAUSE_MINUTES
  (without a word: a word would feed the loop), and staff get a callback request
  (reason "loop"). "The same text" is told by a keyed digest of its letters, so the
  row never holds the text; a fast loop whose texts vary is held back by the flood
  limit.

Logs name people by id only.
"""

import hashlib
import logging
import unicodedata
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.i18n import N_, gettext
from app.models import Person
from app.models.base import UTCDateTime
from app.services import callbacks, people

log = logging.getLogger(__name__)

ANSWER, SLOW_DOWN, QUIET = "answer", "slow_down", "quiet"
# Callback request reasons, shown to staff on the callback queue.
FLOODING, LOOP = "flooding", "loop"
SLOW_DOWN_TEXT = N_(
    "You have sent us many messages in a short time, so we will not answer each one. "
    "A person will look at your messages and call you."
)
# Nothing answers our answer faster than this: an SMS has to go out and come back
# through the phone network. Texts closer together than this are a burst (or a test
# sending at machine speed), not a reply loop; a burst too large is the flood limit's.
ROUND_TRIP = timedelta(seconds=0.5)
WINDOW = timedelta(minutes=1)
# Letters of a text compared for "the same text": a counter or a date in an automatic
# reply ("Ticket 4711 received") does not make it a different text.
_FINGERPRINT_LENGTH = 40


_WINDOW_OPEN = Person.texts_window_at > sa.bindparam("window_from", type_=UTCDateTime())
_SAME_TEXT_SOON = sa.and_(
    Person.last_text_digest == sa.bindparam("digest"),
    Person.last_text_at <= sa.bindparam("trip_before", type_=UTCDateTime()),
    Person.last_text_at >= sa.bindparam("gap_from", type_=UTCDateTime()),
)
# The SET clauses that count a text on its sender's row (for `people.touching`), with
# `text_params` for their values.
COUNT_TEXT = {
    Person.texts_window_at: sa.case((_WINDOW_OPEN, Person.texts_window_at), else_=people.NOW),
    Person.texts_in_window: sa.case((_WINDOW_OPEN, Person.texts_in_window + 1), else_=1),
    Person.same_text_run: sa.case((_SAME_TEXT_SOON, Person.same_text_run + 1), else_=1),
    Person.last_text_digest: sa.bindparam("digest"),
    Person.last_text_at: people.NOW,
}


def text_params(now: datetime, body: str, keyword: bool) -> dict:
    """The values `COUNT_TEXT` needs for this text ("now" the time it arrived, which
    `people.touched` also uses); `keyword`: one of our commands or a
    bare number, which people repeat on purpose ("MORE", "MORE" …)."""
    gap = current_app.config["LOOP_FAST_SECONDS" if keyword else "LOOP_SECONDS"]
    return {
        "now": now,
        "window_from": now - WINDOW,
        "digest": _digest(body),
        "trip_before": now - ROUND_TRIP,
        "gap_from": now - timedelta(seconds=gap),
    }


def check(person: Person, now: datetime) -> str:
    """How to treat the text just counted on `person`'s row: ANSWER it as usual, answer
    with the SLOW_DOWN notice, or keep it QUIET (no answer)."""
    paused = person.replies_paused_until
    if paused is not None and paused > now:
        return QUIET
    config = current_app.config
    limit = config["FLOOD_PER_MINUTE"]
    if 0 < limit < person.texts_in_window:
        if person.texts_in_window == limit + 1:  # the first one over: once per window
            _tell_staff(person, FLOODING)
            log.warning("sms: person %s is flooding: answers slowed down", person.id)
            return SLOW_DOWN
        return QUIET
    repeats = config["LOOP_REPEATS"]
    if repeats >= 2 and person.same_text_run >= repeats:
        person.replies_paused_until = now + timedelta(minutes=config["LOOP_PAUSE_MINUTES"])
        _tell_staff(person, LOOP)
        log.warning("sms: person %s looks like an auto-reply loop: replies paused", person.id)
        return QUIET
    return ANSWER


def slow_down_text(language: str) -> str:
    """The one answer a flooding number gets per minute, in its language."""
    return gettext(language, SLOW_DOWN_TEXT)


def _digest(body: str | None) -> str | None:
    """A digest of the text's letters, keyed with the app's secret so that it cannot be
    looked up in a table of common texts; None for a text without letters (never "the
    same text": a bare number or an emoji is no evidence of a loop)."""
    fingerprint = _fingerprint(body)
    if not fingerprint:
        return None
    key = hashlib.sha256(current_app.secret_key.encode()).digest()
    return hashlib.blake2b(fingerprint.encode(), digest_size=8, key=key).hexdigest()


def _fingerprint(body: str | None) -> str:
    if not body:
        return ""
    text = unicodedata.normalize("NFKC", body).casefold()
    letters = "".join(ch if ch.isalpha() else " " for ch in text)
    return " ".join(letters.split())[:_FINGERPRINT_LENGTH]


def _tell_staff(person: Person, reason: str) -> None:
    """One open callback request for the person (an open one of any reason will do)."""
    callbacks.request_callback(person, people.language_of(person), reason)
