"""Schemas of volunteer tasks (oppdrag), their waves, offers and candidates."""

from datetime import datetime
from typing import Literal

from pydantic import Field, model_validator

from app.api.schemas.common import Id, Input, Output, PageQuery, PhoneOut, When, paged, text

TaskStatus = Literal["open", "filled", "expired", "cancelled"]
OfferStatus = Literal["planned", "skipped", "asked", "accepted", "declined", "withdrawn",
                      "taken", "no_longer_needed"]  # fmt: skip


class TaskCreate(Input):
    coordinator_id: Id = Field(description="The coordinator who asks (and is told).")
    title: text(60, 1)
    description: text(160) = ""
    starts_at: When
    place: text(80, 1)
    contact: text(80) | None = Field(None, description="Default: the coordinator's name "
                                                       "and number.")  # fmt: skip
    needed: int = Field(1, ge=1, le=50)
    area: text(60) | None = None
    tags: list[text(40, 1)] = Field(
        default_factory=list, max_length=20, description="Tags every volunteer asked must have."
    )
    language: text(8, 2) | None = Field(None, description="A language they must speak.")
    expires_at: When | None = Field(
        None, description="No answers after this; default TASK_EXPIRY_HOURS before the start."
    )
    notify_unanswered: bool | None = None
    wave_interval: int | None = Field(None, ge=1, le=10_080, description="Minutes.")


class TaskQuery(PageQuery):
    status: TaskStatus | None = None
    current: bool = Field(True, description="Only tasks that still have a number.")


class TaskOut(Output):
    id: int
    code: int | None = Field(description="The number volunteers answer with (JA 45).")
    title: str
    description: str
    starts_at: datetime
    place: str
    area: str | None
    contact: str
    needed: int
    accepted: int
    required_tags: list[str]
    required_language: str | None
    expires_at: datetime
    status: TaskStatus
    notify_unanswered: bool
    wave_interval: int
    coordinator_id: int
    created_at: datetime
    filled_at: datetime | None
    closed_at: datetime | None


TaskPage = paged(TaskOut, "TaskPage")


class WaveOut(Output):
    number: int
    after_minutes: int | None
    send_at: datetime | None = Field(description="When it is due; null: not scheduled.")
    sent_at: datetime | None


class Delivery(Output):
    queued: int
    sent: int
    delivered: int
    failed: int


class TaskDetail(TaskOut):
    offers: dict[str, int] = Field(description="Volunteers on the task by offer status.")
    delivery: Delivery
    waves: list[WaveOut]


class WaveIn(Input):
    volunteer_ids: list[Id] = Field(default_factory=list, max_length=200,
                                    description="Hand-picked volunteers …")  # fmt: skip
    take: int | None = Field(None, ge=1, le=200,
                             description="… or the next N fair candidates.")  # fmt: skip
    send: Literal["now", "after"] = Field(
        "now", description="now: due at once; after: after_minutes after the previous "
                           "wave went out, if the task is still not filled.")  # fmt: skip
    after_minutes: int | None = Field(None, ge=1, le=10_080)

    @model_validator(mode="after")
    def _one_way(self):
        if bool(self.volunteer_ids) == (self.take is not None):
            raise ValueError("give either volunteer_ids or take")
        return self


class Refused(Output):
    volunteer_id: int
    reason: str


class WaveResult(Output):
    wave: WaveOut
    added: list[int] = Field(description="Volunteer ids put on the wave.")
    refused: list[Refused]


class OfferOut(Output):
    id: int
    volunteer_id: int
    person_id: int
    name: str | None
    phone: PhoneOut | None = Field(description="Only for those who said yes.")
    wave: int
    status: OfferStatus
    asked_at: datetime | None
    answered_at: datetime | None


OfferPage = paged(OfferOut, "OfferPage")


class CandidateOut(Output):
    volunteer_id: int
    name: str | None
    tags: list[str]
    area: str | None
    asked_this_week: int
    last_asked_at: datetime | None


CandidatePage = paged(CandidateOut, "CandidatePage")
