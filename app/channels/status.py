"""Message and call status callbacks: `POST /twilio/status`.

Twilio sends several callbacks per message, possibly twice and out of order. A status
only ever moves forward (one conditional UPDATE, so concurrent callbacks cannot undo
each other), repeats change nothing, and anything unknown gets an empty answer: a
callback never causes a 500, which Twilio would only log against the account.
"""

import logging

import sqlalchemy as sa
from flask import request

from app.channels import bp
from app.channels.security import twilio_signed
from app.channels.sms import where
from app.extensions import db
from app.jobs.gateway import UNSUBSCRIBED
from app.models import Message
from app.services import calls, staff_calls
from app.services.optout import opt_out_by_id

log = logging.getLogger(__name__)

# How far along a message is. Ours first ("queued", "sending", "sent" are also what
# the send job writes), then Twilio's; final outcomes share a rank so the first wins.
RANK = {
    "accepted": 0,
    "scheduled": 0,
    "queued": 1,
    "sending": 2,
    "sent": 3,
    "delivered": 4,
    "undelivered": 4,
    "failed": 4,
    "partially_delivered": 4,
    "canceled": 4,
    "read": 5,
}


@bp.post("/status")
@twilio_signed
def message_status():
    """Record a message's or a call's new status from Twilio; always an empty 204."""
    sid = request.form.get("MessageSid", "")
    if not sid and request.form.get("CallSid"):
        return _call_status()
    status = request.form.get("MessageStatus", "").lower()
    code = _int_or_none(request.form.get("ErrorCode"))
    if not sid or status not in RANK:
        return "", 204  # one we do not track
    earlier = [name for name, rank in RANK.items() if rank < RANK[status]]
    values = {"status": status}
    if code is not None:
        values["error_code"] = code
    db.session.execute(
        sa.update(Message)
        .where(
            Message.twilio_sid == sid,
            Message.direction == Message.OUT,
            Message.status.in_(earlier),
        )
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    if code == UNSUBSCRIBED:
        # Acted on even when the status itself came late: the opt-out is still true.
        person_id = db.session.scalar(
            sa.select(Message.person_id).where(
                Message.twilio_sid == sid, Message.direction == Message.OUT
            )
        )
        opt_out_by_id(person_id)
    db.session.commit()
    if code is not None:
        log.info("status: message %s is %s, twilio code %s", sid, status, code)
    return "", 204


def _call_status():
    """A call's progress (ringing, completed …) and, at the end, how long it lasted."""
    sid = request.form.get("CallSid", "")[:64]
    status = request.form.get("CallStatus", "").lower()
    duration = _int_or_none(request.form.get("CallDuration"))
    try:
        # A call into the phone line, or one placed for staff calling a resident back.
        changed = calls.record_status(sid, status, duration) or staff_calls.record_status(
            sid, status, duration
        )
        db.session.commit()
    except Exception as error:  # a callback is never worth a 500
        db.session.rollback()
        log.error("status: call %s not recorded: %s", sid, where(error))
        return "", 204
    if changed and status in calls.FINAL:
        log.info("status: call %s is %s", sid, status)
    return "", 204


def _int_or_none(value: str | None) -> int | None:
    try:
        return int(value) if value else None
    except ValueError:
        return None
