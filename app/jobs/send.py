"""RQ jobs: send outbox rows through Twilio, each at most once.

Each row is claimed with a conditional UPDATE (queued -> sending) before anything else
happens, so however many jobs exist for a row (RQ retries, sweeps, a double enqueue)
only one of them can send it. Once claimed, a row never goes back to "queued" unless
Twilio certainly did not take the message.

`send_messages` is the job the outbox enqueues: a batch of rows, sent one by one in
order. It claims them CLAIM_ROWS at a time, in one statement committed before the
first of them is sent, and writes down the sends Twilio took ("sent", with the sid)
with its next claim, in the same statement (on PostgreSQL, the claim's WITH) or the
same transaction (SQLite): one commit for CLAIM_ROWS messages instead of two a
message. A send is written down sooner, on its own, when it has waited
WRITE_SENT_AFTER or the batch has to wait for a rate-limit slot, and on leaving.
Every other outcome (blocked, failed, unknown) is written at once. Rows claimed and
not tried when the batch stops early (a transient error, its time is up, the worker
is stopping, an exception) are given back: queued again, the claim's attempt undone.
Rate-limit slots come several to a round trip when the limit allows
(`app.jobs.rate_limit.Slots`). `send_message` is one row alone.

A worker that dies outright (SIGKILL, a crash) leaves the rows of its current claim
"sending" (at most CLAIM_ROWS: those Twilio took that were not yet written down, the
one in flight, those not yet tried) and the rest of its batch "queued". Nothing
tells those apart, so none is sent again blindly: once the lease is over
(SEND_LEASE_SECONDS) the sweep asks Twilio about each (`app.jobs.sweep`), marks it
sent if Twilio has it, and queues it again if not. The same holds for a send whose
outcome is unknown (the connection dropped after the request left). A number that
cannot take texts at all (21211 invalid, 21614 not a mobile) is recorded on the
person, and nothing more is sent to it.

Logs carry message ids and Twilio error codes only: never a number, never a body.
"""

import logging
import time
from collections import Counter
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from redis.exceptions import RedisError
from rq import get_current_job
from sqlalchemy.dialects import postgresql

from app.extensions import db
from app.jobs import gateway
from app.jobs.rate_limit import RateLimitTimeout, Slots
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
# Rows claimed by one statement. More is fewer commits; fewer is fewer rows left for
# the sweep to settle at Twilio when a worker is killed mid-batch (see above).
CLAIM_ROWS = 10
# A send Twilio took waits at most this long to be written down, or until the batch has
# to wait for a rate-limit slot, if sooner: Twilio's status callbacks find the row by
# its sid, and one that came before the sid was written would find nothing.
WRITE_SENT_AFTER = 0.2


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
    with _Outbox() as outbox:
        for index, message_id in enumerate(message_ids):
            if index and (time.monotonic() > deadline or stop_requested()):
                outbox.settle()  # before the rest may be picked up elsewhere
                _hand_on(message_ids[index:])
                outcomes["handed on"] = len(message_ids) - index
                break
            if index % CLAIM_ROWS == 0:
                outbox.claim(message_ids[index : index + CLAIM_ROWS])
            try:
                outcomes[_send(outbox, message_id, len(message_ids) - index)] += 1
            except TransientSendError:
                outbox.settle(not_before=_retry_due())
                _wait_for_retry(outbox.connection, message_ids[index + 1 :])
                raise
    return dict(outcomes)


def send_message(message_id: int) -> str:
    """Send outbox row `message_id` if it is still queued; returns what became of it.

    Runs inside an app context. Raises `TransientSendError` (after putting the row
    back) when Twilio could not take the message now, so RQ retries with backoff.
    """
    with _Outbox() as outbox:
        outbox.claim([message_id])
        return _send(outbox, message_id, 1)


class _Outbox:
    """One batch's hold on the outbox: a database connection, the rows it has claimed
    and not yet tried, the sends Twilio took that are not yet written down, and the
    rate-limit slots in hand.

    One connection for the batch rather than a pool checkout per statement. Each write
    is one statement that is safe on its own (a claim carries the sends before it in its
    WITH), so on PostgreSQL they run in autocommit: each statement its own transaction,
    without a BEGIN and a COMMIT round trip around it. SQLite keeps the app's own BEGIN,
    and writes a claim and the sends before it in one transaction.
    """

    def __init__(self) -> None:
        self.slots = Slots("sms")
        self._claimed: dict[int, tuple] = {}
        self._sent: list[dict] = []
        self._first_sent_at = 0.0

    def __enter__(self) -> "_Outbox":
        self.connection = db.engine.connect()
        self.postgresql = self.connection.dialect.name == "postgresql"
        if self.postgresql:
            self.connection.execution_options(isolation_level="AUTOCOMMIT")
        return self

    def __exit__(self, kind, error, traceback) -> None:
        try:
            self.settle()
        except Exception:
            if error is None:
                raise
            # Already failing: the rows stay "sending", and the sweep settles each one
            # at Twilio once its lease is over.
            log.warning(
                "sms: %s messages left sending for the sweep (%s sent, %s not tried)",
                len(self._sent) + len(self._claimed),
                len(self._sent),
                len(self._claimed),
            )
        finally:
            self.connection.close()

    def claim(self, message_ids: list[int]) -> None:
        """Move these rows from queued to sending in one statement (writing down the
        sends before them with it), and keep what each send needs; a row another job
        has is not claimed."""
        params = {"ids": message_ids, "lease": utcnow() + lease(), "now": utcnow()}
        # Committed at once, so the claims hold even if this process dies right after.
        with self.connection.begin():
            if self.postgresql:
                params.update(_sent_arrays(self._sent))
                claimed = self.connection.execute(_SENT_THEN_CLAIM, params).all()
            else:
                if self._sent:
                    self._write_sent(params["now"])
                claimed = self.connection.execute(_CLAIM, params).all()
        self._sent = []
        for message_id, person_id, body, attempts, phone, opted_out in claimed:
            # No phone: the person's row is gone; nobody to text.
            self._claimed[message_id] = (
                person_id,
                body,
                attempts,
                phone,
                phone is None or bool(opted_out),
            )

    def take(self, message_id: int) -> tuple | None:
        """The claimed row's (person id, body, attempts, phone, opted out), now being
        tried; None if this batch did not claim it (another job has it)."""
        return self._claimed.pop(message_id, None)

    def sent(self, message_id: int, sid: str) -> str:
        """Twilio took the message: written down with the next claim, on leaving, or on
        its own once the oldest send not written down has waited WRITE_SENT_AFTER."""
        if not self._sent:
            self._first_sent_at = time.monotonic()
        self._sent.append({"sent_id": message_id, "sent_sid": sid, "sent_time": utcnow()})
        if time.monotonic() - self._first_sent_at >= WRITE_SENT_AFTER:
            self.write_sent()
        return SENT

    def write_sent(self) -> None:
        """Write down the sends not written yet, if any, on their own."""
        if not self._sent:
            return
        with self.connection.begin():
            self._write_sent(utcnow())
        self._sent = []

    def _write_sent(self, now: datetime) -> None:
        if self.postgresql:
            self.connection.execute(_SENT_MANY, {**_sent_arrays(self._sent), "now": now})
        else:
            self.connection.execute(_SENT, [{**s, "now": now} for s in self._sent])

    def settle(self, not_before: datetime | None = None) -> None:
        """Write down the sends not written yet, and give back the rows claimed and not
        tried (queued again, the claim's attempt undone, "not before" a due retry)."""
        untried = list(self._claimed)
        if not self._sent and not untried:
            return
        now = utcnow()
        with self.connection.begin():
            if self._sent:
                self._write_sent(now)
            if untried:
                self.connection.execute(
                    _GIVE_BACK, {"ids": untried, "not_before": not_before, "now": now}
                )
        self._sent, self._claimed = [], {}

    def finish(self, message_id: int, status: str, **fields) -> str:
        with self.connection.begin():
            self.connection.execute(
                _FINISH.values(**fields), {"message_id": message_id, "status": status}
            )
        return status


def _send(outbox: _Outbox, message_id: int, ahead: int) -> str:
    """Send one row; `ahead` is how many sends the batch still has (this one included)."""
    claimed = outbox.take(message_id)
    if claimed is None:
        return NOT_QUEUED
    person_id, body, attempts, phone, opted_out = claimed
    if opted_out:
        return outbox.finish(message_id, BLOCKED)
    if not body:  # emptied by retention before it could go
        return outbox.finish(message_id, FAILED)
    if current_app.config["SIMULATOR_MODE"]:
        return outbox.finish(message_id, SIMULATED, sent_at=utcnow())

    callback = current_app.config["PUBLIC_BASE_URL"] + "/twilio/status"
    try:
        # While it waits for a slot the connection is idle: the sends before are
        # written down then, not after the wait.
        outbox.slots.take(ahead, timeout=SLOT_TIMEOUT, idle=outbox.write_sent)
        sid = gateway.send_sms(phone, body, callback)
    except RateLimitTimeout:
        return _retry_later(outbox, message_id, attempts, None)
    except RedisError:
        # The shared limiter is out of reach, so nothing was sent: give the row back
        # now (no RQ retry can be scheduled either); the sweep sends it once Redis is up.
        log.warning("sms: message %s given back: rate limiter unavailable", message_id)
        return outbox.finish(message_id, QUEUED)
    except gateway.SendError as error:
        if error.transient:
            return _retry_later(outbox, message_id, attempts, error.code)
        if error.permanent:
            if error.code == gateway.UNSUBSCRIBED:
                opt_out_by_id(person_id)
                db.session.commit()
            elif error.code in gateway.NUMBER_ERRORS:
                _cannot_take_texts(outbox.connection, person_id, error.code)
            log.warning("sms: message %s refused, twilio code %s", message_id, error.code)
            return outbox.finish(message_id, FAILED, error_code=error.code)
        # Twilio may have it: sending again could text the person twice. The sweep asks
        # Twilio after CHECK_AFTER ("not before", as for a retry).
        log.warning("sms: message %s outcome unknown, to be checked at Twilio", message_id)
        return outbox.finish(message_id, UNKNOWN, lease_until=utcnow() + CHECK_AFTER)
    log.info("sms: message %s sent", message_id)
    return outbox.sent(message_id, sid)


# Built once: building a statement costs more than running it. The person is read
# inside the claim, not when the row was queued: they may have texted STOP since.
# `updated_at` is set here, not by the model's onupdate, which SQLAlchemy does not
# apply to an UPDATE inside a WITH.
_CLAIM = (
    sa.update(Message)
    .where(
        Message.id.in_(sa.bindparam("ids", expanding=True)),
        Message.direction == Message.OUT,
        Message.status == QUEUED,
    )
    .values(
        status=SENDING,
        attempts=Message.attempts + 1,
        lease_until=sa.bindparam("lease"),
        updated_at=sa.bindparam("now"),
    )
    .returning(
        Message.id,
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
_SENT_VALUES = {
    "status": SENT,
    "error_code": None,
    "lease_until": None,
    "updated_at": sa.bindparam("now"),
}
# One row (SQLite runs it once per send, as an executemany).
_SENT = (
    sa.update(Message)
    .where(Message.id == sa.bindparam("sent_id"))
    .values(twilio_sid=sa.bindparam("sent_sid"), sent_at=sa.bindparam("sent_time"), **_SENT_VALUES)
)
# Many rows in one statement on PostgreSQL: the sends as three arrays, unnested.
_SENDS = (
    sa.func.unnest(
        sa.bindparam("sent_ids", type_=postgresql.ARRAY(sa.Integer)),
        sa.bindparam("sent_sids", type_=postgresql.ARRAY(sa.String)),
        sa.bindparam("sent_times", type_=postgresql.ARRAY(sa.DateTime(timezone=True))),
    )
    .table_valued("id", "sid", "at")
    .render_derived(name="sends")
)
_SENT_MANY = (
    sa.update(Message)
    .where(Message.id == _SENDS.c.id)
    .values(twilio_sid=_SENDS.c.sid, sent_at=_SENDS.c.at, **_SENT_VALUES)
)
# PostgreSQL runs a data-modifying WITH to completion whether or not it is read, in the
# same statement, so in the same transaction as the claim. No sends: empty arrays.
_SENT_THEN_CLAIM = _CLAIM.add_cte(_SENT_MANY.cte("sent"))
_GIVE_BACK = (
    sa.update(Message)
    .where(Message.id.in_(sa.bindparam("ids", expanding=True)), Message.status == SENDING)
    .values(
        status=QUEUED,
        attempts=Message.attempts - 1,
        lease_until=sa.bindparam("not_before"),
        updated_at=sa.bindparam("now"),
    )
)
_FINISH = (
    sa.update(Message)
    .where(Message.id == sa.bindparam("message_id"))
    .values(status=sa.bindparam("status"), lease_until=None)
)


def _sent_arrays(sent: list[dict]) -> dict[str, list]:
    return {
        "sent_ids": [s["sent_id"] for s in sent],
        "sent_sids": [s["sent_sid"] for s in sent],
        "sent_times": [s["sent_time"] for s in sent],
    }


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


def _retry_later(outbox: _Outbox, message_id: int, attempts: int, code: int | None) -> str:
    """Give the row back for a later try (nothing was sent), then raise for RQ."""
    max_attempts = current_app.config["SEND_MAX_ATTEMPTS"]
    if attempts >= max_attempts:
        log.warning("sms: message %s failed after %s attempts", message_id, attempts)
        return outbox.finish(message_id, FAILED, error_code=code)
    # With no RQ retry coming, no "not before": the sweep's next run takes the row.
    outbox.finish(message_id, QUEUED, lease_until=_retry_due(), error_code=code)
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
