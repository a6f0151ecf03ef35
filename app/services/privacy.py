"""A person's own data: all of it as JSON (`export_person`), or erased (`delete_person`).

Deleting goes through the same steps as the person doing things themselves: sign-ups
are cancelled by `signups.cancel` (the waiting list moves up and the one promoted is
told), accepted task places are given back by `tasks.withdraw` (the coordinator is
told "a volunteer", without a name), and open callback requests are closed. Then the
personal content goes: message bodies, recordings (Twilio is asked to delete the files),
staff notes, call transcripts, volunteer details. The person row stays only as an
anonymous id with a language and dates; its number is replaced by a random marker, so
it cannot be found by the number again and a later text from it starts a new person.
What is left are counts: message rows without bodies, closed requests, a `Deletion`.
"""

import logging
import re
import secrets
from dataclasses import dataclass, field
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.conversation.notices import notice_text, occurrence_values, send_signup_notice
from app.extensions import db
from app.models import (
    Call,
    CallbackRequest,
    Conversation,
    Coordinator,
    Deletion,
    Message,
    Occurrence,
    Person,
    RecordingDeletion,
    SignUp,
    StaffCall,
    TaskEvent,
    TaskOffer,
    Volunteer,
)
from app.services import outbox, signups, tasks
from app.services.people import language_of, normalise_phone
from app.services.privacy_export import export_person
from app.timeutil import utcnow

log = logging.getLogger(__name__)

__all__ = [
    "Cancellation", "DeletionResult", "delete_person", "deletion_of", "export_person",
    "find_person", "forget_recordings", "recording_sids", "what_deletion_cancels",
]  # fmt: skip

# Who asked: the person by SMS, a staff member, or a platform through the API.
_REQUESTED_BY = re.compile(r"^(resident|staff:\d+|api:\S.{0,75})$")
_RECORDING_SID = re.compile(r"/Recordings/(RE[0-9A-Za-z]{1,62})")
# Replaces the number: random, so nothing leads back; not a number, so never matched.
MARKER_PREFIX = "deleted:"
# The send job runs this after a deletion commits (see `_enqueue_after_commit`).
DELETE_RECORDINGS_JOB = "app.jobs.retention.delete_pending_recordings"
_RECORDINGS_PENDING = "samtale_recordings_pending"
# Outbound rows that have not left yet: after a deletion they never will.
_UNSENT = (outbox.QUEUED, outbox.HELD)


@dataclass(frozen=True)
class Cancellation:
    """Something a deletion cancels: a sign-up ("signup") or a task place ("task")."""

    kind: str
    title: str
    starts_at: datetime


@dataclass(frozen=True)
class DeletionResult:
    """What a deletion did. `already`: the person's data had been deleted before."""

    person_id: int
    already: bool = False
    cancelled: list[Cancellation] = field(default_factory=list)
    callbacks_closed: int = 0
    counts: dict[str, int] = field(default_factory=dict)


def find_person(raw_phone: str) -> Person | None:
    """The person with this number, typed in any form staff write it; None if not known."""
    phone = normalise_phone(raw_phone or "")
    if phone is None:
        return None
    return db.session.scalar(
        sa.select(Person).where(Person.phone == phone, Person.deleted_at.is_(None))
    )


def deletion_of(person: Person) -> Deletion | None:
    """The record of the person's deletion, if their data was deleted."""
    return db.session.scalar(
        sa.select(Deletion).where(Deletion.person_id == person.id).order_by(Deletion.id).limit(1)
    )


def what_deletion_cancels(person: Person, now: datetime) -> list[Cancellation]:
    """Coming sign-ups (places and waiting lists) and task places, soonest first."""
    found = [
        Cancellation("signup", s.occurrence.activity.title, s.occurrence.starts_at)
        for s in signups.upcoming_for(person, now)
    ]
    found += [
        Cancellation("task", o.task.title, o.task.starts_at)
        for o in tasks.accepted_upcoming(person, now)
    ]
    return sorted(found, key=lambda c: c.starts_at)


def delete_person(person: Person, *, by: str, now: datetime | None = None) -> DeletionResult:
    """Erase the person's data, keeping anonymous counts. The caller commits.

    `by` says who asked: "resident", "staff:<id>" or "api:<token name>". Safe to call
    twice: the second call changes nothing and returns `already=True`.
    """
    if not _REQUESTED_BY.match(by):
        raise ValueError("by must be 'resident', 'staff:<id>' or 'api:<token name>'")
    if person.deleted_at is not None:
        return DeletionResult(person.id, already=True)
    now = now or utcnow()
    # From here on nothing is sent to them, not even what this deletion itself causes:
    # `outbox.queue_sms` refuses opted-out people and the send job checks again.
    person.opted_out, person.opted_out_at = True, now
    deletion = Deletion(person_id=person.id, requested_by=by, counts={})
    db.session.add(deletion)
    db.session.flush()
    counts: dict[str, int] = {}
    cancelled = _cancel_signups(person, now, deletion, counts)
    cancelled += _withdraw_from_tasks(person, now, counts)
    closed, sids = _close_callbacks(person, now)
    counts.update(_erase(person, now))
    counts["recordings"] = forget_recordings(sids)
    deletion.counts = counts
    log.info("privacy: person %s deleted (asked by %s)", person.id, by.partition(":")[0])
    return DeletionResult(person.id, False, cancelled, closed, counts)


def _cancel_signups(
    person: Person, now: datetime, deletion: Deletion, counts: dict
) -> list[Cancellation]:
    cancelled = []
    for signup in signups.upcoming_for(person, now):
        occurrence = signup.occurrence
        result = signups.cancel(person, occurrence)
        if result.promoted:
            send_signup_notice("promoted", result.promoted, dedup_key=None)
        if result.outcome == "cancelled":
            _tell_organisers(occurrence, person, deletion)
        cancelled.append(Cancellation("signup", occurrence.activity.title, occurrence.starts_at))
    # Past and cancelled sign-ups too: the occurrence's `booked` keeps the count.
    counts["signups"] = _delete(SignUp, SignUp.person_id == person.id)
    return cancelled


def _tell_organisers(occurrence: Occurrence, person: Person, deletion: Deletion) -> None:
    """A place was given up: the organisation's coordinators hear it, without a name."""
    coordinators = db.session.scalars(
        sa.select(Coordinator).where(
            Coordinator.organisation_id == occurrence.activity.organisation_id,
            Coordinator.active,
            Coordinator.person_id != person.id,
        )
    )
    for coordinator in coordinators:
        to = coordinator.person
        values = occurrence_values(occurrence, language_of(to))
        key = f"deletion:{deletion.id}:occurrence:{occurrence.id}:to:{to.id}"
        text = notice_text("participant_left", to, values)
        outbox.queue_sms(to, text, kind="participant_left", dedup_key=key)


def _withdraw_from_tasks(person: Person, now: datetime, counts: dict) -> list[Cancellation]:
    cancelled = []
    for offer in tasks.accepted_upcoming(person, now):
        task = offer.task
        if task.code is not None:
            tasks.withdraw(person, task.code, now, anonymous=True)
        cancelled.append(Cancellation("task", task.title, task.starts_at))
    # Requests still unanswered, and waves not sent yet, go with the rest: nobody is
    # asked again, and the task's own counter (`accepted`) is already right.
    counts["task_offers"] = _delete(TaskOffer, TaskOffer.person_id == person.id)
    db.session.execute(
        sa.update(TaskEvent)
        .where(TaskEvent.person_id == person.id)
        .values(person_id=None)
        .execution_options(synchronize_session=False)
    )
    _delete(Volunteer, Volunteer.person_id == person.id)
    db.session.execute(
        sa.update(Coordinator)
        .where(Coordinator.person_id == person.id)
        .values(active=False)
        .execution_options(synchronize_session=False)
    )
    return cancelled


def _close_callbacks(person: Person, now: datetime) -> tuple[int, list[str]]:
    """Close open requests and strip every request of notes and recordings."""
    closed, sids = 0, []
    requests = db.session.scalars(
        sa.select(CallbackRequest).where(CallbackRequest.person_id == person.id)
    ).all()
    for request in requests:
        sids += recording_sids(request.recording_url) + recording_sids(request.note)
        if request.status in (CallbackRequest.OPEN, CallbackRequest.CLAIMED):
            # Not `callbacks.close`: that would release held texts that must never go.
            request.status, request.closed_at = CallbackRequest.DONE, now
            closed += 1
        request.recording_url = request.note = None
    if requests:
        db.session.execute(
            sa.update(StaffCall)
            .where(StaffCall.request_id.in_([r.id for r in requests]))
            .values(call_sid=None)
            .execution_options(synchronize_session=False)
        )
    return closed, sids


def _erase(person: Person, now: datetime) -> dict[str, int]:
    """Blank what the person said and was sent, and make the row anonymous."""
    mine = Message.person_id == person.id
    unsent = sa.and_(mine, Message.direction == Message.OUT, Message.status.in_(_UNSENT))
    _update(Message, unsent, status="blocked", lease_until=None)
    messages = _update(Message, mine, body=None, twilio_sid=None)
    calls = db.session.scalars(sa.select(Call).where(Call.person_id == person.id)).all()
    for call in calls:
        call.call_sid = MARKER_PREFIX + secrets.token_hex(16)
        call.data, call.last_response = {}, None
    for conversation in db.session.scalars(
        sa.select(Conversation).where(Conversation.person_id == person.id)
    ):
        conversation.data = {}
    callbacks = db.session.scalar(
        sa.select(sa.func.count())
        .select_from(CallbackRequest)
        .where(CallbackRequest.person_id == person.id)
    )
    person.phone = MARKER_PREFIX + secrets.token_hex(6)
    person.name = None
    person.last_contact_at = None
    person.last_text_at = person.last_text_digest = None
    person.deleted_at = now
    db.session.flush()
    return {"messages": messages, "calls": len(calls), "callbacks": callbacks}


def _update(model, where, **values) -> int:
    statement = sa.update(model).where(where).values(**values)
    return db.session.execute(statement.execution_options(synchronize_session=False)).rowcount


def _delete(model, where) -> int:
    statement = sa.delete(model).where(where).execution_options(synchronize_session="fetch")
    return db.session.execute(statement).rowcount


# --- recordings ----------------------------------------------------------------------------


def recording_sids(text: str | None) -> list[str]:
    """Twilio recording SIDs named in a recording URL, or in a note that quotes URLs."""
    return _RECORDING_SID.findall(text or "")


def forget_recordings(sids: list[str]) -> int:
    """Ask for Twilio to delete these recordings' files (durably, in this transaction).

    The retention job does the asking, soon after the commit and again until Twilio
    has confirmed; in simulator mode there is nothing at Twilio and the rows just go.
    """
    wanted = set(sids)
    if not wanted:
        return 0
    known = set(
        db.session.scalars(
            sa.select(RecordingDeletion.recording_sid).where(
                RecordingDeletion.recording_sid.in_(wanted)
            )
        )
    )
    for sid in sorted(wanted - known):
        db.session.add(RecordingDeletion(recording_sid=sid))
    db.session.info[_RECORDINGS_PENDING] = True
    return len(wanted)


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    # Like the outbox: a job only once the rows are real. If Redis is down now, the
    # retention job's next run finds the rows anyway.
    if session.in_nested_transaction() or not session.info.pop(_RECORDINGS_PENDING, None):
        return
    from app.jobs.queue import get_queue

    try:
        get_queue().enqueue(DELETE_RECORDINGS_JOB, description="delete recordings at Twilio")
    except Exception as exc:  # the commit has happened; the periodic run will catch up
        log.warning("privacy: could not enqueue recording deletion (%s)", type(exc).__name__)


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_RECORDINGS_PENDING, None)
