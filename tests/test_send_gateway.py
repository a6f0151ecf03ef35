"""The Twilio gateway's HTTP client: one connection kept for many sends, and the
environment's proxy settings read once per host instead of on every request."""

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import requests.sessions

from app.jobs import gateway
from tests.conftest import PUBLIC_BASE_URL

CALLBACK = PUBLIC_BASE_URL + "/twilio/status"
PHONES = ["+4791000001", "+4791000002", "+4791000003"]


class KeepAliveTwilio(ThreadingHTTPServer):
    """Just enough of Twilio's create-message answer, over HTTP/1.1 keep-alive (the
    tests' fake server closes every connection), counting the connections it gets."""

    daemon_threads = True

    def __init__(self) -> None:
        self.connections = 0
        self.messages: list[str] = []
        super().__init__(("127.0.0.1", 0), _Handler)
        self.url = f"http://127.0.0.1:{self.server_address[1]}"


class _Handler(BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"

    def setup(self) -> None:
        super().setup()
        self.server.connections += 1

    def do_POST(self) -> None:  # noqa: N802 - http.server's name
        self.rfile.read(int(self.headers["Content-Length"]))
        self.server.messages.append(self.path)
        sid = f"SM{len(self.server.messages):032x}"
        body = json.dumps({"sid": sid, "status": "queued"}).encode()
        self.send_response(201)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, *args) -> None:
        pass


@pytest.fixture
def keep_alive_twilio(app):
    server = KeepAliveTwilio()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    app.config["TWILIO_API_URL"] = server.url
    yield server
    server.shutdown()
    server.server_close()


def test_sends_share_one_connection(ctx, keep_alive_twilio):
    sids = [gateway.send_sms(phone, "Hei", CALLBACK) for phone in PHONES]
    assert len(set(sids)) == 3 and len(keep_alive_twilio.messages) == 3
    assert keep_alive_twilio.connections == 1
    assert gateway.twilio_client() is gateway.twilio_client()


def test_the_environment_is_read_once_per_host(ctx, fake_twilio, monkeypatch):
    looked_up = []
    real = requests.sessions.get_environ_proxies

    def counted(url, no_proxy=None):
        looked_up.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.sessions, "get_environ_proxies", counted)
    for phone in PHONES:
        gateway.send_sms(phone, "Hei", CALLBACK)
    assert len(looked_up) == 1
    assert sorted(m["To"] for m in fake_twilio.messages) == PHONES


def test_a_proxy_set_in_the_environment_is_still_used(ctx, fake_twilio, monkeypatch):
    for name in ("NO_PROXY", "no_proxy", "ALL_PROXY", "all_proxy"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setenv("HTTP_PROXY", "http://127.0.0.1:9")  # nothing listens there
    monkeypatch.setenv("http_proxy", "http://127.0.0.1:9")
    with pytest.raises(gateway.SendError):
        gateway.send_sms(PHONES[0], "Hei", CALLBACK)
    assert fake_twilio.messages == []
