"""The outbound side of SMS: outbox rows, the send job, retries, the sweep, the rate limit."""

import logging
from datetime import timedelta

import pytest
import requests
import sqlalchemy as sa
from rq import Queue, SimpleWorker
from twilio.base.exceptions import TwilioRestException
from urllib3.exceptions import MaxRetryError, NewConnectionError

from app import create_app
from app.extensions import db
from app.jobs import gateway
from app.jobs.cron import build_scheduler
from app.jobs.queue import QUEUES, get_queue
from app.jobs.rate_limit import RateLimitTimeout, wait_for_slot
from app.jobs.sweep import sweep_outbox
from app.models import Message, Person
from app.services import outbox
from app.services.outbox import enqueue_send, queue_sms
from app.timeutil import utcnow

PHONE = "+4791234567"
BODY = "Husk strikkekaféen i morgen kl. 11."
# The keys the `app` fixture sets; a variant app copies them and changes one.
FIXTURE_KEYS = (
    "TESTING",
    "SQLALCHEMY_DATABASE_URI",
    "REDIS_URL",
    "TWILIO_ACCOUNT_SID",
    "TWILIO_AUTH_TOKEN",
    "TWILIO_FROM_NUMBER",
    "TWILIO_API_URL",
    "PUBLIC_BASE_URL",
    "SECRET_KEY",
    "SMS_PER_SECOND",
    "SIMULATOR_ENABLED",
)


@pytest.fixture
def variant(app):
    """Build another app on the same database and Redis, with some keys changed."""
    made = []

    def build(**changes):
        other = create_app({**{key: app.config[key] for key in FIXTURE_KEYS}, **changes})
        made.append(other)
        return other

    yield build
    for other in made:
        with other.app_context():
            db.session.remove()
            db.engine.dispose()


@pytest.fixture
def logs(caplog, monkeypatch):
    """`caplog`, with the app's (and rq's) loggers switched back on.

    The migration run in conftest calls alembic's `fileConfig`, which disables every
    logger that existed at that moment, ours included.
    """
    for name, logger in list(logging.root.manager.loggerDict.items()):
        if name.split(".")[0] in ("app", "rq") and isinstance(logger, logging.Logger):
            monkeypatch.setattr(logger, "disabled", False)
    return caplog


@pytest.fixture
def fast_retries(app):
    """RQ retries without delay, so a burst worker runs them at once (no scheduler)."""
    app.config["SEND_RETRY_INTERVALS"] = [0, 0, 0, 0, 0]


def work(app) -> None:
    """Like the `run_jobs` fixture, for any app (the job sees that app's config)."""
    with app.app_context():
        queues = [get_queue(name) for name in QUEUES]
        SimpleWorker(queues, connection=queues[0].connection).work(burst=True)
        db.session.remove()


def add_person(phone: str = PHONE, opted_out: bool = False) -> Person:
    person = Person(phone=phone, opted_out=opted_out)
    db.session.add(person)
    db.session.commit()
    return person


def queue_one(phone: str = PHONE, **kwargs) -> int:
    """Queue one message to a new person and commit; returns the message id."""
    message = queue_sms(add_person(phone), BODY, kind="test", **kwargs)
    db.session.commit()
    return message.id


def row(message_id: int) -> Message:
    """The row as it is now: end this session's transaction first, to see other commits."""
    db.session.commit()
    return db.session.get(Message, message_id)


def sms_queue(redis_conn) -> Queue:
    return Queue("sms", connection=redis_conn)


def test_queued_message_reaches_twilio_once(app, ctx, run_jobs, fake_twilio):
    message_id = queue_one()
    run_jobs()

    assert len(fake_twilio.messages) == 1
    sent = fake_twilio.messages[0]
    assert sent["To"] == PHONE
    assert sent["From"] == app.config["TWILIO_FROM_NUMBER"]
    assert sent["Body"] == BODY
    assert sent["StatusCallback"] == app.config["PUBLIC_BASE_URL"] + "/twilio/status"
    message = row(message_id)
    assert (message.status, message.twilio_sid) == ("sent", sent["sid"])
    assert message.direction == "out" and message.kind == "test"
    assert message.sent_at is not None and message.attempts == 1 and message.lease_until is None


def test_job_is_enqueued_only_when_the_transaction_commits(ctx, redis_conn):
    person = add_person()
    queue_sms(person, BODY, kind="test")
    assert sms_queue(redis_conn).count == 0
    db.session.commit()
    assert sms_queue(redis_conn).count == 1


def test_the_same_row_enqueued_twice_is_sent_once(ctx, run_jobs, fake_twilio, redis_conn):
    message_id = queue_one()
    enqueue_send(message_id)
    assert sms_queue(redis_conn).count == 2
    run_jobs()
    enqueue_send(message_id)
    run_jobs()

    assert len(fake_twilio.messages) == 1
    assert row(message_id).attempts == 1


def test_opted_out_person_gets_no_row_and_no_text(ctx, run_jobs, fake_twilio, redis_conn):
    person = add_person(opted_out=True)
    assert queue_sms(person, BODY, kind="test") is None
    db.session.commit()
    run_jobs()

    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0
    assert sms_queue(redis_conn).count == 0
    assert fake_twilio.messages == []


def test_person_who_opts_out_before_the_send_is_blocked(ctx, run_jobs, fake_twilio):
    message_id = queue_one()
    db.session.execute(sa.update(Person).values(opted_out=True))
    db.session.commit()
    run_jobs()

    assert row(message_id).status == "blocked"
    assert fake_twilio.messages == []


def test_unsubscribed_number_opts_the_person_out(ctx, run_jobs, fake_twilio, redis_conn):
    message_id = queue_one("+15005550004")
    run_jobs()

    message = row(message_id)
    assert (message.status, message.error_code, message.attempts) == ("failed", 21610, 1)
    person = db.session.get(Person, message.person_id)
    assert person.opted_out and person.opted_out_at is not None
    assert sms_queue(redis_conn).failed_job_registry.count == 0  # not retried
    assert fake_twilio.messages == []


@pytest.mark.parametrize("phone, code", [("+15005550001", 21211), ("+15005550009", 21614)])
def test_permanent_errors_fail_without_retry(ctx, run_jobs, fake_twilio, redis_conn, phone, code):
    message_id = queue_one(phone)
    run_jobs()

    message = row(message_id)
    assert (message.status, message.error_code, message.attempts) == ("failed", code, 1)
    assert not db.session.get(Person, message.person_id).opted_out
    assert sms_queue(redis_conn).count == 0
    assert sms_queue(redis_conn).failed_job_registry.count == 0


@pytest.mark.parametrize("status, code", [(500, 20500), (503, 20503), (429, 20429)])
def test_transient_errors_are_retried_until_sent_once(
    ctx, fast_retries, run_jobs, fake_twilio, status, code
):
    fake_twilio.fail_next(2, status, code)
    message_id = queue_one()
    run_jobs()

    assert len(fake_twilio.messages) == 1
    message = row(message_id)
    assert (message.status, message.attempts, message.error_code) == ("sent", 3, None)


def test_transient_errors_end_in_failure_after_the_attempt_limit(
    app, ctx, fast_retries, run_jobs, fake_twilio
):
    app.config["SEND_MAX_ATTEMPTS"] = 3
    fake_twilio.fail_next(10, 500, 20500)
    message_id = queue_one()
    run_jobs()

    message = row(message_id)
    assert (message.status, message.attempts, message.error_code) == ("failed", 3, 20500)
    assert fake_twilio.messages == []


def test_unreachable_twilio_gives_the_row_back_for_the_sweep(app, ctx, run_jobs, fake_twilio):
    app.config["SEND_RETRY_INTERVALS"] = []  # no RQ retry: the sweep is the fallback
    app.config["TWILIO_API_URL"] = "http://127.0.0.1:1"  # nothing listens: refused
    message_id = queue_one()
    run_jobs()

    message = row(message_id)
    assert (message.status, message.attempts, message.lease_until) == ("queued", 1, None)


def test_a_person_added_in_the_same_transaction_can_be_texted(ctx, run_jobs, fake_twilio):
    person = Person(phone=PHONE)
    db.session.add(person)
    message = queue_sms(person, BODY, kind="test")
    db.session.commit()
    run_jobs()

    assert row(message.id).person_id == person.id
    assert fake_twilio.bodies_to(PHONE) == [BODY]


def test_many_messages_in_one_commit_are_each_sent_once(ctx, run_jobs, fake_twilio):
    people = [Person(phone=f"+479000000{i}") for i in range(5)]
    db.session.add_all(people)
    for person in people:
        queue_sms(person, BODY, kind="broadcast")
    db.session.commit()
    run_jobs()

    assert sorted(m["To"] for m in fake_twilio.messages) == sorted(p.phone for p in people)


def test_an_ambiguous_failure_is_never_retried(
    ctx, monkeypatch, fast_retries, run_jobs, redis_conn
):
    def lost_response(*args):
        raise gateway.SendError(gateway.AMBIGUOUS)

    monkeypatch.setattr(gateway, "send_sms", lost_response)
    message_id = queue_one()
    run_jobs()

    message = row(message_id)
    assert (message.status, message.attempts) == ("unknown", 1)
    assert sms_queue(redis_conn).failed_job_registry.count == 0


def test_rollback_enqueues_nothing_and_sends_nothing(ctx, run_jobs, fake_twilio, redis_conn):
    person = add_person()
    assert queue_sms(person, BODY, kind="test") is not None
    db.session.rollback()
    db.session.commit()  # a later commit must not enqueue what was rolled back
    run_jobs()

    assert sms_queue(redis_conn).count == 0
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0
    assert fake_twilio.messages == []


def test_rolled_back_savepoint_leaves_the_rest_of_the_transaction(ctx, run_jobs, fake_twilio):
    person = add_person()
    kept = queue_sms(person, BODY, kind="test")
    with pytest.raises(RuntimeError), db.session.begin_nested():
        queue_sms(person, "dropped", kind="test")
        raise RuntimeError
    db.session.commit()
    run_jobs()

    assert [m["Body"] for m in fake_twilio.messages] == [BODY]
    assert row(kept.id).status == "sent"


def test_dedup_key_queues_one_message(ctx, run_jobs, fake_twilio):
    person = add_person()
    first = queue_sms(person, BODY, kind="reminder", dedup_key="reminder:1")
    assert first is not None
    assert queue_sms(person, BODY, kind="reminder", dedup_key="reminder:1") is None
    db.session.commit()
    assert queue_sms(person, BODY, kind="reminder", dedup_key="reminder:1") is None
    db.session.commit()
    run_jobs()

    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1
    assert len(fake_twilio.messages) == 1


def test_dedup_race_lost_at_insert_returns_none_and_keeps_the_transaction(
    ctx, monkeypatch, run_jobs, fake_twilio
):
    person = add_person()
    queue_sms(person, BODY, kind="reminder", dedup_key="reminder:2")
    db.session.commit()
    other = Person(phone="+4798765432")
    db.session.add(other)
    # As if another process inserted the same key just after our check.
    checks = iter([False, True])
    monkeypatch.setattr(outbox, "_dedup_key_taken", lambda key: next(checks))
    assert queue_sms(person, BODY, kind="reminder", dedup_key="reminder:2") is None
    db.session.commit()  # the caller's own work survives the lost race
    run_jobs()

    assert db.session.scalar(sa.select(sa.func.count(Person.id))) == 2
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 1
    assert len(fake_twilio.messages) == 1


def test_simulator_mode_keeps_the_message_and_sends_nothing(variant, fake_twilio):
    simulator = variant(TWILIO_ACCOUNT_SID="")
    assert simulator.config["SIMULATOR_MODE"]
    with simulator.app_context():
        message_id = queue_one()
        db.session.remove()
    work(simulator)

    with simulator.app_context():
        assert row(message_id).status == "simulated"
        db.session.remove()
    assert fake_twilio.messages == []


def test_redis_down_at_commit_then_the_sweep_sends_once(app, variant, run_jobs, fake_twilio, logs):
    no_redis = variant(REDIS_URL="redis://127.0.0.1:1/0")
    with logs.at_level(logging.WARNING), no_redis.app_context():
        message_id = queue_one()  # commits without raising
        db.session.remove()
    assert f"could not enqueue 1 messages, ids [{message_id}]" in logs.text
    assert PHONE not in logs.text and BODY not in logs.text

    with app.app_context():
        assert row(message_id).status == "queued"
        assert sweep_outbox()["requeued"] == 0  # too young: its job may still come
        assert sweep_outbox(now=utcnow() + timedelta(minutes=2))["requeued"] == 1
        db.session.remove()
    run_jobs()
    with app.app_context():
        assert sweep_outbox(now=utcnow() + timedelta(minutes=2))["requeued"] == 0
        assert row(message_id).status == "sent"
        db.session.remove()
    run_jobs()
    assert len(fake_twilio.messages) == 1


def test_sweep_leaves_a_row_alone_while_its_retry_is_due(ctx, redis_conn):
    queue_one()
    sms_queue(redis_conn).empty()
    later = utcnow() + timedelta(minutes=5)
    db.session.execute(sa.update(Message).values(lease_until=later))
    db.session.commit()

    assert sweep_outbox(now=later - timedelta(seconds=1))["requeued"] == 0
    assert sweep_outbox(now=later + timedelta(seconds=1))["requeued"] == 1
    assert sms_queue(redis_conn).count == 1


def test_sweep_resends_an_abandoned_send_only_once_twilio_says_it_never_got_it(
    ctx, run_jobs, fake_twilio, logs
):
    message_id = queue_one()
    # As if a worker claimed the row and died: it may or may not have reached Twilio.
    db.session.execute(
        sa.update(Message).values(status="sending", lease_until=utcnow() - timedelta(seconds=1))
    )
    db.session.commit()
    with logs.at_level(logging.WARNING):
        counts = sweep_outbox(now=utcnow() + timedelta(minutes=2))
    run_jobs()

    # Twilio lists no such message (tests/faults covers the case where it does).
    assert (counts["unknown"], counts["resent"], counts["found"]) == (1, 1, 0)
    assert row(message_id).status == "sent"
    assert str(message_id) in logs.text
    assert len(fake_twilio.messages) == 1


def test_a_send_under_lease_is_not_touched_by_the_sweep(ctx):
    message_id = queue_one()
    db.session.execute(
        sa.update(Message).values(status="sending", lease_until=utcnow() + timedelta(minutes=5))
    )
    db.session.commit()

    counts = sweep_outbox(now=utcnow() + timedelta(minutes=2))
    assert (counts["requeued"], counts["unknown"]) == (0, 0)
    assert row(message_id).status == "sending"


def test_logs_never_name_the_number_or_the_body(ctx, fast_retries, run_jobs, fake_twilio, logs):
    fake_twilio.fail_next(1, 500, 20500)
    queue_one()
    queue_one("+15005550004")
    with logs.at_level(logging.DEBUG):
        run_jobs()

    assert logs.text  # something was logged, none of it personal
    assert "91234567" not in logs.text and "15005550004" not in logs.text
    assert BODY not in logs.text


def test_worker_command_sends_the_queued_message(ctx, runner, fake_twilio):
    message_id = queue_one()
    result = runner.invoke(args=["worker", "--burst"])

    assert result.exit_code == 0, result.output
    assert row(message_id).status == "sent"
    assert fake_twilio.bodies_to(PHONE) == [BODY]


def test_scheduler_runs_the_sweep_every_minute(redis_conn):
    jobs = {job.func_name: job for job in build_scheduler(redis_conn).get_jobs()}

    assert jobs["app.jobs.sweep.sweep_outbox"].interval == 60
    assert jobs["app.jobs.sweep.sweep_outbox"].queue_name == "default"


def test_rate_limit_allows_the_configured_number_per_second(app, ctx):
    app.config["SMS_PER_SECOND"] = 2
    wait_for_slot("test", timeout=0)
    wait_for_slot("test", timeout=0)
    with pytest.raises(RateLimitTimeout):
        wait_for_slot("test", timeout=0)


def test_queue_sms_refuses_an_empty_or_overlong_body(ctx):
    person = add_person()
    for body in ("", "x" * 1601):
        with pytest.raises(ValueError):
            queue_sms(person, body, kind="test")


def _refused() -> requests.ConnectionError:
    reason = NewConnectionError(None, "refused")
    return requests.ConnectionError(MaxRetryError(None, "/Messages.json", reason))


@pytest.mark.parametrize(
    "exc, kind",
    [
        (TwilioRestException(429, "/x", code=20429), gateway.TRANSIENT),
        (TwilioRestException(500, "/x", code=20500), gateway.TRANSIENT),
        (TwilioRestException(400, "/x", code=21610), gateway.PERMANENT),
        (TwilioRestException(400, "/x", code=21211), gateway.PERMANENT),
        (TwilioRestException(400, "/x", code=21614), gateway.PERMANENT),
        (requests.ConnectTimeout(), gateway.TRANSIENT),
        (_refused(), gateway.TRANSIENT),
        # The request may have reached Twilio: retrying could text the person twice.
        (requests.ReadTimeout(), gateway.AMBIGUOUS),
        (requests.ConnectionError("Connection aborted"), gateway.AMBIGUOUS),
    ],
)
def test_errors_are_sorted_into_retry_or_not(exc, kind):
    assert gateway.classify(exc).kind == kind
    assert gateway.classify(exc).transient == (kind == gateway.TRANSIENT)
