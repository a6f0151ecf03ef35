"""The outbox sweep, run every minute by the scheduler: nothing queued is forgotten.

Two kinds of rows need it:

- "queued" for more than a minute with no retry pending: the job was lost (Redis was
  down at commit time, a job was dropped, RQ's retries ran out). The sweep enqueues
  the row again; if its job does still exist, the second one finds the row claimed
  and does nothing.
- "sending" with an expired lease: the worker died while it held the row, before or
  after Twilio took the message; there is no way to tell which. Sending again could
  text the person twice, and a send is never made twice for one row. So these rows
  are not retried: they become "unknown" (a final status staff can see and follow
  up), and a warning names them once.
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs.send import SENDING, UNKNOWN
from app.models import Message
from app.services.outbox import QUEUED, enqueue_sends
from app.timeutil import utcnow

log = logging.getLogger(__name__)

# Rows handled per run, so one run stays short even after a long Redis outage.
BATCH = 500


def sweep_outbox(now: datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """Re-enqueue lost outbox rows and close abandoned sends; returns counts of each."""
    now = now or utcnow()
    stale_after = current_app.config["OUTBOX_STALE_AFTER"]
    stale = now - timedelta(seconds=stale_after)
    lost = list(
        db.session.scalars(
            sa.select(Message.id)
            .where(
                Message.direction == Message.OUT,
                Message.status == QUEUED,
                Message.created_at < stale,
                sa.or_(Message.lease_until.is_(None), Message.lease_until < now),
            )
            .order_by(Message.created_at, Message.id)
            .limit(limit)
        )
    )
    enqueue_sends(lost)

    abandoned = list(
        db.session.scalars(
            sa.select(Message.id)
            .where(Message.status == SENDING, Message.lease_until < now)
            .order_by(Message.id)
            .limit(limit)
        )
    )
    if abandoned:
        db.session.execute(
            sa.update(Message)
            # The conditions again: a row's state may have moved since the select.
            .where(
                Message.id.in_(abandoned),
                Message.status == SENDING,
                Message.lease_until < now,
            )
            .values(status=UNKNOWN, lease_until=None)
            .execution_options(synchronize_session=False)
        )
    db.session.commit()
    if abandoned:
        log.warning("sweep: sends abandoned mid-way, outcome unknown: messages %s", abandoned)
    if lost:
        log.info("sweep: re-enqueued %s queued messages", len(lost))
    return {"requeued": len(lost), "unknown": len(abandoned)}
