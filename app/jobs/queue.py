"""The Redis connection and the RQ queues, one per kind of work."""

import threading

from flask import current_app
from redis import Redis
from rq import Queue

# Outbound messages get their own queue so a big reminder run never delays a reply.
SMS_QUEUE = "sms"
DEFAULT_QUEUE = "default"
QUEUES = (SMS_QUEUE, DEFAULT_QUEUE)
_made_once = threading.Lock()


def redis_connection() -> Redis:
    """The app's Redis client, made once per app. Short timeouts: webhooks must not hang."""
    ext = current_app.extensions
    if "samtale_redis" not in ext:
        # Under a lock: two threads of a fresh process making one each would leave one
        # client unreferenced, and its collection closes its pool's connections, which
        # the limiters may already be using.
        with _made_once:
            if "samtale_redis" not in ext:
                ext["samtale_redis"] = Redis.from_url(
                    current_app.config["REDIS_URL"], socket_connect_timeout=2, socket_timeout=5
                )
    return ext["samtale_redis"]


def get_queue(name: str = DEFAULT_QUEUE) -> Queue:
    return Queue(name, connection=redis_connection())
