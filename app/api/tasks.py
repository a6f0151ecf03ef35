"""Volunteer tasks: create, choose whom to ask (a wave), send, follow the answers.

Choosing stays with the coordinator's platform: nothing is sent to anyone not put on
a wave. A wave that is due is sent by the scheduler within a minute (in quiet hours,
in the morning), exactly as from the staff pages.
"""

import sqlalchemy as sa

from app.api import bp
from app.api.auth import bound_organisation, check_organisation, token
from app.api.errors import ApiError, invalid, not_found
from app.api.pagination import page_of
from app.api.schemas.common import PageQuery, local
from app.api.schemas.tasks import (
    CandidateOut,
    CandidatePage,
    OfferOut,
    OfferPage,
    Refused,
    TaskCreate,
    TaskDetail,
    TaskOut,
    TaskPage,
    TaskQuery,
    WaveIn,
    WaveOut,
    WaveResult,
)
from app.api.spec import operation
from app.extensions import db
from app.models import Coordinator, Task, Volunteer
from app.services import audit, task_lifecycle, task_overview, task_planning, volunteers
from app.services.task_planning import TaskError
from app.timeutil import utcnow

TAG = "Tasks"
ID = "<int:task_id>"
SCOPES = ("read", "tasks")
TIMES = ("starts_at", "expires_at", "created_at", "filled_at", "closed_at")
PLAIN = ("id", "code", "title", "description", "place", "area", "contact", "needed", "accepted",
         "required_tags", "required_language", "status", "notify_unanswered", "wave_interval",
         "coordinator_id")  # fmt: skip


def task_out(task: Task, model=TaskOut, **extra):
    fields = {name: getattr(task, name) for name in PLAIN}
    fields.update({name: local(getattr(task, name)) for name in TIMES})
    fields["required_tags"] = list(task.required_tags or [])
    return model(**fields, **extra)


def wave_out(wave) -> WaveOut:
    return WaveOut(number=wave.number, after_minutes=wave.after_minutes,
                   send_at=local(wave.send_at), sent_at=local(wave.sent_at))  # fmt: skip


def _detail(task: Task) -> TaskDetail:
    summary = task_overview.summary(task)
    return task_out(task, TaskDetail, offers=summary["offers"], delivery=summary["delivery"],
                    waves=[wave_out(w) for w in task_planning.waves(task)])  # fmt: skip


def _find(task_id: int) -> Task:
    found = db.session.get(Task, task_id)
    if found is None:
        raise not_found("task")
    check_organisation(found.coordinator.organisation_id, "task")
    return found


def _task_error(error: TaskError) -> ApiError:
    return invalid(error.field or "body", str(error))


@bp.get("/tasks")
@operation(*SCOPES, tag=TAG, ok={200: TaskPage})
def list_tasks(query: TaskQuery):
    """List tasks

    Soonest first. By default only current tasks (those with a number).
    """
    select = sa.select(Task).order_by(Task.starts_at, Task.id)
    if query.current:
        select = select.where(Task.code.is_not(None))
    if query.status is not None:
        select = select.where(Task.status == query.status)
    if (bound := bound_organisation()) is not None:
        select = select.join(Task.coordinator).where(Coordinator.organisation_id == bound)
    return TaskPage(**page_of(select, query, task_out))


@bp.get(f"/tasks/{ID}")
@operation(*SCOPES, tag=TAG, ok={200: TaskDetail}, errors=(404,))
def get_task(task_id: int):
    """One task, with its answers and delivery so far"""
    return _detail(_find(task_id))


@bp.post("/tasks")
@operation("tasks", tag=TAG, ok={201: TaskDetail})
def create_task(json: TaskCreate):
    """Create a task

    It gets a short number and is open for answers; nobody is asked until a wave is
    chosen. The texts must fit two SMS, so long titles and descriptions are refused.
    """
    coordinator = db.session.get(Coordinator, json.coordinator_id)
    bound = bound_organisation()
    if (
        coordinator is None
        or not coordinator.active
        or (bound is not None and coordinator.organisation_id != bound)
    ):
        raise invalid("coordinator_id", "no such active coordinator for this token")
    try:
        task = task_planning.create_task(
            coordinator, title=json.title, starts_at=json.starts_at, place=json.place,
            now=utcnow(), description=json.description, contact=json.contact,
            needed=json.needed, area=json.area, tags=json.tags,
            language=json.language.lower() if json.language else None,
            expires_at=json.expires_at, notify_unanswered=json.notify_unanswered,
            wave_interval=json.wave_interval,
        )  # fmt: skip
    except TaskError as error:
        db.session.rollback()
        raise _task_error(error) from None
    db.session.commit()
    return _detail(task), 201


@bp.get(f"/tasks/{ID}/candidates")
@operation("tasks", tag=TAG, ok={200: CandidatePage}, errors=(404,))
def list_candidates(task_id: int, query: PageQuery):
    """Volunteers it is fair to ask

    Active, not paused, with the task's tags, area and language, not asked lately and
    under the weekly cap; least asked first. Names only: numbers are not needed to choose.
    """
    task = _find(task_id)
    found = []
    if task.status in (Task.OPEN, Task.FILLED):
        found = volunteers.candidates(task, utcnow())
    page = page_of(None, query, _candidate_out, rows=found)
    audit.record(token(), "api.view_task_candidates", obj=task,
                 detail=f"{len(page['data'])} candidates")  # fmt: skip
    db.session.commit()
    return CandidatePage(**page)


def _candidate_out(candidate) -> CandidateOut:
    volunteer = candidate.volunteer
    return CandidateOut(
        volunteer_id=volunteer.id, name=volunteer.person.name, tags=list(volunteer.tags or []),
        area=volunteer.area, asked_this_week=candidate.asked_this_week,
        last_asked_at=local(candidate.last_asked_at),
    )  # fmt: skip


@bp.post(f"/tasks/{ID}/waves")
@operation("tasks", tag=TAG, ok={201: WaveResult}, errors=(404,))
def plan_wave(task_id: int, json: WaveIn):
    """Choose whom to ask: a wave

    Hand-picked volunteers, or the next `take` fair candidates. `send: now` makes the
    wave due at once; `after` sends it `after_minutes` after the previous wave went out,
    and only if the task is still not filled. Volunteers who cannot be asked (paused,
    inactive, opted out, on the task already) are listed in `refused`.
    """
    task = _find(task_id)
    if json.take:
        chosen = [c.volunteer for c in volunteers.candidates(task, utcnow())[: json.take]]
    else:
        chosen = [db.session.get(Volunteer, i) for i in dict.fromkeys(json.volunteer_ids)]
        if None in chosen:
            raise invalid("volunteer_ids", "no such volunteer")
    try:
        wave, added, refused = task_planning.plan_wave(task, chosen)
        task_overview.time_wave(task, wave, json.send, json.after_minutes, utcnow())
    except TaskError as error:
        db.session.rollback()
        raise _task_error(error) from None
    audit.record(
        token(),
        "api.plan_wave",
        obj=task,
        detail=f"wave {wave.number}: {len(added)} added, {len(refused)} refused",
    )
    db.session.commit()
    return WaveResult(
        wave=wave_out(wave), added=[v.id for v in added],
        refused=[Refused(volunteer_id=v.id, reason=reason) for v, reason in refused],
    ), 201  # fmt: skip


@bp.post(f"/tasks/{ID}/send")
@operation("tasks", tag=TAG, ok={200: TaskDetail}, errors=(404,))
def send_wave(task_id: int):
    """Send the next wave now

    The first wave not sent yet becomes due now (in quiet hours it waits for the
    morning). 422 when the task is not open or no wave is waiting.
    """
    task = _find(task_id)
    try:
        wave = task_planning.request_send(task, utcnow())
    except TaskError as error:
        raise _task_error(error) from None
    if wave is None:
        raise invalid("body", "no wave is waiting: choose volunteers first")
    db.session.commit()
    return _detail(task)


@bp.get(f"/tasks/{ID}/offers")
@operation(*SCOPES, tag=TAG, ok={200: OfferPage}, errors=(404,))
def list_offers(task_id: int, query: PageQuery):
    """Who was asked, and what they answered

    By wave. The number is given only for those who said yes (the coordinator may need
    to call them); the read is written to the audit log.
    """
    task = _find(task_id)
    page = page_of(None, query, _offer_out, rows=task_planning.offers(task))
    audit.record(token(), "api.view_task_offers", obj=task, detail=f"{len(page['data'])} offers")
    db.session.commit()
    return OfferPage(**page)


def _offer_out(offer) -> OfferOut:
    person = offer.person
    return OfferOut(
        id=offer.id, volunteer_id=offer.volunteer_id, person_id=person.id, name=person.name,
        phone=person.phone if offer.status == "accepted" else None, wave=offer.wave,
        status=offer.status, asked_at=local(offer.asked_at), answered_at=local(offer.answered_at),
    )  # fmt: skip


@bp.post(f"/tasks/{ID}/cancel")
@operation("tasks", tag=TAG, ok={200: TaskDetail}, errors=(404, 409))
def cancel_task(task_id: int):
    """Call a task off

    Volunteers who said yes are told at once. 409 if it is expired or cancelled already.
    """
    task = _find(task_id)
    if not task_lifecycle.cancel(task, utcnow()):
        raise ApiError(409, "conflict", f"The task is {task.status} and cannot be cancelled.")
    audit.record(token(), "api.cancel_task", obj=task)
    db.session.commit()
    return _detail(task)
