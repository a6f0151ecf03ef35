"""Requests for a person to call back, kept for staff with the caller's language."""

import sqlalchemy as sa

from app.extensions import db
from app.models import CallbackRequest, Person


def request_callback(
    person: Person, language: str, reason: str, channel: str = "sms", recording_url=None
) -> tuple[CallbackRequest, bool]:
    """Open a request unless one is already open. Returns (request, created)."""
    open_request = db.session.scalar(
        sa.select(CallbackRequest).where(
            CallbackRequest.person_id == person.id,
            CallbackRequest.status.in_([CallbackRequest.OPEN, CallbackRequest.CLAIMED]),
        )
    )
    if open_request:
        return open_request, False
    request = CallbackRequest(
        person_id=person.id,
        language=language,
        reason=reason,
        channel=channel,
        recording_url=recording_url,
    )
    db.session.add(request)
    db.session.flush()
    return request, True
