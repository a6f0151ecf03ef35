"""What coordinators see of tasks on the staff pages, and timing a hand-picked wave.

The task services (`task_planning`, `tasks`, `task_lifecycle`) do the work; this module
only gathers what a page shows, and adds "send this wave after N minutes" for a wave
planned after the previous one has gone out (which `task_planning` leaves unscheduled).
"""

from collections import Counter
from dataclasses import dataclass
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Task, TaskOffer, TaskWave
from app.services import task_planning

# Offer statuses in the order a coordinator reads them.
OFFER_ORDER = (
    TaskOffer.ACCEPTED, TaskOffer.ASKED, TaskOffer.DECLINED, TaskOffer.WITHDRAWN,
    TaskOffer.TAKEN, TaskOffer.NO_LONGER_NEEDED, TaskOffer.PLANNED, TaskOffer.SKIPPED,
)  # fmt: skip
NOW, AFTER = "now", "after"


@dataclass(frozen=True)
class TaskRow:
    task: Task
    next_wave_at: datetime | None
    planned: int  # volunteers on waves not sent yet


def listing(show_all: bool = False) -> list[TaskRow]:
    """Current tasks (those with a number), open ones first, then by start."""
    query = sa.select(Task).where(Task.code.is_not(None))
    if not show_all:
        query = query.where(Task.status.in_([Task.OPEN, Task.FILLED]))
    query = query.order_by(sa.case((Task.status == Task.OPEN, 0), else_=1), Task.starts_at)
    found = list(db.session.scalars(query))
    ids = [t.id for t in found]
    due = dict(db.session.execute(
        sa.select(TaskWave.task_id, sa.func.min(TaskWave.send_at))
        .where(TaskWave.task_id.in_(ids), TaskWave.sent_at.is_(None))
        .group_by(TaskWave.task_id)
    ).all()) if ids else {}  # fmt: skip
    planned = dict(db.session.execute(
        sa.select(TaskOffer.task_id, sa.func.count())
        .where(TaskOffer.task_id.in_(ids), TaskOffer.status == TaskOffer.PLANNED)
        .group_by(TaskOffer.task_id)
    ).all()) if ids else {}  # fmt: skip
    return [TaskRow(t, due.get(t.id), planned.get(t.id, 0)) for t in found]


def next_wave(task: Task) -> TaskWave | None:
    """The first wave not sent yet, if any."""
    return next((w for w in task_planning.waves(task) if w.sent_at is None), None)


def time_wave(task: Task, wave: TaskWave, timing: str, after_minutes: int | None,
              now: datetime) -> TaskWave | None:  # fmt: skip
    """Say when a just-planned wave goes out. Caller commits (then enqueues a "now" wave).

    "now": the next unsent wave is due now (as `task send`). "after": `after_minutes`
    after the previous wave went out (from now if that is already past, or if there is
    no previous wave); if the previous wave has not gone yet, its sending times this
    one. The fan-out only sends it while the task is still open, i.e. still unfilled.
    Returns the wave that is due now, for "now".
    """
    if timing == NOW:
        return task_planning.request_send(task, now)
    minutes = task.wave_interval if after_minutes is None else after_minutes
    wave.after_minutes = minutes
    previous = db.session.scalar(
        sa.select(TaskWave).where(TaskWave.task_id == task.id, TaskWave.number < wave.number)
        .order_by(TaskWave.number.desc()).limit(1)
    )  # fmt: skip
    if previous is None:
        wave.send_at = now + timedelta(minutes=minutes)
    elif previous.sent_at is not None:
        wave.send_at = max(now, previous.sent_at + timedelta(minutes=minutes))
    return None


def summary(task: Task) -> dict:
    """The task's state for the page's live view: answers, delivery, history."""
    offers = task_planning.offers(task)
    by_status = Counter(o.status for o in offers)
    delivery = task_planning.progress(task)
    following = next_wave(task)
    return {
        "status": task.status,
        "accepted": task.accepted,
        "needed": task.needed,
        "offers": {s: by_status.get(s, 0) for s in OFFER_ORDER},
        "delivery": {k: delivery.get(k, 0) for k in ("queued", "sent", "delivered", "failed")},
        "next_wave_at": following.send_at if following else None,
        "next_wave": following.number if following else None,
    }
