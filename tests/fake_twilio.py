"""A fake Twilio REST server on loopback, reached through the real twilio package.

It accepts the two calls the service makes (create a message, create a call), keeps
what it was sent, and answers like Twilio does, including the magic test numbers
(+15005550004 unsubscribed, +15005550001 invalid, +15005550009 not a mobile) and
scripted failures (429, 500) for retry tests.
"""

import itertools
import threading
import uuid
from collections import deque

from flask import json
from werkzeug.serving import make_server
from werkzeug.wrappers import Request, Response

PERMANENT_NUMBERS = {
    "+15005550004": (21610, "Attempt to send to unsubscribed recipient"),
    "+15005550001": (21211, "Invalid 'To' Phone Number"),
    "+15005550009": (21614, "'To' number is not a valid mobile number"),
}


class FakeTwilio:
    def __init__(self) -> None:
        self.messages: list[dict] = []
        self.calls: list[dict] = []
        self._failures: deque[tuple[int, int]] = deque()
        self._lock = threading.Lock()
        self._counter = itertools.count(1)
        self._server = make_server("127.0.0.1", 0, self._app, threaded=True)
        self.url = f"http://127.0.0.1:{self._server.server_port}"
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)

    def start(self) -> "FakeTwilio":
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()

    def reset(self) -> None:
        with self._lock:
            self.messages.clear()
            self.calls.clear()
            self._failures.clear()

    def fail_next(self, count: int, status: int = 500, code: int = 20500) -> None:
        """Answer the next `count` requests with this HTTP status (429 and 5xx are transient)."""
        with self._lock:
            self._failures.extend([(status, code)] * count)

    def bodies_to(self, phone: str) -> list[str]:
        return [m["Body"] for m in self.messages if m["To"] == phone]

    def calls_to(self, phone: str) -> list[dict]:
        """The calls placed to this number: To, From, Url, StatusCallback … and the sid."""
        return [c for c in self.calls if c["To"] == phone]

    @Request.application
    def _app(self, request: Request) -> Response:
        parts = request.path.strip("/").split("/")
        # /2010-04-01/Accounts/{AccountSid}/Messages.json or /Calls.json
        if len(parts) != 4 or parts[0] != "2010-04-01" or parts[1] != "Accounts":
            return self._error(404, 20404, "The requested resource was not found")
        if request.authorization is None or request.authorization.username != parts[2]:
            return self._error(401, 20003, "Authenticate")
        form = request.form.to_dict()
        with self._lock:
            if self._failures:
                status, code = self._failures.popleft()
                return self._error(status, code, "Scripted failure")
            if form.get("To") in PERMANENT_NUMBERS:
                code, text = PERMANENT_NUMBERS[form["To"]]
                return self._error(400, code, text)
            n = next(self._counter)
            if parts[3] == "Messages.json":
                record = {**form, "sid": f"SM{n:032x}"}
                self.messages.append(record)
            elif parts[3] == "Calls.json":
                record = {**form, "sid": f"CA{n:032x}"}
                self.calls.append(record)
            else:
                return self._error(404, 20404, "The requested resource was not found")
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
