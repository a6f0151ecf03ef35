"""Broadcasts: write one, send it, and count its messages by status.

Sending is done by the scheduler's broadcast job within a minute (in quiet hours, in
the morning), as from the staff pages. A token bound to an organisation may write only
to those signed up to its own activities.
"""

import sqlalchemy as sa

from app.api import bp
from app.api.auth import bound_organisation, check_organisation, token
from app.api.errors import conflict, invalid, not_found
from app.api.pagination import page_of
from app.api.schemas.broadcasts import BroadcastCreate, BroadcastOut, BroadcastPage, Progress
from app.api.schemas.common import PageQuery, local
from app.api.spec import operation
from app.extensions import db
from app.models import Broadcast
from app.services import audit
from app.services import broadcasts as service
from app.services.broadcasts import BroadcastError
from app.timeutil import utcnow

TAG = "Broadcasts"
ID = "<int:broadcast_id>"


def broadcast_out(broadcast: Broadcast) -> BroadcastOut:
    chosen = broadcast.audience_filter or {}
    progress = service.progress(broadcast)
    if broadcast.status != Broadcast.SENT:  # its messages are not written yet
        recipients = len(service.recipients(broadcast))
    else:
        recipients = progress["total"]
    return BroadcastOut(
        id=broadcast.id, audience=broadcast.audience, tags=list(chosen.get("tags") or []),
        area=chosen.get("area"), occurrence_id=chosen.get("occurrence_id"),
        waiting=bool(chosen.get("waiting")), body=broadcast.body,
        translations=dict(broadcast.translations or {}), status=broadcast.status,
        recipients=recipients, send_at=local(broadcast.send_at),
        sent_at=local(broadcast.sent_at), created_at=local(broadcast.created_at),
        progress=Progress(**{k: progress[k] for k in ("total", "done", "percent", "finished",
                                                       "counts")}),
    )  # fmt: skip


def _organisation_of(broadcast: Broadcast) -> int | None:
    occurrence = service.occurrence_of(broadcast)
    return occurrence.activity.organisation_id if occurrence else None


def _find(broadcast_id: int) -> Broadcast:
    found = db.session.get(Broadcast, broadcast_id)
    if found is None:
        raise not_found("broadcast")
    check_organisation(_organisation_of(found), "broadcast")
    return found


def _send(broadcast: Broadcast) -> None:
    if not service.request_send(broadcast, utcnow()):
        raise conflict("This broadcast has been sent already.")
    count = len(service.recipients(broadcast))
    audit.record(token(), "api.send_broadcast", obj=broadcast, detail=f"{count} recipients")


@bp.get("/broadcasts")
@operation("read", "broadcasts", tag=TAG, ok={200: BroadcastPage})
def list_broadcasts(query: PageQuery):
    """List broadcasts

    Newest first, each with its messages counted by status.
    """
    select = sa.select(Broadcast).order_by(Broadcast.id.desc())
    rows = None
    if (bound := bound_organisation()) is not None:
        mine = db.session.scalars(select.where(Broadcast.audience == Broadcast.ACTIVITY))
        rows = [b for b in mine if _organisation_of(b) == bound]
    return BroadcastPage(**page_of(select, query, broadcast_out, rows=rows))


@bp.get(f"/broadcasts/{ID}")
@operation("read", "broadcasts", tag=TAG, ok={200: BroadcastOut}, errors=(404,))
def get_broadcast(broadcast_id: int):
    """One broadcast and its status counts"""
    return broadcast_out(_find(broadcast_id))


@bp.post("/broadcasts")
@operation("broadcasts", tag=TAG, ok={201: BroadcastOut})
def create_broadcast(json: BroadcastCreate):
    """Write a broadcast (and send it)

    To active volunteers (with tags, in an area) or to those signed up to one date of an
    activity. Opted-out people, paused volunteers and cancelled sign-ups are left out.
    Without `send` it stays a draft, to be sent with the send operation.
    """
    bound = bound_organisation()
    if bound is not None and json.audience != Broadcast.ACTIVITY:
        raise invalid("audience", "a token for one organisation may only write to those "
                                  "signed up to its own activities")  # fmt: skip
    try:
        broadcast = service.create_draft(
            None, body=json.body, audience=json.audience, tags=json.tags, area=json.area,
            occurrence_id=json.occurrence_id, waiting=json.waiting,
        )  # fmt: skip
        if json.translations:
            service.update_draft(broadcast, json.body, json.translations)
    except BroadcastError as error:
        db.session.rollback()
        raise invalid(_field(error.msgid), str(error)) from None
    if bound is not None and _organisation_of(broadcast) != bound:
        db.session.rollback()
        raise invalid("occurrence_id", "no such activity date for this token")
    if json.send:
        _send(broadcast)
    db.session.commit()
    return broadcast_out(broadcast), 201


@bp.post(f"/broadcasts/{ID}/send")
@operation("broadcasts", tag=TAG, ok={200: BroadcastOut}, errors=(404, 409))
def send_broadcast(broadcast_id: int):
    """Send a draft

    Once only: 409 if it is sent (or sending) already.
    """
    broadcast = _find(broadcast_id)
    _send(broadcast)
    db.session.commit()
    return broadcast_out(broadcast)


def _field(msgid: str) -> str:
    if "activity" in msgid:
        return "occurrence_id"
    return "area" if "area" in msgid else "body"
