"""The one Twilio REST gateway: every outbound SMS leaves through `send_sms`, every
outbound call (staff calling a resident back) through `place_call`.

Errors come back as `SendError`, already sorted into what the caller may do next:

- transient: Twilio surely did not take the message (429, 5xx, 401, or no connection
  could be made); safe to try again later;
- permanent: Twilio refused this message for good (21610 unsubscribed, 21211 invalid
  number, 21614 not a mobile, any other 4xx); record it, never retry;
- ambiguous: the request may have reached Twilio (read timeout, connection dropped
  mid-request). Twilio has no idempotency key for messages, so a retry could text the
  person twice: the caller must not retry before asking Twilio (`find_sent`) whether
  it has the message.

Twilio's own exception texts can contain the phone number, so `SendError` carries only
the HTTP status and the Twilio error code, and is raised without the original attached.
"""

from collections.abc import Callable
from datetime import datetime, timedelta
from urllib.parse import urlsplit

from flask import current_app
from requests import Session
from requests import exceptions as http_errors
from twilio.base.exceptions import TwilioRestException
from twilio.http.http_client import TwilioHttpClient
from twilio.rest import Client
from urllib3.exceptions import MaxRetryError, NameResolutionError, NewConnectionError

# Seconds for connecting and for each read. Twilio answers a create in well under a
# second; a long hang is better treated as a failure than left holding a worker.
HTTP_TIMEOUT = 10

TRANSIENT, PERMANENT, AMBIGUOUS = "transient", "permanent", "ambiguous"

# Error codes that mean "this person's number cannot be texted". Anything else in the
# 4xx range is also permanent; these are named because callers act on them.
UNSUBSCRIBED = 21610
INVALID_NUMBER = 21211
NOT_MOBILE = 21614
# Looking up a send of unknown outcome: the messages to that number Twilio lists (newest
# first), and how far Twilio's clock may be behind ours.
LOOKUP_LIMIT = 50
CLOCK_SKEW = timedelta(minutes=5)
# The number itself cannot take texts: recorded on the person, who is sent no more.
NUMBER_ERRORS = frozenset({INVALID_NUMBER, NOT_MOBILE})


class SendError(Exception):
    """A send that did not succeed: `kind` says whether to retry, `code` is Twilio's."""

    def __init__(self, kind: str, code: int | None = None, status: int | None = None):
        super().__init__(f"{kind} send error: http {status}, twilio code {code}")
        self.kind = kind
        self.code = code
        self.status = status

    @property
    def transient(self) -> bool:
        return self.kind == TRANSIENT

    @property
    def permanent(self) -> bool:
        return self.kind == PERMANENT


class _Session(Session):
    """A requests session that reads the environment's proxy and CA-bundle settings once
    per host rather than on every request.

    requests looks them up for each request, walking os.environ twice (proxies, then
    no_proxy): about a fifth of the CPU of a send's HTTP request (profiled against
    bench/broadcast.py's fake Twilio). A process's environment does not change while it
    runs, so neither does the answer for a host; requests still computes it, once.
    """

    def __init__(self) -> None:
        super().__init__()
        self._by_origin: dict[tuple[str, str], dict] = {}

    def merge_environment_settings(self, url, proxies, stream, verify, cert) -> dict:
        if proxies or stream is not None or verify is not None or cert is not None:
            return super().merge_environment_settings(url, proxies, stream, verify, cert)
        origin = tuple(urlsplit(url)[:2])
        settings = self._by_origin.get(origin)
        if settings is None:
            settings = super().merge_environment_settings(url, {}, None, None, None)
            self._by_origin[origin] = settings
        return {**settings, "proxies": dict(settings["proxies"])}


def _http_client() -> TwilioHttpClient:
    """The twilio package's own HTTP client, on a `_Session` with the same adapters: one
    connection pool for the life of the process (the worker keeps its app)."""
    http_client = TwilioHttpClient(timeout=HTTP_TIMEOUT)
    session = _Session()
    session.adapters = http_client.session.adapters
    http_client.session = session
    return http_client


def twilio_client() -> Client:
    """The app's Twilio client, built once per app and pointed at TWILIO_API_URL."""
    ext = current_app.extensions
    if "samtale_twilio" not in ext:
        config = current_app.config
        client = Client(
            config["TWILIO_ACCOUNT_SID"], config["TWILIO_AUTH_TOKEN"], http_client=_http_client()
        )
        # Tests (and a Twilio-compatible proxy, if ever) replace the API host here.
        client.api.base_url = config["TWILIO_API_URL"]
        ext["samtale_twilio"] = client
    return ext["samtale_twilio"]


def send_sms(to: str, body: str, status_callback: str) -> str:
    """Hand one SMS to Twilio; returns its MessageSid. Raises `SendError` on failure.

    The sender is the Messaging Service when one is configured (it owns the opt-out
    keywords and the number pool), otherwise TWILIO_FROM_NUMBER.
    """
    config = current_app.config
    sender = {}
    if config.get("TWILIO_MESSAGING_SERVICE_SID"):
        sender["messaging_service_sid"] = config["TWILIO_MESSAGING_SERVICE_SID"]
    elif config.get("TWILIO_FROM_NUMBER"):
        sender["from_"] = config["TWILIO_FROM_NUMBER"]
    else:
        # A configuration mistake, not the message's fault: keep it for when it is fixed.
        raise SendError(TRANSIENT)
    try:
        message = twilio_client().messages.create(
            to=to, body=body, status_callback=status_callback, **sender
        )
    except Exception as exc:  # every failure is sorted; none escapes with its raw text
        raise classify(exc) from None
    return message.sid


def classify(exc: BaseException) -> SendError:
    """Sort an exception from the Twilio client into transient, permanent or ambiguous."""
    if isinstance(exc, SendError):
        return exc
    if isinstance(exc, TwilioRestException):
        status, code = exc.status, exc.code
        # 401: the credentials are wrong; every message fails the same way until an
        # operator fixes them, so keep the messages rather than fail them all.
        if status == 429 or status >= 500 or status == 401:
            return SendError(TRANSIENT, code, status)
        return SendError(PERMANENT, code, status)
    if isinstance(exc, http_errors.ConnectTimeout) or _never_connected(exc):
        return SendError(TRANSIENT)
    # A read timeout, a dropped connection, or anything unforeseen after the request
    # may have left: Twilio may have the message.
    return SendError(AMBIGUOUS)


def _never_connected(exc: BaseException) -> bool:
    """A requests ConnectionError raised before any byte of the request was sent."""
    if not isinstance(exc, http_errors.ConnectionError) or not exc.args:
        return False
    reason = exc.args[0]
    if isinstance(reason, MaxRetryError):
        reason = reason.reason
    return isinstance(reason, NewConnectionError | NameResolutionError)


def place_call(to: str, url: str, status_callback: str) -> str:
    """Ask Twilio to ring `to` from the service number and fetch TwiML from `url`.

    Returns the CallSid. Raises `SendError`, sorted like a message send. A call needs a
    phone number as caller (a Messaging Service cannot place calls).
    """
    sender = current_app.config.get("TWILIO_FROM_NUMBER")
    if not sender:
        raise SendError(TRANSIENT)
    try:
        call = twilio_client().calls.create(
            to=to,
            from_=sender,
            url=url,
            method="POST",
            status_callback=status_callback,
            status_callback_method="POST",
            status_callback_event=["initiated", "ringing", "answered", "completed"],
        )
    except Exception as exc:  # sorted like sends; none escapes with its raw text
        raise classify(exc) from None
    return call.sid


def delete_recording(recording_sid: str) -> None:
    """Ask Twilio to delete a recording's file for good. Raises `SendError`, sorted as above.

    A recording Twilio no longer has (404) counts as deleted: that is what was wanted.
    """
    try:
        twilio_client().recordings(recording_sid).delete()
    except Exception as exc:  # sorted like sends; none escapes with its raw text
        error = classify(exc)
        if error.status == 404:
            return
        raise error from None


def find_sent(to: str, body: str, since: datetime, known_sids: Callable[[list[str]], set[str]]):
    """The sid of a message Twilio took for `to` with this body, created since `since`
    and not one of ours already (`known_sids` filters those); None if Twilio has none.

    Used when a send's outcome is unknown: Twilio has no idempotency key, so asking it is
    the only way to know whether sending again would text the person twice. Raises
    `SendError` when Twilio cannot be asked.
    """
    try:
        recent = twilio_client().messages.list(to=to, limit=LOOKUP_LIMIT)
    except Exception as exc:  # sorted like sends; none escapes with its raw text
        raise classify(exc) from None
    earliest = since - CLOCK_SKEW
    candidates = [
        m
        for m in recent
        if (m.direction or "").startswith("outbound")
        and m.body is not None
        and (m.body == body or m.body.startswith(body))  # a service may add a footer
        and (m.date_created is None or m.date_created >= earliest)
    ]
    taken = known_sids([m.sid for m in candidates])
    found = [m for m in candidates if m.sid not in taken]
    return found[-1].sid if found else None  # newest first: the oldest unclaimed one
