"""The one outbound rate limit, shared by every worker through Redis.

A moving window of one second holding at most SMS_PER_SECOND sends: unlike a fixed
window it never lets a burst of twice the limit through at a window boundary.
"""

import time

from flask import current_app
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from app.jobs.queue import redis_connection

# Never sleep longer than this at a time, so a freed slot is noticed soon.
MAX_NAP = 0.25


class RateLimitTimeout(Exception):
    """No slot came free in time; nothing was sent, so the caller may retry later."""


def moving_window(name: str) -> MovingWindowRateLimiter:
    """The app's moving-window limiter for `name` ("limits" for sends, "signin" …), made
    once per process on the app's Redis pool rather than a second set of sockets."""
    ext = current_app.extensions.setdefault("samtale_limiters", {})
    if name not in ext:
        storage = RedisStorage(
            current_app.config["REDIS_URL"],
            connection_pool=redis_connection().connection_pool,
            key_prefix=f"samtale:{name}",
        )
        ext[name] = MovingWindowRateLimiter(storage)
    return ext[name]


def wait_for_slot(key: str = "sms", timeout: float = 60.0) -> None:
    """Block until one send under `key` is allowed; raise `RateLimitTimeout` after `timeout` s."""
    limiter = moving_window("limits")
    item = RateLimitItemPerSecond(int(current_app.config["SMS_PER_SECOND"]))
    deadline = time.monotonic() + timeout
    while not limiter.hit(item, key):
        now = time.monotonic()
        if now >= deadline:
            raise RateLimitTimeout(key)
        reset_at, _ = limiter.get_window_stats(item, key)
        # Sleep until the oldest send leaves the window, within bounds.
        nap = min(max(reset_at - time.time(), 0.01), MAX_NAP, deadline - now)
        time.sleep(nap)
