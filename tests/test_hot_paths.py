"""The webhooks' common case stays lean (bench/ measures it; these keep what it found).

A known number's text: the person found, touched, locked and the text counted for the
flood and loop limits in one statement, the MessageSid decided by the INSERT itself (no
SELECT first, no savepoint), nothing asked of Redis. A new number: one INSERT more. A
voice step:
the call and its person in one statement, the step written once.
"""

from contextlib import contextmanager

import sqlalchemy as sa
from redis import Redis
from sqlalchemy import event

from app.extensions import db
from app.models import Message
from tests.conftest import REDIS_URL, RESIDENT


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


@contextmanager
def redis_commands():
    """The commands the tests' Redis database ran inside the block (MONITOR, filtered to
    this database: other clients of the same server are not counted)."""
    redis = Redis.from_url(REDIS_URL)
    database = redis.connection_pool.connection_kwargs.get("db", 0)
    seen: list[str] = []
    with redis.monitor() as monitor:
        yield seen
        redis.echo("end of block")
        for command in monitor.listen():
            if command["db"] != database or command["command"].startswith("SELECT "):
                continue  # another database's, or a connection (ours too) choosing one
            if command["command"] == "ECHO end of block":
                break
            seen.append(command["command"])
    redis.close()


def test_a_known_numbers_text_takes_no_savepoint_and_no_sid_lookup(ctx, sms):
    sms("Hei"), sms("1")
    with statements() as seen, redis_commands() as redis:
        [reply] = sms("MENY", sid="SMlean")
    assert reply
    assert not [s for s in seen if "SAVEPOINT" in s]
    assert not [s for s in seen if s.startswith("SELECT") and "twilio_sid =" in s]
    # Found, touched, locked and counted in one statement; not read first, nor after.
    people = [s for s in seen if " people" in s.split(" WHERE")[0]]
    assert len(people) == 1 and people[0].startswith("UPDATE people SET last_contact_at")
    assert "same_text_run" in people[0] and "texts_in_window" in people[0]
    assert not [s for s in seen if s.startswith("SELECT messages")]  # no loop lookup
    assert redis == []
    # The same sid again is still answered from the record, acting once.
    assert sms("MENY", sid="SMlean") == [reply]
    count = sa.select(sa.func.count()).where(Message.twilio_sid == "SMlean")
    assert db.session.scalar(count) == 1


def test_a_new_numbers_first_text_makes_the_person_in_one_statement(ctx, sms):
    with statements() as seen:
        [welcome] = sms("Hei", phone="+4790000001", sid="SMnew")
    assert welcome
    assert not [s for s in seen if "SAVEPOINT" in s or s.startswith("SELECT people")]
    assert [s.split(" (")[0] for s in seen if s.startswith("INSERT INTO people")] == [
        "INSERT INTO people"
    ]
    # Looked for (no one), made, then found, touched and counted like anyone.
    assert len([s for s in seen if s.startswith("UPDATE people")]) == 2


def test_a_voice_step_loads_the_call_with_its_person_and_writes_the_step_once(ctx, voice_call):
    call = voice_call(RESIDENT)
    call.press("1")  # the language menu: now a known caller in the main menu
    with statements() as seen:
        call.press("1")
    assert not [s for s in seen if s.startswith("SELECT people.")]
    assert len([s for s in seen if s.startswith("UPDATE calls SET step")]) == 1


def test_a_known_callers_call_is_answered_without_a_savepoint_or_a_second_person_read(
    ctx, voice_call
):
    voice_call(RESIDENT).press("1")  # a first call: the caller is known from now on
    with statements() as seen:
        root = voice_call(RESIDENT, sid="CA" + "7" * 32).root
    assert root.find("Gather") is not None
    assert not [s for s in seen if "SAVEPOINT" in s]
    # Found and touched in one statement; the call's record made by its INSERT alone.
    on_people = ("UPDATE people", "SELECT people", "INSERT INTO people")
    people = [s for s in seen if s.startswith(on_people)]
    assert len(people) == 1 and people[0].startswith("UPDATE people SET last_contact_at")
    assert len([s for s in seen if s.startswith("INSERT INTO calls")]) == 1
