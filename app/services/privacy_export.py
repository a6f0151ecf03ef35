"""Everything we hold about one person, as plain JSON-ready data (a subject access request).

Times are ISO 8601 with their offset (UTC). What retention has already blanked shows as
null, so the copy says honestly that the row exists but its content is gone.
"""

from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.models import (
    AuditEntry,
    Call,
    CallbackRequest,
    Coordinator,
    Message,
    Person,
    SignUp,
    StaffCall,
    TaskOffer,
    Volunteer,
)
from app.timeutil import utcnow

FORMAT_VERSION = 1


def export_person(person: Person) -> dict:
    """The person's profile, sign-ups, volunteering, callbacks, messages, calls and who
    on the staff opened their data (when and what, not by whom)."""
    return {
        "format": FORMAT_VERSION,
        "exported_at": _iso(utcnow()),
        "person": {
            "id": person.id,
            "phone": None if person.deleted_at else person.phone,
            "name": person.name,
            "language": person.language,
            "opted_out": person.opted_out,
            "opted_out_at": _iso(person.opted_out_at),
            "created_at": _iso(person.created_at),
            "last_contact_at": _iso(person.last_contact_at),
            "deleted_at": _iso(person.deleted_at),
        },
        "signups": [_signup(s) for s in _rows(SignUp, SignUp.person_id, person, SignUp.id)],
        "volunteer": _volunteer(person),
        "coordinator": _coordinator(person),
        "task_offers": [
            _offer(o) for o in _rows(TaskOffer, TaskOffer.person_id, person, TaskOffer.id)
        ],
        "callback_requests": [
            _callback(r)
            for r in _rows(CallbackRequest, CallbackRequest.person_id, person, CallbackRequest.id)
        ],
        "messages": [_message(m) for m in _rows(Message, Message.person_id, person, Message.id)],
        "calls": [_call(c) for c in _rows(Call, Call.person_id, person, Call.id)],
        "staff_access": [
            {"at": _iso(e.created_at), "action": e.action}
            for e in _rows(AuditEntry, AuditEntry.person_id, person, AuditEntry.id)
        ],
    }


def _rows(model, column, person: Person, order) -> list:
    return list(db.session.scalars(sa.select(model).where(column == person.id).order_by(order)))


def _iso(moment: datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _signup(signup: SignUp) -> dict:
    occurrence = signup.occurrence
    return {
        "activity": occurrence.activity.title,
        "place": occurrence.activity.place,
        "starts_at": _iso(occurrence.starts_at),
        "status": signup.status,
        "signed_up_at": _iso(signup.created_at),
    }


def _volunteer(person: Person) -> dict | None:
    found = db.session.scalar(sa.select(Volunteer).where(Volunteer.person_id == person.id))
    if found is None:
        return None
    return {
        "status": found.status,
        "tags": list(found.tags or []),
        "area": found.area,
        "note": found.note,
        "paused_at": _iso(found.paused_at),
        "approved_at": _iso(found.approved_at),
        "created_at": _iso(found.created_at),
    }


def _coordinator(person: Person) -> dict | None:
    found = db.session.scalar(sa.select(Coordinator).where(Coordinator.person_id == person.id))
    if found is None:
        return None
    organisation = found.organisation.name if found.organisation else None
    return {"organisation": organisation, "active": found.active,
            "created_at": _iso(found.created_at)}  # fmt: skip


def _offer(offer: TaskOffer) -> dict:
    task = offer.task
    return {
        "task": {"title": task.title, "starts_at": _iso(task.starts_at), "place": task.place},
        "status": offer.status,
        "asked_at": _iso(offer.asked_at),
        "answered_at": _iso(offer.answered_at),
    }


def _callback(request: CallbackRequest) -> dict:
    calls = db.session.scalars(
        sa.select(StaffCall).where(StaffCall.request_id == request.id).order_by(StaffCall.id)
    )
    return {
        "created_at": _iso(request.created_at),
        "language": request.language,
        "reason": request.reason,
        "channel": request.channel,
        "status": request.status,
        "outcome": request.outcome,
        "note": request.note,
        "recording_url": request.recording_url,
        "closed_at": _iso(request.closed_at),
        "calls_from_staff": [
            {"at": _iso(c.created_at), "status": c.status, "duration_seconds": c.duration_seconds}
            for c in calls
        ],
    }


def _message(message: Message) -> dict:
    return {
        "direction": message.direction,
        "kind": message.kind,
        "body": message.body,
        "status": message.status,
        "created_at": _iso(message.created_at),
        "sent_at": _iso(message.sent_at),
    }


def _call(call: Call) -> dict:
    return {
        "started_at": _iso(call.started_at),
        "ended_at": _iso(call.ended_at),
        "status": call.status,
        "duration_seconds": call.duration_seconds,
    }


def holdings(person: Person) -> dict[str, int]:
    """How much we hold, per kind, for the staff page (the export has the rows)."""

    def count(model, *where) -> int:
        query = sa.select(sa.func.count()).select_from(model).where(*where)
        return db.session.scalar(query)

    return {
        "messages": count(Message, Message.person_id == person.id),
        "message_bodies": count(Message, Message.person_id == person.id, Message.body.is_not(None)),
        "signups": count(SignUp, SignUp.person_id == person.id),
        "task_offers": count(TaskOffer, TaskOffer.person_id == person.id),
        "callback_requests": count(CallbackRequest, CallbackRequest.person_id == person.id),
        "recordings": count(
            CallbackRequest,
            CallbackRequest.person_id == person.id,
            CallbackRequest.recording_url.is_not(None),
        ),
        "calls": count(Call, Call.person_id == person.id),
        "volunteer": count(Volunteer, Volunteer.person_id == person.id),
    }
