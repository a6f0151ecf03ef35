"""A fake Twilio REST server on loopback, reached through the real twilio package.

It accepts what the service asks of Twilio (create a message, create a call, list the
messages sent to a number), keeps what it was sent, and answers like Twilio does,
including the magic test numbers (+15005550004 unsubscribed, +15005550001 invalid,
+15005550009 not a mobile) and scripted faults for the retry and fault tests: failures
(429, 500) for the next N requests or for a while, and a request that is recorded but
whose answer is held back (as when a worker dies while Twilio is answering).
"""

import itertools
import threading
import time
import uuid
from collections import Counter, deque
from email.utils import format_datetime

from flask import json
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

from app.timeutil import utcnow

PERMANENT_NUMBERS = {
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550001": (21211, "Invalid 'To' Phone Number"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}


class FakeTwilio:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.calls: list[dict] = []
        # RecordingSids the service asked to delete (DELETE …/Recordings/{Sid}.json).
        self.deleted_recordings: list[str] = []
        # Every create request, answered or not: (path tail, HTTP status).
        self.requests: list[tuple[str, int]] = []
        self._failures: deque[tuple[int, int]] = deque()
        self._failing_until = 0.0
        self._failing_with = (500, 20500)
        self._hold: threading.Event | None = None
        self._holding = threading.Event()
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "FakeTwilio":
        self._thread.start()
        return self

    def stop(self) -> None:
        self.release()
        self._server.shutdown()

    def reset(self) -> None:
        self.release()
        with self._lock:
            self.messages.clear()
            self.calls.clear()
            self.deleted_recordings.clear()
            self.requests.clear()
            self._failures.clear()
            self._failing_until = 0.0

    def fail_next(self, count: int, status: int = 500, code: int = 20500) -> None:
        """Answer the next `count` requests with this HTTP status (429 and 5xx are transient)."""
        with self._lock:
            self._failures.extend([(status, code)] * count)

    def fail_for(self, seconds: float, status: int = 429, code: int = 20429) -> None:
        """Answer every create request with this HTTP status for the next `seconds`."""
        with self._lock:
            self._failing_until = time.monotonic() + seconds
            self._failing_with = (status, code)

    def hold_next(self) -> threading.Event:
        """Record the next message as sent but hold its answer back until `release()`.

        Returns an event that is set once a request is being held: the moment a client
        killed then has left Twilio with a message it never heard back about.
        """
        with self._lock:
            self._holding.clear()
            self._hold = threading.Event()
        return self._holding

    def release(self) -> None:
        """Let a held answer go (to a client that may no longer be there)."""
        with self._lock:
            hold, self._hold = self._hold, None
        if hold is not None:
            hold.set()

    def bodies_to(self, phone: str) -> list[str]:
        return [m["Body"] for m in self.messages if m["To"] == phone]

    def per_recipient(self) -> Counter:
        """How many messages each number was sent."""
        with self._lock:
            return Counter(m["To"] for m in self.messages)

    def calls_to(self, phone: str) -> list[dict]:
        """The calls placed to this number: To, From, Url, StatusCallback … and the sid."""
        return [c for c in self.calls if c["To"] == phone]

    @Request.application
    def _app(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        if request.method == "DELETE" and len(parts) == 5 and parts[3] == "Recordings":
            return self._delete_recording(request, parts)
        # /2010-04-01/Accounts/{AccountSid}/Messages.json or /Calls.json
        if len(parts) != 4 or parts[0] != "2010-04-01" or parts[1] != "Accounts":
            return self._error(404, 20404, "The requested resource was not found")
        if request.authorization is None or request.authorization.username != parts[2]:
            return self._error(401, 20003, "Authenticate")
        form = request.form.to_dict()
        hold = None
        with self._lock:
            failure = self._scripted_failure()
            if failure:
                self.requests.append((parts[3], failure[0]))
                return self._error(*failure, "Scripted failure")
        if request.method == "GET" and parts[3] == "Messages.json":
            return self._list_messages(request, parts[2])
        with self._lock:
            if form.get("To") in PERMANENT_NUMBERS:
                code, text = PERMANENT_NUMBERS[form["To"]]
                self.requests.append((parts[3], 400))
                return self._error(400, code, text)
            n = next(self._counter)
            if parts[3] == "Messages.json":
                record = {**form, "sid": f"SM{n:032x}", "date_created": utcnow()}
                self.messages.append(record)
                hold, self._hold = self._hold, None
            elif parts[3] == "Calls.json":
                record = {**form, "sid": f"CA{n:032x}"}
                self.calls.append(record)
            else:
                return self._error(404, 20404, "The requested resource was not found")
            self.requests.append((parts[3], 201))
        if hold is not None:
            self._holding.set()
            hold.wait(timeout=30)
        payload = {
            "sid": record["sid"],
            "account_sid": parts[2],
            "to": form.get("To"),
            "from": form.get("From"),
            "status": "queued",
            "api_version": "2010-04-01",
            "uri": f"{request.path[:-5]}/{record['sid']}.json",
        }
        if parts[3] == "Messages.json":
            payload.update(body=form.get("Body"), num_segments="1", direction="outbound-api")
        else:  # a call: what Twilio answers to POST …/Calls.json
            payload.update(direction="outbound-api", parent_call_sid=None, duration=None,
                           start_time=None, end_time=None, answered_by=None)  # fmt: skip
        return Response(json.dumps(payload), status=201, content_type="application/json")

    def _scripted_failure(self) -> tuple[int, int] | None:
        if self._failures:
            return self._failures.popleft()
        if time.monotonic() < self._failing_until:
            return self._failing_with
        return None

    def _list_messages(self, request: Request, account: str) -> Response:
        """GET …/Messages.json?To=…: newest first, one page, as Twilio lists them."""
        to = request.args.get("To")
        size = min(int(request.args.get("PageSize", "50")), 1000)
        with self._lock:
            found = [m for m in reversed(self.messages) if to is None or m["To"] == to][:size]
        uri = f"/2010-04-01/Accounts/{account}/Messages.json"
        page = {
            "messages": [self._resource(m, account) for m in found],
            "first_page_uri": uri, "next_page_uri": None, "previous_page_uri": None,
            "page": 0, "page_size": size, "start": 0, "end": max(len(found) - 1, 0), "uri": uri,
        }  # fmt: skip
        return Response(json.dumps(page), status=200, content_type="application/json")

    @staticmethod
    def _resource(message: dict, account: str) -> dict:
        return {
            "sid": message["sid"], "account_sid": account, "to": message.get("To"),
            "from": message.get("From"), "body": message.get("Body"), "status": "sent",
            "direction": "outbound-api", "num_segments": "1", "api_version": "2010-04-01",
            "date_created": format_datetime(message["date_created"], usegmt=True),
            "date_sent": format_datetime(message["date_created"], usegmt=True),
            "messaging_service_sid": message.get("MessagingServiceSid"),
        }  # fmt: skip

    def _delete_recording(self, request: Request, parts: list[str]) -> Response:
        """DELETE …/Recordings/{Sid}.json: 204, or 404 for a recording deleted before."""
        if request.authorization is None or request.authorization.username != parts[2]:
            return self._error(401, 20003, "Authenticate")
        sid = parts[4].removesuffix(".json")
        with self._lock:
            failure = self._scripted_failure()
            if failure:
                return self._error(*failure, "Scripted failure")
            if sid in self.deleted_recordings:
                return self._error(404, 20404, "The requested resource was not found")
            self.deleted_recordings.append(sid)
        return Response(status=204)

    @staticmethod
    def _error(status: int, code: int, message: str) -> Response:
        body = {
            "code": code,
            "message": message,
            "more_info": f"https://www.twilio.com/docs/errors/{code}",
            "status": status,
        }
        return Response(json.dumps(body), status=status, content_type="application/json")


def new_sid(prefix: str = "SM") -> str:
    return prefix + uuid.uuid4().hex
