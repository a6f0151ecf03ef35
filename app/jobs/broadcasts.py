"""RQ jobs for broadcasts: the fan-out of one broadcast, and broadcasts due after the night.

The fan-out claims the broadcast (sending -> sent, one conditional UPDATE) and writes
one outbox row per recipient (keyed "broadcast:<id>:<person id>") in the same
transaction; the outbox enqueues the sends after the commit and the shared rate
limiter paces them. A fan-out that dies before its commit wrote nothing and runs
again; one that committed is never repeated. In quiet hours nothing is written: the
broadcast waits for the morning, when `send_due_broadcasts` sends it.
"""

import logging
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.jobs.queue import DEFAULT_QUEUE, get_queue
from app.models import Broadcast
from app.services import broadcasts
from app.services.task_planning import quiet_until
from app.timeutil import utcnow

log = logging.getLogger(__name__)
FAN_OUT_JOB_TIMEOUT = 600


def enqueue_broadcast(broadcast_id: int) -> None:
    """Put the fan-out on the "default" queue (raises if Redis is down; the periodic
    `send_due_broadcasts` then sends it within a minute, as it is marked due)."""
    get_queue(DEFAULT_QUEUE).enqueue(
        send_broadcast, broadcast_id, job_timeout=FAN_OUT_JOB_TIMEOUT,
        description=f"broadcast {broadcast_id}",
    )  # fmt: skip


def send_broadcast(broadcast_id: int, now: datetime | None = None) -> str:
    """Queue the broadcast's messages, once. Returns what happened."""
    now = now or utcnow()
    broadcast = db.session.get(Broadcast, broadcast_id)
    if broadcast is None:
        return "no such broadcast"
    if broadcast.status != Broadcast.SENDING:
        return "already sent" if broadcast.status == Broadcast.SENT else "not asked to send"
    morning = quiet_until(now)
    if morning is not None:
        if broadcast.send_at is None or broadcast.send_at < morning:
            broadcast.send_at = morning
        db.session.commit()
        return "held until the quiet hours end"
    claimed = db.session.execute(
        sa.update(Broadcast)
        .where(Broadcast.id == broadcast.id, Broadcast.status == Broadcast.SENDING)
        .values(status=Broadcast.SENT, sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return "already sent"
    queued = broadcasts.queue_messages(broadcast)
    db.session.commit()
    log.info("broadcasts: broadcast %s: %s messages queued", broadcast.id, queued)
    return f"{queued} queued"


def send_due_broadcasts(now: datetime | None = None) -> int:
    """Send broadcasts that are due (held through the night, or never enqueued). Every minute."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(Broadcast.id)
        .where(Broadcast.status == Broadcast.SENDING, Broadcast.send_at <= now)
        .order_by(Broadcast.send_at, Broadcast.id)
    ).all()
    return sum(send_broadcast(broadcast_id, now).endswith("queued") for broadcast_id in due)
