"""Schemas of broadcasts: one text to a group, and how far sending it has come."""

from datetime import datetime
from typing import Annotated, Literal

from pydantic import Field

from app.api.schemas.common import Id, Input, Output, paged, text

LanguageCode = Annotated[str, Field(pattern=r"^[a-z]{2,3}$")]


class BroadcastCreate(Input):
    body: text(1000, 1) = Field(description="Sent as written, with a short footer on how "
                                            "to stop messages.")  # fmt: skip
    translations: dict[LanguageCode, text(1000, 1)] = Field(
        default_factory=dict,
        max_length=20,
        description='Your own translations: {"en": "…"}. Nothing is machine-translated.',
    )
    audience: Literal["volunteers", "activity"]
    tags: list[text(40, 1)] = Field(
        default_factory=list, max_length=20, description="volunteers: only those with every tag."
    )
    area: text(60) | None = Field(None, description="volunteers: only this area.")
    occurrence_id: Id | None = Field(None, description="activity: those signed up to it.")
    waiting: bool = Field(False, description="activity: the waiting list too.")
    send: bool = Field(False, description="Send at once (else a draft, sent later).")


class Progress(Output):
    total: int
    done: int = Field(description="Messages that will not change any more.")
    percent: int
    finished: bool
    counts: dict[str, int] = Field(description="queued, sent, delivered, failed, held …")


class BroadcastOut(Output):
    id: int
    audience: Literal["volunteers", "activity"]
    tags: list[str]
    area: str | None
    occurrence_id: int | None
    waiting: bool
    body: str
    translations: dict[str, str]
    status: Literal["draft", "sending", "sent"]
    recipients: int = Field(description="People it goes (or went) to now.")
    send_at: datetime | None
    sent_at: datetime | None
    created_at: datetime
    progress: Progress


BroadcastPage = paged(BroadcastOut, "BroadcastPage")
