"""Broadcasts: who gets one, what each language gets, sending it, and how far it has come.

A broadcast is free text in the coordinator's own words, sent as written: nothing is
machine-translated. The coordinator may add their own translation per recipient
language; every message ends with a short footer from the catalog in the recipient's
language ("Reply STOPP to get no more messages."). The fan-out itself is the job
`app.jobs.broadcasts.send_broadcast`, which calls `queue_messages` here.
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import contains_eager

from app.conversation.engine import Prompt
from app.conversation.flow import get_flow
from app.conversation.render import render
from app.extensions import db
from app.i18n import N_, language_name
from app.models import Activity, Broadcast, Message, Occurrence, Person, SignUp, Volunteer
from app.services import outbox
from app.services.people import language_of
from app.services.volunteers import clean_tags
from app.sms_length import encoding, segments

FOOTER_NOTICE = "broadcast_footer"
# Most characters the coordinator may write; with the footer it stays under Twilio's
# 1600-character limit for one message.
MAX_TEXT = 1000
AREA_MAX = 60
KIND = "broadcast"
# Message statuses summed up for the progress bar; anything else keeps its own name.
BUCKETS = {
    "queued": "queued", "sending": "queued", "accepted": "queued", "scheduled": "queued",
    "sent": "sent", "delivered": "delivered", "read": "delivered",
    "undelivered": "failed", "failed": "failed", "unknown": "failed", "canceled": "failed",
    "partially_delivered": "failed", "blocked": "blocked", "held": "held",
    "expired": "expired", "simulated": "simulated",
}  # fmt: skip
# Buckets that will not change any more: the bar is full when every message is in one.
# "held" is not: it waits for staff to call the person back (see services.outbox).
FINAL = ("delivered", "failed", "blocked", "expired", "simulated")


class BroadcastError(ValueError):
    """The coordinator's input cannot be used. `msgid` is translatable; `values` fill it."""

    def __init__(self, msgid: str, **values):
        super().__init__(msgid.format(**values))
        self.msgid, self.values = msgid, values


@dataclass(frozen=True)
class LanguagePreview:
    """What one recipient language gets, and what it costs."""

    language: str
    name: str
    recipients: int
    text: str  # the whole message, footer included
    translated: bool  # the coordinator wrote this language's text
    segments: int
    encoding: str
    segments_without_footer: int
    too_long: bool


# --- writing ---------------------------------------------------------------------------


def create_draft(
    staff, *, body: str, audience: str, tags=None, area: str | None = None,
    occurrence_id: int | None = None, waiting: bool = False,
) -> Broadcast:  # fmt: skip
    """A new draft broadcast. Raises BroadcastError on bad input. Caller commits."""
    body = _clean_text(body)
    if audience == Broadcast.VOLUNTEERS:
        area = (area or "").strip() or None
        if area and len(area) > AREA_MAX:
            raise BroadcastError(N_("The area may have at most {n} characters."), n=AREA_MAX)
        audience_filter = {"tags": clean_tags(tags), "area": area}
    elif audience == Broadcast.ACTIVITY:
        if occurrence_id is None or db.session.get(Occurrence, occurrence_id) is None:
            raise BroadcastError(N_("Choose an activity."))
        audience_filter = {"occurrence_id": occurrence_id, "waiting": bool(waiting)}
    else:
        raise BroadcastError(N_("Choose who gets the message."))
    broadcast = Broadcast(
        created_by_id=getattr(staff, "id", None), body=body, translations={},
        audience=audience, audience_filter=audience_filter, status=Broadcast.DRAFT,
    )  # fmt: skip
    db.session.add(broadcast)
    db.session.flush()
    return broadcast


def update_draft(broadcast: Broadcast, body: str, translations: dict[str, str]) -> None:
    """Change a draft's text and translations (empty ones are dropped). Caller commits."""
    if broadcast.status != Broadcast.DRAFT:
        raise BroadcastError(N_("This message has been sent already; it cannot be changed."))
    broadcast.body = _clean_text(body)
    broadcast.translations = {
        lang: _clean_text(text) for lang, text in translations.items() if text and text.strip()
    }


def _clean_text(text: str) -> str:
    text = (text or "").strip().replace("\r\n", "\n")
    if not text:
        raise BroadcastError(N_("Write the message."))
    if len(text) > MAX_TEXT:
        raise BroadcastError(
            N_("The message may have at most {n} characters; it has {count}."),
            n=MAX_TEXT, count=len(text),
        )  # fmt: skip
    return text


# --- who gets it ----------------------------------------------------------------------


def recipients(broadcast: Broadcast) -> list[Person]:
    """The people it goes to now, each once: opted-out people, paused and inactive
    volunteers, and cancelled sign-ups are left out."""
    chosen = broadcast.audience_filter or {}
    if broadcast.audience == Broadcast.VOLUNTEERS:
        return volunteer_audience(chosen.get("tags"), chosen.get("area"))
    return activity_audience(chosen.get("occurrence_id"), chosen.get("waiting", False))


def volunteer_audience(tags=None, area: str | None = None) -> list[Person]:
    """Active volunteers who are not on a break, have every tag, and are in `area`.

    The same rules as `volunteers.candidates` uses for tasks, without the task's own
    limits (rest days, weekly cap): a broadcast is information, not a request.
    """
    required = set(clean_tags(tags))
    query = (
        sa.select(Volunteer)
        .join(Volunteer.person)
        .options(contains_eager(Volunteer.person))  # not one SELECT per volunteer
        .where(
            Volunteer.status == Volunteer.ACTIVE,
            Volunteer.paused_at.is_(None),
            ~Person.opted_out,
        )
        .order_by(Volunteer.id)
    )
    if area:
        query = query.where(sa.func.lower(Volunteer.area) == area.strip().lower())
    return [v.person for v in db.session.scalars(query) if required <= set(v.tags or [])]


def activity_audience(occurrence_id: int | None, waiting: bool = False) -> list[Person]:
    """Residents signed up to an occurrence (and those on its waiting list if `waiting`)."""
    wanted = [SignUp.CONFIRMED, SignUp.WAITING] if waiting else [SignUp.CONFIRMED]
    return list(
        db.session.scalars(
            sa.select(Person)
            .join(SignUp, SignUp.person_id == Person.id)
            .where(
                SignUp.occurrence_id == occurrence_id,
                SignUp.status.in_(wanted),
                ~Person.opted_out,
            )
            .order_by(SignUp.id)
        )
    )


def occurrence_choices(now: datetime, limit: int = 200) -> list[Occurrence]:
    """Occurrences a broadcast may go to: not cancelled, not over, soonest first."""
    return list(
        db.session.scalars(
            sa.select(Occurrence)
            .join(Occurrence.activity)
            .where(~Occurrence.cancelled, ~Activity.cancelled, Occurrence.ends_at > now)
            .order_by(Occurrence.starts_at, Occurrence.id)
            .limit(limit)
        )
    )


def occurrence_of(broadcast: Broadcast) -> Occurrence | None:
    """The occurrence an activity broadcast goes to."""
    if broadcast.audience != Broadcast.ACTIVITY:
        return None
    return db.session.get(Occurrence, (broadcast.audience_filter or {}).get("occurrence_id"))


# --- what each language gets ----------------------------------------------------------


def footer(language: str) -> str:
    """The short "how to stop" line every broadcast ends with, in `language`."""
    flow = get_flow("sms")
    return render(flow, [Prompt(flow.notices[FOOTER_NOTICE], {})], language)[0]


def text_for(broadcast: Broadcast, language: str) -> str:
    """The whole SMS a recipient in `language` gets."""
    written = (broadcast.translations or {}).get(language) or broadcast.body
    return f"{written}\n{footer(language)}"


def languages_of(people: list[Person]) -> Counter:
    """Recipients per language."""
    return Counter(language_of(p) for p in people)


def preview(broadcast: Broadcast, people: list[Person] | None = None) -> list[LanguagePreview]:
    """Per recipient language: how many, the text, its segments and encoding.

    Languages come in the order of LANGUAGES, then any others by name.
    """
    people = recipients(broadcast) if people is None else people
    counts = languages_of(people)
    warn_over = current_app.config["BROADCAST_WARN_SEGMENTS"]
    order = {code: i for i, code in enumerate(current_app.config["LANGUAGES"])}
    shown = []
    for language in sorted(counts, key=lambda c: (order.get(c, len(order)), c)):
        text = text_for(broadcast, language)
        written = text[: -len(footer(language)) - 1]
        count = segments(text)
        shown.append(LanguagePreview(
            language=language, name=_name(language), recipients=counts[language], text=text,
            translated=bool((broadcast.translations or {}).get(language)),
            segments=count, encoding=encoding(text),
            segments_without_footer=segments(written), too_long=count > warn_over,
        ))  # fmt: skip
    return shown


def _name(language: str) -> str:
    try:
        return language_name(language)
    except ValueError:  # a code Babel does not know
        return language


# --- sending ---------------------------------------------------------------------------


def request_send(broadcast: Broadcast, now: datetime) -> bool:
    """Mark a draft to be sent now (the job holds it through quiet hours). Once only."""
    done = db.session.execute(
        sa.update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.status == Broadcast.DRAFT)
        .values(status=Broadcast.SENDING, send_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(broadcast)
    return bool(done)


def queue_messages(broadcast: Broadcast) -> int:
    """One outbox row per recipient, keyed so nobody gets it twice. Caller commits.

    Written in bulk (`outbox.queue_many`): 10,000 recipients are a few statements, not
    40,000 round trips. Each language's text is rendered once.
    """
    texts: dict[str, str] = {}
    items = []
    for person in recipients(broadcast):
        language = language_of(person)
        if language not in texts:
            texts[language] = text_for(broadcast, language)
        key = f"broadcast:{broadcast.id}:{person.id}"
        items.append(outbox.Outgoing(person, texts[language], key))
    return len(outbox.queue_many(items, kind=KIND, broadcast_id=broadcast.id))


# --- progress --------------------------------------------------------------------------


def progress(broadcast: Broadcast) -> dict:
    """Counts of the broadcast's messages by bucket, and how many are final."""
    rows = db.session.execute(
        sa.select(Message.status, sa.func.count())
        .where(Message.broadcast_id == broadcast.id)
        .group_by(Message.status)
    )
    counts = Counter({"queued": 0, "sent": 0, "delivered": 0, "failed": 0})
    for status, count in rows:
        counts[BUCKETS.get(status, status)] += count
    total = sum(counts.values())
    done = sum(counts[bucket] for bucket in FINAL)
    finished = broadcast.status == Broadcast.SENT and done == total
    return {
        "status": broadcast.status,
        "total": total,
        "done": done,
        "counts": dict(counts),
        "percent": 100 if finished else (done * 100 // total if total else 0),
        "finished": finished,
    }


def listing(limit: int = 50) -> list[Broadcast]:
    """The latest broadcasts, newest first."""
    return list(db.session.scalars(sa.select(Broadcast).order_by(Broadcast.id.desc()).limit(limit)))
