"""Requests for a person to call back: opened by residents, handled by staff.

A request is taken by one staff member at a time (a conditional UPDATE, so two cannot
both claim it), called, given an outcome, and closed. While it is open, automated
texts to the person wait in the outbox (see `outbox.queue_sms`); closing it lets them go.
"""

from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import joinedload

from app import i18n
from app.extensions import db
from app.i18n import N_
from app.models import CallbackRequest, Message, Person, StaffCall, StaffUser
from app.services import events, outbox
from app.timeutil import utcnow

ACTIVE = (CallbackRequest.OPEN, CallbackRequest.CLAIMED)
# staff: a note on the request, read on the staff pages.
INTERPRETER_NOTE = N_("Needs an interpreter: called in {language}, which the phone line cannot "
                      "speak.")  # fmt: skip
RECENT_MESSAGES = 10


def request_callback(
    person: Person, language: str, reason: str, channel: str = "sms", recording_url=None
) -> tuple[CallbackRequest, bool]:
    """Open a request unless one is already open. Returns (request, created)."""
    open_request = db.session.scalar(
        sa.select(CallbackRequest).where(
            CallbackRequest.person_id == person.id,
            CallbackRequest.status.in_([CallbackRequest.OPEN, CallbackRequest.CLAIMED]),
        )
    )
    if open_request:
        return open_request, False
    request = CallbackRequest(
        person_id=person.id,
        language=language,
        reason=reason,
        channel=channel,
        recording_url=recording_url,
    )
    db.session.add(request)
    db.session.flush()
    events.callback_requested(request)
    return request, True


def note_interpreter(request: CallbackRequest, language: str) -> None:
    """Note on the request that the person needs an interpreter for `language` (once).

    Written in the default language, where staff read notes; the request's own
    `language` column says which language to find an interpreter for.
    """
    default = current_app.config["DEFAULT_LANGUAGE"]
    text = i18n.gettext(default, INTERPRETER_NOTE).format(
        language=i18n.name_in(language, default)
    )
    if text not in (request.note or ""):
        request.note = "\n".join(filter(None, [text, request.note]))


# --- the queue ---------------------------------------------------------------------------


def queue() -> list[CallbackRequest]:
    """Open and claimed requests, oldest first (the longest wait is at the top)."""
    return list(
        db.session.scalars(
            sa.select(CallbackRequest)
            .where(CallbackRequest.status.in_(ACTIVE))
            .options(joinedload(CallbackRequest.person), joinedload(CallbackRequest.claimed_by))
            .order_by(CallbackRequest.created_at, CallbackRequest.id)
        )
    )


def get(request_id: int) -> CallbackRequest | None:
    return db.session.get(CallbackRequest, request_id)


def promise() -> timedelta:
    return timedelta(hours=current_app.config["CALLBACK_PROMISE_HOURS"])


def is_overdue(request: CallbackRequest, now: datetime | None = None) -> bool:
    """Waiting longer than the promise made to residents (CALLBACK_PROMISE_HOURS)."""
    return request.status in ACTIVE and (now or utcnow()) - request.created_at > promise()


def recent_messages(person_id: int, limit: int = RECENT_MESSAGES) -> list[Message]:
    """The person's last messages in and out, oldest first (held ones are shown apart)."""
    rows = db.session.scalars(
        sa.select(Message)
        .where(Message.person_id == person_id, Message.status != outbox.HELD)
        .order_by(Message.created_at.desc(), Message.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


def held_messages(person_id: int) -> list[Message]:
    return outbox.held_for(person_id)


# --- claiming ------------------------------------------------------------------------------


@dataclass
class ClaimResult:
    won: bool
    request: CallbackRequest | None
    holder: StaffUser | None = None  # who has it, when someone else does


def claim(request_id: int, staff: StaffUser) -> ClaimResult:
    """Take an open request for `staff`. One UPDATE … WHERE status='open': one winner."""
    won = db.session.execute(
        sa.update(CallbackRequest)
        .where(CallbackRequest.id == request_id, CallbackRequest.status == CallbackRequest.OPEN)
        .values(status=CallbackRequest.CLAIMED, claimed_by_id=staff.id, claimed_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    request = get(request_id)
    if request is not None:
        db.session.refresh(request)
    holder = request.claimed_by if request is not None and not won else None
    return ClaimResult(bool(won), request, holder)


def release(request: CallbackRequest, staff: StaffUser) -> bool:
    """Give a claimed request back to the queue (its holder, or a coordinator, may)."""
    if not (request.claimed_by_id == staff.id or staff.has_role("coordinator")):
        return False
    released = db.session.execute(
        sa.update(CallbackRequest)
        .where(CallbackRequest.id == request.id, CallbackRequest.status == CallbackRequest.CLAIMED)
        .values(status=CallbackRequest.OPEN, claimed_by_id=None, claimed_at=None)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(request)
    return bool(released)


def is_holder(request: CallbackRequest, staff: StaffUser) -> bool:
    return request.status == CallbackRequest.CLAIMED and request.claimed_by_id == staff.id


# --- calling and closing ---------------------------------------------------------------------


def simulated() -> bool:
    """No Twilio credentials: calls are recorded, never placed."""
    return bool(current_app.config["SIMULATOR_MODE"])


def start_call(request: CallbackRequest, staff: StaffUser) -> StaffCall:
    """Count an attempt and record the call to make (the caller commits, then enqueues).

    In simulator mode nothing is dialled: the call is recorded as "simulated".
    """
    request.attempts = (request.attempts or 0) + 1
    request.last_attempt_at = utcnow()
    call = StaffCall(
        request_id=request.id, staff_id=staff.id, status="simulated" if simulated() else "queued"
    )
    db.session.add(call)
    db.session.flush()
    return call


def latest_call(request: CallbackRequest) -> StaffCall | None:
    return db.session.scalar(
        sa.select(StaffCall)
        .where(StaffCall.request_id == request.id)
        .order_by(StaffCall.id.desc())
        .limit(1)
    )


def record_outcome(
    request: CallbackRequest,
    staff: StaffUser,
    outcome: str,
    note: str | None,
    *,
    done: bool,
    send_text: bool,
) -> Message | None:
    """Keep what happened; close the request when `done`. Caller commits.

    Not reached and `send_text`: the person is told by SMS that we tried (once per
    attempt). Closing releases the texts that waited while the request was open.
    Returns the "we tried" message if one was queued.
    """
    if outcome not in CallbackRequest.OUTCOMES:
        raise ValueError(f"unknown outcome {outcome!r}")
    request.outcome = outcome
    if note and note.strip():
        stamp = utcnow().strftime("%Y-%m-%d %H:%M UTC")
        entry = f"[{stamp}, {staff.name}] {note.strip()}"
        request.note = "\n".join(filter(None, [request.note, entry]))
    told = None
    if outcome == "no_answer" and send_text:
        told = _tell_we_tried(request, done)
    if done:
        close(request)
    return told


def close(request: CallbackRequest) -> None:
    request.status = CallbackRequest.DONE
    request.closed_at = utcnow()
    db.session.flush()
    if not has_active_request(request.person_id):
        outbox.release_held(request.person_id)


def has_active_request(person_id: int) -> bool:
    return outbox.has_active_callback(person_id)


def _tell_we_tried(request: CallbackRequest, done: bool) -> Message | None:
    from app.conversation.engine import Prompt
    from app.conversation.flow import get_flow
    from app.conversation.render import render

    person = request.person
    name = "tried_to_call" if done else "tried_to_call_again"
    flow = get_flow("sms")
    # In the language they asked in, which is the one we called them in.
    text = render(flow, [Prompt(flow.notices[name], {})], request.language)[0]
    # One text per attempt, however often the form is sent.
    key = f"callback:{request.id}:tried:{request.attempts}"
    return outbox.queue_sms(person, text, kind=name, dedup_key=key)
