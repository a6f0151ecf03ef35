"""Phone calls: the server-side record of where each call is, keyed by CallSid.

Twilio may deliver a step twice (a retry, or two deliveries at once). Each step is
taken with one conditional UPDATE (`WHERE step = n - 1`), so only one delivery can
act on it; the other answers with the TwiML stored for that step.
"""

import sqlalchemy as sa
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from app.extensions import db
from app.models import Call, Person
from app.services.sql import insert_or_skip
from app.timeutil import utcnow

# How far along a call is: a status only moves forward; the final ones share a rank.
RANK = {
    "queued": 0, "initiated": 0, "ringing": 1, "in-progress": 2,
    "completed": 3, "busy": 3, "no-answer": 3, "failed": 3, "canceled": 3,
}  # fmt: skip
FINAL = {name for name, rank in RANK.items() if rank == 3}


def find(call_sid: str) -> Call | None:
    """The call's record, with its person (every step needs both: one statement)."""
    return db.session.scalar(
        sa.select(Call).options(joinedload(Call.person)).where(Call.call_sid == call_sid)
    )


def start(call_sid: str, person: Person, flow: str, state: str) -> Call | None:
    """The record of a new call at step 0; None if another delivery created it just now.

    One `INSERT … ON CONFLICT DO NOTHING RETURNING` where the database has it (the unique
    CallSid decides between two deliveries), a savepoint elsewhere."""
    values = {"call_sid": call_sid, "person_id": person.id, "flow": flow, "state": state,
              "data": {}, "step": 0}  # fmt: skip
    insert = insert_or_skip(Call, Call.call_sid)
    if insert is not None:
        call = db.session.scalar(insert.values(**values).returning(Call))
        if call is not None:
            set_committed_value(call, "person", person)  # known already: no load later
        return call
    try:
        with db.session.begin_nested():
            call = Call(**values)
            db.session.add(call)
        return call
    except IntegrityError:
        return None


def claim_step(call: Call, n: int) -> bool:
    """Take step `n` for this delivery; False if another delivery took it first."""
    taken = db.session.execute(
        sa.update(Call)
        .where(Call.id == call.id, Call.step == n - 1)
        .values(step=n, updated_at=utcnow())
        .execution_options(synchronize_session=False)
    ).rowcount
    if taken:
        # The UPDATE above wrote it; tell the loaded record so, without writing it again.
        set_committed_value(call, "step", n)
    return taken == 1


def save(call: Call, state: str, data: dict, response: str) -> None:
    """Remember where the call is and what it was told, for `*` and for retries."""
    call.state, call.data, call.last_response = state, data, response


def record_status(call_sid: str, status: str, duration: int | None) -> bool:
    """Twilio's CallStatus for a call of ours, forward only. Returns whether it changed."""
    if status not in RANK:
        return False
    earlier = [name for name, rank in RANK.items() if rank < RANK[status]]
    values: dict = {"status": status, "updated_at": utcnow()}
    if status in FINAL:
        values["ended_at"] = utcnow()
        if duration is not None:
            values["duration_seconds"] = duration
    changed = db.session.execute(
        sa.update(Call)
        .where(Call.call_sid == call_sid, Call.status.in_(earlier))
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    return changed == 1
