"""RQ job: POST one webhook delivery to its token's address, signed, retried, recorded.

The body is JSON: `{"id", "event", "created_at", "data"}`. Headers:

- `X-Samtale-Event`: the event's name (`signup.created` …)
- `X-Samtale-Delivery`: the delivery's id; the same on every retry, so receivers can
  ignore a delivery they already have
- `X-Samtale-Signature`: `t=<unix time>,v1=<hex HMAC-SHA256 of "<t>.<body>" with the
  token's webhook secret>`; receivers recompute it and refuse old `t` (replays)

A timeout, a connection error, 429 or 5xx raise, so RQ retries the job after
WEBHOOK_RETRY_INTERVALS; the last try that fails marks the delivery "failed" (given
up). Any other answer is final: 2xx "delivered", the rest "failed" at once (a 4xx will
not get better by itself). Redirects are not followed. Addresses inside the service's
network are refused unless WEBHOOK_ALLOW_PRIVATE_URLS is set, checked again at each try.
"""

import hashlib
import hmac
import json
import logging
import time
import urllib.error
import urllib.request
from datetime import timedelta

import sqlalchemy as sa
from flask import current_app
from rq import get_current_job

from app.extensions import db
from app.models import WebhookDelivery
from app.services.events import enqueue_delivery
from app.services.url_fetch import FetchError, check_url
from app.timeutil import utcnow

log = logging.getLogger(__name__)
USER_AGENT = "Samtale webhooks"


class WebhookRetry(Exception):
    """Raised so that RQ tries the delivery again later; the attempt is recorded."""


class _NoRedirects(urllib.request.HTTPRedirectHandler):
    def redirect_request(self, req, fp, code, msg, headers, newurl):
        return None


def signature(secret: str, timestamp: int, body: bytes) -> str:
    """The X-Samtale-Signature header for `body` sent at `timestamp`."""
    signed = f"{timestamp}.".encode() + body
    digest = hmac.new(secret.encode(), signed, hashlib.sha256).hexdigest()
    return f"t={timestamp},v1={digest}"


def body_of(delivery: WebhookDelivery) -> bytes:
    """What is POSTed for a delivery."""
    document = {
        "id": delivery.id,
        "event": delivery.event,
        "created_at": delivery.created_at.isoformat(),
        "data": delivery.payload,
    }
    return json.dumps(document, separators=(",", ":"), ensure_ascii=False).encode()


def deliver(delivery_id: int) -> str:
    """Try to deliver once; returns what happened, or raises WebhookRetry to be retried."""
    delivery = db.session.get(WebhookDelivery, delivery_id)
    if delivery is None or delivery.status != WebhookDelivery.PENDING:
        return "nothing to do"
    token = delivery.token
    if token.revoked_at is not None or not token.webhook_url or not token.webhook_secret:
        return _finish(delivery, WebhookDelivery.FAILED, error="token revoked or webhook removed")
    url = token.webhook_url
    try:
        check_url(url, current_app.config["WEBHOOK_ALLOW_PRIVATE_URLS"])
    except FetchError:
        return _finish(delivery, WebhookDelivery.FAILED, error="address not allowed")
    body = body_of(delivery)
    request = urllib.request.Request(url, data=body, method="POST", headers={
        "Content-Type": "application/json",
        "User-Agent": USER_AGENT,
        "X-Samtale-Event": delivery.event,
        "X-Samtale-Delivery": str(delivery.id),
        "X-Samtale-Signature": signature(token.webhook_secret, int(time.time()), body),
    })  # fmt: skip
    delivery.attempts += 1
    status, error = _post(request)
    delivery.last_status_code = status
    if status is not None and 200 <= status < 300:
        return _finish(delivery, WebhookDelivery.DELIVERED)
    if status is None or status == 429 or status >= 500:
        if _retries_left():
            delivery.last_error = error
            db.session.commit()
            log.info("webhooks: delivery %s try %s failed (%s)", delivery.id, delivery.attempts,
                     error)  # fmt: skip
            raise WebhookRetry(f"delivery {delivery.id}: {error}")
        return _finish(delivery, WebhookDelivery.FAILED, error=f"gave up: {error}")
    return _finish(delivery, WebhookDelivery.FAILED, error=error)


def _post(request: urllib.request.Request) -> tuple[int | None, str | None]:
    """(HTTP status, or None when there was none; a short reason when it failed)."""
    opener = urllib.request.build_opener(_NoRedirects)
    try:
        with opener.open(request, timeout=current_app.config["WEBHOOK_TIMEOUT"]) as response:
            response.read(1024)  # the answer is not used; read a little so it can close
            return response.status, None
    except urllib.error.HTTPError as answer:
        return answer.code, f"HTTP {answer.code}"
    except TimeoutError:
        return None, "timeout"
    except urllib.error.URLError as failure:
        reason = failure.reason
        return None, "timeout" if isinstance(reason, TimeoutError) else type(reason).__name__
    except OSError as failure:
        return None, type(failure).__name__


def _retries_left() -> bool:
    job = get_current_job()
    return bool(job is not None and job.retries_left)


def _finish(delivery: WebhookDelivery, status: str, error: str | None = None) -> str:
    delivery.status, delivery.last_error = status, (error or None) and error[:200]
    delivery.finished_at = utcnow()
    db.session.commit()
    log.info("webhooks: delivery %s %s after %s tries", delivery.id, status, delivery.attempts)
    return status


def sweep_deliveries(now=None, older_than: int = 300) -> int:
    """Enqueue again deliveries never tried `older_than` seconds after they were made (Redis
    was down when their transaction committed). Returns how many. Safe to repeat: a job
    finds a delivery that is no longer pending and does nothing."""
    now = now or utcnow()
    lost = db.session.scalars(
        sa.select(WebhookDelivery.id)
        .where(
            WebhookDelivery.status == WebhookDelivery.PENDING,
            WebhookDelivery.attempts == 0,
            WebhookDelivery.created_at < now - timedelta(seconds=older_than),
        )
        .order_by(WebhookDelivery.id)
        .limit(500)
    ).all()
    for delivery_id in lost:
        enqueue_delivery(delivery_id)
    return len(lost)
