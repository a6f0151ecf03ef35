"""Fixtures: the app on SQLite and on PostgreSQL, real Redis, a fake Twilio REST server.

Every test that uses `app` runs once per database backend. Nothing depends on what an
earlier run left: PostgreSQL gets a schema of its own per run, SQLite a new file, Redis
a database index that is flushed around each test.
"""

import functools
import os
import uuid
from collections.abc import Callable
from contextlib import contextmanager

import pytest
import sqlalchemy as sa
from flask_migrate import upgrade
from redis import Redis, RedisError
from rq import SimpleWorker
from twilio.request_validator import RequestValidator
from twilio.twiml.messaging_response import MessagingResponse  # noqa: F401 - import check

from app import create_app
from app.extensions import db
from app.jobs.queue import QUEUES, get_queue
from tests.fake_twilio import FakeTwilio, new_sid

POSTGRES_URL = os.environ.get(
    "TEST_POSTGRES_URL", "postgresql+psycopg://postgres@127.0.0.1:5432/test"
)
REDIS_SERVER = "redis://127.0.0.1:6379"
BACKENDS = os.environ.get("TEST_BACKENDS", "sqlite,postgresql").split(",")

ACCOUNT_SID = "AC" + "0" * 32
AUTH_TOKEN = "test-auth-token-0123456789abcdef"
SERVICE_NUMBER = "+4759440000"
PUBLIC_BASE_URL = "https://samtale.example.org"
RESIDENT = "+4791234567"


def _claim_redis_db() -> tuple[str, Callable[[], None]]:
    """A Redis database index that no other test run on this machine is using.

    Runs flush their database around every test, so two runs sharing one index would
    wipe each other's queues. Claims live in database 0, which the tests never flush,
    and expire by themselves if a run dies without releasing its claim.
    """
    if os.environ.get("TEST_REDIS_URL"):
        return os.environ["TEST_REDIS_URL"], lambda: None
    registry = Redis.from_url(f"{REDIS_SERVER}/0")
    try:
        for index in range(15, 0, -1):
            key = f"samtale-tests:db:{index}"
            if registry.set(key, os.getpid(), nx=True, ex=3 * 3600):
                return f"{REDIS_SERVER}/{index}", functools.partial(registry.delete, key)
    except RedisError:
        pass  # not reachable: the tests that need Redis will say so
    return f"{REDIS_SERVER}/15", lambda: None


REDIS_URL, _release_redis_db = _claim_redis_db()


def pytest_unconfigure(config):
    _release_redis_db()


def pytest_collection_modifyitems(config, items):
    """Races are only real where writers run in parallel: run those on PostgreSQL only."""
    keep, drop = [], []
    for item in items:
        backend = getattr(item, "callspec", None) and item.callspec.params.get("database_url")
        on_sqlite = backend == "sqlite"
        (drop if on_sqlite and item.get_closest_marker("postgres_only") else keep).append(item)
    if drop:
        config.hook.pytest_deselected(items=drop)
        items[:] = keep


@pytest.fixture(scope="session")
def fake_twilio():
    server = FakeTwilio().start()
    yield server
    server.stop()


@pytest.fixture(scope="session", params=BACKENDS)
def database_url(request, tmp_path_factory):
    """A migrated, empty database for this run: the migrations themselves build it."""
    if request.param == "sqlite":
        url = f"sqlite:///{tmp_path_factory.mktemp('db') / 'samtale.db'}"
        schema = None
    else:
        schema = f"test_{os.getpid()}_{uuid.uuid4().hex[:8]}"
        admin = sa.create_engine(POSTGRES_URL)
        with admin.begin() as conn:
            conn.execute(sa.text(f'CREATE SCHEMA "{schema}"'))
        url = f"{POSTGRES_URL}?options=-csearch_path%3D{schema}"
    app = create_app({"SQLALCHEMY_DATABASE_URI": url, "TESTING": True})
    with app.app_context():
        upgrade()
        db.engine.dispose()
    yield url
    if schema:
        with admin.begin() as conn:
            conn.execute(sa.text(f'DROP SCHEMA "{schema}" CASCADE'))
        admin.dispose()


@pytest.fixture
def redis_conn():
    conn = Redis.from_url(REDIS_URL)
    conn.flushdb()
    yield conn
    conn.flushdb()
    conn.close()


def service_settings(fake_twilio: FakeTwilio) -> dict[str, str]:
    """What the tests configure, named as both config keys and environment variables."""
    return {
        "REDIS_URL": REDIS_URL,
        "TWILIO_ACCOUNT_SID": ACCOUNT_SID,
        "TWILIO_AUTH_TOKEN": AUTH_TOKEN,
        "TWILIO_FROM_NUMBER": SERVICE_NUMBER,
        "TWILIO_API_URL": fake_twilio.url,
        "PUBLIC_BASE_URL": PUBLIC_BASE_URL,
        "SMS_PER_SECOND": "1000",
        "SECRET_KEY": "test",
    }


@pytest.fixture
def app(database_url, redis_conn, fake_twilio):
    fake_twilio.reset()
    app = create_app(
        {
            **service_settings(fake_twilio),
            "TESTING": True,
            "SQLALCHEMY_DATABASE_URI": database_url,
            "SMS_PER_SECOND": 1000,
            "SECRET_KEY": "test",
            "SIMULATOR_ENABLED": True,
        }
    )
    yield app
    with app.app_context():
        _empty_tables()
        db.engine.dispose()


def _empty_tables() -> None:
    db.session.remove()
    tables = [t.name for t in db.metadata.sorted_tables]
    if db.engine.dialect.name == "postgresql":
        db.session.execute(sa.text(f"TRUNCATE {', '.join(tables)} RESTART IDENTITY CASCADE"))
    else:
        for name in reversed(tables):
            db.session.execute(sa.text(f"DELETE FROM {name}"))
    db.session.commit()


@pytest.fixture
def client(app):
    return app.test_client()


@pytest.fixture
def runner(app):
    return app.test_cli_runner()


@pytest.fixture
def ctx(app):
    """An app context for reading and arranging data directly in a test."""
    with app.app_context():
        yield
        db.session.remove()


def sign(url: str, params: dict) -> str:
    return RequestValidator(AUTH_TOKEN).compute_signature(url, params)


@pytest.fixture
def post_signed(client):
    """POST a form to a Twilio webhook path, signed the way Twilio signs it."""

    def post(path: str, params: dict, signature: str | None = None):
        url = PUBLIC_BASE_URL + path
        sig = sign(url, params) if signature is None else signature
        return client.post(path, data=params, headers={"X-Twilio-Signature": sig})

    return post


@pytest.fixture
def sms(post_signed):
    """Text the service like a phone does; returns the reply texts (TwiML <Message>s)."""

    def send(body: str, phone: str = RESIDENT, sid: str | None = None, **extra) -> list[str]:
        params = {
            "MessageSid": sid or new_sid(),
            "AccountSid": ACCOUNT_SID,
            "From": phone,
            "To": SERVICE_NUMBER,
            "Body": body,
            "NumMedia": "0",
            "NumSegments": "1",
            "SmsStatus": "received",
            "ApiVersion": "2010-04-01",
            **extra,
        }
        response = post_signed("/twilio/sms", params)
        assert response.status_code == 200, response.data
        assert response.mimetype in ("text/xml", "application/xml")
        return twiml_messages(response.data)

    return send


def twiml_messages(xml: bytes) -> list[str]:
    from xml.etree import ElementTree

    root = ElementTree.fromstring(xml)
    assert root.tag == "Response"
    return [(m.text or "") for m in root.iter("Message")]


@pytest.fixture
def run_jobs(app, redis_conn):
    """Work every queued job to the end with a real RQ worker in this process."""

    def work() -> None:
        with app.app_context():
            queues = [get_queue(name) for name in QUEUES]
            SimpleWorker(queues, connection=queues[0].connection).work(burst=True)
            db.session.remove()

    return work


@contextmanager
def app_context(app):
    with app.app_context():
        yield
        db.session.remove()


class VoiceCall:
    """A phone call the way Twilio makes it: post the call, read the TwiML, follow it.

    `press`, `say` and `silence` answer the current <Gather>; `dial_done` and `record`
    answer a <Dial> or <Record>; a <Redirect> with nothing before it is followed at once.
    `said` is everything the current TwiML says, `root` the TwiML itself.
    """

    def __init__(self, post, phone: str, sid: str | None = None):
        self._post = post
        self.phone = phone
        self.sid = sid or new_sid("CA")
        self.root = None
        self.responses: list = []

    def start(self) -> "VoiceCall":
        return self.post("/twilio/voice")

    def post(self, url: str, **params) -> "VoiceCall":
        """POST to a webhook URL (absolute, as TwiML names it, or a path) and read the answer."""
        from xml.etree import ElementTree

        path = url.removeprefix(PUBLIC_BASE_URL)
        form = {
            "CallSid": self.sid, "AccountSid": ACCOUNT_SID, "From": self.phone,
            "To": SERVICE_NUMBER, "CallStatus": "in-progress", "Direction": "inbound",
            "ApiVersion": "2010-04-01", **params,
        }  # fmt: skip
        response = self._post(path, form)
        assert response.status_code == 200, response.data
        assert response.mimetype == "text/xml"
        self.responses.append(response.data)
        self.root = ElementTree.fromstring(response.data)
        assert self.root.tag == "Response"
        first = next(iter(self.root), None)
        if first is not None and first.tag == "Redirect":
            return self.post(first.text)
        return self

    def verb(self, tag: str):
        return self.root.find(tag)

    @property
    def gather(self):
        return self.verb("Gather")

    @property
    def said(self) -> str:
        return " ".join(" ".join(say.itertext()).strip() for say in self.root.iter("Say"))

    def press(self, digits: str) -> "VoiceCall":
        return self._answer(Digits=digits)

    def say(self, words: str) -> "VoiceCall":
        return self._answer(SpeechResult=words, Confidence="0.9")

    def silence(self) -> "VoiceCall":
        return self._answer()

    def _answer(self, **params) -> "VoiceCall":
        gather = self.gather
        assert gather is not None, f"no <Gather> in {self.responses[-1]!r}"
        return self.post(gather.get("action"), **params)

    def dial_done(self, status: str = "no-answer") -> "VoiceCall":
        dial = self.verb("Dial")
        assert dial is not None, f"no <Dial> in {self.responses[-1]!r}"
        return self.post(dial.get("action"), DialCallStatus=status)

    def record(self, recording_url: str | None = None) -> "VoiceCall":
        """Leave a message (`recording_url`), or record nothing and follow the Redirect."""
        record = self.verb("Record")
        assert record is not None, f"no <Record> in {self.responses[-1]!r}"
        if recording_url is None:
            return self.post(self.verb("Redirect").text)
        return self.post(record.get("action"), RecordingUrl=recording_url,
                         RecordingDuration="12", Digits="#")  # fmt: skip

    @property
    def hung_up(self) -> bool:
        return self.verb("Hangup") is not None


@pytest.fixture
def voice_call(post_signed):
    """`call = voice_call(phone)` starts a call; see VoiceCall."""

    def start(phone: str = RESIDENT, sid: str | None = None) -> VoiceCall:
        return VoiceCall(post_signed, phone, sid).start()

    return start


# --- Hypothesis (property tests: tests/test_hypothesis_*.py) ------------------------------
# "dev" explores new examples on every run and remembers failing ones (in .pytest_cache,
# which git ignores); "ci" is derandomized, so a CI run is repeatable and never flaky by
# chance. CI is detected by the CI variable; HYPOTHESIS_PROFILE chooses explicitly.
def _hypothesis_profiles() -> None:
    from pathlib import Path

    from hypothesis import settings
    from hypothesis.database import DirectoryBasedExampleDatabase

    cache = Path(__file__).resolve().parent.parent / ".pytest_cache" / "hypothesis"
    settings.register_profile("dev", database=DirectoryBasedExampleDatabase(cache))
    settings.register_profile("ci", derandomize=True, database=None, print_blob=True)
    default = "ci" if os.environ.get("CI") else "dev"
    settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", default))


_hypothesis_profiles()
