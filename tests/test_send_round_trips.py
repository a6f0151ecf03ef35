"""What one send costs in round trips, and that the cheaper way keeps every guarantee.

A batch claims CLAIM_ROWS rows per statement and writes down the sends Twilio took
with its next claim (one statement on PostgreSQL, one transaction elsewhere); rows it
claimed and did not try are given back whenever it stops early. Rate-limit slots come
several to a round trip when the limit is high enough, and the limit still holds.
"""

import time
from datetime import timedelta

import pytest
import sqlalchemy as sa
from sqlalchemy import event

from app.extensions import db
from app.jobs import gateway, rate_limit, send
from app.jobs.rate_limit import RateLimitTimeout, Slots, wait_for_slot, wait_for_slots
from app.jobs.send import CLAIM_ROWS, TransientSendError, send_message, send_messages
from app.jobs.sweep import sweep_outbox
from app.models import Message
from app.timeutil import utcnow
from tests.test_send_batches import each_sent_once, fan_out, people


def queued(count: int) -> tuple[list, list[int]]:
    recipients = people(count)
    ids = sorted(fan_out(recipients).values())
    db.session.commit()
    return recipients, ids


def rows(ids: list[int]) -> list[tuple]:
    """(status, has a sid, attempts) of each row, read on a connection of its own."""
    with db.engine.connect() as connection:
        found = connection.execute(
            sa.select(Message.status, Message.twilio_sid.is_not(None), Message.attempts)
            .where(Message.id.in_(ids))
            .order_by(Message.id)
        )
        return [(status, bool(has_sid), attempts) for status, has_sid, attempts in found]


SENT = ("sent", True, 1)
UNTOUCHED = ("queued", False, 0)


@pytest.fixture
def statements():
    """The SQL statements sent while the test runs (BEGIN included, where it is sent)."""
    seen: list[str] = []

    def record(_conn, _cursor, statement, *_args):
        seen.append(statement.lstrip().split(None, 1)[0].upper())

    event.listen(db.engine, "before_cursor_execute", record)
    yield seen
    event.remove(db.engine, "before_cursor_execute", record)


@pytest.fixture
def unhurried(monkeypatch):
    """Sends wait for the next claim however slow this machine is today."""
    monkeypatch.setattr(send, "WRITE_SENT_AFTER", 60)


def test_a_batch_claims_rows_together_and_writes_sends_with_the_next_claim(
    ctx, fake_twilio, statements, unhurried
):
    count = 2 * CLAIM_ROWS + 5
    recipients, ids = queued(count)
    statements.clear()

    assert send_messages(ids) == {"sent": count}
    sent = list(statements)

    assert each_sent_once(fake_twilio, recipients)
    assert rows(ids) == [SENT] * count
    if db.engine.dialect.name == "postgresql":
        # Three claims, the second and third carrying the sends before them, and the
        # last five sends on their own: 4 statements for 25 messages.
        assert sent == ["WITH"] * 3 + ["UPDATE"]
    else:  # the same in transactions (an executemany for the sends)
        claims = ["BEGIN", "UPDATE"] + ["BEGIN", "UPDATE", "UPDATE"] * 2
        assert sent == claims + ["BEGIN", "UPDATE"]


def test_sends_are_written_down_with_the_next_claim(ctx, fake_twilio, monkeypatch, unhurried):
    monkeypatch.setattr(send, "CLAIM_ROWS", 2)
    _, ids = queued(3)
    seen = []
    real_send = gateway.send_sms

    def send_and_look(*args):
        seen.append([status for status, _, _ in rows(ids)])
        return real_send(*args)

    monkeypatch.setattr(gateway, "send_sms", send_and_look)
    send_messages(ids)

    assert seen == [
        ["sending", "sending", "queued"],  # the first two claimed together
        ["sending", "sending", "queued"],  # the first sent, written down later
        ["sent", "sent", "sending"],  # written down with the next claim
    ]
    assert rows(ids) == [SENT] * 3


def states_at_each_send(ids: list[int], monkeypatch) -> list[list[str]]:
    seen = []
    real_send = gateway.send_sms

    def send_and_look(*args):
        seen.append([status for status, _, _ in rows(ids)])
        return real_send(*args)

    monkeypatch.setattr(gateway, "send_sms", send_and_look)
    return seen


def test_a_send_is_not_kept_unwritten_for_long(ctx, fake_twilio, monkeypatch):
    # Twilio may call back about a message (by its sid) within seconds of taking it.
    monkeypatch.setattr(send, "WRITE_SENT_AFTER", 0)
    _, ids = queued(3)
    seen = states_at_each_send(ids, monkeypatch)
    send_messages(ids)
    assert seen == [
        ["sending", "sending", "sending"],
        ["sent", "sending", "sending"],
        ["sent", "sent", "sending"],
    ]


def test_sends_are_written_down_while_the_batch_waits_for_a_slot(
    app, ctx, fake_twilio, monkeypatch, unhurried
):
    app.config["SMS_PER_SECOND"] = 2  # the third send waits a second for its slot
    _, ids = queued(3)
    seen = states_at_each_send(ids, monkeypatch)
    send_messages(ids)
    assert seen[2] == ["sent", "sent", "sending"]
    assert rows(ids) == [SENT] * 3


def test_a_batch_that_fails_writes_down_what_twilio_took_and_gives_back_the_rest(
    ctx, fake_twilio, monkeypatch
):
    recipients, ids = queued(4)
    real_send = gateway.send_sms
    calls = []

    def second_one_breaks(*args):
        calls.append(args)
        if len(calls) == 2:
            raise RuntimeError("the worker's bug, not Twilio's")
        return real_send(*args)

    monkeypatch.setattr(gateway, "send_sms", second_one_breaks)
    with pytest.raises(RuntimeError):
        send_messages(ids)

    # The first was sent and is recorded; the second was being sent, so it is left for
    # the sweep to settle at Twilio; the last two were claimed, never tried: given back.
    assert rows(ids) == [SENT, ("sending", False, 1), UNTOUCHED, UNTOUCHED]
    assert [m["To"] for m in fake_twilio.messages] == [recipients[0].phone]


def test_a_batch_stopped_between_two_rows_settles_both_kinds(ctx, fake_twilio, monkeypatch):
    _, ids = queued(3)

    def timed_out() -> bool:
        # What RQ's job timeout does: an exception wherever the job happens to be.
        raise RuntimeError("job timeout")

    monkeypatch.setattr(send, "stop_requested", timed_out)
    with pytest.raises(RuntimeError):
        send_messages(ids)

    assert rows(ids) == [SENT, UNTOUCHED, UNTOUCHED]


def test_a_transient_error_gives_back_the_claimed_rows(ctx, fake_twilio, monkeypatch):
    _, ids = queued(4)
    real_send = gateway.send_sms
    calls = []

    def second_one_is_refused_for_now(*args):
        calls.append(args)
        if len(calls) == 2:
            raise gateway.SendError(gateway.TRANSIENT, 20429, 429)
        return real_send(*args)

    monkeypatch.setattr(gateway, "send_sms", second_one_is_refused_for_now)
    with pytest.raises(TransientSendError):
        send_messages(ids)

    # No RQ job here, so no retry is due: the refused row is queued again with its
    # attempt counted, the two never tried as if they had not been claimed.
    assert rows(ids) == [SENT, ("queued", False, 1), UNTOUCHED, UNTOUCHED]
    monkeypatch.undo()
    assert send_messages(ids) == {"not queued": 1, "sent": 3}


def test_one_row_alone_is_written_down_at_once(ctx, fake_twilio):
    _, [message_id] = queued(1)
    assert send_message(message_id) == "sent"
    assert rows([message_id]) == [SENT]


def test_a_row_twice_in_a_batch_is_sent_once(ctx, fake_twilio, monkeypatch):
    monkeypatch.setattr(send, "CLAIM_ROWS", 2)
    recipients, ids = queued(2)
    # In one claim, and again in the next, while its send is still to be written down.
    batch = [ids[0], ids[0], ids[0], ids[1]]
    assert send_messages(batch) == {"sent": 2, "not queued": 2}
    assert rows(ids) == [SENT] * 2
    assert each_sent_once(fake_twilio, recipients)


def test_rows_left_by_a_killed_worker_are_settled_at_twilio(
    ctx, fake_twilio, redis_conn, run_jobs, monkeypatch, unhurried
):
    """SIGKILL in the middle of a claim: one row sent, one in flight (Twilio has it),
    the rest claimed and never tried; none written down. After the lease, the sweep
    asks Twilio about each: two are marked sent, the rest queued and sent once."""
    recipients, ids = queued(5)
    redis_conn.flushdb()  # the jobs die with the worker
    real_send = gateway.send_sms
    calls = []

    def killed_after_the_second(*args):
        calls.append(args)
        sid = real_send(*args)
        if len(calls) == 2:
            raise SystemExit  # the process is gone: nothing after this runs
        return sid

    monkeypatch.setattr(gateway, "send_sms", killed_after_the_second)
    monkeypatch.setattr(send._Outbox, "settle", lambda self, not_before=None: None)
    with pytest.raises(SystemExit):
        send_messages(ids)
    monkeypatch.undo()
    assert [status for status, _, _ in rows(ids)] == ["sending"] * 5

    later = utcnow() + send.lease() + timedelta(minutes=1)  # the next sweep after it
    counts = sweep_outbox(now=later)
    run_jobs()

    assert (counts["unknown"], counts["found"], counts["resent"]) == (5, 2, 3)
    assert rows(ids) == [SENT, SENT, ("sent", True, 2), ("sent", True, 2), ("sent", True, 2)]
    assert each_sent_once(fake_twilio, recipients)


# --- rate-limit slots ------------------------------------------------------------------


@pytest.fixture
def hits(monkeypatch):
    """The cost of every hit on the shared limiter (one Redis round trip each)."""
    costs: list[int] = []
    limiter = rate_limit.moving_window("limits")
    real_hit = limiter.hit

    def counted(item, *identifiers, cost=1):
        costs.append(cost)
        return real_hit(item, *identifiers, cost=cost)

    monkeypatch.setattr(limiter, "hit", counted)
    return costs


def test_a_high_limit_gives_a_batch_its_slots_several_at_a_time(app, ctx, fake_twilio, hits):
    app.config["SMS_PER_SECOND"] = 1000  # a tenth of a hundredth of a second: 10 at once
    recipients, ids = queued(25)
    assert send_messages(ids) == {"sent": 25}
    assert hits == [10, 10, 5]
    assert each_sent_once(fake_twilio, recipients)


def test_a_low_limit_takes_one_slot_per_send_as_before(app, ctx, fake_twilio, hits):
    app.config["SMS_PER_SECOND"] = 2 * rate_limit.BULK_SHARE - 1
    _, ids = queued(4)
    assert send_messages(ids) == {"sent": 4}
    assert hits == [1, 1, 1, 1]


def test_slots_taken_together_never_exceed_the_limit(app, ctx, redis_conn):
    app.config["SMS_PER_SECOND"] = 200  # two at a time
    wait_for_slot("test", timeout=0)  # a send of one row, say
    taken = [wait_for_slots("test", 50, timeout=0) for _ in range(99)]
    assert taken == [2] * 99
    # One left in this second: a batch wanting many gets that one rather than waiting.
    assert wait_for_slots("test", 50, timeout=0) == 1
    with pytest.raises(RateLimitTimeout):
        wait_for_slots("test", 50, timeout=0)
    with pytest.raises(RateLimitTimeout):
        wait_for_slot("test", timeout=0)


def test_slots_not_used_at_once_are_dropped(app, ctx, redis_conn, monkeypatch, hits):
    app.config["SMS_PER_SECOND"] = 1000
    monkeypatch.setattr(rate_limit, "SLOTS_KEEP", 0.05)
    slots = Slots("test")
    slots.take(10, timeout=0)
    slots.take(10, timeout=0)  # one of the ten in hand
    assert hits == [10]
    time.sleep(0.06)
    slots.take(10, timeout=0)  # the eight left are stale: a new round trip
    assert hits == [10, 10]


def test_the_limit_still_paces_a_batch(app, ctx, fake_twilio, monkeypatch):
    app.config["SMS_PER_SECOND"] = 200  # two at a time
    monkeypatch.setattr(send, "SLOT_TIMEOUT", 5)
    recipients, ids = queued(450)
    started = time.monotonic()
    assert send_messages(ids) == {"sent": 450}
    # 200 in the first second, 200 in the next, then the last 50: two full windows.
    assert time.monotonic() - started >= 2.0
    assert each_sent_once(fake_twilio, recipients)
