"""Callback requests: the queue of residents waiting for a person to call, claim, resolve.

A platform that runs its own call list takes a request for a staff member (the same
conditional UPDATE as the staff page's Take, so two cannot both have it) and says how
it went. Every read shows names and numbers, so each one is in the audit log.
"""

import sqlalchemy as sa

from app.api import bp
from app.api.auth import token
from app.api.errors import conflict, invalid, not_found
from app.api.pagination import page_of
from app.api.schemas.common import local
from app.api.schemas.people import CallbackOut, CallbackPage, CallbackQuery, ClaimIn, ResolveIn
from app.api.spec import operation
from app.extensions import db
from app.models import CallbackRequest, StaffUser
from app.services import audit, callbacks, staff_accounts

TAG = "Callbacks"
ID = "<int:callback_id>"
SCOPES = ("read", "callbacks")


def callback_out(request: CallbackRequest) -> CallbackOut:
    person = request.person
    return CallbackOut(
        id=request.id, person_id=person.id, name=person.name, phone=person.phone,
        language=request.language, reason=request.reason, channel=request.channel,
        status=request.status, overdue=callbacks.is_overdue(request),
        recording_url=request.recording_url, note=request.note,
        claimed_by=request.claimed_by.email if request.claimed_by else None,
        claimed_at=local(request.claimed_at), outcome=request.outcome,
        attempts=request.attempts or 0, created_at=local(request.created_at),
        closed_at=local(request.closed_at),
    )  # fmt: skip


def _find(callback_id: int) -> CallbackRequest:
    found = callbacks.get(callback_id)
    if found is None:
        raise not_found("callback request")
    return found


def _staff(email: str | None) -> StaffUser:
    """Who acts: the staff account named, or the one who made the token."""
    user = staff_accounts.find_by_email(email) if email else token().created_by
    if user is None or not user.active:
        field = "staff_email"
        raise invalid(field, "no such active staff account" if email else
                      "this token has no maker: name the staff member")  # fmt: skip
    return user


def _claim(request: CallbackRequest, staff: StaffUser) -> None:
    if callbacks.is_holder(request, staff):
        return
    result = callbacks.claim(request.id, staff)
    if not result.won:
        db.session.rollback()
        if result.request.status == CallbackRequest.DONE:
            raise conflict("The request has been closed already.")
        holder = result.holder.email if result.holder else "someone else"
        raise conflict(f"The request is taken by {holder}.")
    audit.record(token(), "api.claim_callback", person=request.person_id, obj=request,
                 detail=f"for staff {staff.id}")  # fmt: skip


@bp.get("/callbacks")
@operation(*SCOPES, tag=TAG, ok={200: CallbackPage}, shared=True)
def list_callbacks(query: CallbackQuery):
    """List callback requests

    Longest wait first. `status=active` (the default) is the queue: open and taken.
    """
    select = sa.select(CallbackRequest).order_by(CallbackRequest.created_at, CallbackRequest.id)
    if query.status == "active":
        select = select.where(CallbackRequest.status.in_(callbacks.ACTIVE))
    else:
        select = select.where(CallbackRequest.status == query.status)
    page = page_of(select, query, callback_out)
    audit.record(token(), "api.list_callbacks", detail=f"{len(page['data'])} requests")
    db.session.commit()
    return CallbackPage(**page)


@bp.get(f"/callbacks/{ID}")
@operation(*SCOPES, tag=TAG, ok={200: CallbackOut}, errors=(404,), shared=True)
def get_callback(callback_id: int):
    """One callback request"""
    request = _find(callback_id)
    audit.record(token(), "api.view_callback", person=request.person_id, obj=request)
    db.session.commit()
    return callback_out(request)


@bp.post(f"/callbacks/{ID}/claim")
@operation("callbacks", tag=TAG, ok={200: CallbackOut}, errors=(404, 409), shared=True)
def claim_callback(callback_id: int, json: ClaimIn):
    """Take a request for a staff member

    Only one can have it: 409 names who has it already. Taking one you have is fine.
    """
    request = _find(callback_id)
    _claim(request, _staff(json.staff_email))
    db.session.commit()
    return callback_out(request)


@bp.post(f"/callbacks/{ID}/resolve")
@operation("callbacks", tag=TAG, ok={200: CallbackOut}, errors=(404, 409), shared=True)
def resolve_callback(callback_id: int, json: ResolveIn):
    """Say how the call went

    Takes the request first if it is open. `no_answer` with `send_text` texts the
    resident that we tried (in their language). `done` closes the request, and texts
    that waited while it was open are sent.
    """
    request = _find(callback_id)
    if request.status == CallbackRequest.DONE:
        raise conflict("The request has been closed already.")
    staff = _staff(json.staff_email)
    _claim(request, staff)
    callbacks.record_outcome(request, staff, json.outcome, json.note, done=json.done,
                             send_text=json.send_text)  # fmt: skip
    audit.record(token(), "api.callback_outcome", person=request.person_id, obj=request,
                 detail=json.outcome + (" done" if json.done else ""))  # fmt: skip
    db.session.commit()
    return callback_out(request)
