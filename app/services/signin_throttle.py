"""Sign-in throttling: after too many failures for one email or one address, wait.

Counts live in Redis (a moving window, the same `limits` library as the send rate), so
every web process sees them. If Redis cannot be reached, sign-in is allowed: locking
every staff member out because of a Redis outage would be worse than a guessing window.
"""

import logging

from flask import current_app
from limits import RateLimitItemPerMinute
from limits.strategies import MovingWindowRateLimiter
from redis.exceptions import RedisError

from app.jobs.rate_limit import moving_window

log = logging.getLogger(__name__)


def _limiter() -> MovingWindowRateLimiter:
    return moving_window("signin")


def _item() -> RateLimitItemPerMinute:
    config = current_app.config
    return RateLimitItemPerMinute(config["SIGNIN_MAX_FAILURES"], config["SIGNIN_WINDOW_MINUTES"])


def _keys(email: str, address: str | None) -> list[str]:
    return [f"email:{email.strip().lower()}", f"ip:{address or 'unknown'}"]


def is_locked(email: str, address: str | None) -> bool:
    """True when this email or this address has used up its failures for now."""
    try:
        limiter, item = _limiter(), _item()
        return any(not limiter.test(item, key) for key in _keys(email, address))
    except (RedisError, OSError) as error:
        log.warning("sign-in throttle unavailable (%s): allowing", type(error).__name__)
        return False


def record_failure(email: str, address: str | None) -> None:
    """Count one failed sign-in against both the email and the address."""
    try:
        limiter, item = _limiter(), _item()
        for key in _keys(email, address):
            limiter.hit(item, key)
    except (RedisError, OSError) as error:
        log.warning("sign-in throttle unavailable (%s): not counted", type(error).__name__)


def clear(email: str) -> None:
    """Forget an email's failures after a successful sign-in (the address keeps its own)."""
    try:
        _limiter().clear(_item(), _keys(email, None)[0])
    except (RedisError, OSError):
        pass
