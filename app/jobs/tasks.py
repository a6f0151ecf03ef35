"""RQ jobs for volunteer tasks: the fan-out of a wave, waves due, expiry, reminders.

The fan-out writes one outbox row per volunteer (keyed "task:<id>:offer:<person id>")
in the same transaction that marks the wave sent, and the outbox enqueues the sends
after the commit; the shared rate limiter paces them. A fan-out that dies before its
commit wrote nothing and runs again; one that committed is never repeated. As with
activity reminders, the database decides what is due, not the queue.
"""

import logging
from datetime import datetime, time, timedelta

import sqlalchemy as sa
from flask import current_app
from sqlalchemy.orm import selectinload

from app.extensions import db
from app.jobs.queue import DEFAULT_QUEUE, get_queue
from app.jobs.reminders import QUIET_FROM
from app.models import Task, TaskOffer, TaskWave, Volunteer
from app.services import outbox, task_lifecycle, task_texts, tasks, volunteers
from app.services.task_planning import quiet_until
from app.timeutil import local_zone, utcnow

log = logging.getLogger(__name__)
FAN_OUT_JOB_TIMEOUT = 600
REQUEST = "task_request"  # the notice, and the outbox kind of the request


def enqueue_wave(wave_id: int) -> None:
    """Put the fan-out of one wave on the "default" queue (raises if Redis is down;
    `send_due_waves` then sends it within a minute, as the wave is marked due)."""
    get_queue(DEFAULT_QUEUE).enqueue(
        send_wave, wave_id, job_timeout=FAN_OUT_JOB_TIMEOUT, description=f"task wave {wave_id}"
    )


def send_wave(wave_id: int, now: datetime | None = None) -> str:
    """Ask every volunteer planned on this wave, once. Returns what happened."""
    now = now or utcnow()
    wave = db.session.get(TaskWave, wave_id)
    if wave is None or wave.sent_at is not None:
        return "already sent"
    task = wave.task
    if task.status != Task.OPEN or task.expires_at <= now:
        return f"not sent: task is {task.status}"
    morning = quiet_until(now)
    if morning is not None:
        # Requests wait for the morning; `send_due_waves` sends them then.
        if wave.send_at is None or wave.send_at < morning:
            wave.send_at = morning
        db.session.commit()
        return "held until the quiet hours end"
    claimed = db.session.execute(
        sa.update(TaskWave)
        .where(TaskWave.id == wave.id, TaskWave.sent_at.is_(None))
        .values(sent_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not claimed:
        db.session.rollback()
        return "already sent"
    asked, skipped = _ask(task, wave, now)
    _schedule_next(task, wave, now)
    tasks.record(task, "wave_sent", detail=f"wave {wave.number}: {asked} asked, {skipped} skipped")
    db.session.commit()
    log.info("tasks: task %s wave %s: %s asked, %s skipped", task.id, wave.number, asked, skipped)
    return f"{asked} asked"


def _ask(task: Task, wave: TaskWave, now: datetime) -> tuple[int, int]:
    planned = db.session.scalars(
        sa.select(TaskOffer)
        .where(
            TaskOffer.task_id == task.id,
            TaskOffer.wave == wave.number,
            TaskOffer.status == TaskOffer.PLANNED,
        )
        .options(selectinload(TaskOffer.volunteer).joinedload(Volunteer.person))
        .order_by(TaskOffer.id)
    ).all()
    # Checked again now: a volunteer may have paused or been asked enough since.
    keys = {
        offer.id: f"task:{task.id}:offer:{offer.person_id}"
        for offer in planned
        if volunteers.may_be_asked(offer.volunteer, now)
    }
    outgoing = [
        outbox.Outgoing(offer.person, task_texts.text(offer.person, REQUEST, task), keys[offer.id])
        for offer in planned
        if offer.id in keys
    ]
    # All the wave's rows in one go; a key already taken means "not asked now".
    written = outbox.queue_many(outgoing, kind=REQUEST)
    asked = skipped = 0
    for offer in planned:
        message_id = written.get(keys.get(offer.id, ""))
        if message_id is None:
            offer.status = TaskOffer.SKIPPED
            skipped += 1
            continue
        offer.status, offer.asked_at, offer.message_id = TaskOffer.ASKED, now, message_id
        asked += 1
    return asked, skipped


def _schedule_next(task: Task, wave: TaskWave, now: datetime) -> None:
    following = db.session.scalar(
        sa.select(TaskWave)
        .where(TaskWave.task_id == task.id, TaskWave.number > wave.number,
               TaskWave.sent_at.is_(None))
        .order_by(TaskWave.number)
        .limit(1)
    )  # fmt: skip
    if following is not None and following.send_at is None:
        minutes = following.after_minutes
        minutes = task.wave_interval if minutes is None else minutes
        following.send_at = now + timedelta(minutes=minutes)


def send_due_waves(now: datetime | None = None) -> int:
    """Send waves that are due (the next wave of a task still not filled). Every minute."""
    now = now or utcnow()
    due = db.session.scalars(
        sa.select(TaskWave.id)
        .join(TaskWave.task)
        .where(
            TaskWave.sent_at.is_(None),
            TaskWave.send_at <= now,
            Task.status == Task.OPEN,
            Task.expires_at > now,
        )
        .order_by(TaskWave.send_at, TaskWave.id)
    ).all()
    sent = 0
    for wave_id in due:
        sent += send_wave(wave_id, now).endswith("asked")
    return sent


def settle_tasks(now: datetime | None = None) -> dict[str, int]:
    """Expire unfilled tasks, tell the unanswered they are not needed, free old numbers."""
    now = now or utcnow()
    result = {"expired": task_lifecycle.expire_due(now)}
    db.session.commit()
    result["told_not_needed"] = task_lifecycle.tell_unanswered(now)
    result["codes_released"] = task_lifecycle.release_codes(now)
    db.session.commit()
    return result


def send_task_reminders(now: datetime | None = None) -> int:
    """Remind accepted volunteers the day before, from REMINDER_HOUR until the evening.

    Like activity reminders: someone who said yes after that hour has just had the
    details, and nobody is reminded late at night. Each is keyed, so sent once.
    """
    now = now or utcnow()
    zone = local_zone()
    local_now = now.astimezone(zone)
    send_from = local_now.replace(
        hour=current_app.config["REMINDER_HOUR"], minute=0, second=0, microsecond=0
    )
    if not send_from <= local_now < datetime.combine(local_now.date(), QUIET_FROM, zone):
        return 0
    start = datetime.combine(local_now.date() + timedelta(days=1), time.min, zone)
    due = db.session.scalars(
        sa.select(TaskOffer)
        .join(TaskOffer.task)
        .where(
            TaskOffer.status == TaskOffer.ACCEPTED,
            TaskOffer.answered_at < send_from,
            Task.status.in_([Task.OPEN, Task.FILLED]),
            Task.starts_at >= start,
            Task.starts_at < start + timedelta(days=1),
        )
    ).all()
    sent = 0
    for offer in due:
        key = f"task:{offer.task_id}:reminder:{offer.person_id}"
        sent += task_texts.send(offer.person, "task_reminder", offer.task, key) is not None
    db.session.commit()
    return sent
