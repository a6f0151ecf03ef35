"""`GET /healthz`: how each part of the service is, for monitoring.

- `database`: reachable or not. Without it nothing works: the answer is then 503.
- `redis`: reachable or not. Without it the webhooks still answer from the database and
  outbound texts wait in the outbox, so the service is "degraded", not down (200): a
  load balancer must keep sending Twilio's webhooks here.
- `outbox`: "delayed" when a text has waited longer than OUTBOX_DELAYED_AFTER seconds
  for a worker (workers stopped, Redis down, Twilio refusing): also "degraded".

`status` is "ok", "degraded" or "down"; `outbox_oldest_seconds` says how long the
oldest waiting text has waited.
"""

import sqlalchemy as sa
from flask import Blueprint, current_app, jsonify
from redis.exceptions import RedisError

from app.extensions import db
from app.jobs.queue import redis_connection
from app.models import Message
from app.timeutil import utcnow

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    parts: dict[str, object] = {}
    try:
        db.session.execute(sa.text("SELECT 1"))
        parts["database"] = "ok"
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        parts["database"] = "down"
    try:
        redis_connection().ping()
        parts["redis"] = "ok"
    except (RedisError, OSError):
        parts["redis"] = "down"
    if parts["database"] == "ok":
        parts.update(_outbox())
    if parts["database"] == "down":
        status = "down"
    elif parts["redis"] == "down" or parts.get("outbox") == "delayed":
        status = "degraded"
    else:
        status = "ok"
    return jsonify(status=status, **parts), 503 if status == "down" else 200


def _outbox() -> dict[str, object]:
    """How long the oldest text waiting for a worker has waited (a retry due later and
    texts held for a callback are not waiting for a worker)."""
    now = utcnow()
    try:
        oldest = db.session.scalar(
            sa.select(sa.func.min(Message.created_at)).where(
                Message.status == "queued",
                Message.direction == Message.OUT,
                sa.or_(Message.lease_until.is_(None), Message.lease_until < now),
            )
        )
    except sa.exc.SQLAlchemyError:
        db.session.rollback()
        return {"outbox": "unknown"}
    if oldest is None:
        return {"outbox": "ok", "outbox_oldest_seconds": 0}
    waited = max(int((now - oldest).total_seconds()), 0)
    delayed = waited > current_app.config["OUTBOX_DELAYED_AFTER"]
    return {"outbox": "delayed" if delayed else "ok", "outbox_oldest_seconds": waited}
