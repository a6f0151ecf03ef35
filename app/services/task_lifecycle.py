"""Tasks over time: expiry, cancellation, "no longer needed", freeing numbers.

Run by the scheduler (`app.jobs.tasks.settle_tasks`) and by coordinators (cancel).
Each change of status is one conditional UPDATE, so a coordinator is told once even
if two scheduler runs overlap. The caller commits.
"""

from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Task, TaskOffer
from app.services import task_texts
from app.services.tasks import accepted_offers, record, set_offer, tell_coordinator

# A filled or closed task's unanswered requests are told "no longer needed" this long
# after the change, so that answers already on their way are not told twice.
UNANSWERED_GRACE = timedelta(seconds=30)
# A task's number is kept this long after it took place, so late answers still make sense.
CODE_GRACE = timedelta(days=1)


def expire_due(now: datetime) -> int:
    """Open tasks past their expiry become "expired"; each coordinator is told once."""
    due = db.session.scalars(
        sa.select(Task).where(Task.status == Task.OPEN, Task.expires_at <= now)
    ).all()
    expired = 0
    for task in due:
        done = db.session.execute(
            sa.update(Task)
            .where(Task.id == task.id, Task.status == Task.OPEN, Task.expires_at <= now)
            .values(status=Task.EXPIRED, closed_at=now)
            .execution_options(synchronize_session=False)
        ).rowcount
        if done:
            db.session.refresh(task)
            tell_coordinator(task, "expired", "coord_expired")
            expired += 1
    return expired


def cancel(task: Task, now: datetime) -> bool:
    """The coordinator calls the task off: those who said yes are told at once."""
    done = db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.status.in_([Task.OPEN, Task.FILLED]))
        .values(status=Task.CANCELLED, closed_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if not done:
        return False
    db.session.refresh(task)
    record(task, "cancelled")
    for offer in accepted_offers(task):
        task_texts.send(
            offer.person, "task_cancelled", task, f"task:{task.id}:cancelled:{offer.person_id}"
        )
    return True


def tell_unanswered(now: datetime) -> int:
    """Tell those still asked of a filled, expired or cancelled task that it is not needed.

    Run by the scheduler a little after the change (UNANSWERED_GRACE), so that someone
    whose "yes" is arriving at this moment gets only the "taken" answer, not both.
    """
    settled = now - UNANSWERED_GRACE
    offers = db.session.scalars(
        sa.select(TaskOffer)
        .join(TaskOffer.task)
        .where(
            TaskOffer.status == TaskOffer.ASKED,
            Task.notify_unanswered,
            sa.or_(
                sa.and_(Task.status == Task.FILLED, Task.filled_at <= settled),
                sa.and_(Task.status.in_([Task.EXPIRED, Task.CANCELLED]), Task.closed_at <= settled),
            ),  # fmt: skip
            Task.starts_at > now,
        )
        .order_by(TaskOffer.id)
    ).all()
    told = 0
    for offer in offers:
        if set_offer(offer, TaskOffer.NO_LONGER_NEEDED, None, only_from=TaskOffer.ASKED):
            key = f"task:{offer.task_id}:not_needed:{offer.person_id}"
            told += task_texts.send(offer.person, "task_not_needed", offer.task, key) is not None
    return told


def release_codes(now: datetime) -> int:
    """Free the numbers of tasks that took place more than a day ago, so numbers stay short."""
    return db.session.execute(
        sa.update(Task)
        .where(Task.code.is_not(None), Task.starts_at < now - CODE_GRACE)
        .values(code=None)
        .execution_options(synchronize_session=False)
    ).rowcount
