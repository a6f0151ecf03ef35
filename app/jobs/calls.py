"""RQ job: ring a staff member's own phone, then (by the bridge TwiML) the resident.

The row is claimed first (queued -> dialling, one conditional UPDATE), so a job run
twice never rings twice. A failed call is not retried: staff see it and press Call
again, which is better than a phone ringing unexpectedly minutes later.

Logs carry call ids and Twilio codes only, never a number.
"""

import logging

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.jobs import gateway
from app.jobs.queue import DEFAULT_QUEUE, get_queue
from app.models import StaffCall, StaffUser
from app.services import staff_calls
from app.timeutil import utcnow

log = logging.getLogger(__name__)

CALL_JOB = "app.jobs.calls.place_staff_call"
DIALLING, FAILED, NO_PHONE = "dialling", "failed", "no-phone"


def enqueue_call(call_id: int) -> None:
    """Put the call on the default queue. Raises if Redis is down."""
    get_queue(DEFAULT_QUEUE).enqueue(
        CALL_JOB, call_id, job_timeout=60, description=f"staff call {call_id}"
    )


def place_staff_call(call_id: int) -> str:
    """Ask Twilio to ring the staff member; returns what became of the call."""
    claimed = db.session.execute(
        sa.update(StaffCall)
        .where(StaffCall.id == call_id, StaffCall.status == "queued")
        .values(status=DIALLING, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.commit()
    if not claimed:
        return "not queued"
    call = db.session.get(StaffCall, call_id)
    staff = db.session.get(StaffUser, call.staff_id)
    if not staff or not staff.phone:
        return _finish(call, NO_PHONE)
    callback = current_app.config["PUBLIC_BASE_URL"] + "/twilio/status"
    try:
        sid = gateway.place_call(staff.phone, staff_calls.bridge_url(call), callback)
    except gateway.SendError as error:
        log.warning("call: staff call %s not placed (%s, twilio code %s)",
                    call.id, error.kind, error.code)  # fmt: skip
        return _finish(call, FAILED)
    call.call_sid = sid
    log.info("call: staff call %s placed", call.id)
    return _finish(call, "queued")  # Twilio has it; its status callbacks take over


def _finish(call: StaffCall, status: str) -> str:
    call.status = status
    db.session.commit()
    return status
