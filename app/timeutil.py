"""Time in one place: UTC in the database, the configured zone for people."""

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

from flask import current_app


def utcnow() -> datetime:
    """The current instant, timezone-aware in UTC."""
    return datetime.now(UTC)


def local_zone() -> ZoneInfo:
    """The service's local time zone (TIMEZONE, Europe/Oslo by default)."""
    return ZoneInfo(current_app.config["TIMEZONE"])
