"""RQ job: send one outbox row through Twilio, at most once.

The row is claimed with one conditional UPDATE (queued -> sending) before anything
else happens, so however many jobs exist for a row (RQ retries, sweeps, a double
enqueue) only one of them can send it. Once claimed, a row never goes back to
"queued" unless Twilio certainly did not take the message.

Logs carry message ids and Twilio error codes only: never a number, never a body.
"""

import logging
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from rq import get_current_job

from app.extensions import db
from app.jobs import gateway
from app.jobs.rate_limit import RateLimitTimeout, wait_for_slot
from app.models import Message, Person
from app.services.optout import opt_out_by_id
from app.services.outbox import QUEUED, SEND_JOB_TIMEOUT
from app.timeutil import utcnow

log = logging.getLogger(__name__)

SENDING, SENT, FAILED = "sending", "sent", "failed"
BLOCKED, SIMULATED, UNKNOWN = "blocked", "simulated", "unknown"

# How long a claim holds. Longer than RQ's job timeout (plus the minute RQ allows a
# stuck work horse), so a lease only expires once its job is surely dead.
LEASE = timedelta(seconds=SEND_JOB_TIMEOUT + 180)
# Most seconds to wait for a rate-limit slot before giving the row back.
SLOT_TIMEOUT = 60
# A row waiting for an RQ retry is left alone by the sweep until this long after the
# retry is due, so the two do not race.
RETRY_GRACE = timedelta(seconds=60)


class TransientSendError(Exception):
    """Raised so that RQ retries the job; the row is already back in "queued"."""


def send_message(message_id: int) -> str:
    """Send outbox row `message_id` if it is still queued; returns what became of it.

    Runs inside an app context. Raises `TransientSendError` (after putting the row
    back) when Twilio could not take the message now, so RQ retries with backoff.
    """
    if not _claim(message_id):
        return "not queued"
    message = db.session.get(Message, message_id)
    # Re-read now: the person may have texted STOP since the message was queued.
    person = db.session.get(Person, message.person_id) if message.person_id else None
    if person is None or person.opted_out:
        return _finish(message, BLOCKED)
    if not message.body:
        return _finish(message, FAILED)  # emptied by retention before it could go
    if current_app.config["SIMULATOR_MODE"]:
        return _finish(message, SIMULATED, sent_at=utcnow())

    callback = current_app.config["PUBLIC_BASE_URL"] + "/twilio/status"
    try:
        wait_for_slot("sms", timeout=SLOT_TIMEOUT)
        sid = gateway.send_sms(person.phone, message.body, callback)
    except RateLimitTimeout:
        return _retry_later(message, None)
    except gateway.SendError as error:
        if error.transient:
            return _retry_later(message, error.code)
        if error.permanent:
            if error.code == gateway.UNSUBSCRIBED:
                opt_out_by_id(message.person_id)
            log.warning("sms: message %s refused, twilio code %s", message.id, error.code)
            return _finish(message, FAILED, error_code=error.code)
        # Twilio may have it: sending again could text the person twice.
        log.warning("sms: message %s outcome unknown, not retried", message.id)
        return _finish(message, UNKNOWN)
    log.info("sms: message %s sent", message.id)
    return _finish(message, SENT, twilio_sid=sid, sent_at=utcnow(), error_code=None)


def _claim(message_id: int) -> bool:
    """Move the row from queued to sending in one statement; True if this job won it."""
    result = db.session.execute(
        sa.update(Message)
        .where(
            Message.id == message_id,
            Message.direction == Message.OUT,
            Message.status == QUEUED,
        )
        .values(status=SENDING, attempts=Message.attempts + 1, lease_until=utcnow() + LEASE)
        .execution_options(synchronize_session=False)
    )
    # Committed at once, so the claim holds even if this process dies right after.
    db.session.commit()
    return result.rowcount == 1


def _finish(message: Message, status: str, **fields) -> str:
    message.status = status
    message.lease_until = None
    for name, value in fields.items():
        setattr(message, name, value)
    db.session.commit()
    return status


def _retry_later(message: Message, code: int | None) -> str:
    """Give the row back for a later try (nothing was sent), then raise for RQ."""
    max_attempts = current_app.config["SEND_MAX_ATTEMPTS"]
    if message.attempts >= max_attempts:
        log.warning("sms: message %s failed after %s attempts", message.id, message.attempts)
        return _finish(message, FAILED, error_code=code)
    job = get_current_job()
    if job is not None and job.should_retry:
        # RQ will run this job again; keep the sweep off the row until then.
        not_before = utcnow() + timedelta(seconds=job.get_retry_interval()) + RETRY_GRACE
    else:
        not_before = None  # no retry coming: the sweep's next run takes it
    message.status = QUEUED
    message.lease_until = not_before
    message.error_code = code
    db.session.commit()
    log.info("sms: message %s will be retried, twilio code %s", message.id, code)
    raise TransientSendError(f"message {message.id}: transient error, twilio code {code}")
