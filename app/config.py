"""Configuration, read once from the environment (and a `.env` file if present)."""

import os
import secrets
from datetime import timedelta
from pathlib import Path

from dotenv import load_dotenv

from app import languages

ROOT = Path(__file__).resolve().parent.parent
load_dotenv(ROOT / ".env")


def env_bool(name: str, default: bool) -> bool:
    """Parse a boolean variable explicitly, so that "false" and "0" are false."""
    value = os.environ.get(name)
    if value is None or value.strip() == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def database_url() -> str:
    """DATABASE_URL normalised for SQLAlchemy; a SQLite file under instance/ by default."""
    url = os.environ.get("DATABASE_URL", "").strip()
    if not url:
        (ROOT / "instance").mkdir(exist_ok=True)
        return f"sqlite:///{ROOT / 'instance' / 'samtale.db'}"
    # Hosting platforms hand out postgres:// URLs, which SQLAlchemy no longer accepts.
    for prefix in ("postgres://", "postgresql://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix) :]
    return url


# Text-to-speech voice per language, from the languages table (app/languages.py): neural
# voices, since only they (and Google's) take SSML prosody, which slows the speech.
# None for so, ti, ur, fa: recorded prompts.
DEFAULT_VOICES = languages.default_voices()


class Config:
    SQLALCHEMY_DATABASE_URI = database_url()
    # hide_parameters: SQL errors would otherwise quote numbers and bodies into logs.
    # No pool_pre_ping: connections idle for a while are pinged (extensions.ping_when_idle).
    SQLALCHEMY_ENGINE_OPTIONS = {"hide_parameters": True}
    REDIS_URL = os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/0")
    # A random key per process is fine for one process in development; production must set
    # one, since web and worker processes must agree on it (sessions, signed call links).
    SECRET_KEY = os.environ.get("SECRET_KEY") or secrets.token_hex(32)
    SECRET_KEY_FROM_ENV = bool(os.environ.get("SECRET_KEY"))
    PUBLIC_BASE_URL = os.environ.get("PUBLIC_BASE_URL", "http://localhost:5000").rstrip("/")

    TWILIO_ACCOUNT_SID = os.environ.get("TWILIO_ACCOUNT_SID", "")
    TWILIO_AUTH_TOKEN = os.environ.get("TWILIO_AUTH_TOKEN", "")
    TWILIO_FROM_NUMBER = os.environ.get("TWILIO_FROM_NUMBER", "")
    TWILIO_MESSAGING_SERVICE_SID = os.environ.get("TWILIO_MESSAGING_SERVICE_SID", "")
    TWILIO_API_URL = os.environ.get("TWILIO_API_URL", "https://api.twilio.com").rstrip("/")
    SMS_PER_SECOND = int(os.environ.get("SMS_PER_SECOND", "10"))
    # Seconds between retries of a send that failed for a passing reason (429, 5xx), each
    # stretched or shrunk at random by up to half (jitter), so sends that failed together
    # do not all come back together.
    SEND_RETRY_INTERVALS = tuple(
        int(s) for s in os.environ.get("SEND_RETRY_INTERVALS", "5,15,60,180,600").split(",") if s
    )
    # Tries of one message in all (retries and sweeps) before it is marked failed.
    SEND_MAX_ATTEMPTS = int(os.environ.get("SEND_MAX_ATTEMPTS", "10"))
    # Seconds a queued row may wait for its job before the sweep enqueues it again: a job
    # claims its row within seconds, so a minute means the job was lost.
    OUTBOX_STALE_AFTER = int(os.environ.get("OUTBOX_STALE_AFTER", "60"))
    # /healthz says "degraded" when a text has waited this many seconds for a worker.
    OUTBOX_DELAYED_AFTER = int(os.environ.get("OUTBOX_DELAYED_AFTER", "300"))
    # Seconds between runs of the outbox sweep (the scheduler).
    OUTBOX_SWEEP_SECONDS = int(os.environ.get("OUTBOX_SWEEP_SECONDS", "60"))
    # Seconds a worker holds a row it is sending. Only after that may the sweep take it
    # back, so it must be longer than any live send (a rate-limit wait of up to a minute
    # and Twilio's timeouts): a shorter one is for tests.
    SEND_LEASE_SECONDS = int(os.environ.get("SEND_LEASE_SECONDS", "300"))
    # Hours during which a send whose outcome is unknown (a worker died mid-send, the
    # connection dropped) is looked up at Twilio: sent after all, or sent again.
    OUTBOX_RECONCILE_HOURS = int(os.environ.get("OUTBOX_RECONCILE_HOURS", "24"))
    # Twilio's webhooks are small forms (a 1,600-character body and a few fields): a
    # larger request to /twilio/… is refused unread (413).
    TWILIO_WEBHOOK_MAX_BYTES = int(os.environ.get("TWILIO_WEBHOOK_MAX_BYTES", str(64 * 1024)))
    # A number sending more than this many texts a minute gets one "slow down" answer a
    # minute instead of an answer to each (they are all kept), and staff are told.
    FLOOD_PER_MINUTE = int(os.environ.get("FLOOD_PER_MINUTE", "30"))
    # An auto-reply loop with another machine: the same text this many times in a row,
    # each within LOOP_SECONDS of the last (one of our keywords, which people do repeat,
    # only when each came within LOOP_FAST_SECONDS of our answer: faster than anyone
    # reads). Replies to the number then pause for LOOP_PAUSE_MINUTES.
    LOOP_REPEATS = int(os.environ.get("LOOP_REPEATS", "5"))
    LOOP_SECONDS = int(os.environ.get("LOOP_SECONDS", "60"))
    LOOP_FAST_SECONDS = float(os.environ.get("LOOP_FAST_SECONDS", "4"))
    LOOP_PAUSE_MINUTES = int(os.environ.get("LOOP_PAUSE_MINUTES", "60"))

    TIMEZONE = os.environ.get("TIMEZONE", "Europe/Oslo")
    DEFAULT_LANGUAGE = os.environ.get("DEFAULT_LANGUAGE", "nb")
    # Order matters: it is the order of the numbered language menu.
    LANGUAGES = [
        c.strip()
        for c in os.environ.get("LANGUAGES", ",".join(languages.DEFAULT_ORDER)).split(",")
        if c.strip()
    ]
    # SMS in these languages drop their diacritics to stay GSM-7 (160 characters a segment,
    # not 70); by default Polish and Lithuanian, as their speakers often text that way.
    SMS_TRANSLITERATE = [
        c.strip()
        for c in os.environ.get(
            "SMS_TRANSLITERATE",
            ",".join(code for code, lang in languages.LANGUAGES.items() if lang.transliterate),
        ).split(",")
        if c.strip()
    ]
    # Local hour on the day before an activity when its reminder goes out.
    REMINDER_HOUR = int(os.environ.get("REMINDER_HOUR", "17"))
    # Country assumed for numbers written without a country code.
    DEFAULT_REGION = os.environ.get("DEFAULT_REGION", "NO")

    # Volunteer tasks. Requests a volunteer may get in 7 days, so willing people are not
    # worn out; days after a request before the same person is suggested again.
    VOLUNTEER_WEEKLY_CAP = int(os.environ.get("VOLUNTEER_WEEKLY_CAP", "3"))
    VOLUNTEER_REST_DAYS = int(os.environ.get("VOLUNTEER_REST_DAYS", "2"))
    # Local hours ("21-08") when no task request goes out; they wait for the morning.
    QUIET_HOURS = os.environ.get("QUIET_HOURS", "21-08")
    # Minutes before the next wave of requests, if the task is still not filled.
    TASK_WAVE_INTERVAL = int(os.environ.get("TASK_WAVE_INTERVAL", "120"))
    # Hours before the start when an unfilled task expires, unless given on creation.
    TASK_EXPIRY_HOURS = int(os.environ.get("TASK_EXPIRY_HOURS", "2"))
    # Tell those asked who have not answered that a filled or expired task is not needed.
    TASK_NOTIFY_UNANSWERED = env_bool("TASK_NOTIFY_UNANSWERED", True)

    # The simulator lets anyone pose as any number, so it is on only where nothing real
    # is sent, unless an operator turns it on deliberately for training.
    SIMULATOR_ENABLED = env_bool(
        "SIMULATOR_ENABLED", not (TWILIO_ACCOUNT_SID and TWILIO_AUTH_TOKEN)
    )

    MIGRATIONS_DIR = ROOT / "migrations"

    # The phone line. Without STAFF_PHONE a caller who wants a person leaves a message.
    STAFF_PHONE = os.environ.get("STAFF_PHONE", "").strip()
    # When staff answer, in local time: "mon-fri 09:00-15:00; 2026-12-24 closed".
    OPENING_HOURS = os.environ.get("OPENING_HOURS", "mon-fri 09:00-15:00")
    DIAL_TIMEOUT = int(os.environ.get("DIAL_TIMEOUT", "25"))
    RECORD_MAX_SECONDS = int(os.environ.get("RECORD_MAX_SECONDS", "120"))
    # Seconds to wait for a key: longer than Twilio's 5, for elderly callers.
    GATHER_TIMEOUT = int(os.environ.get("GATHER_TIMEOUT", "8"))
    VOICE_RATE = os.environ.get("VOICE_RATE", "85%")
    # VOICE_NB=Polly.Ida-Neural; an empty value means "no voice": recordings or a person.
    VOICES = {
        lang: os.environ.get(f"VOICE_{lang.upper()}", DEFAULT_VOICES.get(lang, "")).strip()
        for lang in {*DEFAULT_VOICES, *LANGUAGES}
    }
    # Recorded prompts for languages without a voice: <dir>/<lang>/<prompt key>.mp3.
    VOICE_RECORDINGS_DIR = Path(os.environ.get("VOICE_RECORDINGS_DIR", ROOT / "recordings"))

    # Staff pages (sign-in, callback queue). A signed-in session ends after this many
    # minutes however busy it was: a working day by default.
    STAFF_SESSION_MINUTES = int(os.environ.get("STAFF_SESSION_MINUTES", "480"))
    PERMANENT_SESSION_LIFETIME = timedelta(minutes=STAFF_SESSION_MINUTES)
    SESSION_COOKIE_HTTPONLY = True
    SESSION_COOKIE_SAMESITE = "Lax"
    # Secure (HTTPS only) whenever the service is public over HTTPS; see create_app.
    SESSION_COOKIE_SECURE = PUBLIC_BASE_URL.startswith("https://")
    # Failed sign-ins allowed per email and per address within SIGNIN_WINDOW_MINUTES.
    SIGNIN_MAX_FAILURES = int(os.environ.get("SIGNIN_MAX_FAILURES", "5"))
    SIGNIN_WINDOW_MINUTES = int(os.environ.get("SIGNIN_WINDOW_MINUTES", "15"))
    # Hours a resident may wait for a callback before the queue flags the request.
    CALLBACK_PROMISE_HOURS = int(os.environ.get("CALLBACK_PROMISE_HOURS", "24"))

    # Broadcasts: the preview warns when one language's message (footer included)
    # would take more SMS segments than this; each segment is paid for.
    BROADCAST_WARN_SEGMENTS = int(os.environ.get("BROADCAST_WARN_SEGMENTS", "3"))
    # Proxies in front of the app (Heroku-style routers: 1). The client address, used by
    # sign-in throttling, is then read from X-Forwarded-For; 0 trusts no such header.
    TRUSTED_PROXY_COUNT = int(os.environ.get("TRUSTED_PROXY_COUNT", "0"))

    # Activity import (CSV and iCalendar, uploaded or from a URL). Largest file read, in
    # bytes (an upload is also held to MAX_CONTENT_LENGTH); URLs inside the service's own
    # network (loopback, private) are refused unless this is on (tests serve from loopback).
    IMPORT_MAX_BYTES = int(os.environ.get("IMPORT_MAX_BYTES", str(2_000_000)))
    # The largest request of any kind: "Import now" after a preview, which posts the file
    # back base64-encoded (a third larger) in a form field. Such a field is otherwise held
    # to 500 kB, so a larger file could be previewed but not imported.
    MAX_CONTENT_LENGTH = IMPORT_MAX_BYTES * 4 // 3 + 64 * 1024
    MAX_FORM_MEMORY_SIZE = MAX_CONTENT_LENGTH
    IMPORT_ALLOW_PRIVATE_URLS = env_bool("IMPORT_ALLOW_PRIVATE_URLS", False)
    # Dates of an event that repeats other than weekly are imported one by one this far ahead.
    IMPORT_EXPAND_DAYS = int(os.environ.get("IMPORT_EXPAND_DAYS", "90"))
    # Automated texts held while a person waits for a callback are dropped, not sent,
    # if they waited longer than this (a reminder for yesterday helps nobody).
    HELD_MESSAGE_MAX_HOURS = int(os.environ.get("HELD_MESSAGE_MAX_HOURS", "24"))

    # JSON API webhooks out: seconds to wait for the receiver; seconds between the
    # retries of a delivery that met a timeout or a 5xx (then it is given up and kept as
    # "failed"); and, as for imports, whether addresses inside the service's own network
    # may receive them (normally refused; the tests deliver to loopback).
    WEBHOOK_TIMEOUT = int(os.environ.get("WEBHOOK_TIMEOUT", "10"))
    WEBHOOK_RETRY_INTERVALS = (30, 120, 600, 3600, 6 * 3600)
    WEBHOOK_ALLOW_PRIVATE_URLS = env_bool("WEBHOOK_ALLOW_PRIVATE_URLS", False)

    # Personal data. Message bodies (and call transcripts, staff notes on closed callback
    # requests) are blanked this many days after they were written; recordings of callers'
    # messages go sooner: staff need them only until they have called back.
    MESSAGE_RETENTION_DAYS = int(os.environ.get("MESSAGE_RETENTION_DAYS", "90"))
    RECORDING_RETENTION_DAYS = int(os.environ.get("RECORDING_RETENTION_DAYS", "30"))
