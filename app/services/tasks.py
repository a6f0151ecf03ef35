"""Volunteers answering task requests: accept, decline, withdraw. Channel-neutral.

Exactly `needed` volunteers are accepted however many answer at once: a place is taken
by one conditional UPDATE (`accepted < needed AND status = 'open'`), and the task's
move to "filled" (with the coordinator's notice) by another (`status = 'open'`), so
it happens once. Lock order is always the task row first, then the offer row: two
answers can then never wait for each other in a cycle.

Each function tells the coordinator and others itself, so the SMS engine and the
phone line (IVR) behave the same. The caller commits.
"""

from dataclasses import dataclass, field
from datetime import datetime, timedelta

import sqlalchemy as sa

from app.extensions import db
from app.models import Person, Task, TaskEvent, TaskOffer
from app.services import events, task_texts

# A plain "JA" this long after the last request is still taken to answer it.
LATE_ANSWER = timedelta(days=3)


@dataclass(frozen=True)
class TaskResult:
    """What came of an answer. `outcome`: accepted, declined, withdrawn, already, taken,
    closed, not_accepted, not_found, none (nothing open), choose (several, no number)."""

    outcome: str
    task: Task | None = None
    offer: TaskOffer | None = None
    choices: list[Task] = field(default_factory=list)


def open_requests(person: Person, now: datetime) -> list[TaskOffer]:
    """Requests asked of this person that still want an answer, oldest first."""
    return list(
        db.session.scalars(
            sa.select(TaskOffer)
            .join(TaskOffer.task)
            .where(
                TaskOffer.person_id == person.id,
                TaskOffer.status == TaskOffer.ASKED,
                Task.status == Task.OPEN,
                Task.expires_at > now,
                Task.starts_at > now,
            )
            .order_by(TaskOffer.asked_at, TaskOffer.id)
        )
    )


def accepted_upcoming(person: Person, now: datetime) -> list[TaskOffer]:
    """Tasks this person has said yes to that have not happened yet, soonest first."""
    return list(
        db.session.scalars(
            sa.select(TaskOffer)
            .join(TaskOffer.task)
            .where(
                TaskOffer.person_id == person.id,
                TaskOffer.status == TaskOffer.ACCEPTED,
                Task.status.in_([Task.OPEN, Task.FILLED]),
                Task.starts_at > now,
            )
            .order_by(Task.starts_at, Task.id)
        )
    )


def accept(
    person: Person, code: int | None, now: datetime, confirm_by_sms: bool = False
) -> TaskResult:
    """Say yes to a request (by its number, or the only open one). Caller commits.

    `confirm_by_sms` also texts the confirmation (for answers by phone); by SMS the
    reply itself is the confirmation.
    """
    offer, problem = _answering(person, code, now, open_requests)
    if problem:
        return problem
    task = offer.task
    if offer.status == TaskOffer.ACCEPTED:
        return TaskResult("already", task, offer)
    if _closed(task, now):
        return TaskResult("closed", task, offer)
    if not _take_place(task):
        set_offer(offer, TaskOffer.TAKEN, now, only_from=offer.status)
        return TaskResult("taken", task, offer)
    claimed = set_offer(offer, TaskOffer.ACCEPTED, now, only_from=offer.status)
    if not claimed and offer.status != TaskOffer.ACCEPTED:
        # Changed under us (told "no longer needed" just now): the place is still theirs.
        claimed = set_offer(offer, TaskOffer.ACCEPTED, now, only_from=offer.status)
    if not claimed:
        # The same person's other message won the offer a moment ago: give the place back.
        _give_place_back(task)
        return TaskResult("already", task, offer)
    db.session.refresh(task)
    record(task, "accepted", person)
    if _mark_filled(task, now):
        names = task_texts.names_list([o.person for o in accepted_offers(task)])
        tell_coordinator(task, "filled", "coord_filled", names=names)
        events.task_filled(task)
    if confirm_by_sms:
        task_texts.send(person, "task_confirmed", task, f"task:{task.id}:confirm:{person.id}")
    return TaskResult("accepted", task, offer)


def decline(person: Person, code: int | None, now: datetime) -> TaskResult:
    """Say no. Saying no after yes means "I cannot come after all": a withdrawal."""
    offer, problem = _answering(person, code, now, open_requests)
    if problem:
        return problem
    if offer.status == TaskOffer.ACCEPTED:
        return withdraw(person, offer.task.code, now)
    if offer.status == TaskOffer.ASKED:
        set_offer(offer, TaskOffer.DECLINED, now, only_from=TaskOffer.ASKED)
        record(offer.task, "declined", person)
    return TaskResult("declined", offer.task, offer)


def withdraw(
    person: Person, code: int | None, now: datetime, *, anonymous: bool = False
) -> TaskResult:
    """An accepted volunteer cannot come after all: the place opens again, the coordinator
    is told, and planned waves may go out (the task is open again).

    `anonymous`: the coordinator is told that "a volunteer" withdrew, without a name
    (the person is having their data deleted).
    """
    offer, problem = _answering(person, code, now, accepted_upcoming)
    if problem:
        return problem
    task = offer.task
    if offer.status != TaskOffer.ACCEPTED:
        return TaskResult("not_accepted", task, offer)
    # Lock the task row first, as accept does, before touching the offer.
    db.session.execute(sa.select(Task.id).where(Task.id == task.id).with_for_update())
    if not set_offer(offer, TaskOffer.WITHDRAWN, now, only_from=TaskOffer.ACCEPTED):
        return TaskResult("not_accepted", task, offer)
    db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id)
        .values(
            accepted=Task.accepted - 1,
            status=sa.case((Task.status == Task.FILLED, Task.OPEN), else_=Task.status),
            filled_at=None,
        )
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(task)
    if anonymous:
        tell_coordinator(task, "withdrawn", "coord_withdrawn_anonymous")
    else:
        tell_coordinator(
            task, "withdrawn", "coord_withdrawn", person=person,
            volunteer=task_texts.display_name(person),
        )  # fmt: skip
    return TaskResult("withdrawn", task, offer)


def accepted_offers(task: Task) -> list[TaskOffer]:
    """Who has said yes to the task, in the order they did."""
    return list(
        db.session.scalars(
            sa.select(TaskOffer)
            .where(TaskOffer.task_id == task.id, TaskOffer.status == TaskOffer.ACCEPTED)
            .order_by(TaskOffer.answered_at, TaskOffer.id)
        )
    )


def by_code(code: int) -> Task | None:
    """The current task with this number (numbers of past tasks are freed)."""
    return db.session.scalar(sa.select(Task).where(Task.code == code))


def record(task: Task, kind: str, person: Person | None = None, detail: str | None = None):
    """Add to the task's history (what `task show` and staff pages list)."""
    event = TaskEvent(
        task_id=task.id, kind=kind, person_id=person.id if person else None, detail=detail
    )
    db.session.add(event)
    db.session.flush()
    return event


def tell_coordinator(
    task: Task,
    kind: str,
    notice: str,
    person: Person | None = None,
    detail: str | None = None,
    **values,
) -> TaskEvent:
    """Record the event on the task and text the coordinator about it, once per event."""
    event = record(task, kind, person, detail)
    coordinator = task.coordinator
    if coordinator.active:
        message = task_texts.send(
            coordinator.person, notice, task, f"task:{task.id}:event:{event.id}", **values
        )
        event.message_id = message.id if message else None
    return event


def _answering(person, code, now, pending) -> tuple[TaskOffer | None, TaskResult | None]:
    """The offer an answer is about: by number, or the only one `pending` lists.

    A plain "JA" with nothing pending is about the latest request, if it has not taken
    place yet: someone answering late is then thanked and told it is taken.
    """
    if code is None:
        offers = pending(person, now)
        if not offers and pending is open_requests and (latest := _latest_asked(person, now)):
            return latest, None
        if not offers:
            return None, TaskResult("none")
        if len(offers) > 1:
            return None, TaskResult("choose", choices=[o.task for o in offers])
        return offers[0], None
    offer = db.session.scalar(
        sa.select(TaskOffer)
        .join(TaskOffer.task)
        .where(
            TaskOffer.person_id == person.id,
            Task.code == code,
            # A planned or skipped offer was never sent: the person was not asked.
            TaskOffer.status.not_in([TaskOffer.PLANNED, TaskOffer.SKIPPED]),
        )
    )
    if offer is None:
        return None, TaskResult("not_found")
    return offer, None


def _latest_asked(person: Person, now: datetime) -> TaskOffer | None:
    return db.session.scalar(
        sa.select(TaskOffer)
        .join(TaskOffer.task)
        .where(
            TaskOffer.person_id == person.id,
            TaskOffer.status.in_([TaskOffer.ASKED, TaskOffer.TAKEN, TaskOffer.NO_LONGER_NEEDED]),
            TaskOffer.asked_at > now - LATE_ANSWER,
            Task.starts_at > now,
        )
        .order_by(TaskOffer.asked_at.desc(), TaskOffer.id.desc())
        .limit(1)
    )


def _closed(task: Task, now: datetime) -> bool:
    if task.status == Task.OPEN and task.expires_at <= now:
        return True  # expired, though the scheduler has not marked it yet
    return task.status in (Task.EXPIRED, Task.CANCELLED) or task.starts_at <= now


def _take_place(task: Task) -> bool:
    taken = db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.accepted < Task.needed, Task.status == Task.OPEN)
        .values(accepted=Task.accepted + 1)
        .execution_options(synchronize_session=False)
    ).rowcount
    return taken == 1


def _give_place_back(task: Task) -> None:
    db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id)
        .values(accepted=Task.accepted - 1)
        .execution_options(synchronize_session=False)
    )
    db.session.refresh(task)


def _mark_filled(task: Task, now: datetime) -> bool:
    """open -> filled, once: only the answer that took the last place gets True."""
    done = db.session.execute(
        sa.update(Task)
        .where(Task.id == task.id, Task.status == Task.OPEN, Task.accepted >= Task.needed)
        .values(status=Task.FILLED, filled_at=now)
        .execution_options(synchronize_session=False)
    ).rowcount
    if done:
        db.session.refresh(task)
    return done == 1


def set_offer(offer: TaskOffer, status: str, now: datetime | None, only_from: str) -> bool:
    """Change the offer's status only if it is still `only_from`; True if this call did."""
    values = {"status": status}
    if now is not None:
        values["answered_at"] = now
    done = db.session.execute(
        sa.update(TaskOffer)
        .where(TaskOffer.id == offer.id, TaskOffer.status == only_from)
        .values(**values)
        .execution_options(synchronize_session=False)
    ).rowcount
    db.session.refresh(offer)
    return done == 1
