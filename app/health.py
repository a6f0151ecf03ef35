"""`GET /healthz`: is the database reachable, is Redis? Each part reported on its own."""

import sqlalchemy as sa
from flask import Blueprint, jsonify
from redis.exceptions import RedisError

from app.extensions import db
from app.jobs.queue import redis_connection

bp = Blueprint("health", __name__)


@bp.get("/healthz")
def healthz():
    parts = {}
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
    healthy = all(v == "ok" for v in parts.values())
    return jsonify(status="ok" if healthy else "degraded", **parts), 200 if healthy else 503
