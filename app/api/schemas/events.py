"""What webhooks carry: the envelope and each event's `data` (ids and counts only).

`app.services.events` builds these payloads; the tests check them against these models,
and the OpenAPI document lists them under `webhooks`.
"""

from datetime import datetime
from typing import Literal

from pydantic import Field

from app.api.schemas.common import Output


class WebhookEnvelope(Output):
    """What every webhook POST carries."""

    id: int = Field(description="The delivery's id, also in X-Samtale-Delivery; the same "
                                "on every retry, so a receiver can skip one it has.")  # fmt: skip
    event: Literal["signup.created", "task.filled", "callback.requested"]
    created_at: datetime
    data: dict


class SignupCreated(Output):
    """Someone signed up (or joined the waiting list) for an activity's date."""

    signup_id: int
    occurrence_id: int
    activity_id: int
    status: Literal["confirmed", "waiting"]
    booked: int = Field(description="Places taken on that date now.")
    capacity: int | None


class TaskFilled(Output):
    """A volunteer task has all the volunteers it needs."""

    task_id: int
    code: int | None
    needed: int
    accepted: int
    starts_at: datetime


class CallbackRequested(Output):
    """A resident asked for a person to call them back."""

    callback_id: int
    reason: str = Field(description="asked, stuck, voice or volunteer.")
    channel: Literal["sms", "voice"]
    language: str


EVENT_MODELS = {
    "signup.created": SignupCreated,
    "task.filled": TaskFilled,
    "callback.requested": CallbackRequested,
}
