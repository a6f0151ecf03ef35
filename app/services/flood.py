"""Too many texts, or texts from a machine: a number that floods the service, and an
auto-reply loop with another bot. Either way every text is kept; what changes is
whether, and how often, we answer.

- **Flooding**: more than FLOOD_PER_MINUTE texts from one number within a minute (the
  shared moving-window limiter, per person). Over the limit a text is not answered;
  the first one in each minute gets a short "slow down, a person will look at it"
  notice in the person's language, and staff get one callback request (reason
  "flooding"). Other numbers are not touched. If Redis is down the check is skipped:
  answering normally is better than going silent.
- **Loops**: another machine answering our answers (an "I am away" reply, a chatbot):
  the same text LOOP_REPEATS times in a row, each within LOOP_SECONDS of the last (and
  not closer than a trip through the phone network: that is a burst, not a reply). One
  of our keywords or a bare number counts only when each came within
  LOOP_FAST_SECONDS of our answer, faster than anyone reads: people do repeat "MORE"
  on purpose. Replies to the number then pause for LOOP_PAUSE_MINUTES (without a
  word: a word would feed the loop), and staff get a callback request (reason
  "loop"). The evidence is the stored messages themselves, so this works without
  Redis. A fast loop whose texts vary is held back by the flood limit.

Logs name people by id only.
"""

import logging
import unicodedata
from collections.abc import Callable
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from limits import RateLimitItemPerMinute
from redis.exceptions import RedisError

from app.extensions import db
from app.i18n import N_, gettext
from app.jobs.rate_limit import moving_window
from app.models import Message, Person
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
# Letters of a text compared for "the same text": a counter or a date in an automatic
# reply ("Ticket 4711 received") does not make it a different text.
_FINGERPRINT_LENGTH = 40


def check(person: Person, now: datetime, is_keyword: Callable[[str], bool]) -> str:
    """How to treat the text just stored from `person`: ANSWER it as usual, answer with
    the SLOW_DOWN notice, or keep it QUIET (no answer). `is_keyword` tells our own
    commands apart, which people repeat on purpose ("MORE", "MORE" …)."""
    paused = person.replies_paused_until
    if paused is not None and paused > now:
        return QUIET
    flooding, first_in_window = _flooding(person.id)
    if flooding:
        if first_in_window:
            _tell_staff(person, FLOODING)
            log.warning("sms: person %s is flooding: answers slowed down", person.id)
            return SLOW_DOWN
        return QUIET
    if _looping(person.id, is_keyword):
        minutes = current_app.config["LOOP_PAUSE_MINUTES"]
        person.replies_paused_until = now + timedelta(minutes=minutes)
        _tell_staff(person, LOOP)
        log.warning("sms: person %s looks like an auto-reply loop: replies paused", person.id)
        return QUIET
    return ANSWER


def slow_down_text(language: str) -> str:
    """The one answer a flooding number gets per minute, in its language."""
    return gettext(language, SLOW_DOWN_TEXT)


def _flooding(person_id: int) -> tuple[bool, bool]:
    """(over the limit, first time over it in this minute); (False, False) without Redis."""
    limit = current_app.config["FLOOD_PER_MINUTE"]
    if limit <= 0:
        return False, False
    try:
        limiter = moving_window("flood")
        if limiter.hit(RateLimitItemPerMinute(limit), f"in:{person_id}"):
            return False, False
        return True, limiter.hit(RateLimitItemPerMinute(1), f"notice:{person_id}")
    except (RedisError, OSError) as error:
        log.warning("sms: flood check unavailable (%s): answering", type(error).__name__)
        return False, False


def _looping(person_id: int, is_keyword: Callable[[str], bool]) -> bool:
    """The last LOOP_REPEATS texts from the number are one text, each soon after the last."""
    config = current_app.config
    repeats = config["LOOP_REPEATS"]
    if repeats < 2:
        return False
    latest = db.session.execute(
        sa.select(Message.body, Message.created_at)
        .where(Message.person_id == person_id, Message.direction == Message.IN)
        .order_by(Message.id.desc())
        .limit(repeats)
    ).all()
    if len(latest) < repeats:
        return False
    prints = {_fingerprint(body) for body, _ in latest}
    if len(prints) != 1 or not next(iter(prints)):
        return False
    fast = is_keyword(latest[0].body)
    return _within(latest, config["LOOP_FAST_SECONDS"] if fast else config["LOOP_SECONDS"])


def _within(rows, seconds: float) -> bool:
    times = [created for _, created in rows]  # newest first
    gap = timedelta(seconds=seconds)
    pairs = zip(times, times[1:], strict=False)
    return all(ROUND_TRIP <= newer - older <= gap for newer, older in pairs)


def _fingerprint(body: str | None) -> str:
    if not body:
        return ""
    text = unicodedata.normalize("NFKC", body).casefold()
    letters = "".join(ch if ch.isalpha() else " " for ch in text)
    return " ".join(letters.split())[:_FINGERPRINT_LENGTH]


def _tell_staff(person: Person, reason: str) -> None:
    """One open callback request for the person (an open one of any reason will do)."""
    callbacks.request_callback(person, people.language_of(person), reason)
