"""The outbox sweep, run by the scheduler every OUTBOX_SWEEP_SECONDS (a minute): nothing
queued is forgotten, and nothing is sent twice.

Three kinds of rows need it:

- "queued" for more than OUTBOX_STALE_AFTER with no retry pending: the job was lost
  (Redis was down at commit time or restarted empty, a job was dropped, RQ's retries
  ran out). The sweep enqueues the row again; if its job does still exist, the second
  one finds the row claimed and does nothing.
- "sending" with an expired lease: the worker died while it held the row (claimed with
  a few others, `app.jobs.send.CLAIM_ROWS`), before it tried it, while Twilio had
  it, or after Twilio took it but before that was written down. Sending again blindly
  could text the person twice; forgetting it would lose the message. So the row
  becomes "unknown" and is looked up:
- "unknown" and due for a look (its lease, here "not before", is over): the sweep asks
  Twilio for the messages it holds for that number (`gateway.find_sent`). If Twilio has
  this one, the row is "sent" with Twilio's sid; if not, Twilio never took it and the
  row is queued again; if Twilio cannot be asked now, the next sweep asks again. After
  OUTBOX_RECONCILE_HOURS an unknown row is left as it is, for staff to see.
"""

import logging
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs import gateway
from app.jobs.send import SENDING, SENT, UNKNOWN
from app.models import Message, Person
from app.services.outbox import QUEUED, enqueue_sends
from app.timeutil import utcnow

log = logging.getLogger(__name__)

# Rows handled per run, so one run stays short even after a long Redis outage.
BATCH = 500
# Lookups at Twilio per run: each is one HTTP request.
LOOKUPS = 50
# When Twilio could not be asked, the next try waits at least this long.
ASK_AGAIN = timedelta(minutes=1)


def sweep_outbox(now: datetime | None = None, limit: int = BATCH) -> dict[str, int]:
    """Re-enqueue lost outbox rows and settle abandoned sends; returns counts of each."""
    now = now or utcnow()
    stale = now - timedelta(seconds=current_app.config["OUTBOX_STALE_AFTER"])
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
            .values(status=UNKNOWN, lease_until=now)  # due for a look at once
            .execution_options(synchronize_session=False)
        )
        log.warning("sweep: sends abandoned mid-way, to be checked at Twilio: %s", abandoned)
    db.session.commit()
    settled = _settle_unknown(now)
    enqueue_sends(lost + settled["requeued"])
    if lost:
        log.info("sweep: re-enqueued %s queued messages", len(lost))
    return {
        "requeued": len(lost) + len(settled["requeued"]),
        "unknown": len(abandoned),
        "found": settled["found"],
        "resent": len(settled["requeued"]),
    }


def _settle_unknown(now: datetime) -> dict:
    """Look up unknown sends that are due; returns {"found": n, "requeued": [ids]}."""
    horizon = now - timedelta(hours=current_app.config["OUTBOX_RECONCILE_HOURS"])
    # Past the horizon an unknown stays unknown: no longer due (lease cleared).
    db.session.execute(
        sa.update(Message)
        .where(Message.status == UNKNOWN, Message.lease_until.is_not(None),
               Message.created_at < horizon)  # fmt: skip
        .values(lease_until=None)
        .execution_options(synchronize_session=False)
    )
    due = db.session.execute(
        sa.select(Message.id, Message.body, Message.created_at, Person.phone)
        .join(Person, Person.id == Message.person_id, isouter=True)
        .where(Message.status == UNKNOWN, Message.lease_until <= now)
        .order_by(Message.id)
        .limit(LOOKUPS)
    ).all()
    db.session.commit()
    found, requeued = 0, []
    for message_id, body, created_at, phone in due:
        outcome = _look_up(message_id, body, created_at, phone, now)
        found += outcome == SENT
        if outcome == QUEUED:
            requeued.append(message_id)
    return {"found": found, "requeued": requeued}


def _look_up(message_id: int, body: str | None, created_at, phone: str | None, now) -> str:
    """Settle one unknown send against Twilio's records; returns the row's new status."""
    if not phone or not body:
        return _settle(message_id, UNKNOWN, lease_until=None)  # nothing left to look up
    if current_app.config["SIMULATOR_MODE"]:
        return _settle(message_id, QUEUED)  # nothing is ever sent in simulator mode
    try:
        sid = gateway.find_sent(phone, body, created_at, _sids_we_know)
    except gateway.SendError as error:
        log.info("sweep: message %s not checked yet (twilio code %s)", message_id, error.code)
        return _settle(message_id, UNKNOWN, lease_until=now + ASK_AGAIN)
    if sid is None:
        log.info("sweep: message %s never reached Twilio: queued again", message_id)
        return _settle(message_id, QUEUED)
    log.info("sweep: message %s had reached Twilio: marked sent", message_id)
    return _settle(message_id, SENT, twilio_sid=sid, sent_at=created_at)


def _settle(message_id: int, status: str, **fields) -> str:
    values = {"status": status, "lease_until": None, **fields}
    moved = db.session.execute(
        sa.update(Message)
        .where(Message.id == message_id, Message.status == UNKNOWN)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    return status if moved else "moved on"


def _sids_we_know(sids: list[str]) -> set[str]:
    if not sids:
        return set()
    known = db.session.scalars(sa.select(Message.twilio_sid).where(Message.twilio_sid.in_(sids)))
    return set(known)
