"""The outbox: every outbound SMS is a database row first, then a job.

`queue_sms` writes the row inside the caller's transaction and sends nothing itself.
Only when that transaction commits is a send job put on the "sms" queue, so a rollback
never texts anyone and a job never looks for a row that is not there yet. If Redis is
down at that moment the row simply waits: `app.jobs.sweep` re-enqueues it.

The machine does not talk over the human: while a person waits for a callback (an open
or claimed request), automated texts to them (reminders, task requests, broadcasts …)
are kept as "held" rows with no job. Closing the request releases them (`release_held`);
staff see them on the callback page first. Direct answers are never held.
"""

import logging
import random
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from redis.client import Pipeline
from rq import Retry
from sqlalchemy import event
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs.queue import SMS_QUEUE, get_queue, redis_connection
from app.models import CallbackRequest, Message, Person
from app.services.sql import insert_or_skip
from app.timeutil import utcnow

log = logging.getLogger(__name__)

# By import path: the job module imports this one, not the other way round.
SEND_JOB = "app.jobs.send.send_message"
# One job sends a batch of rows (each still claimed on its own): a job per message cost
# more in Redis and worker bookkeeping than the send itself (bench/broadcast.py).
SEND_BATCH_JOB = "app.jobs.send.send_messages"
SEND_BATCH = 50
# People per IN (...) list when looking up who waits for a callback.
IN_CHUNK = 1000
# Seconds before RQ stops a send job; the send lease is longer, so a row is never
# reclaimed while a job could still be sending it.
SEND_JOB_TIMEOUT = 120
# Twilio's limit for one message body.
MAX_BODY = 1600

QUEUED = "queued"
# Waiting until staff have talked to the person; "expired" if it waited too long to matter.
HELD, EXPIRED = "held", "expired"
# Answers to something the person has just done, and the callback's own texts: never held.
DIRECT_KINDS = frozenset(
    {"reply", "confirmation", "task_confirmed", "tried_to_call", "tried_to_call_again"}
)
_PENDING = "samtale_outbox_pending"


def queue_sms(
    person: Person, body: str, *, kind: str, dedup_key: str | None = None
) -> Message | None:
    """Add an outbound SMS to the outbox in the current transaction (the caller commits).

    Returns the new `Message`, or None when nothing may be sent: the person has opted
    out, or a message with this `dedup_key` exists already (also when another process
    is adding it at this very moment). The send job is enqueued after the commit,
    unless the message is held because the person is waiting for a callback.
    """
    if person.opted_out:
        return None
    if not body or len(body) > MAX_BODY:
        raise ValueError(f"an SMS body must have 1 to {MAX_BODY} characters")
    if dedup_key is not None and _dedup_key_taken(dedup_key):
        return None
    held = kind not in DIRECT_KINDS and has_active_callback(person.id)
    try:
        # A savepoint, so that losing a race on dedup_key leaves the caller's
        # transaction usable.
        with db.session.begin_nested():
            message = Message(
                person_id=person.id,
                direction=Message.OUT,
                kind=kind,
                body=body,
                status=HELD if held else QUEUED,
                dedup_key=dedup_key,
            )
            db.session.add(message)
    except IntegrityError:
        if dedup_key is not None and _dedup_key_taken(dedup_key):
            return None
        raise
    if not held:
        db.session.info.setdefault(_PENDING, []).append(message.id)
    return message


@dataclass(frozen=True)
class Outgoing:
    """One text of a fan-out: to whom, what it says, and the key that makes it once-only."""

    person: Person
    body: str
    dedup_key: str


def queue_many(
    items: Iterable[Outgoing], *, kind: str, broadcast_id: int | None = None
) -> dict[str, int]:
    """`queue_sms` for a whole fan-out, in a few statements (the caller commits).

    The same rules as one by one: opted-out people get nothing, a taken `dedup_key`
    (also one another process is adding right now) is skipped, texts to someone waiting
    for a callback are held, and the send jobs are enqueued after the commit. Returns
    the new message's id for each key that was written.
    """
    wanted: dict[str, Outgoing] = {}
    for item in items:
        if not item.body or len(item.body) > MAX_BODY:
            raise ValueError(f"an SMS body must have 1 to {MAX_BODY} characters")
        if not item.person.opted_out:
            wanted.setdefault(item.dedup_key, item)
    if not wanted:
        return {}
    table = Message.__table__
    insert = insert_or_skip(table, table.c.dedup_key)
    if insert is None:  # no INSERT … ON CONFLICT here: one by one, as before
        return _queue_one_by_one(wanted.values(), kind, broadcast_id)
    db.session.flush()  # people added in this transaction get their ids
    waiting = set()
    if kind not in DIRECT_KINDS:
        waiting = _waiting_for_callback({item.person.id for item in wanted.values()})
    now = utcnow()
    rows = [
        {
            "person_id": item.person.id,
            "direction": Message.OUT,
            "kind": kind,
            "body": item.body,
            "status": HELD if item.person.id in waiting else QUEUED,
            "dedup_key": key,
            "broadcast_id": broadcast_id,
            "attempts": 0,
            "created_at": now,
            "updated_at": now,
        }
        for key, item in wanted.items()
    ]
    # One statement compiled once; SQLAlchemy sends the rows as multi-row INSERTs of a
    # thousand ("insertmanyvalues"). The unique dedup_key decides, in the database:
    # no read-then-write race with another process.
    statement = insert.returning(table.c.id, table.c.dedup_key, table.c.status)
    written: dict[str, int] = {}
    pending: list[int] = []
    for message_id, key, status in db.session.execute(statement, rows):
        written[key] = message_id
        if status == QUEUED:
            pending.append(message_id)
    if pending:
        db.session.info.setdefault(_PENDING, []).extend(sorted(pending))
    return written


def _queue_one_by_one(
    items: Iterable[Outgoing], kind: str, broadcast_id: int | None
) -> dict[str, int]:
    written = {}
    for item in items:
        message = queue_sms(item.person, item.body, kind=kind, dedup_key=item.dedup_key)
        if message is not None:
            message.broadcast_id = broadcast_id
            written[item.dedup_key] = message.id
    db.session.flush()
    return written


def _waiting_for_callback(person_ids: set[int]) -> set[int]:
    """Those of these people with a callback request that is open or claimed."""
    found: set[int] = set()
    ordered = sorted(person_ids)
    for start in range(0, len(ordered), IN_CHUNK):
        found.update(
            db.session.scalars(
                sa.select(CallbackRequest.person_id).where(
                    CallbackRequest.person_id.in_(ordered[start : start + IN_CHUNK]),
                    CallbackRequest.status.in_([CallbackRequest.OPEN, CallbackRequest.CLAIMED]),
                )
            )
        )
    return found


def has_active_callback(person_id: int) -> bool:
    """Whether the person has a callback request that is open or claimed."""
    found = db.session.scalar(
        sa.select(CallbackRequest.id)
        .where(
            CallbackRequest.person_id == person_id,
            CallbackRequest.status.in_([CallbackRequest.OPEN, CallbackRequest.CLAIMED]),
        )
        .limit(1)
    )
    return found is not None


def held_for(person_id: int) -> list[Message]:
    """The person's held texts, oldest first."""
    return list(
        db.session.scalars(
            sa.select(Message)
            .where(Message.person_id == person_id, Message.status == HELD)
            .order_by(Message.created_at, Message.id)
        )
    )


def held_counts(person_ids: list[int]) -> dict[int, int]:
    """How many texts wait for each of these people."""
    if not person_ids:
        return {}
    rows = db.session.execute(
        sa.select(Message.person_id, sa.func.count())
        .where(Message.person_id.in_(person_ids), Message.status == HELD)
        .group_by(Message.person_id)
    )
    return {person_id: count for person_id, count in rows}


def release_held(person_id: int) -> list[int]:
    """Queue the person's held texts for sending after the caller commits; returns their ids.

    Texts held longer than HELD_MESSAGE_MAX_HOURS are not sent but marked "expired": a
    reminder for yesterday's activity would only confuse.
    """
    cutoff = utcnow() - timedelta(hours=current_app.config["HELD_MESSAGE_MAX_HOURS"])
    held = sa.and_(Message.person_id == person_id, Message.status == HELD)
    db.session.execute(
        sa.update(Message)
        .where(held, Message.created_at < cutoff)
        .values(status=EXPIRED)
        .execution_options(synchronize_session=False)
    )
    ids = list(db.session.scalars(sa.select(Message.id).where(held)))
    if ids:
        # Conditional, so releasing twice at once queues each row once.
        db.session.execute(
            sa.update(Message)
            .where(Message.id.in_(ids), Message.status == HELD)
            .values(status=QUEUED)
            .execution_options(synchronize_session=False)
        )
        db.session.info.setdefault(_PENDING, []).extend(ids)
    return ids


def send_retry() -> Retry | None:
    """RQ's retries for a send job: SEND_RETRY_INTERVALS, each one stretched or shrunk at
    random by up to half (jitter), so that sends which failed together (a 429 from
    Twilio, a 5xx) spread out when they come back instead of failing together again."""
    configured = current_app.config["SEND_RETRY_INTERVALS"]
    intervals = [round(seconds * random.uniform(0.5, 1.5)) for seconds in configured]
    return Retry(max=len(intervals), interval=intervals) if intervals else None


def enqueue_send(message_id: int, pipeline: Pipeline | None = None) -> None:
    """Put a send job for this outbox row on the "sms" queue. Raises if Redis is down.

    With `pipeline`, the job is written when the caller executes it. Enqueueing the
    same row twice is harmless: the job claims the row before sending.
    """
    retry = send_retry()
    get_queue(SMS_QUEUE).enqueue(
        SEND_JOB,
        message_id,
        retry=retry,
        job_timeout=SEND_JOB_TIMEOUT,
        description=f"send message {message_id}",
        pipeline=pipeline,
    )


def enqueue_sends(message_ids: list[int]) -> None:
    """Enqueue send jobs for many rows in one round trip to Redis (all or none).

    One job per SEND_BATCH rows, in the order given; each row is still claimed and
    finished on its own, so a batch that dies part-way loses and repeats nothing.
    """
    if not message_ids:
        return
    queue = get_queue(SMS_QUEUE)
    with redis_connection().pipeline() as pipeline:
        for start in range(0, len(message_ids), SEND_BATCH):
            batch = list(message_ids[start : start + SEND_BATCH])
            queue.enqueue(
                SEND_BATCH_JOB,
                batch,
                retry=send_retry(),  # jitter of its own per batch
                job_timeout=SEND_JOB_TIMEOUT,
                description=f"send {len(batch)} messages from {batch[0]}",
                pipeline=pipeline,
            )
        pipeline.execute()


def _dedup_key_taken(dedup_key: str) -> bool:
    taken = db.session.scalar(sa.select(Message.id).where(Message.dedup_key == dedup_key))
    return taken is not None


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    # Fired for savepoints too; only the outermost commit makes the rows real.
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_PENDING, None)
    if not ids:
        return
    try:
        enqueue_sends(ids)
    except Exception as exc:  # the commit has happened; raising here would lie about it
        log.warning(
            "outbox: could not enqueue %s messages, ids %s (%s); the sweep will send them",
            len(ids),
            ids[:20],
            type(exc).__name__,
        )


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, transaction) -> None:
    # Reached after the commit handler above, or after a rollback or close: either way
    # anything still pending was never committed. (A rolled-back savepoint may leave an
    # id behind; its job finds no queued row and does nothing.)
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
