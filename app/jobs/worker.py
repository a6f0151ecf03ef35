"""`flask --app app worker` and `flask --app app scheduler`: the background processes.

Both outlive a Redis outage: when Redis goes away they log it, wait (1 s, doubling up
to 30 s) and start again on a fresh connection, rather than exit and depend on a
process manager to restart them. Outbound texts are rows in the database meanwhile;
the sweep re-enqueues them once Redis is back (empty or not).
"""

import logging
import signal
import threading
import time
from collections.abc import Callable

import click
from flask import Flask, current_app
from redis import Redis
from redis.exceptions import RedisError
from rq import Queue, SimpleWorker

from app.extensions import db
from app.jobs.queue import QUEUES

log = logging.getLogger(__name__)
# Seconds to wait for Redis to come back: the first wait, and the longest.
REDIS_WAIT, REDIS_WAIT_MAX = 1.0, 30.0

# Set by a warm stop (the first SIGTERM or Ctrl+C): a long job ends at its next safe
# point (`app.jobs.send.send_messages` between two rows) instead of finishing its batch.
_stopping = threading.Event()


def stop_requested() -> bool:
    """Whether the worker running this job has been asked to stop."""
    return _stopping.is_set()


class AppWorker(SimpleWorker):
    """rq's worker, running each job in this process rather than a fork per job.

    A fork per job made every SMS reconnect to PostgreSQL and Redis, re-import the
    Twilio client and open a new HTTPS connection (~60-130 ms a message, bench/): here
    the connection pools and the Twilio HTTP session live as long as the worker. Job
    timeouts still hold (rq's SIGALRM death penalty); SIGTERM is a warm stop: the
    current job reaches a safe point, then the worker exits. A second SIGTERM stops
    at once; a row being sent at that moment is left "sending", and the sweep asks
    Twilio whether it got it before anything is sent again: never sent twice.
    """

    def work(self, *args, **kwargs) -> bool:
        _stopping.clear()
        return super().work(*args, **kwargs)

    def handle_warm_shutdown_request(self) -> None:
        _stopping.set()
        super().handle_warm_shutdown_request()

    def perform_job(self, job, queue, execution) -> bool:
        try:
            return super().perform_job(job, queue, execution)
        finally:
            # Each job starts with a fresh session; the connection goes back to the pool.
            db.session.remove()


def _worker_redis() -> Redis:
    # Its own client: rq raises the socket timeout for its blocking waits, which the
    # web-facing client (short timeouts) must not inherit.
    return Redis.from_url(current_app.config["REDIS_URL"])


def _warm_up() -> None:
    """Do before the first job what it would otherwise do while a text waits: the Twilio
    client imports its REST modules on first use (~150 ms, measured by bench/)."""
    if not current_app.config["SIMULATOR_MODE"]:
        from app.jobs.gateway import twilio_client

        client = twilio_client()
        client.messages, client.calls  # noqa: B018 - imports twilio.rest.api.v2010 lazily


def register_worker_cli(app: Flask) -> None:
    """Add the `worker` and `scheduler` commands to the app's `flask` CLI."""

    @app.cli.command("worker")
    @click.option("--burst", is_flag=True, help="Stop when the queues are empty.")
    def worker(burst: bool) -> None:
        """Run jobs from the "sms" and "default" queues until stopped (SIGTERM: warm stop)."""
        _warm_up()

        def work(connection: Redis) -> bool:
            queues = [Queue(name, connection=connection) for name in QUEUES]
            # with_scheduler: RQ retries with a delay wait in its scheduled registry, and
            # only a worker running the scheduler moves them back onto a queue.
            AppWorker(queues, connection=connection).work(burst=burst, with_scheduler=True)
            # rq's loop also ends, without raising, when Redis failed under a job.
            return burst or stop_requested()

        if burst:  # a one-off run (scripts, tests) reports a Redis error rather than wait
            with _worker_redis() as connection:
                work(connection)
            return
        _outlive_redis_outages(work, "worker")

    @app.cli.command("scheduler")
    def scheduler() -> None:
        """Enqueue the periodic jobs (outbox sweep, reminders) on time. Run exactly one."""
        from app.jobs.cron import build_scheduler

        def run(connection: Redis) -> bool:
            build_scheduler(connection).start()
            return True  # start() returns only when asked to stop

        _outlive_redis_outages(run, "scheduler")


def _outlive_redis_outages(run: Callable[[Redis], bool], name: str) -> None:
    """Call `run` on a fresh Redis connection until it reports a wanted end (True);
    after a Redis error, or an unwanted end, wait (doubling) and call it again."""
    wait = REDIS_WAIT
    while True:
        started = time.monotonic()
        try:
            with _worker_redis() as connection:
                if run(connection):
                    return
            reason = "stopped by itself"
        except RedisError as error:
            reason = f"lost Redis ({type(error).__name__})"
        if time.monotonic() - started > 60:
            wait = REDIS_WAIT  # it ran a good while: this is a new outage
        log.warning("%s %s; starting again in %.0f s", name, reason, wait)
        # rq's signal handlers belong to the run that ended: a stop now simply stops.
        signal.signal(signal.SIGTERM, signal.SIG_DFL)
        signal.signal(signal.SIGINT, signal.default_int_handler)
        time.sleep(wait)
        wait = min(wait * 2, REDIS_WAIT_MAX)
