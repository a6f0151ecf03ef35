"""Calls staff make to residents through Twilio: the signed bridge link and call status.

Twilio rings the staff member's own phone; when they answer it fetches the bridge TwiML,
which dials the resident with the service's number as caller ID. The link carries an
HMAC of the request and call ids, so only links this service made can start a bridge.
"""

import hashlib
import hmac
from urllib.parse import urlencode

import sqlalchemy as sa
from flask import current_app

from app.extensions import db
from app.models import StaffCall
from app.services.calls import FINAL, RANK
from app.timeutil import utcnow

BRIDGE_PATH = "/twilio/voice/bridge"
# Statuses before Twilio has the call: ours ("dialling" = the job is asking Twilio).
OURS = {"queued": 0, "dialling": 0}


def token(request_id: int, call_id: int) -> str:
    key = current_app.config["SECRET_KEY"].encode()
    return hmac.new(key, f"bridge:{request_id}:{call_id}".encode(), hashlib.sha256).hexdigest()


def token_ok(request_id: int, call_id: int, given: str) -> bool:
    return hmac.compare_digest(token(request_id, call_id), given or "")


def bridge_url(call: StaffCall) -> str:
    query = urlencode(
        {"request": call.request_id, "call": call.id, "token": token(call.request_id, call.id)}
    )
    return f"{current_app.config['PUBLIC_BASE_URL']}{BRIDGE_PATH}?{query}"


def record_status(call_sid: str, status: str, duration: int | None) -> bool:
    """Twilio's CallStatus for a staff call, forward only. Returns whether it changed."""
    if status not in RANK:
        return False
    earlier = [*OURS, *(name for name, rank in RANK.items() if rank < RANK[status])]
    values: dict = {"status": status, "updated_at": utcnow()}
    if status in FINAL and duration is not None:
        values["duration_seconds"] = duration
    changed = db.session.execute(
        sa.update(StaffCall)
        .where(StaffCall.call_sid == call_sid, StaffCall.status.in_(earlier))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1
