"""Helpers shared by the task tests: asking volunteers, reading what was sent."""

from collections import Counter
from datetime import datetime

import sqlalchemy as sa

from app.extensions import db
from app.jobs.tasks import send_wave
from app.models import Message, Task, TaskOffer
from app.services import task_planning
from app.timeutil import utcnow

COORDINATOR = "+4790000001"


def plan(task: Task, people: list, wave: int | None = None, after: int | None = None):
    """Put volunteers on a wave without sending it; returns the wave."""
    planned, _, _ = task_planning.plan_wave(task, people, wave, after)
    db.session.commit()
    return planned


def ask(task: Task, people: list, now: datetime | None = None) -> str:
    """Plan a wave with these volunteers and send it at once (the fan-out job, in-process)."""
    wave = plan(task, people)
    task_planning.request_send(task, now or utcnow())
    db.session.commit()
    return send_wave(wave.id, now)


def statuses(task: Task) -> Counter:
    db.session.commit()  # a new transaction sees what jobs and webhooks committed
    return Counter(db.session.scalars(sa.select(TaskOffer.status).where(
        TaskOffer.task_id == task.id)))  # fmt: skip


def reload(task: Task) -> Task:
    db.session.commit()  # a new transaction sees what jobs and webhooks committed
    return db.session.get(Task, task.id)


def outbox_bodies(phone_person_id: int, kind: str | None = None) -> list[str]:
    query = sa.select(Message.body).where(
        Message.person_id == phone_person_id, Message.direction == Message.OUT,
        Message.status != "replied",
    )  # fmt: skip
    if kind:
        query = query.where(Message.kind == kind)
    return list(db.session.scalars(query.order_by(Message.id)))


def assert_each_sent_once(fake_twilio) -> None:
    """Every outbox row reached the fake Twilio exactly once, and nothing else did."""
    db.session.commit()  # a new transaction sees what jobs and webhooks committed
    rows = db.session.execute(
        sa.select(Message.id, Message.body, Message.status).where(
            Message.direction == Message.OUT, Message.status != "replied"
        )
    ).all()
    assert rows, "nothing was queued"
    assert all(status == "sent" for _, _, status in rows), rows
    received = Counter(m["Body"] for m in fake_twilio.messages)
    expected = Counter(body for _, body, _ in rows)
    assert received == expected
