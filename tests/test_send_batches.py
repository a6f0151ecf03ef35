"""Fan-outs written in bulk, send jobs by the batch, and a worker that does not fork.

However rows are grouped into jobs, each is claimed and finished on its own: nothing is
sent twice, and whatever a batch did not reach is sent later.
"""

import math
import os
import signal
import subprocess
import sys
import time
from datetime import timedelta
from pathlib import Path

import pytest
import sqlalchemy as sa
from rq import Queue, Worker
from rq.job import Job

from app.extensions import db
from app.jobs import send, worker
from app.jobs.send import TransientSendError, send_messages
from app.jobs.sweep import sweep_outbox
from app.models import Message, Person
from app.services import callbacks, outbox
from app.services.outbox import SEND_BATCH, Outgoing, queue_many, queue_sms
from app.timeutil import utcnow
from tests.conftest import service_settings

ROOT = Path(__file__).resolve().parent.parent
BODY = "Vannet blir stengt i Storgata tirsdag 08-12."


def people(count: int, first: int = 0) -> list[Person]:
    made = [Person(phone=f"+4790{n:06d}", language="nb") for n in range(first, first + count)]
    db.session.add_all(made)
    db.session.commit()
    return made


def fan_out(recipients: list[Person], key: str = "news", **kwargs) -> dict[str, int]:
    items = [Outgoing(p, BODY, f"{key}:{p.id}") for p in recipients]
    return queue_many(items, kind="broadcast", **kwargs)


def sms_queue(redis_conn) -> Queue:
    return Queue("sms", connection=redis_conn)


def statuses() -> dict[str, str]:
    db.session.commit()  # see what the jobs committed
    rows = db.session.execute(sa.select(Message.dedup_key, Message.status))
    return dict(rows.all())


def each_sent_once(fake_twilio, recipients: list[Person]) -> bool:
    sent = sorted(m["To"] for m in fake_twilio.messages)
    return sent == sorted(p.phone for p in recipients)


def test_a_fan_out_is_written_at_once_and_queued_in_batches_after_the_commit(
    ctx, run_jobs, fake_twilio, redis_conn
):
    recipients = people(2 * SEND_BATCH + 3)
    written = fan_out(recipients)
    assert len(written) == len(recipients)
    assert sms_queue(redis_conn).count == 0  # nothing before the commit
    db.session.commit()
    assert sms_queue(redis_conn).count == math.ceil(len(recipients) / SEND_BATCH)

    run_jobs()
    assert each_sent_once(fake_twilio, recipients)
    assert set(statuses().values()) == {"sent"}


def test_the_bulk_fan_out_keeps_every_rule_of_queue_sms(ctx, run_jobs, fake_twilio):
    waiting, opted_out, taken, plain = people(4)
    opted_out.opted_out = True
    callbacks.request_callback(waiting, "nb", "asked")
    queue_sms(taken, "Sent before", kind="broadcast", dedup_key=f"news:{taken.id}")
    db.session.commit()

    written = fan_out([waiting, opted_out, taken, plain, plain])
    db.session.commit()
    run_jobs()

    # The opted-out get nothing, a taken key is skipped, a key given twice is written once.
    assert set(written) == {f"news:{waiting.id}", f"news:{plain.id}"}
    assert statuses() == {
        f"news:{waiting.id}": "held",  # waits until staff have called back
        f"news:{taken.id}": "sent",
        f"news:{plain.id}": "sent",
    }
    assert [m["To"] for m in fake_twilio.messages if m["Body"] == BODY] == [plain.phone]
    with pytest.raises(ValueError):
        queue_many([Outgoing(plain, "", "empty")], kind="broadcast")


def test_a_rolled_back_fan_out_queues_and_sends_nothing(ctx, run_jobs, fake_twilio, redis_conn):
    fan_out(people(3))
    db.session.rollback()
    db.session.commit()
    run_jobs()
    assert sms_queue(redis_conn).count == 0 and fake_twilio.messages == []
    assert db.session.scalar(sa.select(sa.func.count(Message.id))) == 0


def test_the_rows_of_a_broadcast_carry_its_id(ctx):
    from app.models import Broadcast

    broadcast = Broadcast(body=BODY, audience="volunteers", audience_filter={}, status="sent")
    db.session.add(broadcast)
    db.session.commit()
    written = fan_out(people(2), broadcast_id=broadcast.id)
    db.session.commit()
    found = sa.select(Message.broadcast_id).where(Message.id.in_(written.values()))
    assert set(db.session.scalars(found)) == {broadcast.id}


def test_batches_enqueued_twice_send_each_row_once(ctx, run_jobs, fake_twilio):
    recipients = people(5)
    ids = list(fan_out(recipients).values())
    db.session.commit()
    outbox.enqueue_sends(ids)  # as if the sweep found them too
    run_jobs()
    outbox.enqueue_sends(ids)
    run_jobs()
    assert each_sent_once(fake_twilio, recipients)


def test_a_transient_error_stops_the_batch_and_the_rest_waits_for_its_retry(
    app, ctx, run_jobs, fake_twilio, redis_conn
):
    app.config["SEND_RETRY_INTERVALS"] = [600]  # scheduled in 5-15 min (jitter), not run now
    recipients = people(3)
    fan_out(recipients)
    db.session.commit()
    fake_twilio.fail_next(1, 503, 20503)  # Twilio is down for the first row
    run_jobs()

    assert fake_twilio.messages == []  # the batch stopped: no hammering a failing Twilio
    assert set(statuses().values()) == {"queued"}
    # Every row of the batch waits for the retry: the sweep leaves them alone until then.
    assert sweep_outbox(now=utcnow() + timedelta(minutes=2))["requeued"] == 0
    assert sweep_outbox(now=utcnow() + timedelta(minutes=20))["requeued"] == 3
    run_jobs()
    assert each_sent_once(fake_twilio, recipients)
    attempts = db.session.scalars(sa.select(Message.attempts).order_by(Message.id)).all()
    assert attempts == [2, 1, 1]


def test_a_batch_called_directly_gives_the_failed_row_back_and_touches_no_other(ctx, fake_twilio):
    recipients = people(3)
    ids = sorted(fan_out(recipients).values())
    db.session.commit()
    fake_twilio.fail_next(1, 500, 20500)
    with pytest.raises(TransientSendError):
        send_messages(ids)
    rows = db.session.execute(
        sa.select(Message.status, Message.attempts, Message.lease_until).order_by(Message.id)
    ).all()
    # No RQ retry is coming (no job), so nothing holds the sweep off.
    untouched = ("queued", 0, None)
    assert [tuple(r) for r in rows] == [("queued", 1, None), untouched, untouched]
    assert send_messages(ids) == {"sent": 3}
    assert each_sent_once(fake_twilio, recipients)


def test_a_worker_asked_to_stop_hands_the_rest_of_its_batch_on(
    ctx, run_jobs, fake_twilio, redis_conn
):
    recipients = people(3)
    ids = sorted(fan_out(recipients).values())
    db.session.commit()
    sms_queue(redis_conn).empty()

    stopping = worker.AppWorker([sms_queue(redis_conn)], connection=redis_conn)
    stopping.handle_warm_shutdown_request()  # what the first SIGTERM does
    try:
        assert worker.stop_requested()
        assert send_messages(ids) == {"sent": 1, "handed on": 2}
    finally:
        worker._stopping.clear()
    [job] = sms_queue(redis_conn).jobs
    assert job.args == (ids[1:],)
    run_jobs()
    assert each_sent_once(fake_twilio, recipients)


def test_a_batch_past_its_time_hands_the_rest_to_a_new_job(
    ctx, monkeypatch, run_jobs, fake_twilio, redis_conn
):
    monkeypatch.setattr(send, "BATCH_SECONDS", -1)  # out of time after the first row
    recipients = people(4)
    ids = sorted(fan_out(recipients).values())
    db.session.commit()
    sms_queue(redis_conn).empty()

    assert send_messages(ids) == {"sent": 1, "handed on": 3}
    run_jobs()  # each job sends one row and hands the rest on, until none is left
    assert each_sent_once(fake_twilio, recipients)
    assert sms_queue(redis_conn).count == 0


def test_the_worker_runs_jobs_in_its_own_process(ctx, runner, fake_twilio, redis_conn):
    job = sms_queue(redis_conn).enqueue(os.getpid)
    recipients = people(2)
    fan_out(recipients)
    db.session.commit()

    phones = sorted(p.phone for p in recipients)

    result = runner.invoke(args=["worker", "--burst"])
    assert result.exit_code == 0, result.output
    # No work horse: the job ran in the process that started the worker.
    assert Job.fetch(job.id, connection=redis_conn).return_value() == os.getpid()
    assert sorted(m["To"] for m in fake_twilio.messages) == phones


@pytest.mark.slow
def test_sigterm_stops_the_worker_process_cleanly(database_url, fake_twilio, redis_conn):
    env = {**os.environ, **service_settings(fake_twilio), "DATABASE_URL": database_url}
    command = [sys.executable, "-m", "flask", "--app", "app", "worker"]
    process = subprocess.Popen(command, cwd=ROOT, env=env, stderr=subprocess.PIPE)
    try:
        deadline = time.monotonic() + 60
        # Up and waiting for jobs (rq installs its signal handlers before it waits).
        while [w.get_state() for w in Worker.all(connection=redis_conn)] != ["idle"]:
            assert process.poll() is None, process.stderr.read().decode()[-2000:]
            assert time.monotonic() < deadline, "the worker did not start"
            time.sleep(0.1)
        process.send_signal(signal.SIGTERM)
        assert process.wait(timeout=60) == 0
    finally:
        if process.poll() is None:
            process.kill()
            process.wait()
    assert Worker.all(connection=redis_conn) == []  # it said goodbye to Redis
