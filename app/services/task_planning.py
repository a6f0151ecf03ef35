"""Coordinators' side of tasks: creating one, choosing who is asked in which wave, progress.

Sending is not done here: a wave is marked due (`request_send`) and the fan-out job
(`app.jobs.tasks.send_wave`) writes the messages, so a retried job never texts twice.
"""

import logging
from collections import Counter
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.exc import IntegrityError

from app.extensions import db
from app.i18n import N_
from app.models import (
    Coordinator,
    Message,
    Occurrence,
    Task,
    TaskEvent,
    TaskOffer,
    TaskWave,
    Volunteer,
)  # fmt: skip
from app.services import task_texts
from app.services.tasks import record
from app.timeutil import local_zone

log = logging.getLogger(__name__)
# Numbers start at 10 like activity numbers, so 1-9 always mean menu choices; a task
# never takes a number an activity has at that moment (see README: task numbers).
FIRST_CODE = 10
TITLE_MAX, DESCRIPTION_MAX, PLACE_MAX, CONTACT_MAX = 60, 160, 80, 80
NEEDED_MAX = 50
# How a request's delivery is summed up for coordinators, from messages.status.
PROGRESS = {
    "queued": "queued", "sending": "queued", "accepted": "queued", "scheduled": "queued",
    "sent": "sent", "simulated": "sent", "delivered": "delivered", "read": "delivered",
    "undelivered": "failed", "failed": "failed", "blocked": "failed", "unknown": "failed",
    "canceled": "failed", "partially_delivered": "failed",
}  # fmt: skip


class TaskError(ValueError):
    """What the coordinator asked for cannot be done; the message says why, plainly.

    `msgid` and `values` let a page say it in the coordinator's language; `field` names
    the input it is about, if one. `str()` gives the English text (the command line).
    """

    def __init__(self, msgid: str, field: str | None = None, **values):
        super().__init__(msgid.format(**values))
        self.msgid, self.field, self.values = msgid, field, values


def create_task(
    coordinator: Coordinator,
    *,
    title: str,
    starts_at: datetime,
    place: str,
    now: datetime,
    description: str = "",
    contact: str | None = None,
    needed: int = 1,
    area: str | None = None,
    tags=None,
    language: str | None = None,
    expires_at: datetime | None = None,
    notify_unanswered: bool | None = None,
    wave_interval: int | None = None,
) -> Task:
    """A new open task with a free number. Raises TaskError on bad input. Caller commits."""
    from app.services.volunteers import clean_tags

    config = current_app.config
    title, description, place = title.strip(), (description or "").strip(), place.strip()
    contact = (contact or _default_contact(coordinator)).strip()
    _require(0 < len(title) <= TITLE_MAX, N_("The title needs 1 to {most} characters."), "title",
             most=TITLE_MAX)  # fmt: skip
    _require(len(description) <= DESCRIPTION_MAX,
             N_("The description may have at most {most} characters."), "description",
             most=DESCRIPTION_MAX)  # fmt: skip
    _require(0 < len(place) <= PLACE_MAX, N_("The place needs 1 to {most} characters."), "place",
             most=PLACE_MAX)  # fmt: skip
    _require(0 < len(contact) <= CONTACT_MAX, N_("The contact needs 1 to {most} characters."),
             "contact", most=CONTACT_MAX)  # fmt: skip
    _require(1 <= needed <= NEEDED_MAX, N_("Volunteers needed must be 1 to {most}."), "needed",
             most=NEEDED_MAX)  # fmt: skip
    _require(starts_at > now, N_("The task must start in the future."), "starts_at")
    if expires_at is None:
        expires_at = starts_at - timedelta(hours=config["TASK_EXPIRY_HOURS"])
        if expires_at <= now:
            expires_at = starts_at
    _require(now < expires_at <= starts_at,
             N_("Answers must close after now and not after the start."), "expires_at")  # fmt: skip
    _require(language is None or (language.isalpha() and len(language) <= 8),
             N_("The language is a code such as nb, en or pl."), "language")  # fmt: skip
    task = Task(
        title=title, description=description, starts_at=starts_at, place=place,
        contact=contact, needed=needed, accepted=0, area=area or None,
        required_tags=clean_tags(tags), required_language=language or None,
        expires_at=expires_at, status=Task.OPEN,
        notify_unanswered=(config["TASK_NOTIFY_UNANSWERED"] if notify_unanswered is None
                           else notify_unanswered),
        wave_interval=wave_interval or config["TASK_WAVE_INTERVAL"], created_at=now,
    )  # fmt: skip
    task.coordinator = coordinator
    task.code = 99  # the widest two-digit number, for the length check below
    problems = task_texts.too_long(task)
    _require(not problems, N_("The title, description, place and contact are too long for two "
                              "text messages ({where}). Please shorten them."),
             where=", ".join(problems))  # fmt: skip
    _add_with_code(task)
    record(task, "created")
    return task


def _require(condition: bool, msgid: str, field: str | None = None, **values) -> None:
    if not condition:
        raise TaskError(msgid, field, **values)


def _default_contact(coordinator: Coordinator) -> str:
    person = coordinator.person
    return f"{person.name}, {person.phone}" if person.name else person.phone


def _add_with_code(task: Task) -> None:
    """Give the task the smallest number no current task or activity has (safe under races)."""
    for _ in range(5):
        task.code = _free_code()
        try:
            with db.session.begin_nested():
                db.session.add(task)
            return
        except IntegrityError:
            continue  # another task took this number at the same moment: pick again
    raise TaskError(N_("Could not find a free task number. Please try again."))


def _free_code() -> int:
    taken = set(db.session.scalars(sa.select(Task.code).where(Task.code.is_not(None))))
    taken |= set(db.session.scalars(sa.select(Occurrence.code).where(Occurrence.code.is_not(None))))
    code = FIRST_CODE
    while code in taken:
        code += 1
    return code


def plan_wave(
    task: Task,
    volunteers: list[Volunteer],
    number: int | None = None,
    after_minutes: int | None = None,
) -> tuple[TaskWave, list[Volunteer], list[tuple[Volunteer, str]]]:
    """Put hand-picked volunteers on a wave (the next one unless `number`). Caller commits.

    Returns (wave, added, refused with the reason). Nobody is texted here.
    """
    _require(task.status in (Task.OPEN, Task.FILLED), N_("Task {code} is {status}."),
             code=task.code, status=task.status)  # fmt: skip
    waves = {w.number: w for w in db.session.scalars(
        sa.select(TaskWave).where(TaskWave.task_id == task.id))}  # fmt: skip
    number = number or (max(waves, default=0) + 1)
    _require(number >= 1, N_("Wave numbers start at 1."))
    wave = waves.get(number)
    _require(wave is None or wave.sent_at is None, N_("Wave {number} has been sent already."),
             number=number)  # fmt: skip
    if wave is None:
        wave = TaskWave(task_id=task.id, number=number, after_minutes=after_minutes)
        db.session.add(wave)
    elif after_minutes is not None:
        wave.after_minutes = after_minutes
    on_task = set(db.session.scalars(
        sa.select(TaskOffer.person_id).where(TaskOffer.task_id == task.id)))  # fmt: skip
    added, refused = [], []
    for volunteer in volunteers:
        reason = _refusal(volunteer, on_task)
        if reason:
            refused.append((volunteer, reason))
            continue
        on_task.add(volunteer.person_id)
        db.session.add(TaskOffer(task_id=task.id, person_id=volunteer.person_id,
                                 volunteer_id=volunteer.id, wave=number,
                                 status=TaskOffer.PLANNED))  # fmt: skip
        added.append(volunteer)
    db.session.flush()
    if added:
        record(task, "planned", detail=f"wave {number}: {len(added)} volunteer(s)")
    return wave, added, refused


def _refusal(volunteer: Volunteer, on_task: set[int]) -> str | None:
    if volunteer.status != Volunteer.ACTIVE:
        return f"is {volunteer.status}, not active"
    if volunteer.paused_at is not None:
        return "has paused requests"
    if volunteer.person.opted_out:
        return "has opted out of all messages"
    if volunteer.person_id in on_task:
        return "is on this task already"
    return None


def request_send(task: Task, now: datetime) -> TaskWave | None:
    """Mark the first unsent wave due now; the fan-out job sends it (after quiet hours)."""
    _require(task.status == Task.OPEN, N_("Task {code} is {status}: there is nothing to send."),
             code=task.code, status=task.status)  # fmt: skip
    wave = db.session.scalar(
        sa.select(TaskWave)
        .where(TaskWave.task_id == task.id, TaskWave.sent_at.is_(None))
        .order_by(TaskWave.number)
        .limit(1)
    )
    if wave is not None and (wave.send_at is None or wave.send_at > now):
        wave.send_at = now
    return wave


def waves(task: Task) -> list[TaskWave]:
    """The task's waves in order."""
    query = sa.select(TaskWave).where(TaskWave.task_id == task.id).order_by(TaskWave.number)
    return list(db.session.scalars(query))


def offers(task: Task) -> list[TaskOffer]:
    """Everyone on the task, by wave."""
    return list(db.session.scalars(
        sa.select(TaskOffer).where(TaskOffer.task_id == task.id)
        .order_by(TaskOffer.wave, TaskOffer.id)))  # fmt: skip


def events(task: Task) -> list[TaskEvent]:
    """The task's history, oldest first."""
    return list(db.session.scalars(
        sa.select(TaskEvent).where(TaskEvent.task_id == task.id)
        .order_by(TaskEvent.created_at, TaskEvent.id)))  # fmt: skip


def progress(task: Task) -> Counter:
    """Delivery of the task's requests: queued, sent, delivered, failed (from Twilio's
    status callbacks, which update messages.status)."""
    statuses = db.session.scalars(
        sa.select(Message.status)
        .join(TaskOffer, TaskOffer.message_id == Message.id)
        .where(TaskOffer.task_id == task.id)
    )
    return Counter(PROGRESS.get(status, status) for status in statuses)


def quiet_until(now: datetime) -> datetime | None:
    """If `now` is in QUIET_HOURS ("21-08", local), when they end; else None."""
    try:
        start, end = (int(h) % 24 for h in current_app.config["QUIET_HOURS"].split("-"))
    except ValueError:
        # A bad setting must not stop requests for good, nor send them at night.
        log.warning("QUIET_HOURS should look like 21-08; using 21-08")
        start, end = 21, 8
    zone = local_zone()
    local = now.astimezone(zone)
    hour = local.hour
    quiet = (start <= hour or hour < end) if start > end else (start <= hour < end)
    if not quiet:
        return None
    day = local.date() if hour < end else local.date() + timedelta(days=1)
    return datetime.combine(day, time(end), zone)
