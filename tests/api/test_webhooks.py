"""Webhooks out: events become signed POSTs to a real loopback server, retried, recorded."""

import hashlib
import hmac
import json
import threading
import time
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
import sqlalchemy as sa

from app.api.schemas.events import EVENT_MODELS, WebhookEnvelope
from app.extensions import db
from app.jobs.webhooks import sweep_deliveries
from app.models import WebhookDelivery
from app.services import api_tokens, callbacks, events, people, signups, tasks
from app.timeutil import utcnow
from tests import factories
from tests.task_helpers import ask


class Receiver:
    """A webhook receiver on loopback: answers with the next status of `answers` (the
    last one repeats), records every request, and can be slow."""

    def __init__(self):
        self.requests: list[dict] = []
        self.answers = [200]
        self.delay = 0.0
        receiver = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):  # noqa: N802 - http.server's name
                body = self.rfile.read(int(self.headers["Content-Length"]))
                receiver.requests.append({"headers": dict(self.headers), "body": body})
                if receiver.delay:
                    time.sleep(receiver.delay)
                status = (
                    receiver.answers.pop(0) if len(receiver.answers) > 1 else receiver.answers[0]
                )
                self.send_response(status)
                self.send_header("Content-Length", "2")
                self.end_headers()
                self.wfile.write(b"ok")

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/hooks/samtale"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    def stop(self):
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()


@pytest.fixture
def receiver(app):
    app.config.update(WEBHOOK_ALLOW_PRIVATE_URLS=True, WEBHOOK_RETRY_INTERVALS=(0, 0),
                      WEBHOOK_TIMEOUT=1, QUIET_HOURS="0-0")  # fmt: skip
    found = Receiver()
    yield found
    found.stop()


def _subscribe(url: str, events=("signup.created",), scopes=("read",), organisation=None):
    made = api_tokens.create("Kommunens kalender", list(scopes), organisation=organisation,
                             webhook_url=url, webhook_events=list(events))  # fmt: skip
    db.session.commit()
    return made.token


def _sign_up(phone: str = "+4791234567", occurrence=None):
    occurrence = occurrence or factories.occurrence(capacity=5)
    result = signups.join(people.find_or_create(phone), occurrence, utcnow())
    db.session.commit()
    return result.signup


def _verify(secret: str, headers: dict, body: bytes) -> bool:
    """What a receiver does (the README shows the same)."""
    parts = dict(p.split("=", 1) for p in headers["X-Samtale-Signature"].split(","))
    signed = f"{parts['t']}.".encode() + body
    expected = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    fresh = abs(time.time() - int(parts["t"])) < 300
    return fresh and hmac.compare_digest(expected, parts["v1"])


def test_a_sign_up_is_posted_signed_with_ids_only(ctx, receiver, run_jobs):
    token = _subscribe(receiver.url)
    signup = _sign_up()
    run_jobs()
    [request] = receiver.requests
    headers, body = request["headers"], request["body"]
    assert headers["X-Samtale-Event"] == "signup.created"
    assert headers["Content-Type"] == "application/json"
    assert _verify(token.webhook_secret, headers, body)
    assert not _verify("whsec_wrong", headers, body)
    envelope = WebhookEnvelope.model_validate_json(body)
    assert headers["X-Samtale-Delivery"] == str(envelope.id)
    data = EVENT_MODELS["signup.created"].model_validate(envelope.data)
    assert (data.signup_id, data.status, data.booked) == (signup.id, "confirmed", 1)
    assert b"4791234567" not in body and b"name" not in body
    db.session.expire_all()
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert (delivery.status, delivery.attempts, delivery.last_status_code) == ("delivered", 1, 200)


def test_5xx_is_retried_and_then_delivered(ctx, receiver, run_jobs):
    _subscribe(receiver.url)
    receiver.answers = [503, 200]
    _sign_up()
    run_jobs()
    assert len(receiver.requests) == 2
    first, second = (r["headers"]["X-Samtale-Delivery"] for r in receiver.requests)
    assert first == second  # the same delivery id on the retry
    db.session.expire_all()
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert (delivery.status, delivery.attempts) == ("delivered", 2)


def test_it_gives_up_after_the_last_retry_and_says_so(ctx, receiver, run_jobs):
    _subscribe(receiver.url)
    receiver.answers = [500]
    _sign_up()
    run_jobs()
    assert len(receiver.requests) == 3  # the try and two retries
    db.session.expire_all()
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert delivery.status == "failed" and delivery.attempts == 3
    assert delivery.last_error == "gave up: HTTP 500" and delivery.finished_at


def test_a_timeout_is_retried(ctx, receiver, run_jobs, app):
    app.config["WEBHOOK_RETRY_INTERVALS"] = (0,)
    _subscribe(receiver.url)
    receiver.delay = 1.5
    _sign_up()
    run_jobs()
    assert len(receiver.requests) == 2
    db.session.expire_all()
    assert db.session.scalar(sa.select(WebhookDelivery.last_error)) == "gave up: timeout"


def test_a_4xx_is_final_at_once(ctx, receiver, run_jobs):
    _subscribe(receiver.url)
    receiver.answers = [410]
    _sign_up()
    run_jobs()
    assert len(receiver.requests) == 1
    db.session.expire_all()
    delivery = db.session.scalar(sa.select(WebhookDelivery))
    assert (delivery.status, delivery.last_status_code) == ("failed", 410)


def test_addresses_inside_the_network_are_refused_unless_allowed(ctx, receiver, run_jobs, app):
    _subscribe(receiver.url)
    app.config["WEBHOOK_ALLOW_PRIVATE_URLS"] = False
    _sign_up()
    run_jobs()
    assert receiver.requests == []
    db.session.expire_all()
    assert db.session.scalar(sa.select(WebhookDelivery.last_error)) == "address not allowed"
    with pytest.raises(api_tokens.TokenError):
        _subscribe(receiver.url)
    with pytest.raises(api_tokens.TokenError):
        _subscribe("http://example.org/hook")  # not https


def test_nothing_is_sent_for_a_revoked_token_or_without_subscribers(ctx, receiver, run_jobs):
    assert events.emit("signup.created", {"x": 1}) == 0
    token = _subscribe(receiver.url)
    _sign_up()
    api_tokens.revoke(token)
    db.session.commit()
    run_jobs()
    assert receiver.requests == []
    db.session.expire_all()
    assert db.session.scalar(sa.select(WebhookDelivery.status)) == "failed"


def test_a_rolled_back_sign_up_announces_nothing(ctx, receiver, run_jobs):
    _subscribe(receiver.url)
    occurrence = factories.occurrence()
    signups.join(people.find_or_create("+4791234567"), occurrence, utcnow())
    db.session.rollback()
    run_jobs()
    assert receiver.requests == []
    assert db.session.scalar(sa.select(sa.func.count()).select_from(WebhookDelivery)) == 0


def test_an_organisation_token_hears_only_its_own_sign_ups(ctx, receiver, run_jobs):
    from app.models import Organisation

    library = Organisation(name="Biblioteket")
    db.session.add(library)
    _subscribe(receiver.url, organisation=library)
    _sign_up()  # an activity of Fjordvik frivilligsentral
    run_jobs()
    assert receiver.requests == []


def test_task_filled_and_callback_requested(ctx, receiver, run_jobs):
    _subscribe(receiver.url, events=("task.filled", "callback.requested"),
               scopes=("tasks", "callbacks"))  # fmt: skip
    volunteer = factories.volunteer("+4791234501", "Anne")
    task = factories.task(tags=["driver"], description="Skyss.")
    ask(task, [volunteer])
    tasks.accept(volunteer.person, task.code, utcnow())
    db.session.commit()
    request, _ = callbacks.request_callback(people.find_or_create("+4791234567"), "nb", "asked")
    db.session.commit()
    run_jobs()
    bodies = {r["headers"]["X-Samtale-Event"]: json.loads(r["body"]) for r in receiver.requests}
    assert set(bodies) == {"task.filled", "callback.requested"}
    filled = EVENT_MODELS["task.filled"].model_validate(bodies["task.filled"]["data"])
    assert (filled.task_id, filled.accepted, filled.needed) == (task.id, 1, 1)
    asked = EVENT_MODELS["callback.requested"].model_validate(bodies["callback.requested"]["data"])
    assert (asked.callback_id, asked.channel) == (request.id, "sms")


def test_the_sweep_enqueues_deliveries_whose_job_was_lost(ctx, receiver, run_jobs):
    token = _subscribe(receiver.url)
    lost = WebhookDelivery(token_id=token.id, event="signup.created", payload={"signup_id": 1},
                           created_at=utcnow() - timedelta(minutes=10))  # fmt: skip
    db.session.add(lost)
    db.session.commit()  # no events.emit: as if Redis had been down at the commit
    assert sweep_deliveries() == 1
    run_jobs()
    assert len(receiver.requests) == 1
    db.session.commit()  # a new transaction sees what the job did
    assert sweep_deliveries() == 0


def test_a_signup_by_sms_reaches_the_webhook(ctx, receiver, run_jobs, sms):
    _subscribe(receiver.url)
    occurrence = factories.occurrence()
    sms("NORSK")
    sms(f"MELD {occurrence.code}")
    run_jobs()
    events_seen = [r["headers"]["X-Samtale-Event"] for r in receiver.requests]
    assert events_seen == ["signup.created"]


def test_the_scheduler_sweeps_lost_deliveries():
    from app.jobs.cron import PERIODIC

    assert any(job is sweep_deliveries for job, _ in PERIODIC)
