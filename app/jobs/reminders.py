"""Scheduled jobs for sign-ups: reminders the day before, occurrences kept up to date.

The database, not the queue, decides what is due, so a lost Redis or a late worker
delays a reminder but never sends it twice: each is keyed "reminder:<sign-up id>".
"""

import logging
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app

from app.conversation.notices import send_signup_notice
from app.extensions import db
from app.models import Activity, Occurrence, SignUp
from app.services import activity_translations
from app.services.activities import ensure_occurrences
from app.timeutil import local_zone, utcnow

log = logging.getLogger(__name__)
# No reminders late in the evening or at night; a missed evening is not made up at dawn.
QUIET_FROM = time(21, 0)


def send_due_reminders(now: datetime | None = None) -> int:
    """Queue tomorrow's reminders once the local reminder hour has come. Returns how many."""
    now = now or utcnow()
    zone = local_zone()
    local_now = now.astimezone(zone)
    send_from = local_now.replace(
        hour=current_app.config["REMINDER_HOUR"], minute=0, second=0, microsecond=0
    )
    if not send_from <= local_now < local_now.replace(
        hour=QUIET_FROM.hour, minute=QUIET_FROM.minute, second=0, microsecond=0
    ):
        return 0
    tomorrow = local_now.date() + timedelta(days=1)
    start = datetime.combine(tomorrow, time.min, zone)
    end = start + timedelta(days=1)
    due = db.session.scalars(
        sa.select(SignUp)
        .join(SignUp.occurrence)
        .join(Occurrence.activity)
        .where(
            SignUp.status == SignUp.CONFIRMED,
            Occurrence.starts_at >= start,
            Occurrence.starts_at < end,
            ~Occurrence.cancelled,
            ~Activity.cancelled,
            # Someone who signed up after the reminder hour has just had the details.
            SignUp.created_at < send_from,
        )
    ).all()
    # Titles in each person's language: every activity's translations in one query.
    activity_translations.preload({signup.occurrence.activity for signup in due})
    for signup in due:
        send_signup_notice("reminder", signup, dedup_key=f"reminder:{signup.id}")
    db.session.commit()
    log.info("reminders: %d due for %s", len(due), tomorrow.isoformat())
    return len(due)


def refresh_occurrences() -> int:
    """Keep weekly series materialised ahead and free the codes of past occurrences."""
    created = ensure_occurrences()
    db.session.commit()
    return created
