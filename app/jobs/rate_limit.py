"""The one outbound rate limit, shared by every worker through Redis.

A moving window of one second holding at most SMS_PER_SECOND sends: unlike a fixed
window it never lets a burst of twice the limit through at a window boundary.

A batch of sends may take its slots several at a time, one round trip to Redis for
many sends (`Slots`), but only when the limit is high enough that they are a small
share of a second's sends, and it uses them at once: see BULK_SHARE.
"""

import time
from collections.abc import Callable

from flask import current_app
from limits import RateLimitItemPerSecond
from limits.storage import RedisStorage
from limits.strategies import MovingWindowRateLimiter

from app.jobs.queue import redis_connection

# Never sleep longer than this at a time, so a freed slot is noticed soon.
MAX_NAP = 0.25
# At most 1/BULK_SHARE of a second's sends are taken in one round trip, so below
# 2 × BULK_SHARE per second every slot is taken on its own, exactly as before. The
# window counts a slot when it is taken, and its send follows: at once for a slot
# taken alone, within SLOTS_KEEP seconds for one taken with others (unused ones are
# then dropped, never carried). So a second's sends can pass SMS_PER_SECOND by at most
# the slots held unused when it began: one per worker before, now up to 1/BULK_SHARE
# of the limit per worker, and only where the limit is 200 a second or more.
BULK_SHARE = 100
SLOTS_KEEP = 0.1


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
    wait_for_slots(key, 1, timeout)


def wait_for_slots(
    key: str, wanted: int, timeout: float, idle: Callable[[], None] | None = None
) -> int:
    """Block until at least one send under `key` is allowed and return how many were
    taken: up to `wanted` when the limit allows (see BULK_SHARE), else one. Calls
    `idle` once if it has to wait, before it sleeps. Raises `RateLimitTimeout` after
    `timeout` s."""
    limiter = moving_window("limits")
    limit = int(current_app.config["SMS_PER_SECOND"])
    item = RateLimitItemPerSecond(limit)
    take = max(1, min(wanted, limit // BULK_SHARE))
    deadline = time.monotonic() + timeout
    while not limiter.hit(item, key, cost=take):
        if take > 1:
            take = 1  # fewer may be free, and a send needs one: no waiting for many
            continue
        now = time.monotonic()
        if now >= deadline:
            raise RateLimitTimeout(key)
        reset_at, _ = limiter.get_window_stats(item, key)
        # Sleep until the oldest send leaves the window, within bounds.
        nap = min(max(reset_at - time.time(), 0.01), MAX_NAP, deadline - now)
        if idle is not None:
            idle()
            idle = None
        time.sleep(nap)
    return take


class Slots:
    """The slots one batch of sends holds: taken several at a time, used one per send."""

    def __init__(self, key: str = "sms") -> None:
        self.key = key
        self._left = 0
        self._until = 0.0

    def take(self, wanted: int, timeout: float, idle: Callable[[], None] | None = None) -> None:
        """One slot for a send now: one in hand, or from the limiter (up to `wanted`, the
        sends still ahead; `idle` is called if it has to wait). Raises
        `RateLimitTimeout`, or RedisError if Redis is down."""
        if self._left and time.monotonic() < self._until:
            self._left -= 1
            return
        taken = wait_for_slots(self.key, wanted, timeout, idle)
        self._left, self._until = taken - 1, time.monotonic() + SLOTS_KEEP
