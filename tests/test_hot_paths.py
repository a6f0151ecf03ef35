"""The webhooks' common case stays lean (bench/ measures it; these keep what it found).

A known number's text: the person found, touched and locked in one statement, the
MessageSid decided by the INSERT itself (no SELECT first, no savepoint). A voice step:
the call and its person in one statement, the step written once.
"""

from contextlib import contextmanager

import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from app.models import Message
from tests.conftest import RESIDENT


@contextmanager
def statements():
    """The SQL the app runs inside the block, one string each, spaces squeezed."""
    seen: list[str] = []

    def record(conn, cursor, statement, params, context, executemany):
        seen.append(" ".join(statement.split()))

    event.listen(db.engine, "before_cursor_execute", record)
    try:
        yield seen
    finally:
        event.remove(db.engine, "before_cursor_execute", record)


def test_a_known_numbers_text_takes_no_savepoint_and_no_sid_lookup(ctx, sms):
    sms("Hei"), sms("1")
    with statements() as seen:
        [reply] = sms("MENY", sid="SMlean")
    assert reply
    assert not [s for s in seen if "SAVEPOINT" in s]
    assert not [s for s in seen if s.startswith("SELECT") and "twilio_sid =" in s]
    # Found, touched and locked in one statement; not read first, not updated after.
    people = [s for s in seen if " people" in s.split(" WHERE")[0]]
    assert len(people) == 1 and people[0].startswith("UPDATE people SET last_contact_at")
    # The same sid again is still answered from the record, acting once.
    assert sms("MENY", sid="SMlean") == [reply]
    count = sa.select(sa.func.count()).where(Message.twilio_sid == "SMlean")
    assert db.session.scalar(count) == 1


def test_a_voice_step_loads_the_call_with_its_person_and_writes_the_step_once(ctx, voice_call):
    call = voice_call(RESIDENT)
    call.press("1")  # the language menu: now a known caller in the main menu
    with statements() as seen:
        call.press("1")
    assert not [s for s in seen if s.startswith("SELECT people.")]
    assert len([s for s in seen if s.startswith("UPDATE calls SET step")]) == 1
