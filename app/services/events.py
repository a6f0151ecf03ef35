"""Events other platforms can subscribe to through their API token's webhook.

`emit` writes one `webhook_deliveries` row per subscribed token in the caller's
transaction; only when that transaction commits is a delivery job put on the queue
(`app.jobs.webhooks.deliver` does the HTTP), so a rollback announces nothing. Payloads
carry ids and counts, never a phone number, a name or a message: a receiver that
needs more asks the API, with a token whose scopes allow it (and the audit log sees it).
"""

import logging
from collections.abc import Callable

from flask import current_app
from rq import Retry
from sqlalchemy import event
from sqlalchemy.orm import Session

from app.extensions import db
from app.jobs.queue import DEFAULT_QUEUE, get_queue
from app.models import CallbackRequest, SignUp, Task, WebhookDelivery
from app.services import api_tokens

log = logging.getLogger(__name__)

# By import path: the job module imports models and services, not the other way round.
DELIVER_JOB = "app.jobs.webhooks.deliver"
DELIVER_JOB_TIMEOUT = 60
_PENDING = "samtale_webhooks_pending"


def emit(name: str, payload: dict | Callable[[], dict], organisation_id: int | None = None) -> int:
    """Announce event `name` to every token subscribed to it (caller commits).

    `payload` may be a function, so that nothing is read when nobody listens (the common
    case). Tokens bound to another organisation than `organisation_id` are not told.
    Returns how many deliveries were written.
    """
    tokens = api_tokens.subscribers(name)
    tokens = [t for t in tokens if t.organisation_id in (None, organisation_id)]
    if not tokens:
        return 0
    data = payload() if callable(payload) else payload
    rows = [WebhookDelivery(token_id=t.id, event=name, payload=data) for t in tokens]
    db.session.add_all(rows)
    db.session.flush()
    db.session.info.setdefault(_PENDING, []).extend(row.id for row in rows)
    return len(rows)


def signup_created(signup: SignUp) -> int:
    """Someone signed up (or joined the waiting list) for an occurrence."""
    occurrence = signup.occurrence
    return emit(
        "signup.created",
        lambda: {
            "signup_id": signup.id, "occurrence_id": occurrence.id,
            "activity_id": occurrence.activity_id, "status": signup.status,
            "booked": occurrence.booked, "capacity": occurrence.capacity,
        },
        organisation_id=occurrence.activity.organisation_id,
    )  # fmt: skip


def task_filled(task: Task) -> int:
    """A task has all the volunteers it needs."""
    return emit(
        "task.filled",
        lambda: {
            "task_id": task.id, "code": task.code, "needed": task.needed,
            "accepted": task.accepted, "starts_at": task.starts_at.isoformat(),
        },
        organisation_id=task.coordinator.organisation_id,
    )  # fmt: skip


def callback_requested(request: CallbackRequest) -> int:
    """A resident asked for a person to call them back."""
    return emit(
        "callback.requested",
        lambda: {
            "callback_id": request.id, "reason": request.reason,
            "channel": request.channel, "language": request.language,
        },
    )  # fmt: skip


def enqueue_delivery(delivery_id: int) -> None:
    """Put a delivery job on the "default" queue, retried on timeouts and 5xx."""
    intervals = list(current_app.config["WEBHOOK_RETRY_INTERVALS"])
    retry = Retry(max=len(intervals), interval=intervals) if intervals else None
    get_queue(DEFAULT_QUEUE).enqueue(
        DELIVER_JOB, delivery_id, retry=retry, job_timeout=DELIVER_JOB_TIMEOUT,
        description=f"webhook delivery {delivery_id}",
    )  # fmt: skip


@event.listens_for(Session, "after_commit")
def _enqueue_after_commit(session: Session) -> None:
    # Fired for savepoints too; only the outermost commit makes the rows real.
    if session.in_nested_transaction():
        return
    ids = session.info.pop(_PENDING, None)
    for delivery_id in ids or []:
        try:
            enqueue_delivery(delivery_id)
        except Exception as exc:  # the commit has happened; raising here would lie about it
            log.warning("events: delivery %s not enqueued (%s)", delivery_id, type(exc).__name__)


@event.listens_for(Session, "after_transaction_end")
def _forget_on_end(session: Session, transaction) -> None:
    if transaction.parent is None:
        session.info.pop(_PENDING, None)
