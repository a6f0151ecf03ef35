"""What happens to one outbox row when a send goes wrong, case by case (in-process, the
real RQ worker and the fake Twilio server): an unknown outcome is settled by asking
Twilio, never by guessing; backoff has jitter; a number that cannot take texts is
recorded on the person; a lost rate limiter gives the row back."""

from datetime import timedelta

import pytest
import sqlalchemy as sa

from app import create_app
from app.extensions import db
from app.jobs import gateway
from app.jobs.send import send_message
from app.jobs.sweep import sweep_outbox
from app.models import Message, Person
from app.services.outbox import queue_sms, send_retry
from app.timeutil import utcnow
from tests.conftest import PUBLIC_BASE_URL, RESIDENT

BODY = "Husk strikkekaféen i morgen kl. 11."
LATER = timedelta(minutes=2)


def queue_one(phone: str = RESIDENT, body: str = BODY) -> int:
    db.session.commit()  # end any read, so this write sees what the worker wrote meanwhile
    person = db.session.scalar(sa.select(Person).where(Person.phone == phone))
    if person is None:
        person = Person(phone=phone, language="nb")
        db.session.add(person)
        db.session.flush()
    message_id = queue_sms(person, body, kind="test").id
    db.session.commit()
    return message_id


def row(message_id: int) -> Message:
    db.session.commit()
    return db.session.get(Message, message_id)


def abandon(message_id: int) -> None:
    """As if the worker claimed the row and died holding it."""
    db.session.execute(
        sa.update(Message)
        .where(Message.id == message_id)
        .values(status="sending", attempts=1, lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()


pytestmark = pytest.mark.fault


def test_a_send_twilio_did_take_is_marked_sent_with_its_sid_and_not_sent_again(
    ctx, redis_conn, run_jobs, fake_twilio
):
    message_id = queue_one()
    redis_conn.flushdb()  # its job is gone with the worker
    # The worker reached Twilio, then died before it could write down the answer.
    sid = gateway.send_sms(RESIDENT, BODY, PUBLIC_BASE_URL + "/twilio/status")
    abandon(message_id)

    counts = sweep_outbox(now=utcnow() + LATER)
    run_jobs()

    assert (counts["unknown"], counts["found"], counts["resent"]) == (1, 1, 0)
    message = row(message_id)
    assert (message.status, message.twilio_sid, message.lease_until) == ("sent", sid, None)
    assert fake_twilio.bodies_to(RESIDENT) == [BODY]


def test_two_unknown_sends_of_one_text_match_twilios_one_message_once(
    ctx, redis_conn, run_jobs, fake_twilio
):
    first, second = queue_one(), queue_one()
    redis_conn.flushdb()
    gateway.send_sms(RESIDENT, BODY, PUBLIC_BASE_URL + "/twilio/status")  # only one got there
    abandon(first), abandon(second)

    sweep_outbox(now=utcnow() + LATER)
    run_jobs()

    assert sorted(row(m).status for m in (first, second)) == ["sent", "sent"]
    assert row(first).twilio_sid != row(second).twilio_sid
    assert fake_twilio.bodies_to(RESIDENT) == [BODY, BODY]  # the lost one, sent once


def test_an_earlier_message_with_the_same_text_is_not_taken_for_this_one(
    ctx, redis_conn, run_jobs, fake_twilio
):
    earlier = queue_one()
    run_jobs()  # sent, and its sid recorded
    message_id = queue_one()
    redis_conn.flushdb()
    abandon(message_id)

    sweep_outbox(now=utcnow() + LATER)
    run_jobs()

    assert row(message_id).twilio_sid not in (None, row(earlier).twilio_sid)
    assert fake_twilio.bodies_to(RESIDENT) == [BODY, BODY]


def test_an_ambiguous_send_is_looked_up_only_after_a_while(ctx, redis_conn, run_jobs, fake_twilio):
    message_id = queue_one()
    redis_conn.flushdb()
    # What the send job writes when the connection dropped after the request left.
    check_at = utcnow() + timedelta(seconds=60)
    db.session.execute(
        sa.update(Message).values(status="unknown", attempts=1, lease_until=check_at)
    )
    db.session.commit()

    assert sweep_outbox(now=check_at - timedelta(seconds=1))["resent"] == 0
    assert row(message_id).status == "unknown"
    assert sweep_outbox(now=check_at + timedelta(seconds=1))["resent"] == 1
    run_jobs()
    assert row(message_id).status == "sent"
    assert fake_twilio.bodies_to(RESIDENT) == [BODY]


def test_when_twilio_cannot_be_asked_the_send_stays_unknown_and_is_asked_again(
    app, ctx, redis_conn, run_jobs, fake_twilio
):
    message_id = queue_one()
    redis_conn.flushdb()
    abandon(message_id)
    fake_twilio.fail_next(1, 503, 20503)  # the lookup itself fails

    now = utcnow() + LATER
    assert sweep_outbox(now=now)["resent"] == 0
    message = row(message_id)
    assert message.status == "unknown" and message.lease_until > now
    assert sweep_outbox(now=message.lease_until + timedelta(seconds=1))["resent"] == 1
    run_jobs()
    assert fake_twilio.bodies_to(RESIDENT) == [BODY]


def test_an_unknown_send_too_old_to_look_up_is_left_for_staff(app, ctx, redis_conn, fake_twilio):
    message_id = queue_one()
    redis_conn.flushdb()
    abandon(message_id)
    hours = app.config["OUTBOX_RECONCILE_HOURS"]

    counts = sweep_outbox(now=utcnow() + timedelta(hours=hours, minutes=1))

    assert (counts["found"], counts["resent"]) == (0, 0)
    assert (row(message_id).status, row(message_id).lease_until) == ("unknown", None)
    assert fake_twilio.messages == []


# --- permanent errors ---------------------------------------------------------------


@pytest.mark.parametrize("phone, code", [("+15005550001", 21211), ("+15005550009", 21614)])
def test_a_number_that_cannot_take_texts_is_recorded_on_the_person(
    ctx, run_jobs, fake_twilio, sms, phone, code
):
    first = queue_one(phone)
    run_jobs()
    person = db.session.scalar(sa.select(Person).where(Person.phone == phone))
    assert (row(first).status, row(first).error_code) == ("failed", code)
    assert person.sms_error_code == code and not person.opted_out

    later = queue_one(phone)  # a reminder, say: not even tried
    run_jobs()
    assert row(later).status == "blocked"
    assert len([s for _, s in fake_twilio.requests if s == 400]) == 1

    sms("Hei", phone=phone)  # they text us from it after all: it does take texts
    db.session.expire_all()
    assert db.session.get(Person, person.id).sms_error_code is None


# --- backoff and the rate limiter ---------------------------------------------------


def test_retry_intervals_are_the_configured_ones_with_jitter(app, ctx):
    configured = app.config["SEND_RETRY_INTERVALS"]
    drawn = [send_retry().intervals for _ in range(20)]
    for intervals in drawn:
        assert len(intervals) == len(configured)
        for got, base in zip(intervals, configured, strict=True):
            assert round(base * 0.5) <= got <= round(base * 1.5)
    assert len({tuple(i) for i in drawn}) > 1  # not the same for every job


def test_without_redis_for_the_rate_limit_a_claimed_row_is_given_back(app, ctx, fake_twilio):
    message_id = queue_one()
    keys = ("TESTING", "SQLALCHEMY_DATABASE_URI", "TWILIO_ACCOUNT_SID", "TWILIO_AUTH_TOKEN",
            "TWILIO_FROM_NUMBER", "TWILIO_API_URL", "PUBLIC_BASE_URL", "SECRET_KEY")  # fmt: skip
    no_redis = create_app({**{k: app.config[k] for k in keys}, "REDIS_URL": "redis://127.0.0.1:1/0"})
    with no_redis.app_context():
        assert send_message(message_id) == "queued"
        db.session.remove()
        db.engine.dispose()

    message = row(message_id)
    assert (message.status, message.lease_until, message.attempts) == ("queued", None, 1)
    assert fake_twilio.messages == []


