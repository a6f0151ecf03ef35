"""`flask --app app worker` and `flask --app app scheduler`: the background processes."""

import click
from flask import Flask, current_app
from redis import Redis
from rq import Queue, Worker

from app.extensions import db
from app.jobs.queue import QUEUES


class AppWorker(Worker):
    """rq's forking Worker, made safe for the app's database connections.

    Each job runs in a forked work horse inside the app context the worker pushed.
    The horse must not reuse database sockets inherited from the parent, and must
    close its own before it exits.
    """

    def main_work_horse(self, job, queue):
        db.engine.dispose(close=False)  # forget the parent's connections, do not close them
        super().main_work_horse(job, queue)

    def perform_job(self, job, queue, execution) -> bool:
        try:
            return super().perform_job(job, queue, execution)
        finally:
            db.session.remove()
            if self._is_horse:
                db.engine.dispose()


def _worker_redis() -> Redis:
    # Its own client: rq raises the socket timeout for its blocking waits, which the
    # web-facing client (short timeouts) must not inherit.
    return Redis.from_url(current_app.config["REDIS_URL"])


def _warm_up() -> None:
    """Do once, in the parent, what every job would otherwise redo in its fresh fork: the
    Twilio client imports its REST modules on first use (~150 ms, measured by bench/)."""
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
        with _worker_redis() as connection:
            queues = [Queue(name, connection=connection) for name in QUEUES]
            # with_scheduler: RQ retries with a delay wait in its scheduled registry, and
            # only a worker running the scheduler moves them back onto a queue.
            AppWorker(queues, connection=connection).work(burst=burst, with_scheduler=True)

    @app.cli.command("scheduler")
    def scheduler() -> None:
        """Enqueue the periodic jobs (outbox sweep, reminders) on time. Run exactly one."""
        from app.jobs.cron import build_scheduler

        with _worker_redis() as connection:
            build_scheduler(connection).start()
