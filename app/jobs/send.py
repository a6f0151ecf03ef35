"""RQ jobs: send outbox rows through Twilio, each at most once.

Each row is claimed with one conditional UPDATE (queued -> sending) before anything
else happens, so however many jobs exist for a row (RQ retries, sweeps, a double
enqueue) only one of them can send it. Once claimed, a row never goes back to
"queued" unless Twilio certainly did not take the message.

`send_messages` is the job the outbox enqueues: a batch of rows, each claimed and
finished on its own (committed each time), so a worker that dies mid-batch leaves at
most the one row it was sending as "sending" and the rest "queued" (the sweep enqueues
them again). `send_message` is one row alone.

A send whose outcome is unknown (the worker died holding the row, or the connection
dropped after the request left) is never simply sent again: once its lease is over the
sweep asks Twilio whether it has the message (`app.jobs.sweep`), and only if it has
not is the row queued again. A number that cannot take texts at all (21211 invalid,
21614 not a mobile) is recorded on the person, and nothing more is sent to it.

Logs carry message ids and Twilio error codes only: never a number, never a body.
"""

import logging
import time
from collections import Counter
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job

from app.extensions import db
from app.jobs import gateway
from app.jobs.rate_limit import RateLimitTimeout, wait_for_slot
from app.jobs.worker import stop_requested
from app.models import Message, Person
from app.services.optout import opt_out_by_id
from app.services.outbox import QUEUED, SEND_JOB_TIMEOUT, enqueue_sends
from app.timeutil import utcnow

log = logging.getLogger(__name__)

SENDING, SENT, FAILED = "sending", "sent", "failed"
BLOCKED, SIMULATED, UNKNOWN = "blocked", "simulated", "unknown"
NOT_QUEUED = "not queued"

# How long a claim holds by default (SEND_LEASE_SECONDS). Longer than RQ's job timeout
# (plus the minute RQ allows a stuck work horse), so a lease only expires once its job
# is surely dead.
LEASE = timedelta(seconds=SEND_JOB_TIMEOUT + 180)
# An unknown outcome is looked up at Twilio no sooner than this: a request still in
# flight at Twilio has long been answered by then.
CHECK_AFTER = timedelta(seconds=60)
# Most seconds to wait for a rate-limit slot before giving the row back.
SLOT_TIMEOUT = 60
# A row waiting for an RQ retry is left alone by the sweep until this long after the
# retry is due, so the two do not race.
RETRY_GRACE = timedelta(seconds=60)
# A batch claims no new row after this many seconds and hands the rest to a new job:
# with the slot wait and Twilio's timeouts for the last row it still ends well inside
# SEND_JOB_TIMEOUT, and a slow batch (a low SMS_PER_SECOND) does not hog a worker.
BATCH_SECONDS = 30


class TransientSendError(Exception):
    """Raised so that RQ retries the job; the row is already back in "queued"."""


def send_messages(message_ids: list[int]) -> dict[str, int]:
    """Send these outbox rows in order, each if still queued; returns counts of outcomes.

    Stops early, and enqueues the rows it did not reach as a new job, after
    BATCH_SECONDS or when the worker is asked to stop. On a transient error (Twilio
    429/5xx, no rate-limit slot) it stops too: the row is given back, the rows after it
    wait with it, and `TransientSendError` makes RQ retry the batch with backoff (rows
    already sent are then "not queued" and skipped).
    """
    deadline = time.monotonic() + BATCH_SECONDS
    outcomes: Counter[str] = Counter()
    # One connection for the batch (each row still its own two short transactions):
    # checking one out per statement would cost a pre-ping round trip each time.
    with _connection() as connection:
        for index, message_id in enumerate(message_ids):
            if index and (time.monotonic() > deadline or stop_requested()):
                _hand_on(message_ids[index:])
                outcomes["handed on"] = len(message_ids) - index
                break
            try:
                outcomes[_send(connection, message_id)] += 1
            except TransientSendError:
                _wait_for_retry(connection, message_ids[index + 1 :])
                raise
    return dict(outcomes)


def send_message(message_id: int) -> str:
    """Send outbox row `message_id` if it is still queued; returns what became of it.

    Runs inside an app context. Raises `TransientSendError` (after putting the row
    back) when Twilio could not take the message now, so RQ retries with backoff.
    """
    with _connection() as connection:
        return _send(connection, message_id)


@contextmanager
def _connection() -> Iterator[sa.Connection]:
    """A connection for claiming and finishing rows. Each of those is one statement, so
    on PostgreSQL it runs in autocommit: the statement is its own transaction, without
    a BEGIN and a COMMIT round trip around it (SQLite keeps the app's own BEGIN)."""
    with db.engine.connect() as connection:
        if connection.dialect.name == "postgresql":
            connection = connection.execution_options(isolation_level="AUTOCOMMIT")
        yield connection


def _send(connection: sa.Connection, message_id: int) -> str:
    claimed = _claim(connection, message_id)
    if claimed is None:
        return NOT_QUEUED
    person_id, body, attempts, phone, opted_out = claimed
    if opted_out:
        return _finish(connection, message_id, BLOCKED)
    if not body:  # emptied by retention before it could go
        return _finish(connection, message_id, FAILED)
    if current_app.config["SIMULATOR_MODE"]:
        return _finish(connection, message_id, SIMULATED, sent_at=utcnow())

    callback = current_app.config["PUBLIC_BASE_URL"] + "/twilio/status"
    try:
        wait_for_slot("sms", timeout=SLOT_TIMEOUT)
        sid = gateway.send_sms(phone, body, callback)
    except RateLimitTimeout:
        return _retry_later(connection, message_id, attempts, None)
    except RedisError:
        # The shared limiter is out of reach, so nothing was sent: give the row back
        # now (no RQ retry can be scheduled either); the sweep sends it once Redis is up.
        log.warning("sms: message %s given back: rate limiter unavailable", message_id)
        return _finish(connection, message_id, QUEUED)
    except gateway.SendError as error:
        if error.transient:
            return _retry_later(connection, message_id, attempts, error.code)
        if error.permanent:
            if error.code == gateway.UNSUBSCRIBED:
                opt_out_by_id(person_id)
                db.session.commit()
            elif error.code in gateway.NUMBER_ERRORS:
                _cannot_take_texts(connection, person_id, error.code)
            log.warning("sms: message %s refused, twilio code %s", message_id, error.code)
            return _finish(connection, message_id, FAILED, error_code=error.code)
        # Twilio may have it: sending again could text the person twice. The sweep asks
        # Twilio after CHECK_AFTER ("not before", as for a retry).
        log.warning("sms: message %s outcome unknown, to be checked at Twilio", message_id)
        return _finish(connection, message_id, UNKNOWN, lease_until=utcnow() + CHECK_AFTER)
    log.info("sms: message %s sent", message_id)
    with connection.begin():
        connection.execute(_SENT, {"message_id": message_id, "sid": sid, "sent_at": utcnow()})
    return SENT


# Built once: these run twice per message, and building a statement costs more than
# running it. The person is read inside the claim, not when the row was queued: they
# may have texted STOP since.
_CLAIM = (
    sa.update(Message)
    .where(
        Message.id == sa.bindparam("message_id"),
        Message.direction == Message.OUT,
        Message.status == QUEUED,
    )
    .values(status=SENDING, attempts=Message.attempts + 1, lease_until=sa.bindparam("lease"))
    .returning(
        Message.person_id,
        Message.body,
        Message.attempts,
        sa.select(Person.phone).where(Person.id == Message.person_id).scalar_subquery(),
        # Opted out, or a number Twilio said cannot take texts: either way, not texted.
        sa.select(sa.or_(Person.opted_out, Person.sms_error_code.is_not(None)))
        .where(Person.id == Message.person_id)
        .scalar_subquery(),
    )
)
_FINISH = (
    sa.update(Message)
    .where(Message.id == sa.bindparam("message_id"))
    .values(status=sa.bindparam("status"), lease_until=None)
)
_SENT = _FINISH.values(
    status=SENT, twilio_sid=sa.bindparam("sid"), sent_at=sa.bindparam("sent_at"), error_code=None
)


def _claim(connection: sa.Connection, message_id: int) -> tuple | None:
    """Move the row from queued to sending in one statement, and read what the send
    needs: (person id, body, attempts, phone, opted out); None if another job has it."""
    # Committed at once, so the claim holds even if this process dies right after.
    with connection.begin():
        claimed = connection.execute(
            _CLAIM, {"message_id": message_id, "lease": utcnow() + lease()}
        ).one_or_none()
    if claimed is None:
        return None
    person_id, body, attempts, phone, opted_out = claimed
    # No phone: the person's row is gone; nobody to text.
    return person_id, body, attempts, phone, phone is None or bool(opted_out)


def lease() -> timedelta:
    """How long a claim holds: SEND_LEASE_SECONDS (LEASE unless configured)."""
    return timedelta(seconds=current_app.config.get("SEND_LEASE_SECONDS", LEASE.total_seconds()))


def _cannot_take_texts(connection: sa.Connection, person_id: int | None, code: int) -> None:
    """Record on the person that their number cannot take texts (Twilio's code)."""
    if person_id is None:
        return
    with connection.begin():
        connection.execute(
            sa.update(Person).where(Person.id == person_id).values(sms_error_code=code)
        )


def _finish(connection: sa.Connection, message_id: int, status: str, **fields) -> str:
    with connection.begin():
        connection.execute(_FINISH.values(**fields), {"message_id": message_id, "status": status})
    return status


def _retry_later(
    connection: sa.Connection, message_id: int, attempts: int, code: int | None
) -> str:
    """Give the row back for a later try (nothing was sent), then raise for RQ."""
    max_attempts = current_app.config["SEND_MAX_ATTEMPTS"]
    if attempts >= max_attempts:
        log.warning("sms: message %s failed after %s attempts", message_id, attempts)
        return _finish(connection, message_id, FAILED, error_code=code)
    # With no RQ retry coming, no "not before": the sweep's next run takes the row.
    _finish(connection, message_id, QUEUED, lease_until=_retry_due(), error_code=code)
    log.info("sms: message %s will be retried, twilio code %s", message_id, code)
    raise TransientSendError(f"message {message_id}: transient error, twilio code {code}")


def _retry_due() -> datetime | None:
    """When RQ will run this job again (plus a grace), keeping the sweep off the rows
    until then; None when no retry is coming."""
    job = get_current_job()
    if job is None or not job.should_retry:
        return None
    return utcnow() + timedelta(seconds=job.get_retry_interval()) + RETRY_GRACE


def _wait_for_retry(connection: sa.Connection, message_ids: list[int]) -> None:
    """The rows after a transient error wait for the batch's retry, untouched by the sweep."""
    not_before = _retry_due()
    if not message_ids or not_before is None:
        return
    with connection.begin():
        connection.execute(
            sa.update(Message)
            .where(Message.id.in_(message_ids), Message.status == QUEUED)
            .values(lease_until=not_before)
        )


def _hand_on(message_ids: list[int]) -> None:
    """Enqueue the rows this batch did not reach; if Redis is down, the sweep will."""
    try:
        enqueue_sends(message_ids)
    except Exception as exc:  # the rows are still queued: nothing is lost
        log.warning(
            "sms: could not hand on %s messages from %s (%s); the sweep will send them",
            len(message_ids),
            message_ids[0],
            type(exc).__name__,
        )
